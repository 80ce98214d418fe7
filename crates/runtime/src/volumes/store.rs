//! Volumes on disk: `<root>/volumes/<name>/_data` holds the files, `volume.json` beside
//! it the creation time, labels and options. A volume appears whole, by renaming a
//! finished temporary directory into place, and disappears whole, by renaming it aside
//! before deleting it. Creating and removing happen under `locks/volumes.lock`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::{Volume, VolumeError};
use crate::error::{Result, RuntimeError};
use crate::fsutil;

/// What `volume.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Metadata {
    created_at: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

/// The volumes of one store root.
#[derive(Debug, Clone)]
pub(crate) struct VolumeStore {
    dir: PathBuf,
    lock: PathBuf,
}

impl VolumeStore {
    pub(crate) fn new(root: &Path) -> VolumeStore {
        VolumeStore {
            dir: root.join("volumes"),
            lock: root.join("locks").join("volumes.lock"),
        }
    }

    /// Takes the lock that serialises creating, removing and starting to use volumes.
    pub(crate) fn lock(&self) -> Result<fsutil::Lock> {
        fsutil::lock(&self.lock)
    }

    /// Where a volume's files live.
    pub(crate) fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.join(name).join("_data")
    }

    /// The volume called `name`, if there is one.
    pub(crate) fn get(&self, name: &str) -> Result<Option<Volume>> {
        if check_name(name).is_err() {
            return Ok(None);
        }
        let metadata: Option<Metadata> =
            fsutil::read_json(&self.dir.join(name).join("volume.json"))?;
        Ok(metadata.map(|m| Volume {
            name: name.to_owned(),
            created_at: m.created_at,
            labels: m.labels,
            options: m.options,
            mountpoint: self.data_dir(name),
        }))
    }

    /// Every volume, by name.
    pub(crate) fn list(&self) -> Result<Vec<Volume>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RuntimeError::io("reading", &self.dir)(e)),
        };
        let mut volumes = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(volume) = self.get(&name)? {
                volumes.push(volume);
            }
        }
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    /// Creates the volume unless it exists (call with the lock held); either way,
    /// returns it and whether it is new.
    pub(crate) fn create(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<(Volume, bool)> {
        check_name(name)?;
        if let Some(volume) = self.get(name)? {
            return Ok((volume, false));
        }
        let temp = self.temporary_path(name);
        let metadata = Metadata {
            created_at: fsutil::now_rfc3339(),
            labels: labels.clone(),
            options: BTreeMap::new(),
        };
        let made = fsutil::create_dir_all(&temp.join("_data"))
            .and_then(|()| fsutil::write_json(&temp.join("volume.json"), &metadata))
            .and_then(|()| {
                let target = self.dir.join(name);
                std::fs::rename(&temp, &target).map_err(RuntimeError::io("creating", target))
            });
        if let Err(error) = made {
            let _ = fsutil::remove_dir_all(&temp);
            return Err(error);
        }
        tracing::debug!(volume = name, "volume created");
        let volume = self
            .get(name)?
            .ok_or_else(|| VolumeError::NotFound { name: name.into() })?;
        Ok((volume, true))
    }

    /// Removes a volume and its files (call with the lock held).
    pub(crate) fn remove(&self, name: &str) -> Result<()> {
        let path = self.dir.join(name);
        let aside = self.temporary_path(name);
        match std::fs::rename(&path, &aside) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VolumeError::NotFound { name: name.into() }.into());
            }
            Err(e) => return Err(RuntimeError::io("removing", path)(e)),
        }
        tracing::debug!(volume = name, "volume removed");
        fsutil::remove_dir_all(&aside)
    }

    /// A name in the volumes directory that no volume can have (names start with a
    /// letter or digit).
    fn temporary_path(&self, name: &str) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        self.dir
            .join(format!(".tmp-{}-{n}-{name}", std::process::id()))
    }
}

/// Docker's rule for local volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub(crate) fn check_name(name: &str) -> Result<(), VolumeError> {
    if name.len() == 1 {
        return Err(VolumeError::NameTooShort { name: name.into() });
    }
    let mut bytes = name.bytes();
    let is_valid = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    match is_valid {
        true => Ok(()),
        false => Err(VolumeError::InvalidName { name: name.into() }),
    }
}

/// Bytes in the files under `dir` (not following links).
pub(crate) fn size_of(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(m) if m.is_dir() => size_of(&entry.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule() {
        for good in ["ab", "data", "my.vol-1_x", &"f".repeat(64)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", ".x", "..", "a/b", "a b", "_ab"] {
            assert!(
                matches!(check_name(bad), Err(VolumeError::InvalidName { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            check_name("a"),
            Err(VolumeError::NameTooShort { .. })
        ));
    }

    #[test]
    fn volumes_appear_whole_and_go_whole() {
        let root = tempfile::tempdir().unwrap();
        let store = VolumeStore::new(root.path());
        let labels = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
        let (volume, is_new) = store.create("data", &labels).unwrap();
        assert!(is_new);
        assert_eq!(volume.mountpoint, root.path().join("volumes/data/_data"));
        assert!(volume.mountpoint.is_dir());
        let (again, is_new) = store.create("data", &BTreeMap::new()).unwrap();
        assert!(!is_new);
        assert_eq!(again.labels, labels);

        assert_eq!(store.list().unwrap().len(), 1);
        store.remove("data").unwrap();
        assert!(store.list().unwrap().is_empty());
        assert!(
            std::fs::read_dir(root.path().join("volumes"))
                .unwrap()
                .next()
                .is_none()
        );
        assert!(store.remove("data").is_err());
    }
}
