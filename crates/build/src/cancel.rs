//! Interrupting a build: what a build has in flight (RUN containers, mounted
//! roots) is tracked, so that an interrupted build (Ctrl-C) leaves none of it
//! behind. [`interrupt`] is for the caller's signal handler; the process is
//! expected to exit right after it.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use container_runtime::Runtime;

static CONTAINERS: Mutex<Vec<(Runtime, String)>> = Mutex::new(Vec::new());
static MOUNTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether [`interrupt`] was called: a build failing now failed because of it.
pub fn is_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Kills and removes the build's RUN containers and unmounts its roots.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let containers = std::mem::take(&mut *CONTAINERS.lock().unwrap_or_else(|e| e.into_inner()));
    for (runtime, id) in containers {
        let _ = runtime.kill(&id, libc_sigkill());
        if let Err(error) = runtime.remove(&id, true) {
            tracing::debug!(%error, id, "removing an interrupted build container");
        }
    }
    let mounts = std::mem::take(&mut *MOUNTS.lock().unwrap_or_else(|e| e.into_inner()));
    for mount in mounts {
        let _ = container_runtime::overlay::unmount(&mount);
        let _ = std::fs::remove_dir(&mount);
    }
}

fn libc_sigkill() -> i32 {
    rustix::process::Signal::KILL.as_raw()
}

/// Tracks a RUN container until dropped.
pub(crate) struct ContainerGuard(String);

impl ContainerGuard {
    pub fn new(runtime: &Runtime, id: &str) -> ContainerGuard {
        let mut containers = CONTAINERS.lock().unwrap_or_else(|e| e.into_inner());
        containers.push((runtime.clone(), id.to_owned()));
        ContainerGuard(id.to_owned())
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let mut containers = CONTAINERS.lock().unwrap_or_else(|e| e.into_inner());
        containers.retain(|(_, id)| *id != self.0);
    }
}

/// Tracks a mount point until dropped.
pub(crate) struct MountGuard(PathBuf);

impl MountGuard {
    pub fn new(target: PathBuf) -> MountGuard {
        let mut mounts = MOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        mounts.push(target.clone());
        MountGuard(target)
    }
}

impl Drop for MountGuard {
    fn drop(&mut self) {
        let mut mounts = MOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        mounts.retain(|m| *m != self.0);
    }
}
