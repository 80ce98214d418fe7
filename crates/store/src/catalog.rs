//! Listing, naming and removing images; garbage collection.

use std::collections::{BTreeMap, BTreeSet};

use container_reference::{AnyReference, Reference, is_hex_prefix, parse_any};
use container_registry::platform::{self, Candidate, Platform};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::image::{Image, ImageConfig, chain_ids};
use crate::layout::{self, ref_name};
use crate::{Store, fsutil, layers};

/// What `remove` did, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// A tag was removed (familiar form).
    Untagged(String),
    /// An image was deleted (its ID).
    Deleted(String),
}

/// What `prune` removed.
#[derive(Debug, Clone, Default)]
pub struct PruneReport {
    /// Each step, as `remove` reports them.
    pub removals: Vec<Removal>,
    /// Bytes freed on disk.
    pub reclaimed: u64,
}

/// `untagged.json`: images kept after losing their last tag.
// TODO: keep the repository digests of an untagged image, so listings show `alpine <none>` as Docker does
#[derive(Debug, Default, Serialize, Deserialize)]
struct Untagged {
    manifests: BTreeSet<String>,
}

/// Where each manifest is named from.
#[derive(Default)]
pub(crate) struct Names {
    tags: Vec<Reference>,
    repo_digests: Vec<String>,
}

impl Store {
    /// Every image in the store, newest first.
    pub fn images(&self) -> Result<Vec<Image>> {
        let mut names: BTreeMap<String, Names> = BTreeMap::new();
        for entry in self.layout.read_index()?.manifests() {
            let Some(name) = ref_name(entry) else {
                continue;
            };
            let Some(manifest) = self.manifest_for_entry(entry)? else {
                continue;
            };
            let Ok(reference) = Reference::parse(name) else {
                continue;
            };
            let slot = names.entry(manifest).or_default();
            slot.repo_digests
                .push(format!("{}@{}", reference.name(), entry.digest()));
            if reference.tag().is_some() {
                slot.tags.push(reference.without_digest());
            }
        }
        for manifest in self.read_untagged()?.manifests {
            names.entry(manifest).or_default();
        }

        let mut images = Vec::new();
        for (manifest, names) in names {
            if let Some(image) = self.load_image(&manifest, names)? {
                images.push(image);
            }
        }
        images.sort_by(|a, b| {
            b.config
                .created
                .cmp(&a.config.created)
                .then(a.id.cmp(&b.id))
        });
        Ok(images)
    }

    /// Finds the image a user means by `name`: a tag, `name@digest`, a full ID, or a
    /// unique ID prefix, tried in that order (as Docker does).
    pub fn resolve(&self, name: &str) -> Result<Image> {
        let images = self.images()?;
        let not_found = || StoreError::ImageNotFound {
            name: name.to_owned(),
        };
        let by_name = match parse_any(name) {
            Ok(AnyReference::Id(id)) => {
                let id = id.to_string();
                return images
                    .into_iter()
                    .find(|i| i.id == id || i.manifest_digest == id)
                    .ok_or_else(not_found);
            }
            Ok(AnyReference::Named(reference)) => find_named(&images, &reference),
            Err(error) if !is_hex_prefix(name) => return Err(error.into()),
            Err(_) => None,
        };
        if let Some(index) = by_name {
            return Ok(images[index].clone());
        }
        if !is_hex_prefix(name) {
            return Err(not_found());
        }
        let mut matches = images
            .into_iter()
            .filter(|i| short_hex(&i.id).starts_with(name));
        match (matches.next(), matches.next()) {
            (Some(image), None) => Ok(image),
            (Some(_), Some(_)) => Err(StoreError::AmbiguousId {
                prefix: name.to_owned(),
            }),
            _ => Err(not_found()),
        }
    }

