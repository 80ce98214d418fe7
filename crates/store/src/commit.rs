//! Committing images that were built here rather than pulled: a new layer from a
//! directory in overlay form, a config, a manifest; tags moved only at the end.
//!
//! A build step's layer directory (a container's upper directory, or one a COPY
//! filled) is already in the form `layers/` keeps, so it is written once as a gzip
//! blob and then moved into `layers/<chain-id>` as it is, instead of being unpacked
//! again from the blob.

use std::path::PathBuf;

use container_reference::Reference;
use container_registry::media_types;
use oci_spec::image::Descriptor;
use serde_json::json;

use crate::error::{Result, StoreError};
use crate::image::{Image, chain_ids};
use crate::layers::{self, LayerRecord};
use crate::layout::{self, sha256_of};
use crate::{Store, fsutil};

/// OCI's media type of a gzip-compressed layer.
const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A layer made by a build step, written as a blob into a temporary file but not yet
/// part of the store. Dropped without [`Store::commit_image`], it leaves nothing.
#[derive(Debug)]
pub struct NewLayer {
    /// The digest of its uncompressed tar.
    pub diff_id: String,
    /// The digest of its compressed blob.
    pub digest: String,
    /// Bytes of the blob.
    pub size: u64,
    /// Bytes of regular file data.
    pub unpacked_size: u64,
    blob: PathBuf,
    dir: Option<PathBuf>,
}

impl Drop for NewLayer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.blob);
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Files in a new layer above which one `syncfs` is cheaper than a sync per file.
const SYNC_EACH_MAX: usize = 512;

/// Makes the files of `dir` durable before it is renamed into place: each file and
/// directory when there are few, else the whole filesystem at once (as a pull does).
fn sync_tree(dir: &std::path::Path, layers_dir: &std::path::Path) -> Result<()> {
    let mut paths = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            let entries = std::fs::read_dir(&path).map_err(StoreError::io("listing", &path))?;
            pending.extend(entries.flatten().map(|e| e.path()));
        }
        if metadata.is_dir() || metadata.is_file() {
            paths.push(path);
        }
        if paths.len() > SYNC_EACH_MAX {
            let handle =
                std::fs::File::open(layers_dir).map_err(StoreError::io("opening", layers_dir))?;
            return rustix::fs::syncfs(&handle)
                .map_err(|e| StoreError::io("syncing", layers_dir)(e.into()));
        }
    }
    for path in paths {
        let file = std::fs::File::open(&path).map_err(StoreError::io("opening", &path))?;
        file.sync_all().map_err(StoreError::io("syncing", &path))?;
    }
    Ok(())
}

impl Store {
    /// A directory on the store's filesystem for a build step to fill, which
    /// [`Store::prepare_layer`] can later move into `layers/` without copying.
    pub fn scratch_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = fsutil::temp_path_for(&self.layers_dir().join(name));
        fsutil::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Writes the directory `dir` (overlay form, on the store's filesystem) as a
    /// layer blob. The directory is taken over: it becomes the unpacked layer when
    /// the image is committed, and is removed otherwise.
    pub fn prepare_layer(&self, dir: PathBuf) -> Result<NewLayer> {
        let blob = fsutil::temp_path_for(&self.layout.temp_dir().join("layer"));
        let file = std::fs::File::create(&blob).map_err(StoreError::io("creating", &blob))?;
        let mut layer = NewLayer {
            diff_id: String::new(),
            digest: String::new(),
            size: 0,
            unpacked_size: 0,
            blob,
            dir: Some(dir),
        };
        let dir = layer.dir.as_deref().expect("set above");
        let mut writer = std::io::BufWriter::with_capacity(1 << 17, file);
        let diffed = container_layer::diff_directory(dir, &mut writer).map_err(|source| {
            StoreError::Layer {
                digest: "(new layer)".to_owned(),
                source,
            }
        })?;
        let file = writer
            .into_inner()
            .map_err(|e| StoreError::io("writing", &layer.blob)(e.into_error()))?;
        file.sync_all()
            .map_err(StoreError::io("syncing", &layer.blob))?;
        layer.diff_id = diffed.diff_id;
        layer.digest = diffed.digest;
        layer.size = diffed.size;
        layer.unpacked_size = diffed.unpacked_size;
        Ok(layer)
    }

    /// Stores a built image: `parent_layers` (already in the store) and the new
    /// layer, if any, under `config`, whose `rootfs.diff_ids` must list them all. With
    /// `cache_key`, the build cache remembers the image as that step's result. Tags
    /// are not touched: see [`Store::name_built`].
    pub fn commit_image(
        &self,
        parent_layers: &[Descriptor],
        layer: Option<NewLayer>,
        config: &serde_json::Value,
        cache_key: Option<&str>,
    ) -> Result<Image> {
        let config_bytes = serde_json::to_vec(config).expect("a JSON value serialises");
        let config_digest = sha256_of(&config_bytes);
        let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|d| d.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut layer_descriptors: Vec<serde_json::Value> = parent_layers
            .iter()
            .map(|d| serde_json::to_value(d).expect("a descriptor serialises"))
            .collect();
        if let Some(layer) = &layer {
            layer_descriptors.push(json!({
                "mediaType": OCI_LAYER_GZIP,
                "digest": layer.digest,
                "size": layer.size,
            }));
        }
        if diff_ids.len() != layer_descriptors.len() {
            return Err(StoreError::InvalidImage {
                what: "config",
                digest: config_digest,
                reason: "its diff IDs do not match its layers".into(),
            });
        }
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media_types::OCI_MANIFEST,
            "config": {
                "mediaType": media_types::OCI_CONFIG,
                "digest": config_digest,
                "size": config_bytes.len(),
            },
            "layers": layer_descriptors,
        });
        let manifest_bytes = serde_json::to_vec(&manifest).expect("a JSON value serialises");
        let manifest_digest = sha256_of(&manifest_bytes);

