//! `load`: a docker-archive or oci-archive read into the store.
//!
//! The archive is unpacked into a temporary directory of the store first (a
//! docker-archive may put `manifest.json` after the layers it names), taking regular
//! files, directories and symlinks that stay inside it, nothing else. Then every blob
//! is checked (an OCI blob against its name, a docker-archive layer against the
//! config's diff IDs), moved into `content/`, its layers unpacked into `layers/`, and
//! the image tagged.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use container_reference::Reference;
use container_registry::media_types;
use oci_spec::image::{Descriptor, ImageIndex};
use sha2::{Digest as _, Sha256};

use super::save::manifest_media_type;
use super::{DockerEntry, decompressed};
use crate::error::{Result, StoreError};
use crate::image::{ImageConfig, chain_ids};
use crate::layers::{self, LayerRecord};
use crate::layout::{self, REF_NAME};
use crate::{Store, fsutil, lock};

/// The annotation containerd and Docker name images by.
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// One image loaded.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Its names from the archive (none: it is kept untagged).
    pub names: Vec<Reference>,
    /// Its ID (config digest).
    pub id: String,
}

impl Store {
    /// Reads an archive (docker-archive or oci-archive, plain, gzip or zstd) from
    /// `input` into the store.
    #[tracing::instrument(skip_all)]
    pub fn load(&self, input: impl Read) -> Result<Vec<Loaded>> {
        let dir = fsutil::temp_path_for(&self.root.join("load"));
        fsutil::create_dir_all(&dir)?;
        let result = self.load_from(input, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn load_from(&self, input: impl Read, dir: &Path) -> Result<Vec<Loaded>> {
        extract(input, dir)?;
        if dir.join("manifest.json").is_file() {
            self.load_docker(dir)
        } else if dir.join("index.json").is_file() {
            self.load_oci(dir)
        } else {
            Err(invalid_archive(
                "it has neither manifest.json nor index.json",
            ))
        }
    }

    fn load_docker(&self, dir: &Path) -> Result<Vec<Loaded>> {
        let path = dir.join("manifest.json");
        let entries: Vec<DockerEntry> = fsutil::read_json(&path)?.unwrap_or_default();
        let mut seen: BTreeMap<PathBuf, (String, String, &'static str, u64)> = BTreeMap::new();
        let mut loaded = Vec::new();
        for entry in entries {
            let config_path = inside(dir, &entry.config)?;
            let config_bytes =
                std::fs::read(&config_path).map_err(StoreError::io("reading", &config_path))?;
            let config_digest = layout::sha256_of(&config_bytes);
            check_named_digest(&entry.config, &config_digest)?;
            let config: ImageConfig = serde_json::from_slice(&config_bytes)
                .map_err(|e| invalid_archive(&format!("config {}: {e}", entry.config)))?;
            if config.rootfs.diff_ids.len() != entry.layers.len() {
                return Err(invalid_archive(&format!(
                    "{} lists {} layers, its config {}",
                    entry.config,
                    entry.layers.len(),
                    config.rootfs.diff_ids.len()
                )));
            }

            let mut descriptors = Vec::new();
            for (name, diff_id) in entry.layers.iter().zip(&config.rootfs.diff_ids) {
                let path = inside(dir, name)?;
                let found = match seen.get(&path) {
                    Some(found) => found.clone(),
                    None => {
                        let found = self.adopt_layer(&path, diff_id)?;
                        seen.insert(path, found.clone());
                        found
                    }
                };
                let (digest, _, media_type, size) = found;
                descriptors.push(serde_json::json!({
                    "mediaType": media_type, "digest": digest, "size": size,
                }));
            }
            let manifest = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": media_types::OCI_MANIFEST,
                "config": {
                    "mediaType": media_types::OCI_CONFIG,
                    "digest": config_digest,
                    "size": config_bytes.len(),
                },
                "layers": descriptors,
            });
            let manifest = serde_json::to_vec(&manifest).expect("plain data serialises");
            let manifest_digest = layout::sha256_of(&manifest);
            let layer_digests: Vec<String> = seen_digests(&entry.layers, dir, &seen)?;
            self.unpack_all(&layer_digests, &config.rootfs.diff_ids)?;
            self.layout.write_blob(&config_digest, &config_bytes)?;
            self.layout.write_blob(&manifest_digest, &manifest)?;

            let names = entry
                .repo_tags
                .unwrap_or_default()
                .iter()
                .map(|t| Reference::parse_with_default_tag(t))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let descriptor = layout::descriptor_of(
                media_types::OCI_MANIFEST,
                &manifest_digest,
                manifest.len() as u64,
            );
            self.name_loaded(&names, descriptor, &manifest_digest, &config_digest)?;
            loaded.push(Loaded {
                names,
                id: config_digest,
            });
        }
        Ok(loaded)
    }

    /// Checks a docker-archive layer against its diff ID and moves it into
    /// `content/`: its blob digest, diff ID, media type and size.
    fn adopt_layer(
        &self,
        path: &Path,
        diff_id: &str,
    ) -> Result<(String, String, &'static str, u64)> {
        let file = std::fs::File::open(path).map_err(StoreError::io("reading", path))?;
        let size = file
            .metadata()
            .map_err(StoreError::io("reading", path))?
            .len();
        let mut prefix = [0u8; 6];
        let mut probe = std::fs::File::open(path).map_err(StoreError::io("reading", path))?;
        let read = probe
            .read(&mut prefix)
            .map_err(StoreError::io("reading", path))?;
        let media_type = match container_layer::Compression::detect(&prefix[..read]) {
            container_layer::Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            container_layer::Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            container_layer::Compression::None => "application/vnd.oci.image.layer.v1.tar",
            // TODO: bzip2 and xz layers of an archive could be stored as plain tars; OCI has no media type for them
            container_layer::Compression::Bzip2 | container_layer::Compression::Xz => {
                return Err(invalid_archive(&format!(
                    "layer {} is compressed with bzip2 or xz, which an OCI image cannot carry",
                    path.display()
                )));
            }
        };
        let mut hashing = Hashing::new(file);
        let (actual, _) = container_layer::diff_id_of(&mut hashing)
            .map_err(|e| invalid_archive(&format!("layer {}: {e}", path.display())))?;
        if actual != diff_id {
            return Err(StoreError::DigestMismatch {
                what: "layer content",
                digest: diff_id.to_owned(),
                actual,
            });
        }
        let digest = hashing.digest();
        self.adopt_blob(path, &digest)?;
        Ok((digest, actual, media_type, size))
    }

    fn load_oci(&self, dir: &Path) -> Result<Vec<Loaded>> {
        let blobs = dir.join("blobs/sha256");
        for entry in std::fs::read_dir(&blobs)
            .map_err(StoreError::io("reading", &blobs))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let digest = format!("sha256:{name}");
            let actual = layout::sha256_of_file(&entry.path())?;
            if actual != digest {
                return Err(StoreError::DigestMismatch {
                    what: "blob",
                    digest,
                    actual,
                });
            }
            self.adopt_blob(&entry.path(), &digest)?;
        }

        let path = dir.join("index.json");
        let bytes = std::fs::read(&path).map_err(StoreError::io("reading", &path))?;
        let index = ImageIndex::from_reader(&bytes[..])
            .map_err(|e| invalid_archive(&format!("index.json: {e}")))?;
        let mut loaded: Vec<Loaded> = Vec::new();
        for entry in index.manifests() {
            let Some(manifest_digest) = self.manifest_for_entry(entry)? else {
                return Err(invalid_archive(&format!(
                    "blob {} is missing",
                    entry.digest()
                )));
            };
            let manifest = self.read_manifest(&manifest_digest)?;
            let config_digest = manifest.config().digest().to_string();
            let config = self.read_config(&config_digest)?;
            let layer_digests: Vec<String> = manifest
                .layers()
                .iter()
                .map(|l| l.digest().to_string())
                .collect();
            self.unpack_all(&layer_digests, &config.rootfs.diff_ids)?;

            let names: Vec<Reference> = name_of(entry)?.into_iter().collect();
            let top = self.layout.read_blob(entry.digest().as_ref())?;
            let descriptor = layout::descriptor_of(
                &manifest_media_type(&top),
                entry.digest().as_ref(),
                top.len() as u64,
            );
            self.name_loaded(&names, descriptor, &manifest_digest, &config_digest)?;
            match loaded.iter_mut().find(|l| l.id == config_digest) {
                Some(same) => same.names.extend(names),
                None => loaded.push(Loaded {
                    names,
                    id: config_digest,
                }),
            }
        }
        Ok(loaded)
    }

