//! Pushing: an image of the store to a registry, as Docker pushes it.
//!
//! 1. Find the image; an image pulled as an index pushes the platform manifest the
//!    store holds (Docker pushes what it has).
//! 2. Open a session for pushing, whose token also covers reading the other
//!    repositories of that registry the blobs are known to be in (`sources.json`).
//! 3. For each blob, in parallel: skip it when the registry has it (`HEAD`), else
//!    mount it from another repository, else stream it from its file.
//! 4. Put the manifest last, so the tag never names an incomplete image.
//!
//! Layers go as the store holds them: compressed as pulled, or uncompressed when
//! loaded from a docker-archive.
// TODO: gzip uncompressed layers on the way, as Docker does, to push less

use std::sync::Arc;

use container_reference::Reference;
use container_registry::{Session, UploadBody};
use futures_util::StreamExt as _;
use oci_spec::image::Descriptor;
use tokio::io::AsyncReadExt as _;
use tokio::sync::Semaphore;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::image::Image;
use crate::pull::RegistryAccess;

/// Blobs uploaded at once (Docker's default is 5).
const PARALLEL_UPLOADS: usize = 4;
/// Times one blob upload is tried when it fails in a way that may pass (5xx, a
/// dropped connection): each attempt streams the file again from its start.
const UPLOAD_ATTEMPTS: u32 = 3;
const FIRST_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);
/// Bytes read from a blob file per chunk sent.
const CHUNK: usize = 1 << 20;

/// What happens during a push, for progress displays.
#[derive(Debug, Clone)]
pub enum PushEvent {
    /// The layers to push, bottom first, with their sizes.
    Preparing {
        /// Blob digests and sizes.
        layers: Vec<(String, u64)>,
    },
    /// A layer changed state.
    Layer {
        /// The layer's blob digest.
        digest: String,
        /// What it is doing.
        status: PushStatus,
    },
}

/// The state of one layer during a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStatus {
    /// The registry has it already.
    Exists,
    /// The registry mounted it from another repository (its path).
    Mounted(String),
    /// Bytes sent so far, of the total.
    Pushing {
        /// Bytes so far.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
    /// Uploaded.
    Pushed,
}

/// The result of a push.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The name pushed, in full.
    pub reference: Reference,
    /// The tag (or digest) the manifest was put under.
    pub tag: String,
    /// The manifest's digest.
    pub digest: String,
    /// The manifest's size in bytes.
    pub size: u64,
}

type Events = Arc<dyn Fn(PushEvent) + Send + Sync>;

impl Store {
    /// Pushes the image named `reference` to the registry its name says.
    #[tracing::instrument(skip_all, fields(reference = %reference))]
    pub async fn push(
        &self,
        reference: &Reference,
        access: &RegistryAccess,
        events: Events,
    ) -> Result<Pushed> {
        let image = self.resolve(&reference.to_string())?;
        let manifest_bytes = self.layout.read_blob(&image.manifest_digest)?;
        let media_type = manifest_media_type(&manifest_bytes);
        let tag = match (reference.digest(), reference.tag()) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.to_owned(),
            (None, None) => "latest".to_owned(),
        };

        let domain = reference.domain();
        let repository = reference.path().to_owned();
        let blobs = blobs_of(&image);
        let mut mount_from = Vec::new();
        for blob in &blobs {
            for source in self.sources_of(blob.digest().as_ref())? {
                if let Some(path) = source.strip_prefix(&format!("{domain}/"))
                    && path != repository
                    && !mount_from.iter().any(|p| p == path)
                {
                    mount_from.push(path.to_owned());
                }
            }
        }

        let endpoint = push_endpoint(access, domain);
        let login = access.credentials.for_registry(domain);
        let session = Session::open_for_push(
            &endpoint,
            &repository,
            &mount_from,
            login.as_ref(),
            &access.options,
        )
        .await?;
        let layers = image.manifest.layers();
        events(PushEvent::Preparing {
            layers: layers
                .iter()
                .map(|l| (l.digest().to_string(), l.size()))
                .collect(),
        });

        let session = self
            .push_blobs(Arc::new(session), &blobs, domain, events)
            .await?;
        session
            .put_manifest(&tag, &media_type, manifest_bytes.clone().into())
            .await?;