        let _lock = self.lock_metadata()?;
        if let Some(layer) = layer {
            let chain_id = chain_ids(&diff_ids).pop().expect("at least the new layer");
            self.commit_layer(layer, &chain_id)?;
        }
        self.layout.write_blob(&config_digest, &config_bytes)?;
        self.layout.write_blob(&manifest_digest, &manifest_bytes)?;
        if let Some(key) = cache_key {
            self.remember_step(key, &manifest_digest)?;
        }
        self.load_image(&manifest_digest, Default::default())?
            .ok_or_else(|| StoreError::ImageNotFound {
                name: manifest_digest,
            })
    }

    /// Moves the layer's blob and directory into place. Call with the metadata lock.
    fn commit_layer(&self, mut layer: NewLayer, chain_id: &str) -> Result<()> {
        let layers_dir = self.layers_dir();
        let dir = layer
            .dir
            .take()
            .expect("a prepared layer has its directory");
        if layers::is_complete(&layers_dir, chain_id) {
            let _ = std::fs::remove_dir_all(&dir);
        } else {
            sync_tree(&dir, &layers_dir)?;
            let record = LayerRecord {
                diff_id: layer.diff_id.clone(),
                size: layer.unpacked_size,
            };
            let target = layers::layer_dir(&layers_dir, chain_id);
            let _ = layers::remove(&layers_dir, chain_id);
            layers::write_record(&layers_dir, chain_id, &record)?;
            std::fs::rename(&dir, &target).map_err(StoreError::io("renaming", &target))?;
        }
        let path = self.layout.blob_path(&layer.digest);
        if !path.exists() {
            std::fs::rename(&layer.blob, &path).map_err(StoreError::io("renaming", &path))?;
        }
        fsutil::sync_parent(&path)
    }

    /// Names a built image with `tags`, all at once, after the build succeeded; with
    /// no tags it is kept as untagged (`<none>`), as Docker keeps an untagged build.
    pub fn name_built(&self, image: &Image, tags: &[Reference]) -> Result<()> {
        let manifest = self.layout.read_blob(&image.manifest_digest)?;
        let descriptor = layout::descriptor_of(
            media_types::OCI_MANIFEST,
            &image.manifest_digest,
            manifest.len() as u64,
        );
        let _lock = self.lock_metadata()?;
        if tags.is_empty() {
            let is_named = self
                .layout
                .read_index()?
                .manifests()
                .iter()
                .any(|d| d.digest().to_string() == image.manifest_digest);
            return match is_named {
                true => Ok(()),
                false => self.keep_untagged(&image.manifest_digest),
            };
        }
        self.set_tags(tags, descriptor)
    }
}
