//! Commands on existing containers that need no monitor conversation: `rename`,
//! `restart`, `pause`, `unpause`, and what `top` and `stats` read.
//!
//! Pausing freezes the container's cgroup through the runtime library (the v1
//! `freezer` controller on this host, `cgroup.freeze` on v2), as `docker pause` does;
//! the record remembers it, so `ps` and `inspect` show `paused`.

use std::time::Duration;

use libcontainer::container::Container;

use crate::cgroups;
use crate::error::{Result, RuntimeError};
use crate::ids;
use crate::record::ContainerRecord;
use crate::runtime::Runtime;
use crate::start::StartMode;

impl Runtime {
    /// Gives a container another name, unique as ever.
    pub fn rename(&self, name: &str, new_name: &str) -> Result<ContainerRecord> {
        let record = self.find(name)?;
        let new_name = ids::validate_name(new_name)?;
        let _lock = self.records.lock()?;
        if let Some(other) = self.records.with_name(&new_name)? {
            return Err(RuntimeError::NameInUse {
                name: new_name,
                id: other.id,
            });
        }
        let mut record = self
            .records
            .load(&record.id)?
            .ok_or_else(|| RuntimeError::NotFound {
                name: name.to_owned(),
            })?;
        record.name = new_name;
        self.records.save(&record)?;
        Ok(record)
    }

    /// Stops the container (if it runs) and starts it again, detached.
    pub fn restart(
        &self,
        name: &str,
        timeout: Option<Duration>,
        signal: Option<i32>,
    ) -> Result<ContainerRecord> {
        let record = self.stop(name, timeout, signal)?;
        self.start(&record.id, StartMode::Detached)
    }

    /// Freezes every process of a running container.
    pub fn pause(&self, name: &str) -> Result<ContainerRecord> {
        let record = self.running(name)?;
        if record.state.is_paused {
            return Err(RuntimeError::Paused { id: record.id });
        }
        self.runtime_container(&record.id)?
            .pause()
            .map_err(|source| container_error("pausing", source))?;
        self.set_paused(&record.id, true)
    }

    /// Thaws a paused container.
    pub fn unpause(&self, name: &str) -> Result<ContainerRecord> {
        let record = self.running(name)?;
        if !record.state.is_paused {
            return Err(RuntimeError::NotPaused { id: record.id });
        }
        self.runtime_container(&record.id)?
            .resume()
            .map_err(|source| container_error("resuming", source))?;
        self.set_paused(&record.id, false)
    }

    /// The host pids of every process of a running container, sorted.
    pub fn processes(&self, name: &str) -> Result<Vec<i32>> {
        let record = self.running(name)?;
        let mut pids = cgroups::processes(&record.id);
        pids.sort_unstable();
        pids.dedup();
        Ok(pids)
    }

    /// What the cgroups of a running container have counted.
    pub fn usage(&self, name: &str) -> Result<(ContainerRecord, cgroups::Usage)> {
        let record = self.running(name)?;
        let usage = cgroups::usage(&record.id);
        Ok((record, usage))
    }

    /// Thaws a container before a signal must reach it: a frozen process acts on
    /// nothing, not even SIGKILL, until it is thawed.
    pub(crate) fn thaw_for_signal(&self, record: &ContainerRecord) {
        if record.state.is_paused && self.unpause(&record.id).is_err() {
            tracing::debug!(id = %record.id, "could not thaw before signalling");
        }
    }

    fn running(&self, name: &str) -> Result<ContainerRecord> {
        let record = self.find(name)?;
        if !record.is_running() {
            return Err(RuntimeError::NotRunning { id: record.id });
        }
        Ok(record)
    }

    fn runtime_container(&self, id: &str) -> Result<Container> {
        Container::load(self.paths.state(id).join(id))
            .map_err(|source| container_error("loading", source))
    }

    fn set_paused(&self, id: &str, is_paused: bool) -> Result<ContainerRecord> {
        self.records
            .update(id, |r| r.state.is_paused = is_paused)?
            .ok_or_else(|| RuntimeError::NotFound {
                name: id.to_owned(),
            })
    }
}

fn container_error(
    action: &'static str,
    source: libcontainer::error::LibcontainerError,
) -> RuntimeError {
    RuntimeError::Container {
        action,
        source: Box::new(source),
    }
}
