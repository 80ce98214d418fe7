//! Holds: a container keeps the image it was created from.
//!
//! `holds/<holder>` names the manifest digest an image user (a container, by ID) needs.
//! Garbage collection counts held manifests as roots, `prune` skips held images, and
//! removing the last name of a held image needs `force`, which then keeps the image
//! as untagged (`<none>`) rather than deleting it, so the container can still start.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::error::{Result, StoreError};
use crate::image::Image;
use crate::{Store, fsutil};

impl Store {
    /// Records that `holder` (a container ID) uses the image with this manifest.
    pub fn hold(&self, holder: &str, manifest_digest: &str) -> Result<()> {
        let path = self.hold_path(holder)?;
        let _lock = self.lock_metadata()?;
        fsutil::create_dir_all(&self.holds_dir())?;
        fsutil::write_atomic(&path, format!("{manifest_digest}\n").as_bytes())
    }

    /// Drops `holder`'s hold, if it has one. The image stays until removed or pruned.
    pub fn release(&self, holder: &str) -> Result<()> {
        let path = self.hold_path(holder)?;
        let _lock = self.lock_metadata()?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(StoreError::io("removing", path)(e))
            }
            _ => Ok(()),
        }
    }

    /// Who holds each manifest: manifest digest → holders, sorted.
    pub fn holds(&self) -> Result<BTreeMap<String, BTreeSet<String>>> {
        let dir = self.holds_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(StoreError::io("reading", dir)(e)),
        };
        let mut holds: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(fsutil::TEMP_PREFIX) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            holds
                .entry(text.trim().to_owned())
                .or_default()
                .insert(name);
        }
        Ok(holds)
    }

    /// The image with this manifest digest, named or not (a held image may have lost
    /// every name).
    pub fn image_by_manifest(&self, manifest_digest: &str) -> Result<Image> {
        if let Some(image) = self
            .images()?
            .into_iter()
            .find(|i| i.manifest_digest == manifest_digest)
        {
            return Ok(image);
        }
        self.load_image(manifest_digest, Default::default())?
            .ok_or_else(|| StoreError::ImageNotFound {
                name: manifest_digest.to_owned(),
            })
    }

    fn holds_dir(&self) -> PathBuf {
        self.root.join("holds")
    }

    fn hold_path(&self, holder: &str) -> Result<PathBuf> {
        let is_valid = !holder.is_empty()
            && holder
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !is_valid {
            return Err(StoreError::InvalidHolder {
                holder: holder.to_owned(),
            });
        }
        Ok(self.holds_dir().join(holder))
    }
}
