//! Volumes: directories of ours that containers mount, and that outlive them.
//!
//! As in Docker's `local` driver, a volume is a directory under the store
//! (`<root>/volumes/<name>/_data`, [`store`]) bind-mounted into containers. A named
//! volume is created by `volume create` or by the first container that asks for it;
//! an anonymous one (`-v /path`, or an image's `VOLUME`) gets a random 64-hex name and
//! the label [`ANONYMOUS_LABEL`], and goes with its container on `rm -v` and `--rm`.
//! A volume that any container (running or not) mounts cannot be removed. An empty
//! volume is filled from the image when it is mounted ([`seed`]), unless `nocopy`.
//! <https://docs.docker.com/engine/storage/volumes/>

mod seed;
mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::Result;
use crate::ids;
use crate::mounts::{ANONYMOUS_LABEL, MountSpec};
use crate::record::ContainerRecord;
use crate::runtime::Runtime;

pub(crate) use seed::seed;
pub(crate) use store::VolumeStore;

/// A volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Its name (64 hex digits for an anonymous one).
    pub name: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Driver options (none: the local driver's defaults).
    pub options: BTreeMap<String, String>,
    /// Where its files are on the host.
    pub mountpoint: PathBuf,
}

impl Volume {
    /// Whether it was made for one container (and goes with it).
    pub fn is_anonymous(&self) -> bool {
        self.labels.contains_key(ANONYMOUS_LABEL)
    }
}

/// A volume and the containers that mount it.
#[derive(Debug, Clone)]
pub struct VolumeUse {
    /// The volume.
    pub volume: Volume,
    /// IDs of the containers (running or not) whose mounts name it.
    pub containers: Vec<String>,
}

/// What `volume prune` removed.
#[derive(Debug, Clone, Default)]
pub struct VolumePruneReport {
    /// Names of the volumes removed.
    pub removed: Vec<String>,
    /// Bytes their files took.
    pub reclaimed: u64,
}

/// Volume failures, in Docker's words.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// No volume has the name.
    #[error("no such volume: {name}")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// Containers mount it.
    #[error("remove {name}: volume is in use - [{}]", containers.join(", "))]
    InUse {
        /// The volume.
        name: String,
        /// The containers' IDs.
        containers: Vec<String>,
    },
    /// A name the local driver does not allow.
    #[error(
        "create {name}: \"{name}\" includes invalid characters for a local volume name, only \
         \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, \
         use absolute path"
    )]
    InvalidName {
        /// The name.
        name: String,
    },
    /// A one-character name.
    #[error(
        "create {name}: volume name is too short, names should be at least two alphanumeric \
         characters"
    )]
    NameTooShort {
        /// The name.
        name: String,
    },
}

impl Runtime {
    pub(crate) fn volume_store(&self) -> VolumeStore {
        VolumeStore::new(self.paths.root())
    }

    /// Creates a volume (a random name when `None`); an existing one is returned as it
    /// is, as Docker does.
    pub fn create_volume(
        &self,
        name: Option<&str>,
        labels: &BTreeMap<String, String>,
    ) -> Result<Volume> {
        let name = match name {
            Some(name) => name.to_owned(),
            None => ids::new_id()?,
        };
        let store = self.volume_store();
        let _lock = store.lock()?;
        Ok(store.create(&name, labels)?.0)
    }

    /// Where the files of volume `name` are (whether or not it exists).
    pub fn volume_mountpoint(&self, name: &str) -> PathBuf {
        self.volume_store().data_dir(name)
    }

    /// The volume called `name`.
    pub fn volume(&self, name: &str) -> Result<Volume> {
        let found = self.volume_store().get(name)?;
        Ok(found.ok_or_else(|| VolumeError::NotFound { name: name.into() })?)
    }

    /// Every volume with the containers that mount it, by name.
    pub fn volumes(&self) -> Result<Vec<VolumeUse>> {
        let records = self.records.list()?;
        let volumes = self.volume_store().list()?;
        Ok(volumes
            .into_iter()
            .map(|volume| VolumeUse {
                containers: users(&records, &volume.name),
                volume,
            })
            .collect())
    }