    /// Gives `source`'s image the name `target` (`tag` adds `:latest` when missing).
    pub fn tag(&self, source: &str, target: &str) -> Result<Reference> {
        let image = self.resolve(source)?;
        let target = Reference::parse_with_default_tag(target)?;
        let manifest = self.layout.read_blob(&image.manifest_digest)?;
        let media_type = image.manifest.media_type().as_ref().map(|m| m.to_string());
        let media_type =
            media_type.unwrap_or_else(|| container_registry::media_types::OCI_MANIFEST.to_owned());
        let descriptor =
            layout::descriptor_of(&media_type, &image.manifest_digest, manifest.len() as u64);

        let _lock = self.lock_metadata()?;
        self.set_tag(&target, descriptor)?;
        Ok(target)
    }

    /// Points `target` at `descriptor`; the image it pointed to before becomes untagged
    /// (kept as `<none>`) when no other name holds it.
    pub(crate) fn set_tag(&self, target: &Reference, descriptor: Descriptor) -> Result<()> {
        self.set_tags(std::slice::from_ref(target), descriptor)
    }

    /// Points every one of `targets` at `descriptor`, in one write of the index.
    pub(crate) fn set_tags(&self, targets: &[Reference], descriptor: Descriptor) -> Result<()> {
        let names: BTreeSet<String> = targets.iter().map(|t| t.to_string()).collect();
        let mut index = self.layout.read_index()?;
        let mut entries = index.manifests().clone();
        let previous: Vec<Descriptor> = entries
            .iter()
            .filter(|d| ref_name(d).is_some_and(|n| names.contains(n)))
            .cloned()
            .collect();
        entries.retain(|d| !ref_name(d).is_some_and(|n| names.contains(n)));
        for name in &names {
            entries.push(layout::tagged(descriptor.clone(), name));
        }
        index.set_manifests(entries);

        let mut untagged = self.read_untagged()?;
        for old in previous {
            let still_named = index.manifests().iter().any(|d| d.digest() == old.digest());
            if !still_named && let Some(manifest) = self.manifest_for_entry(&old)? {
                untagged.manifests.insert(manifest);
            }
        }
        for entry in index.manifests() {
            if let Some(manifest) = self.manifest_for_entry(entry)? {
                untagged.manifests.remove(&manifest);
            }
        }
        self.layout.write_index(&index)?;
        self.write_untagged(&untagged)
    }

    /// Removes a name, and the image when no name is left (`rmi`). An ID removes every
    /// tag of its image, which needs `force` when there are several.
    pub fn remove(&self, name: &str, force: bool) -> Result<Vec<Removal>> {
        let image = self.resolve(name)?;
        let _lock = self.lock_metadata()?;
        let named_tag = Reference::parse_with_default_tag(name)
            .ok()
            .filter(|r| image.tags.contains(r));
        let is_by_id = named_tag.is_none();

        let doomed_tags: Vec<Reference> = match named_tag {
            Some(tag) => vec![tag],
            None if image.tags.len() > 1 && !force => {
                let tags = image
                    .tags
                    .iter()
                    .map(|t| t.familiar())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(StoreError::ImageHasTags {
                    id: image.short_id().to_owned(),
                    tags,
                });
            }
            None => image.tags.clone(),
        };
        let mut removals: Vec<Removal> = doomed_tags
            .iter()
            .map(|t| Removal::Untagged(t.familiar()))
            .collect();
        let doomed: BTreeSet<String> = doomed_tags.iter().map(|t| t.to_string()).collect();

        let is_last_tag = image.tags.len() == doomed_tags.len();
        let holder = self.first_holder(&image.manifest_digest)?;
        if let Some(container) = holder.as_ref().filter(|_| is_last_tag && !force) {
            return Err(StoreError::ImageInUse {
                name: name.to_owned(),
                is_id: is_by_id,
                image: image.short_id().to_owned(),
                container: crate::short_id(container).to_owned(),
            });
        }

        let mut index = self.layout.read_index()?;
        let mut entries = index.manifests().clone();
        entries.retain(|d| !ref_name(d).is_some_and(|n| doomed.contains(n)));
        // With its last tag gone the image goes too, with its digest references; a
        // held image stays as untagged, since a container still needs it.
        let is_deleted = is_last_tag && holder.is_none();
        if is_deleted {
            entries.retain(|d| {
                self.manifest_for_entry(d).ok().flatten().as_deref() != Some(&image.manifest_digest)
            });
            removals.push(Removal::Deleted(image.id.clone()));
        }
        index.set_manifests(entries);
        self.layout.write_index(&index)?;

        let mut untagged = self.read_untagged()?;
        if is_last_tag && !is_deleted {
            untagged.manifests.insert(image.manifest_digest.clone());
        } else {
            untagged.manifests.remove(&image.manifest_digest);
        }
        self.write_untagged(&untagged)?;
        self.collect_garbage()?;
        Ok(removals)
    }