    /// Tags the loaded image with each name, or keeps it untagged. A name that
    /// already holds an image of this ID (one pulled, saved and loaded back) keeps
    /// the manifest it has, with its registry digest, as Docker keeps the image:
    /// moving the name would leave the first as a `<none>` twin of the same ID.
    fn name_loaded(
        &self,
        names: &[Reference],
        descriptor: Descriptor,
        manifest: &str,
        config_digest: &str,
    ) -> Result<()> {
        let _lock = self.lock_metadata()?;
        let images = self.images()?;
        for name in names {
            let has_it = crate::catalog::find_named(&images, name)
                .is_some_and(|i| images[i].id == config_digest);
            if !has_it {
                self.set_tag(name, descriptor.clone())?;
            }
        }
        if names.is_empty() && !self.is_named(manifest)? {
            self.keep_untagged(manifest)?;
        }
        Ok(())
    }

    fn is_named(&self, manifest: &str) -> Result<bool> {
        for entry in self.layout.read_index()?.manifests() {
            if self.manifest_for_entry(entry)?.as_deref() == Some(manifest) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Moves a checked file into `content/` (the temporary directory is on the same
    /// filesystem), unless the store has the blob already.
    fn adopt_blob(&self, path: &Path, digest: &str) -> Result<()> {
        if self.layout.has_blob(digest) {
            return Ok(());
        }
        let file = std::fs::File::open(path).map_err(StoreError::io("reading", path))?;
        file.sync_all().map_err(StoreError::io("syncing", path))?;
        let target = self.layout.blob_path(digest);
        std::fs::rename(path, &target).map_err(StoreError::io("renaming", &target))?;
        fsutil::sync_parent(&target)
    }

    /// Unpacks the layers missing from `layers/`, bottom first, each checked against
    /// its diff ID, then moves them into place together.
    fn unpack_all(&self, layer_digests: &[String], diff_ids: &[String]) -> Result<()> {
        let chains = chain_ids(diff_ids);
        let mut lowers: Vec<PathBuf> = Vec::new();
        let mut unpacked = Vec::new();
        let mut guards = Vec::new();
        let result = (|| {
            for ((digest, diff_id), chain_id) in layer_digests.iter().zip(diff_ids).zip(&chains) {
                let hex = chain_id.trim_start_matches("sha256:");
                guards.push(lock::lock_exclusive(
                    &self.locks_dir(),
                    &format!("layer-{hex}.lock"),
                )?);
                let final_dir = self.layer_path(chain_id);
                if layers::is_complete(&self.layers_dir(), chain_id) {
                    lowers.insert(0, final_dir);
                    continue;
                }
                let temp = fsutil::temp_path_for(&final_dir);
                fsutil::create_dir_all(&temp)?;
                unpacked.push((
                    temp.clone(),
                    chain_id.clone(),
                    LayerRecord {
                        diff_id: diff_id.clone(),
                        size: 0,
                    },
                ));
                let blob = self.layout.blob_path(digest);
                let file = std::fs::File::open(&blob).map_err(StoreError::io("reading", &blob))?;
                let applied = container_layer::apply(file, &temp, &lowers).map_err(|source| {
                    StoreError::Layer {
                        digest: digest.clone(),
                        source,
                    }
                })?;
                if &applied.diff_id != diff_id {
                    return Err(StoreError::DigestMismatch {
                        what: "layer content",
                        digest: diff_id.clone(),
                        actual: applied.diff_id,
                    });
                }
                if let Some(last) = unpacked.last_mut() {
                    last.2.size = applied.unpacked_size;
                }
                lowers.insert(0, temp);
            }
            Ok(())
        })();
        if let Err(error) = result {
            for (temp, _, _) in unpacked {
                let _ = std::fs::remove_dir_all(temp);
            }
            return Err(error);
        }
        layers::commit_unpacked(&self.layers_dir(), unpacked)
    }
}

/// The blob digests of a docker-archive entry's layers, as adopted.
fn seen_digests(
    names: &[String],
    dir: &Path,
    seen: &BTreeMap<PathBuf, (String, String, &'static str, u64)>,
) -> Result<Vec<String>> {
    names
        .iter()
        .map(|name| {
            let path = inside(dir, name)?;
            Ok(seen.get(&path).map(|f| f.0.clone()).unwrap_or_default())
        })
        .collect()
}

/// The name an OCI index entry gives its image: containerd's annotation, else a
/// `ref.name` that is a whole reference (a bare tag names no repository).
fn name_of(entry: &Descriptor) -> Result<Option<Reference>> {
    let annotations = entry.annotations().clone().unwrap_or_default();
    let name = annotations
        .get(CONTAINERD_NAME)
        .or_else(|| annotations.get(REF_NAME).filter(|n| n.contains(['/', ':'])));
    match name {
        Some(name) => Ok(Some(Reference::parse_with_default_tag(name)?)),
        None => Ok(None),
    }
}

/// A docker-archive names its config `<hex>.json` or `blobs/sha256/<hex>`: the hex
/// must be the content's digest.
fn check_named_digest(name: &str, digest: &str) -> Result<()> {
    let stem = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".json").to_owned())
        .unwrap_or_default();
    let is_hex = stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex && format!("sha256:{stem}") != digest {
        return Err(StoreError::DigestMismatch {
            what: "config",
            digest: format!("sha256:{stem}"),
            actual: digest.to_owned(),
        });
    }
    Ok(())
}

/// `name` inside `dir`, refusing absolute paths and `..`.
fn inside(dir: &Path, name: &str) -> Result<PathBuf> {
    let relative = Path::new(name);
    let is_safe = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !is_safe || name.is_empty() {
        return Err(invalid_archive(&format!(
            "the path `{name}` leaves the archive"
        )));
    }
    Ok(dir.join(relative))
}

/// Writes the archive's files, directories and in-archive symlinks (as copies of
/// their targets) under `dir`.
fn extract(input: impl Read, dir: &Path) -> Result<()> {
    let reader = decompressed(input).map_err(StoreError::io("reading", "the archive"))?;
    let mut archive = tar::Archive::new(reader);
    let mut links = Vec::new();
    let entries = archive
        .entries()
        .map_err(StoreError::io("reading", "the archive"))?;
    for entry in entries {
        let mut entry = entry.map_err(StoreError::io("reading", "the archive"))?;
        let name = entry
            .path()
            .map_err(StoreError::io("reading", "the archive"))?
            .to_string_lossy()
            .into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() || name.trim_start_matches("./").is_empty() {
            continue;
        }
        let path = inside(dir, &name)?;
        if let Some(parent) = path.parent() {
            fsutil::create_dir_all(parent)?;
        }
        if kind.is_file() {
            let mut out =
                std::fs::File::create(&path).map_err(StoreError::io("creating", &path))?;
            std::io::copy(&mut entry, &mut out).map_err(StoreError::io("writing", &path))?;
        } else if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name()
                .map_err(StoreError::io("reading", "the archive"))?
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            links.push((path, name, target, kind.is_symlink()));
        }
    }
    for (path, name, target, is_symlink) in links {
        // A symlink is relative to its directory; a hard link names an archive path.
        let base = match is_symlink {
            true => Path::new(&name)
                .parent()
                .unwrap_or(Path::new(""))
                .to_owned(),
            false => PathBuf::new(),
        };
        let resolved = normalise(&base.join(&target))
            .ok_or_else(|| invalid_archive(&format!("the link `{name}` leaves the archive")))?;
        let source = dir.join(resolved);
        std::fs::hard_link(&source, &path).map_err(StoreError::io("linking", &path))?;
    }
    Ok(())
}

/// `a/./b/../c` → `a/c`; `None` when `..` climbs above the start.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            _ => return None,
        }
    }
    Some(parts.iter().collect())
}

