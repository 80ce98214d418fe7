//! `layers/`: each layer unpacked once, by chain ID, in overlayfs form.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::fsutil;

/// What is recorded of an unpacked layer, in `layers/<chain-id>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LayerRecord {
    /// The digest of its uncompressed tar.
    pub diff_id: String,
    /// Bytes of its files on disk.
    pub size: u64,
}

/// `layers/<hex of chain id>`.
pub(crate) fn layer_dir(layers: &Path, chain_id: &str) -> PathBuf {
    layers.join(chain_id.split_once(':').map_or(chain_id, |(_, hex)| hex))
}

fn record_path(layers: &Path, chain_id: &str) -> PathBuf {
    layer_dir(layers, chain_id).with_extension("json")
}

/// Whether the layer is unpacked and complete (its directory only appears when it is).
pub(crate) fn is_complete(layers: &Path, chain_id: &str) -> bool {
    layer_dir(layers, chain_id).is_dir() && record_path(layers, chain_id).is_file()
}

pub(crate) fn read_record(layers: &Path, chain_id: &str) -> Option<LayerRecord> {
    fsutil::read_json(&record_path(layers, chain_id))
        .ok()
        .flatten()
}

/// Writes the record of a layer, before its directory is moved into place.
pub(crate) fn write_record(layers: &Path, chain_id: &str, record: &LayerRecord) -> Result<()> {
    fsutil::write_json(&record_path(layers, chain_id), record)
}

/// Moves unpacked layers into place, bottom first, after one sync of the filesystem:
/// cheaper than a sync per file, and no rename reaches the disk before the files do.
pub(crate) fn commit_all(layers: &Path, unpacked: Vec<crate::pull::Unpacked>) -> Result<()> {
    if unpacked.is_empty() {
        return Ok(());
    }
    let handle = std::fs::File::open(layers).map_err(StoreError::io("opening", layers))?;
    rustix::fs::syncfs(&handle).map_err(|e| StoreError::io("syncing", layers)(e.into()))?;
    for layer in &unpacked {
        let dir = layer_dir(layers, &layer.chain_id);
        fsutil::write_json(&record_path(layers, &layer.chain_id), &layer.record)?;
        std::fs::rename(&layer.temp, &dir).map_err(StoreError::io("renaming", &dir))?;
    }
    fsutil::sync_parent(&layer_dir(layers, &unpacked[0].chain_id))
}

/// Moves layers unpacked outside a pull into place, as [`commit_all`] does: one
/// sync, then each record and rename, bottom first. A layer that another command
/// completed meanwhile keeps its directory; ours is dropped.
pub(crate) fn commit_unpacked(
    layers: &Path,
    unpacked: Vec<(PathBuf, String, LayerRecord)>,
) -> Result<()> {
    if unpacked.is_empty() {
        return Ok(());
    }
    let handle = std::fs::File::open(layers).map_err(StoreError::io("opening", layers))?;
    rustix::fs::syncfs(&handle).map_err(|e| StoreError::io("syncing", layers)(e.into()))?;
    for (temp, chain_id, record) in &unpacked {
        if is_complete(layers, chain_id) {
            let _ = std::fs::remove_dir_all(temp);
            continue;
        }
        let dir = layer_dir(layers, chain_id);
        fsutil::write_json(&record_path(layers, chain_id), record)?;
        std::fs::rename(temp, &dir).map_err(StoreError::io("renaming", &dir))?;
    }
    fsutil::sync_parent(&layer_dir(layers, &unpacked[0].1))
}

/// Deletes an unpacked layer; returns the bytes it held.
pub(crate) fn remove(layers: &Path, chain_id: &str) -> Result<u64> {
    let size = read_record(layers, chain_id).map_or(0, |r| r.size);
    let dir = layer_dir(layers, chain_id);
    // Rename first so that a crash half-way leaves a temporary, not a broken layer.
    let doomed = fsutil::temp_path_for(&dir);
    if std::fs::rename(&dir, &doomed).is_ok() {
        std::fs::remove_dir_all(&doomed).map_err(StoreError::io("removing", &doomed))?;
    }
    let record = record_path(layers, chain_id);
    let _ = std::fs::remove_file(record);
    Ok(size)
}

/// Chain IDs of every layer directory present.
pub(crate) fn list(layers: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(layers).map_err(StoreError::io("listing", layers))?;
    let mut chain_ids = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let hex = name.strip_suffix(".json").unwrap_or(&name);
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            chain_ids.push(format!("sha256:{hex}"));
        }
    }
    chain_ids.sort();
    chain_ids.dedup();
    Ok(chain_ids)
}