    /// Removes a volume that no container mounts. With `force`, a missing volume is
    /// not an error; a used one still is, as in Docker.
    pub fn remove_volume(&self, name: &str, force: bool) -> Result<()> {
        let store = self.volume_store();
        let _lock = store.lock()?;
        if store.get(name)?.is_none() {
            return match force {
                true => Ok(()),
                false => Err(VolumeError::NotFound { name: name.into() }.into()),
            };
        }
        let containers = users(&self.records.list()?, name);
        if !containers.is_empty() {
            return Err(VolumeError::InUse {
                name: name.into(),
                containers,
            }
            .into());
        }
        store.remove(name)
    }

    /// Removes unused volumes: anonymous ones only, or every one with `all` (Docker 23
    /// and later).
    pub fn prune_volumes(&self, all: bool) -> Result<VolumePruneReport> {
        let store = self.volume_store();
        let _lock = store.lock()?;
        let records = self.records.list()?;
        let mut report = VolumePruneReport::default();
        for volume in store.list()? {
            if (all || volume.is_anonymous()) && users(&records, &volume.name).is_empty() {
                let size = store::size_of(&volume.mountpoint);
                store.remove(&volume.name)?;
                report.reclaimed += size;
                report.removed.push(volume.name);
            }
        }
        Ok(report)
    }

    /// Removes the anonymous volumes of a removed container (`rm -v`, `--rm`), unless
    /// another container mounts them too.
    pub fn remove_anonymous_volumes(&self, record: &ContainerRecord) -> Result<()> {
        remove_anonymous(&self.volume_store(), &self.records.list()?, record)
    }

    /// Registers a new container (see [`Runtime::register`]) with the volumes its mounts
    /// need, made under the volumes lock so that `volume rm` cannot slip in between.
    pub(crate) fn register_with_volumes(
        &self,
        mut record: ContainerRecord,
        name: Option<&str>,
    ) -> Result<ContainerRecord> {
        let _lock = self.volume_store().lock()?;
        let created = self.create_volumes_for(&mut record.host.mounts)?;
        self.register(record, name)
            .inspect_err(|_| self.remove_created(&created))
    }

    /// Names the anonymous volumes of new mounts, and creates every volume they need
    /// that does not exist (call with the volumes lock held). Returns the volumes it
    /// created, for undoing.
    pub(crate) fn create_volumes_for(&self, mounts: &mut [MountSpec]) -> Result<Vec<String>> {
        let store = self.volume_store();
        let mut created = Vec::new();
        for mount in mounts.iter_mut().filter(|m| m.is_volume()) {
            let mut labels = BTreeMap::new();
            if mount.is_anonymous {
                mount.source = ids::new_id()?;
                labels.insert(ANONYMOUS_LABEL.to_owned(), String::new());
            }
            match store.create(&mount.source, &labels) {
                Ok((_, true)) => created.push(mount.source.clone()),
                Ok((_, false)) => {}
                Err(error) => {
                    self.remove_created(&created);
                    return Err(error);
                }
            }
        }
        Ok(created)
    }

    /// Undoes [`Runtime::create_volumes_for`] (with the volumes lock held).
    pub(crate) fn remove_created(&self, names: &[String]) {
        let store = self.volume_store();
        for name in names {
            if let Err(error) = store.remove(name) {
                tracing::debug!(volume = %name, %error, "removing a volume of a failed create");
            }
        }
    }
}

/// Removes a removed container's anonymous volumes that no other record mounts.
pub(crate) fn remove_anonymous(
    store: &VolumeStore,
    records: &[ContainerRecord],
    record: &ContainerRecord,
) -> Result<()> {
    let _lock = store.lock()?;
    let others: Vec<ContainerRecord> = records
        .iter()
        .filter(|r| r.id != record.id)
        .cloned()
        .collect();
    for mount in record
        .host
        .mounts
        .iter()
        .filter(|m| m.is_volume() && m.is_anonymous)
    {
        if users(&others, &mount.source).is_empty() && store.get(&mount.source)?.is_some() {
            store.remove(&mount.source)?;
        }
    }
    Ok(())
}

/// The containers whose mounts name volume `name`.
fn users(records: &[ContainerRecord], name: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| {
            r.host
                .mounts
                .iter()
                .any(|m| m.is_volume() && m.source == name)
        })
        .map(|r| r.id.clone())
        .collect()
}
