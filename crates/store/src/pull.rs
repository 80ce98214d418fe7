//! Pulling: manifests and blobs from a registry into the store, layers unpacked on the way.
//!
//! 1. Resolve the manifest on each endpoint in turn (mirrors first); keep the most useful
//!    error when all fail.
//! 2. From an index, pick the platform; fetch the image manifest and its config.
//! 3. Fetch every missing layer in parallel, streaming: the blob is hashed as it is
//!    written, and unpacked from its temporary file as it grows (see [`crate::follow`]),
//!    each layer alongside the layers below it: it waits for them only when one of its
//!    paths must look below (see [`container_layer::apply_with_lowers`]).
//! 4. Write the config, the manifests and last the tag.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use container_reference::Reference;
use container_registry::platform::Platform;
use container_registry::{
    Credentials, Manifest, ManifestKind, RegistryConfig, RegistryError, Session, SessionOptions,
};
use futures_util::StreamExt as _;
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};
use tokio::sync::Semaphore;

use crate::catalog::{platforms_of, select_platform};
use crate::error::{Result, StoreError};
use crate::follow::{FollowReader, Progress};
use crate::image::{Image, ImageConfig, chain_ids};
use crate::layers::{self, LayerRecord};
use crate::layout::{self, BlobWriter};
use crate::{Store, fsutil, lock};

/// Layers downloaded at once.
const PARALLEL_DOWNLOADS: usize = 4;
/// Times a broken-off blob download is resumed.
const RESUMES: u32 = 3;
/// Configs larger than this are refused (they are read into memory).
const MAX_CONFIG_SIZE: u64 = 16 << 20;

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryAccess {
    /// Mirrors and insecure registries.
    pub config: RegistryConfig,
    /// Logins from Docker's `config.json`.
    pub credentials: Credentials,
    /// TLS settings.
    pub options: SessionOptions,
}

/// Choices for one pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// The platform to pick from an index; the host's when `None`.
    pub platform: Option<Platform>,
}

/// What happens during a pull, for progress displays.
#[derive(Debug, Clone)]
pub enum PullEvent {
    /// Asking an endpoint for the manifest.
    Resolving {
        /// The registry host asked.
        host: String,
    },
    /// The image is known: its manifest digest and layers.
    Resolved {
        /// Digest of what the tag points to (index or manifest).
        digest: String,
        /// The layers' blob digests and sizes, bottom first.
        layers: Vec<(String, u64)>,
    },
    /// A layer changed state.
    Layer {
        /// The layer's blob digest.
        digest: String,
        /// What it is doing.
        status: LayerStatus,
    },
}

/// The state of one layer during a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerStatus {
    /// Already in the store.
    Exists,
    /// Bytes downloaded so far, of the total.
    Downloading {
        /// Bytes so far.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
    /// Downloaded; still unpacking.
    Extracting,
    /// Downloaded and unpacked.
    Complete,
}

/// The result of a pull.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The name pulled, in full.
    pub reference: Reference,
    /// The digest the name now points to (an index or a manifest).
    pub digest: String,
    /// Whether the name pointed to something else (or nothing) before.
    pub is_updated: bool,
    /// The image.
    pub image: Image,
}

type Events = Arc<dyn Fn(PullEvent) + Send + Sync>;

impl Store {
    /// Pulls `reference` into the store and tags it.
    #[tracing::instrument(skip_all, fields(reference = %reference))]
    pub async fn pull(
        &self,
        reference: &Reference,
        access: &RegistryAccess,
        options: &PullOptions,
        events: Events,
    ) -> Result<Pulled> {
        let tag_or_digest = match (reference.digest(), reference.tag()) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.to_owned(),
            (None, None) => "latest".to_owned(),
        };
        let (session, top) = resolve(reference, &tag_or_digest, access, &events).await?;
        let platform = options.platform.clone().unwrap_or_else(Platform::host);
        let (index, manifest_bytes, manifest_digest) = match top.kind {
            ManifestKind::Image => (None, top.bytes.clone(), top.digest.clone()),
            ManifestKind::Index => {
                let child = pick_from_index(&top, reference, &platform)?;
                let manifest = session.manifest(&child).await?;
                if manifest.kind != ManifestKind::Image {
                    return Err(invalid(
                        "index",
                        &top.digest,
                        "an entry is not an image manifest",
                    ));
                }
                (Some(top.clone()), manifest.bytes, manifest.digest)
            }
        };
        let manifest = ImageManifest::from_reader(&manifest_bytes[..])
            .map_err(|e| invalid("manifest", &manifest_digest, &e.to_string()))?;
        let layer_list = manifest
            .layers()
            .iter()
            .map(|l| (l.digest().to_string(), l.size()))
            .collect();
        events(PullEvent::Resolved {
            digest: top.digest.clone(),
            layers: layer_list,
        });