    /// Removes untagged images, or with `all` every image, except those a container
    /// holds.
    pub fn prune(&self, all: bool) -> Result<PruneReport> {
        let mut report = PruneReport::default();
        let holds = self.holds()?;
        for image in self.images()? {
            if (!all && !image.is_dangling()) || holds.contains_key(&image.manifest_digest) {
                continue;
            }
            let _lock = self.lock_metadata()?;
            let mut index = self.layout.read_index()?;
            let mut entries = index.manifests().clone();
            for tag in &image.tags {
                report.removals.push(Removal::Untagged(tag.familiar()));
            }
            entries.retain(|d| {
                self.manifest_for_entry(d).ok().flatten().as_deref() != Some(&image.manifest_digest)
            });
            index.set_manifests(entries);
            self.layout.write_index(&index)?;
            let mut untagged = self.read_untagged()?;
            untagged.manifests.remove(&image.manifest_digest);
            self.write_untagged(&untagged)?;
            report.removals.push(Removal::Deleted(image.id.clone()));
        }
        let _lock = self.lock_metadata()?;
        // Cached build steps would keep layers of the images just removed.
        self.drop_build_cache()?;
        report.reclaimed = self.collect_garbage()?;
        Ok(report)
    }

    /// Deletes blobs and layers that no image reaches. Call with the metadata lock held.
    /// Returns the bytes freed.
    pub(crate) fn collect_garbage(&self) -> Result<u64> {
        let (blobs, chains) = self.reachable()?;
        let mut freed = 0;
        for digest in self.layout.blob_digests()? {
            if !blobs.contains(&digest) {
                freed += self.layout.blob_size(&digest);
                self.layout.remove_blob(&digest)?;
            }
        }
        for chain_id in layers::list(&self.layers_dir())? {
            if !chains.contains(&chain_id) {
                tracing::debug!(chain_id, "removing unreferenced layer");
                freed += layers::remove(&self.layers_dir(), &chain_id)?;
            }
        }
        Ok(freed)
    }

    /// Blobs and layer chain IDs reachable from `index.json`, `untagged.json` and holds.
    fn reachable(&self) -> Result<(BTreeSet<String>, BTreeSet<String>)> {
        let mut manifests: Vec<String> = self.read_untagged()?.manifests.into_iter().collect();
        manifests.extend(self.holds()?.into_keys());
        manifests.extend(self.build_cache_manifests()?);
        let mut blobs = BTreeSet::new();
        for entry in self.layout.read_index()?.manifests() {
            let digest = entry.digest().to_string();
            if let Ok(index) = self.read_index_blob(&digest) {
                let children = index.manifests().iter().map(|d| d.digest().to_string());
                manifests.extend(children.filter(|d| self.layout.has_blob(d)));
            } else {
                manifests.push(digest.clone());
            }
            blobs.insert(digest);
        }
        let mut chains = BTreeSet::new();
        for digest in manifests {
            let Ok(manifest) = self.read_manifest(&digest) else {
                continue;
            };
            blobs.insert(digest);
            blobs.insert(manifest.config().digest().to_string());
            blobs.extend(manifest.layers().iter().map(|l| l.digest().to_string()));
            if let Ok(config) = self.read_config(manifest.config().digest().as_ref()) {
                chains.extend(chain_ids(&config.rootfs.diff_ids));
            }
        }
        Ok((blobs, chains))
    }