        let mut digests: Vec<String> = blobs.iter().map(|b| b.digest().to_string()).collect();
        digests.push(image.manifest_digest.clone());
        self.record_sources(&format!("{domain}/{repository}"), &digests)?;
        Ok(Pushed {
            reference: reference.clone(),
            tag,
            digest: image.manifest_digest.clone(),
            size: manifest_bytes.len() as u64,
        })
    }

    /// Sends every blob the registry lacks, in parallel; the session comes back for
    /// the manifest.
    async fn push_blobs(
        &self,
        session: Arc<Session>,
        blobs: &[Descriptor],
        domain: &str,
        events: Events,
    ) -> Result<Arc<Session>> {
        let limit = Arc::new(Semaphore::new(PARALLEL_UPLOADS));
        let mut tasks = Vec::new();
        for blob in blobs {
            let job = BlobJob {
                store: self.clone(),
                session: session.clone(),
                digest: blob.digest().to_string(),
                size: blob.size(),
                domain: domain.to_owned(),
                is_layer: !is_config(blob),
                events: events.clone(),
            };
            let limit = limit.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await.expect("never closed");
                job.run().await
            }));
        }
        let mut first_error = None;
        for task in tasks {
            if let Err(error) = task.await.map_err(StoreError::Task).and_then(|r| r) {
                first_error.get_or_insert(error);
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(session),
        }
    }
}

/// One blob to bring to the registry.
struct BlobJob {
    store: Store,
    session: Arc<Session>,
    digest: String,
    size: u64,
    domain: String,
    is_layer: bool,
    events: Events,
}

impl BlobJob {
    #[tracing::instrument(skip_all, fields(digest = %self.digest))]
    async fn run(self) -> Result<()> {
        if self.session.has_blob(&self.digest).await? {
            tracing::debug!("the registry has the blob");
            self.event(PushStatus::Exists);
            return Ok(());
        }
        let prefix = format!("{}/", self.domain);
        for source in self.store.sources_of(&self.digest)? {
            let Some(path) = source.strip_prefix(&prefix) else {
                continue;
            };
            if self.session.mount_blob(&self.digest, path).await? {
                tracing::debug!(from = path, "mounted the blob");
                self.event(PushStatus::Mounted(path.to_owned()));
                return Ok(());
            }
        }
        let mut pause = FIRST_RETRY_PAUSE;
        for attempt in 1.. {
            let body = self.body().await?;
            match self
                .session
                .upload_blob(&self.digest, self.size, body)
                .await
            {
                Ok(()) => break,
                Err(error) if error.is_retryable() && attempt < UPLOAD_ATTEMPTS => {
                    tracing::debug!(%error, attempt, "upload failed, starting it again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(error) => return Err(error.into()),
            }
        }
        self.event(PushStatus::Pushed);
        Ok(())
    }

    /// The blob's file as a stream of chunks, reporting progress as they go.
    async fn body(&self) -> Result<UploadBody> {
        let path = self.store.layout.blob_path(&self.digest);
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(StoreError::io("reading", &path))?;
        let (events, digest, total, is_layer) = (
            self.events.clone(),
            self.digest.clone(),
            self.size,
            self.is_layer,
        );
        let stream = futures_util::stream::unfold((file, 0u64), move |(mut file, done)| {
            let (events, digest) = (events.clone(), digest.clone());
            async move {
                let mut buffer = vec![0; CHUNK];
                match file.read(&mut buffer).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buffer.truncate(n);
                        let done = done + n as u64;
                        if is_layer {
                            let status = PushStatus::Pushing { done, total };
                            events(PushEvent::Layer { digest, status });
                        }
                        Some((Ok(bytes::Bytes::from(buffer)), (file, done)))
                    }
                    Err(error) => Some((Err(error), (file, done))),
                }
            }
        });
        Ok(stream.boxed())
    }

    fn event(&self, status: PushStatus) {
        if self.is_layer {
            (self.events)(PushEvent::Layer {
                digest: self.digest.clone(),
                status,
            });
        }
    }
}

/// The config, then the layers.
fn blobs_of(image: &Image) -> Vec<Descriptor> {
    let mut blobs = vec![image.manifest.config().clone()];
    blobs.extend(image.manifest.layers().iter().cloned());
    blobs
}

fn is_config(descriptor: &Descriptor) -> bool {
    let media_type = descriptor.media_type().to_string();
    media_type.contains("config") || media_type.ends_with("container.image.v1+json")
}

/// The media type a manifest declares, else OCI's.
fn manifest_media_type(bytes: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(default, rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Probe>(bytes)
        .ok()
        .and_then(|p| p.media_type)
        .unwrap_or_else(|| container_registry::media_types::OCI_MANIFEST.to_owned())
}

/// The registry itself: pushes never go to a mirror.
fn push_endpoint(access: &RegistryAccess, domain: &str) -> container_registry::Endpoint {
    let endpoints = access.config.endpoints(domain);
    if let Some(endpoint) = endpoints.into_iter().find(|e| !e.is_mirror) {
        return endpoint;
    }
    let host = match domain {
        container_registry::config::DOCKER_HUB => container_registry::config::DOCKER_HUB_API,
        other => other,
    };
    container_registry::Endpoint {
        host: host.to_owned(),
        is_mirror: false,
        is_insecure: access.config.is_insecure(domain),
    }
}
