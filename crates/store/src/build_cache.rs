//! `build-cache/`: what each build step made, by its cache key.
//!
//! `build-cache/<hex of key>.json` names the manifest of the image a step produced
//! (its layers and config). Those manifests are roots for garbage collection, so a
//! layer a cache entry names is never collected under it; `builder prune` and
//! `image prune` drop the entries first, then collect what no image reaches any
//! more. An entry whose image is incomplete is a miss, never an error.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::image::Image;
use crate::{Store, fsutil, layers};

#[derive(Debug, Serialize, Deserialize)]
struct CacheEntry {
    manifest: String,
}

impl Store {
    fn build_cache_dir(&self) -> PathBuf {
        self.root.join("build-cache")
    }

    fn cache_entry_path(&self, key: &str) -> PathBuf {
        let hex = key.split_once(':').map_or(key, |(_, hex)| hex);
        self.build_cache_dir().join(format!("{hex}.json"))
    }

    /// The image a build step with this cache key made before, if the store still
    /// holds all of it.
    pub fn cached_step(&self, key: &str) -> Result<Option<Image>> {
        let Some(entry) = fsutil::read_json::<CacheEntry>(&self.cache_entry_path(key))? else {
            return Ok(None);
        };
        let Some(image) = self.load_image(&entry.manifest, Default::default())? else {
            return Ok(None);
        };
        let layers_dir = self.layers_dir();
        let is_complete = image
            .chain_ids
            .iter()
            .all(|c| layers::is_complete(&layers_dir, c));
        Ok(is_complete.then_some(image))
    }

    /// Records the result of a step. Call with the metadata lock.
    pub(crate) fn remember_step(&self, key: &str, manifest_digest: &str) -> Result<()> {
        fsutil::create_dir_all(&self.build_cache_dir())?;
        let entry = CacheEntry {
            manifest: manifest_digest.to_owned(),
        };
        fsutil::write_json(&self.cache_entry_path(key), &entry)
    }

    /// The manifests the build cache keeps.
    pub(crate) fn build_cache_manifests(&self) -> Result<Vec<String>> {
        let dir = self.build_cache_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io("listing", dir)(e)),
        };
        let mut manifests = Vec::new();
        for entry in entries.flatten() {
            let is_entry = entry.file_name().to_string_lossy().ends_with(".json");
            if !is_entry {
                continue;
            }
            if let Ok(Some(entry)) = fsutil::read_json::<CacheEntry>(&entry.path()) {
                manifests.push(entry.manifest);
            }
        }
        Ok(manifests)
    }

    /// Drops the whole build cache, then what no image reaches any more
    /// (`builder prune`). Returns the entries dropped and the bytes freed.
    pub fn prune_build_cache(&self) -> Result<(usize, u64)> {
        let _lock = self.lock_metadata()?;
        let dropped = self.drop_build_cache()?;
        let mut freed = self.collect_garbage()?;
        // `RUN --mount=type=cache` directories go too.
        let mounts = self.root.join("build-cache-mounts");
        freed += disk_size(&mounts);
        match std::fs::remove_dir_all(&mounts) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::io("removing", mounts)(e));
            }
            _ => {}
        }
        Ok((dropped, freed))
    }

    /// Removes every cache entry. Call with the metadata lock.
    pub(crate) fn drop_build_cache(&self) -> Result<usize> {
        let dir = self.build_cache_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(StoreError::io("listing", dir)(e)),
        };
        let mut dropped = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(StoreError::io("removing", &path))?;
            dropped += 1;
        }
        Ok(dropped)
    }
}

/// Bytes of the regular files under `dir`.
fn disk_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                pending.extend(entries.flatten().map(|e| e.path()));
            }
        } else if metadata.is_file() {
            total += metadata.len();
        }
    }
    total
}