    /// The image manifest an `index.json` entry leads to: itself, or for an index the
    /// present platform manifest that suits this host best.
    pub(crate) fn manifest_for_entry(&self, entry: &Descriptor) -> Result<Option<String>> {
        let digest = entry.digest().to_string();
        if !self.layout.has_blob(&digest) {
            return Ok(None);
        }
        let Ok(index) = self.read_index_blob(&digest) else {
            return Ok(Some(digest));
        };
        let present: Vec<&Descriptor> = index
            .manifests()
            .iter()
            .filter(|d| self.layout.has_blob(d.digest().as_ref()))
            .collect();
        let chosen = select_platform(&present, &Platform::host()).or(if present.is_empty() {
            None
        } else {
            Some(0)
        });
        Ok(chosen.map(|i| present[i].digest().to_string()))
    }

    /// One container holding this manifest, if any.
    fn first_holder(&self, manifest_digest: &str) -> Result<Option<String>> {
        let mut holds = self.holds()?;
        Ok(holds
            .remove(manifest_digest)
            .and_then(|holders| holders.into_iter().next()))
    }

    pub(crate) fn load_image(&self, manifest_digest: &str, names: Names) -> Result<Option<Image>> {
        let Ok(manifest) = self.read_manifest(manifest_digest) else {
            return Ok(None);
        };
        let config_digest = manifest.config().digest().to_string();
        let raw = self.layout.read_blob(&config_digest)?;
        let path = self.layout.blob_path(&config_digest);
        let raw_config: serde_json::Value =
            serde_json::from_slice(&raw).map_err(|source| StoreError::Corrupt {
                path: path.clone(),
                source,
            })?;
        let config: ImageConfig = serde_json::from_value(raw_config.clone())
            .map_err(|source| StoreError::Corrupt { path, source })?;
        let chain_ids = chain_ids(&config.rootfs.diff_ids);
        let size = chain_ids
            .iter()
            .filter_map(|c| layers::read_record(&self.layers_dir(), c))
            .map(|r| r.size)
            .sum();
        Ok(Some(Image {
            id: config_digest,
            manifest_digest: manifest_digest.to_owned(),
            manifest,
            config,
            raw_config,
            tags: names.tags,
            repo_digests: names.repo_digests,
            size,
            chain_ids,
        }))
    }

    pub(crate) fn read_manifest(&self, digest: &str) -> Result<ImageManifest> {
        let bytes = self.layout.read_blob(digest)?;
        if is_index(&bytes) {
            return Err(invalid("manifest", digest, "is an index".into()));
        }
        ImageManifest::from_reader(bytes.as_slice())
            .map_err(|e| invalid("manifest", digest, e.to_string()))
    }

    fn read_index_blob(&self, digest: &str) -> Result<ImageIndex> {
        let bytes = self.layout.read_blob(digest)?;
        if !is_index(&bytes) {
            return Err(invalid("index", digest, "is not an index".into()));
        }
        ImageIndex::from_reader(bytes.as_slice())
            .map_err(|e| invalid("index", digest, e.to_string()))
    }

    pub(crate) fn read_config(&self, digest: &str) -> Result<ImageConfig> {
        let bytes = self.layout.read_blob(digest)?;
        serde_json::from_slice(&bytes).map_err(|e| invalid("config", digest, e.to_string()))
    }

    /// Keeps `manifest` as an untagged image (`<none>`), e.g. one loaded without a
    /// name. Call with the metadata lock held.
    pub(crate) fn keep_untagged(&self, manifest: &str) -> Result<()> {
        let mut untagged = self.read_untagged()?;
        untagged.manifests.insert(manifest.to_owned());
        self.write_untagged(&untagged)
    }

    fn read_untagged(&self) -> Result<Untagged> {
        Ok(fsutil::read_json(&self.root.join("untagged.json"))?.unwrap_or_default())
    }

