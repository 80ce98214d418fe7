//! Undoing what starting a container did: the runtime library's container, the root
//! filesystem mount, the cgroups and the run directory. Shared by the monitor, when its
//! container exits, and by `rm -f`, when a monitor died without cleaning up.

use std::path::Path;

use libcontainer::container::Container;

use crate::error::{Result, RuntimeError};
use crate::paths::Paths;
use crate::record::Records;
use crate::{cgroups, fsutil, overlay};

/// Deletes the runtime library's state of the container (killing what is left of it),
/// unmounts its root, removes its cgroups and its run directory. Each step runs even
/// when an earlier one failed; the first failure is returned.
pub fn teardown(paths: &Paths, id: &str) -> Result<()> {
    let deleted = delete_runtime_state(&paths.state(id), id);
    let detached = detach(paths, id);
    let unmounted = overlay::unmount(&paths.rootfs(id));
    cgroups::remove(id);
    let removed = fsutil::remove_dir_all(&paths.run(id));
    deleted.and(detached).and(unmounted).and(removed)
}

/// Removes the container's veth (its namespace may already be gone with it); the
/// bridge stays for the next container.
fn detach(paths: &Paths, id: &str) -> Result<()> {
    let Some(record) = Records::new(paths).load(id)? else {
        return Ok(());
    };
    match &record.state.endpoint {
        Some(endpoint) => crate::networking::detach(paths, endpoint, &record),
        None => Ok(()),
    }
}

fn delete_runtime_state(state_root: &Path, id: &str) -> Result<()> {
    let dir = state_root.join(id);
    if !dir.join("state.json").exists() {
        return Ok(());
    }
    let mut container = Container::load(dir).map_err(|source| RuntimeError::Container {
        action: "loading",
        source: Box::new(source),
    })?;
    container
        .delete(true)
        .map_err(|source| RuntimeError::Container {
            action: "deleting",
            source: Box::new(source),
        })
}