fn invalid_archive(reason: &str) -> StoreError {
    StoreError::InvalidArchive {
        reason: reason.to_owned(),
    }
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
        }
    }

    fn digest(self) -> String {
        format!("sha256:{}", hex::encode(self.hasher.finalize()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_may_not_leave_the_archive() {
        let dir = Path::new("/tmp/x");
        assert!(inside(dir, "abc/layer.tar").is_ok());
        assert!(inside(dir, "./manifest.json").is_ok());
        for bad in ["../etc/passwd", "/etc/passwd", "a/../../b", ""] {
            assert!(inside(dir, bad).is_err(), "{bad}");
        }
        assert_eq!(
            normalise(Path::new("a/./b/../c")),
            Some(PathBuf::from("a/c"))
        );
        assert_eq!(normalise(Path::new("a/../../c")), None);
    }

    #[test]
    fn a_config_name_must_match_its_digest() {
        let hex = "a".repeat(64);
        let digest = format!("sha256:{hex}");
        assert!(check_named_digest(&format!("{hex}.json"), &digest).is_ok());
        assert!(check_named_digest(&format!("blobs/sha256/{hex}"), &digest).is_ok());
        assert!(check_named_digest("config.json", &digest).is_ok());
        let other = format!("sha256:{}", "b".repeat(64));
        assert!(check_named_digest(&format!("{hex}.json"), &other).is_err());
    }
}