        let config_digest = manifest.config().digest().to_string();
        let config_bytes = self
            .fetch_config(&session, &config_digest, manifest.config().size())
            .await?;
        let config: ImageConfig = serde_json::from_slice(&config_bytes)
            .map_err(|e| invalid("config", &config_digest, &e.to_string()))?;
        check_layers_match(&manifest, &config, &manifest_digest)?;
        if index.is_none()
            && let Some(wanted) = &options.platform
        {
            check_platform(&config, wanted, reference)?;
        }

        self.fetch_layers(Arc::new(session), &manifest, &config, events)
            .await?;

        self.layout.write_blob(&config_digest, &config_bytes)?;
        self.layout.write_blob(&manifest_digest, &manifest_bytes)?;
        if let Some(index) = &index {
            self.layout.write_blob(&index.digest, &index.bytes)?;
        }
        let pulled = self.finish(reference, &top, manifest_digest).await?;
        let mut blobs = vec![config_digest];
        blobs.extend(manifest.layers().iter().map(|l| l.digest().to_string()));
        let repository = format!("{}/{}", reference.domain(), reference.path());
        self.record_sources(&repository, &blobs)?;
        Ok(pulled)
    }

    /// Tags the pulled image and loads it back.
    async fn finish(
        &self,
        reference: &Reference,
        top: &Manifest,
        manifest_digest: String,
    ) -> Result<Pulled> {
        let name = match reference.tag() {
            Some(_) => reference.clone(),
            None if reference.digest().is_some() => reference.clone(),
            None => reference.with_tag("latest")?,
        };
        let descriptor =
            layout::descriptor_of(&top.media_type, &top.digest, top.bytes.len() as u64);
        let store = self.clone();
        let tagged = name.clone();
        let before = tokio::task::spawn_blocking(move || -> Result<Option<String>> {
            let _lock = store.lock_metadata()?;
            let full = tagged.to_string();
            let index = store.layout.read_index()?;
            let before = index
                .manifests()
                .iter()
                .find(|d| layout::ref_name(d) == Some(&full));
            let before = before.map(|d| d.digest().to_string());
            store.set_tag(&tagged, descriptor)?;
            Ok(before)
        })
        .await
        .map_err(StoreError::Task)??;

        let image = self
            .images()?
            .into_iter()
            .find(|i| i.manifest_digest == manifest_digest)
            .ok_or_else(|| StoreError::ImageNotFound {
                name: name.to_string(),
            })?;
        let is_updated = before.as_deref() != Some(top.digest.as_str());
        Ok(Pulled {
            reference: name,
            digest: top.digest.clone(),
            is_updated,
            image,
        })
    }

    /// The config blob, from the store or the registry, checked against its digest.
    async fn fetch_config(&self, session: &Session, digest: &str, size: u64) -> Result<Vec<u8>> {
        if self.layout.has_blob(digest) {
            return self.layout.read_blob(digest);
        }
        if size > MAX_CONFIG_SIZE {
            return Err(invalid("config", digest, "is larger than 16 MiB"));
        }
        let mut blob = session.blob(digest, 0).await?;
        let mut bytes = Vec::with_capacity(size as usize);
        while let Some(chunk) = blob.stream.next().await {
            let chunk = chunk.map_err(|e| unreachable(session, e))?;
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > MAX_CONFIG_SIZE {
                return Err(invalid("config", digest, "is larger than 16 MiB"));
            }
        }
        let actual = layout::sha256_of(&bytes);
        if actual != digest {
            return Err(StoreError::DigestMismatch {
                what: "config",
                digest: digest.to_owned(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Downloads and unpacks every layer not yet in the store, in parallel; then syncs
    /// them all at once and moves them into `layers/`, bottom first.
    async fn fetch_layers(
        &self,
        session: Arc<Session>,
        manifest: &ImageManifest,
        config: &ImageConfig,
        events: Events,
    ) -> Result<()> {
        let chains = chain_ids(&config.rootfs.diff_ids);
        let limit = Arc::new(Semaphore::new(PARALLEL_DOWNLOADS));
        let mut below: Vec<Arc<Signal>> = Vec::new();
        let mut tasks = Vec::new();
        for (i, descriptor) in manifest.layers().iter().enumerate() {
            let done = Arc::new(Signal::default());
            let job = LayerJob {
                store: self.clone(),
                session: session.clone(),
                descriptor: descriptor.clone(),
                chain_id: chains[i].clone(),
                diff_id: config.rootfs.diff_ids[i].clone(),
                below: below.clone(),
                done: done.clone(),
                events: events.clone(),
                limit: limit.clone(),
            };
            tasks.push(tokio::spawn(job.run()));
            below.push(done);
        }

        let mut first_error = None;
        let mut unpacked = Vec::new();
        for task in tasks {
            match task.await.map_err(StoreError::Task).and_then(|r| r) {
                Ok(Some(layer)) => unpacked.push(layer),
                Ok(None) => {}
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(error) = first_error {
            for layer in unpacked {
                let _ = std::fs::remove_dir_all(&layer.temp);
            }
            return Err(error);
        }
        let layers_dir = self.layers_dir();
        tokio::task::spawn_blocking(move || layers::commit_all(&layers_dir, unpacked))
            .await
            .map_err(StoreError::Task)?
    }
}

/// Fetches the manifest from the first endpoint that has it.
async fn resolve(
    reference: &Reference,
    tag_or_digest: &str,
    access: &RegistryAccess,
    events: &Events,
) -> Result<(Session, Manifest)> {
    let mut best: Option<RegistryError> = None;
    for endpoint in access.config.endpoints(reference.domain()) {
        events(PullEvent::Resolving {
            host: endpoint.host.clone(),
        });
        let login_for = if endpoint.is_mirror {
            endpoint.host.as_str()
        } else {
            reference.domain()
        };
        let login = access.credentials.for_registry(login_for);
        let attempt = async {
            let session = Session::open(
                &endpoint,
                reference.path(),
                login.as_ref(),
                false,
                &access.options,
            )
            .await?;
            let manifest = session.manifest(tag_or_digest).await?;
            Ok::<_, RegistryError>((session, manifest))
        };
        match attempt.await {
            Ok(found) => return Ok(found),
            Err(error) => {
                tracing::debug!(host = %endpoint.host, %error, "endpoint failed");
                if best.as_ref().is_none_or(|b| error.rank() > b.rank()) {
                    best = Some(error);
                }
            }
        }
    }
    let error = best.expect("every registry has at least one endpoint");
    // Name what the user asked for, not the endpoint that failed to serve it.
    Err(match error {
        RegistryError::NotFound { .. } => RegistryError::NotFound {
            reference: display_name(reference),
        },
        other => other,
    }
    .into())
}

fn display_name(reference: &Reference) -> String {
    match (reference.tag(), reference.digest()) {
        (None, None) => format!("{reference}:latest"),
        _ => reference.to_string(),
    }
}

/// The digest of the index entry for `platform`.
fn pick_from_index(top: &Manifest, reference: &Reference, platform: &Platform) -> Result<String> {
    let index = ImageIndex::from_reader(&top.bytes[..])
        .map_err(|e| invalid("index", &top.digest, &e.to_string()))?;
    let entries: Vec<&Descriptor> = index.manifests().iter().collect();
    match select_platform(&entries, platform) {
        Some(i) => Ok(entries[i].digest().to_string()),
        None => Err(StoreError::NoMatchingPlatform {
            platform: platform.to_string(),
            reference: reference.familiar(),
            available: platforms_of(&index),
        }),
    }
}

/// A single-platform image pulled for an explicit `--platform` must be of it, as
/// Docker checks, rather than be stored as if it were.
fn check_platform(config: &ImageConfig, wanted: &Platform, reference: &Reference) -> Result<()> {
    if config.can_serve(wanted) {
        return Ok(());
    }
    let (os, architecture) = (&config.os, &config.architecture);
    let variant = config
        .variant
        .as_ref()
        .map(|v| format!("/{v}"))
        .unwrap_or_default();
    Err(StoreError::PlatformMismatch {
        reference: reference.familiar(),
        wanted: wanted.to_string(),
        actual: format!("{os}/{architecture}{variant}"),
    })
}

fn check_layers_match(manifest: &ImageManifest, config: &ImageConfig, digest: &str) -> Result<()> {
    let (layers, diff_ids) = (manifest.layers().len(), config.rootfs.diff_ids.len());
    if layers != diff_ids {
        let reason = format!("{layers} layers but {diff_ids} diff IDs in its config");
        return Err(invalid("manifest", digest, &reason));
    }
    Ok(())
}

fn invalid(what: &'static str, digest: &str, reason: &str) -> StoreError {
    StoreError::InvalidImage {
        what,
        digest: digest.to_owned(),
        reason: reason.to_owned(),
    }
}

fn unreachable(session: &Session, error: std::io::Error) -> StoreError {
    let host = session.endpoint().host.clone();
    RegistryError::Unreachable {
        host,
        source: Box::new(error),
    }
    .into()
}

/// Set once: where a layer can be read from (its final or temporary directory), or
/// that it failed.
#[derive(Default)]
struct Signal {
    state: Mutex<Option<Option<PathBuf>>>,
    changed: Condvar,
}

impl Signal {
    fn set(&self, outcome: Option<PathBuf>) {
        let mut state = self.state.lock().expect("no panics while holding the lock");
        state.get_or_insert(outcome);
        self.changed.notify_all();
    }

    fn wait(&self) -> Option<PathBuf> {
        let mut state = self.state.lock().expect("no panics while holding the lock");
        loop {
            if let Some(outcome) = &*state {
                return outcome.clone();
            }
            state = self
                .changed
                .wait(state)
                .expect("no panics while holding the lock");
        }
    }
}

/// One layer to bring into the store.
struct LayerJob {
    store: Store,
    session: Arc<Session>,
    descriptor: Descriptor,
    chain_id: String,
    diff_id: String,
    /// The layers below, bottom first.
    below: Vec<Arc<Signal>>,
    done: Arc<Signal>,
    events: Events,
    limit: Arc<Semaphore>,
}

impl LayerJob {
    async fn run(self) -> Result<Option<Unpacked>> {
        let done = self.done.clone();
        let result = self.fetch().await;
        if result.is_err() {
            done.set(None);
        }
        result
    }

    #[tracing::instrument(skip_all, fields(digest = %self.descriptor.digest()))]
    async fn fetch(self) -> Result<Option<Unpacked>> {
        let digest = self.descriptor.digest().to_string();
        let lock_name = format!("layer-{}.lock", self.chain_id.trim_start_matches("sha256:"));
        let locks = self.store.locks_dir();
        let lock = tokio::task::spawn_blocking(move || lock::lock_exclusive(&locks, &lock_name))
            .await
            .map_err(StoreError::Task)??;

        let final_dir = self.store.layer_path(&self.chain_id);
        let is_unpacked = layers::is_complete(&self.store.layers_dir(), &self.chain_id);
        let has_blob = self.store.layout.has_blob(&digest);
        if is_unpacked {
            // Usable already: layers above need not wait for the blob.
            self.done.set(Some(final_dir));
        }
        if is_unpacked && has_blob {
            tracing::debug!("layer already in the store");
            (self.events)(PullEvent::Layer {
                digest,
                status: LayerStatus::Exists,
            });
            return Ok(None);
        }
        let _permit = self
            .limit
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        if !has_blob {
            return self.download(is_unpacked, lock).await;
        }
        let path = self.store.layout.blob_path(&digest);
        self.unpack_from(path, None, lock).await.map(Some)
    }

    /// Downloads the blob, and unpacks it as it arrives unless it is unpacked already.
    async fn download(self, is_unpacked: bool, lock: lock::LockGuard) -> Result<Option<Unpacked>> {
        let digest = self.descriptor.digest().to_string();
        let mut writer = BlobWriter::create(&self.store.layout, &digest)?;
        let progress = Arc::new(Progress::default());
        let temp = writer.temp_path().to_owned();

        let store_layout = self.store.layout.clone();
        let events = self.events.clone();
        let session = self.session.clone();
        let total = self.descriptor.size();
        let unpack = match is_unpacked {
            true => None,
            false => Some(tokio::spawn(self.unpack_from(
                temp,
                Some(progress.clone()),
                lock,
            ))),
        };

        let result = match receive(&session, &digest, total, &mut writer, &progress, &events).await
        {
            Ok(()) => writer.commit(&store_layout, &digest),
            Err(error) => {
                writer.abort();
                Err(error)
            }
        };
        progress.finish(result.is_ok());
        let unpacked = match unpack {
            Some(task) => task
                .await
                .map_err(StoreError::Task)
                .and_then(|r| r)
                .map(Some),
            None => Ok(None),
        };
        if let (Err(_), Ok(Some(layer))) = (&result, &unpacked) {
            let _ = std::fs::remove_dir_all(&layer.temp);
        }
        result?;
        let unpacked = unpacked?;
        events(PullEvent::Layer {
            digest,
            status: LayerStatus::Complete,
        });
        Ok(unpacked)
    }

    /// Unpacks the blob in `path` (complete, or still being written), waiting for the
    /// layers below only if it must look into them, and checks its diff ID. The result
    /// waits in a temporary directory, which layers above may already use as their
    /// lower.
    async fn unpack_from(
        self,
        path: PathBuf,
        progress: Option<Arc<Progress>>,
        lock: lock::LockGuard,
    ) -> Result<Unpacked> {
        let digest = self.descriptor.digest().to_string();
        let file = File::open(&path).map_err(StoreError::io("reading", &path))?;
        let source: Box<dyn std::io::Read + Send> = match progress {
            Some(progress) => Box::new(FollowReader::new(file, progress)),
            None => Box::new(std::io::BufReader::with_capacity(1 << 17, file)),
        };
        let temp = fsutil::temp_path_for(&self.store.layer_path(&self.chain_id));
        let job = self;

        tokio::task::spawn_blocking(move || -> Result<Unpacked> {
            fsutil::create_dir_all(&temp)?;
            let below = Below(&job.below);
            let applied = container_layer::apply_with_lowers(source, &temp, &below)
                .map_err(|source| match source {
                    container_layer::LayerError::LowersUnavailable { .. } => {
                        invalid("layer", &digest, BELOW_FAILED)
                    }
                    source => StoreError::Layer {
                        digest: digest.clone(),
                        source,
                    },
                })
                .and_then(|applied| check_diff_id(applied, &job.diff_id));
            let record = match applied {
                Ok(applied) => LayerRecord {
                    diff_id: job.diff_id.clone(),
                    size: applied.unpacked_size,
                },
                Err(error) => {
                    let _ = std::fs::remove_dir_all(&temp);
                    return Err(error);
                }
            };
            job.done.set(Some(temp.clone()));
            (job.events)(PullEvent::Layer {
                digest,
                status: LayerStatus::Extracting,
            });
            Ok(Unpacked {
                temp,
                chain_id: job.chain_id.clone(),
                record,
                _lock: lock,
            })
        })
        .await
        .map_err(StoreError::Task)?
    }
}

const BELOW_FAILED: &str = "a layer below it failed";

/// The layers below one being unpacked, bottom first, waited for when it first needs
/// them.
struct Below<'a>(&'a [Arc<Signal>]);

impl container_layer::LowerSource for Below<'_> {
    fn wait(&self) -> std::result::Result<Vec<PathBuf>, Box<dyn std::error::Error + Send + Sync>> {
        // Top-most first, as overlayfs stacks them.
        let mut lowers = Vec::with_capacity(self.0.len());
        for below in self.0.iter().rev() {
            let Some(path) = below.wait() else {
                return Err(BELOW_FAILED.into());
            };
            lowers.push(path);
        }
        Ok(lowers)
    }
}

fn check_diff_id(
    applied: container_layer::Applied,
    diff_id: &str,
) -> Result<container_layer::Applied> {
    if applied.diff_id != diff_id {
        let (digest, actual) = (diff_id.to_owned(), applied.diff_id);
        return Err(StoreError::DigestMismatch {
            what: "layer content",
            digest,
            actual,
        });
    }
    Ok(applied)
}

/// A layer unpacked into a temporary directory, waiting to be synced and moved into
/// place. Its lock is held until then, so a concurrent pull waits for it.
pub(crate) struct Unpacked {
    pub temp: PathBuf,
    pub chain_id: String,
    pub record: LayerRecord,
    _lock: lock::LockGuard,
}

/// Streams the blob into `writer`, resuming where it broke off when the connection drops.
async fn receive(
    session: &Session,
    digest: &str,
    total: u64,
    writer: &mut BlobWriter,
    progress: &Progress,
    events: &Events,
) -> Result<()> {
    let mut resumes = 0;
    loop {
        let mut blob = session.blob(digest, writer.written()).await?;
        let mut failure = None;
        while let Some(chunk) = blob.stream.next().await {
            match chunk {
                Ok(chunk) => {
                    writer.write(&chunk)?;
                    progress.advance(chunk.len() as u64);
                    let status = LayerStatus::Downloading {
                        done: writer.written(),
                        total,
                    };
                    events(PullEvent::Layer {
                        digest: digest.to_owned(),
                        status,
                    });
                }
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
        match failure {
            None => return Ok(()),
            Some(error) if resumes < RESUMES => {
                resumes += 1;
                tracing::debug!(%error, offset = writer.written(), "download broke off, resuming");
            }
            Some(error) => return Err(unreachable(session, error)),
        }
    }
}