    fn write_untagged(&self, untagged: &Untagged) -> Result<()> {
        fsutil::write_json(&self.root.join("untagged.json"), untagged)
    }
}

/// Index of the entry for `want` among index descriptors (CASES C36).
pub(crate) fn select_platform(descriptors: &[&Descriptor], want: &Platform) -> Option<usize> {
    // os, architecture, variant, OS version, and whether it is an attestation.
    type Entry = (String, String, Option<String>, Option<String>, bool);
    let owned: Vec<Entry> = descriptors
        .iter()
        .map(|d| {
            let platform = d.platform().as_ref();
            let attestation = d
                .annotations()
                .as_ref()
                .and_then(|a| a.get("vnd.docker.reference.type"));
            (
                platform.map(|p| p.os().to_string()).unwrap_or_default(),
                platform
                    .map(|p| p.architecture().to_string())
                    .unwrap_or_default(),
                platform.and_then(|p| p.variant().clone()),
                platform.and_then(|p| p.os_version().clone()),
                attestation.is_some_and(|t| t == "attestation-manifest"),
            )
        })
        .collect();
    let candidates: Vec<Candidate> = owned
        .iter()
        .map(
            |(os, architecture, variant, os_version, is_attestation)| Candidate {
                os,
                architecture,
                variant: variant.as_deref(),
                os_version: os_version.as_deref(),
                is_attestation: *is_attestation,
            },
        )
        .collect();
    platform::select(want, &candidates)
}

/// The platforms an index offers, for error messages.
pub(crate) fn platforms_of(index: &ImageIndex) -> String {
    let names: Vec<String> = index
        .manifests()
        .iter()
        .filter_map(|d| d.platform().as_ref())
        .map(|p| match p.variant() {
            Some(v) => format!("{}/{}/{v}", p.os(), p.architecture()),
            None => format!("{}/{}", p.os(), p.architecture()),
        })
        .collect();
    names.join(", ")
}

pub(crate) fn find_named(images: &[Image], reference: &Reference) -> Option<usize> {
    if let Some(digest) = reference.digest() {
        let wanted = format!("{}@{digest}", reference.name());
        return images.iter().position(|i| {
            i.repo_digests.contains(&wanted) || i.manifest_digest == digest.to_string()
        });
    }
    let reference = if reference.tag().is_none() {
        reference.with_tag("latest").ok()?
    } else {
        reference.clone()
    };
    images.iter().position(|i| i.tags.contains(&reference))
}

fn short_hex(id: &str) -> &str {
    id.split_once(':').map_or(id, |(_, hex)| hex)
}

pub(crate) fn is_index(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        manifests: Option<serde_json::Value>,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.manifests.is_some())
}

fn invalid(what: &'static str, digest: &str, reason: String) -> StoreError {
    StoreError::InvalidImage {
        what,
        digest: digest.to_owned(),
        reason,
    }
}

/// Bytes the store holds on disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiskUsage {
    /// Blobs in `content/`.
    pub content: u64,
    /// Unpacked layers.
    pub layers: u64,
}

impl Store {
    /// The unpacked size of each of `image`'s layers, bottom first.
    pub fn layer_sizes(&self, image: &Image) -> Vec<u64> {
        let layers = self.layers_dir();
        image
            .chain_ids
            .iter()
            .map(|c| layers::read_record(&layers, c).map_or(0, |r| r.size))
            .collect()
    }

    /// Bytes held by blobs and by unpacked layers.
    pub fn disk_usage(&self) -> Result<DiskUsage> {
        let content = self
            .layout
            .blob_digests()?
            .iter()
            .map(|d| self.layout.blob_size(d))
            .sum();
        let layers_dir = self.layers_dir();
        let layers = layers::list(&layers_dir)?
            .iter()
            .filter_map(|c| layers::read_record(&layers_dir, c))
            .map(|r| r.size)
            .sum();
        Ok(DiskUsage { content, layers })
    }
}
