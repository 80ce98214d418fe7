//! Reaching a container's files for `cp`, running or not, without letting its
//! symlinks lead outside its root.
//!
//! The copying itself happens in a helper process (this program again, in a hidden
//! mode) that first moves into the container's view of the filesystem: the mount
//! namespace of a running container (so its volumes and bind mounts are seen, as
//! they are from inside), or a chroot into the root of a stopped one, mounted for the
//! occasion. Inside, `..` and absolute symlinks end at the container's root, as
//! they would for the container's own processes. Files cross over as a tar stream
//! on the helper's stdin or stdout.

use std::path::{Path, PathBuf};

use crate::error::{Result, RuntimeError};
use crate::fsutil;
use crate::overlay;
use crate::record::ContainerRecord;
use crate::runtime::Runtime;

/// How a helper process enters a container's filesystem.
#[derive(Debug)]
pub enum Filesystem {
    /// Join the mount namespace of this process (the running container's init).
    Namespace(i32),
    /// Chroot into this directory (the root of a stopped container, mounted until
    /// the value is dropped).
    Mounted(MountedRoot),
}

impl Filesystem {
    /// The helper's arguments that say how to enter: `--pid N` or `--chroot DIR`.
    pub fn helper_args(&self) -> Vec<String> {
        match self {
            Filesystem::Namespace(pid) => vec!["--pid".into(), pid.to_string()],
            Filesystem::Mounted(root) => {
                vec!["--chroot".into(), root.path.to_string_lossy().into_owned()]
            }
        }
    }
}

/// A stopped container's root filesystem, mounted for a copy. Holds the container's
/// start lock, so it cannot start (and mount its root) meanwhile.
#[derive(Debug)]
pub struct MountedRoot {
    path: PathBuf,
    _lock: fsutil::Lock,
}

impl Drop for MountedRoot {
    fn drop(&mut self) {
        if let Err(error) = overlay::unmount(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "unmounting after a copy");
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}

impl Runtime {
    /// The way into container `name`'s files, whether it runs or not.
    pub fn filesystem(&self, name: &str) -> Result<(ContainerRecord, Filesystem)> {
        let record = self.find(name)?;
        if let Some(pid) = record
            .state
            .pid
            .filter(|_| record.is_running() || record.is_orphaned())
        {
            return Ok((record, Filesystem::Namespace(pid)));
        }
        let lock = self.start_lock(&record.id)?;
        let record = self.find(&record.id)?;
        if let Some(pid) = record.state.pid.filter(|_| record.is_running()) {
            return Ok((record, Filesystem::Namespace(pid)));
        }
        let id = &record.id;
        let overlay = self.overlay_of(&record)?;
        let path = self
            .paths
            .container(id)
            .join(format!("copy-{}", std::process::id()));
        fsutil::create_dir_all(&path)?;
        overlay.mount(&path)?;
        Ok((
            record,
            Filesystem::Mounted(MountedRoot { path, _lock: lock }),
        ))
    }
}

/// Moves this (single-threaded) process into a container's filesystem, as
/// [`Filesystem::helper_args`] describes it: afterwards `/` is the container's root.
pub fn enter(pid: Option<i32>, chroot: Option<&Path>) -> Result<()> {
    match (pid, chroot) {
        (Some(pid), _) => enter_namespace(pid),
        (None, Some(dir)) => {
            rustix::process::chroot(dir)
                .map_err(|e| RuntimeError::io("entering", dir)(e.into()))?;
            std::env::set_current_dir("/").map_err(RuntimeError::io("entering", dir))
        }
        (None, None) => Err(RuntimeError::system("entering the container")(
            std::io::Error::from(std::io::ErrorKind::InvalidInput),
        )),
    }
}

/// Joins the mount namespace of `pid`; setns(2) then makes its root our root and
/// working directory.
fn enter_namespace(pid: i32) -> Result<()> {
    let path = PathBuf::from(format!("/proc/{pid}/ns/mnt"));
    let namespace = std::fs::File::open(&path).map_err(RuntimeError::io("opening", &path))?;
    rustix::thread::move_into_link_name_space(
        std::os::fd::AsFd::as_fd(&namespace),
        Some(rustix::thread::LinkNameSpaceType::Mount),
    )
    .map_err(|e| RuntimeError::io("joining the mount namespace", &path)(e.into()))?;
    std::env::set_current_dir("/").map_err(RuntimeError::io("entering", &path))
}
