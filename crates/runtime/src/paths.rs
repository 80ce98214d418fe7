//! Where a container's files live.
//!
//! - `<root>/containers/<id>/`: `record.json`, `container.log`, the overlay `upper/`
//!   and `work/`, the mount point `rootfs/`, and the files bind-mounted over the
//!   image's `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`.
//! - `<run>/<id>/`: runtime state that a reboot clears: the OCI bundle
//!   (`bundle/config.json`), the runtime library's state (`state/`), the monitor's
//!   socket (`monitor.sock`) and log (`monitor.log`), the console socket a terminal
//!   arrives on (`console.sock`), and one directory per exec'd process
//!   (`exec/<exec-id>/`: its `process.json` and the same sockets and log).

use std::path::{Path, PathBuf};

/// The directories of one runtime: the store root and the run directory.
#[derive(Debug, Clone)]
pub struct Paths {
    root: PathBuf,
    run: PathBuf,
}

impl Paths {
    /// Paths under the store `root` and the `run` directory.
    pub fn new(root: &Path, run: &Path) -> Paths {
        Paths {
            root: root.to_owned(),
            run: run.to_owned(),
        }
    }

    /// The store root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The run directory (`/run/container`, or `<root>/run`).
    pub fn run_root(&self) -> &Path {
        &self.run
    }

    /// Every container's directory lives here.
    pub fn containers(&self) -> PathBuf {
        self.root.join("containers")
    }

    /// One container's directory.
    pub fn container(&self, id: &str) -> PathBuf {
        self.containers().join(id)
    }

    /// The container record.
    pub fn record(&self, id: &str) -> PathBuf {
        self.container(id).join("record.json")
    }

    /// The container's log, in Docker's json-file format.
    pub fn log(&self, id: &str) -> PathBuf {
        self.container(id).join("container.log")
    }

    /// The overlay's writable layer.
    pub fn upper(&self, id: &str) -> PathBuf {
        self.container(id).join("upper")
    }

    /// The overlay's work directory.
    pub fn work(&self, id: &str) -> PathBuf {
        self.container(id).join("work")
    }

    /// Where the root filesystem is mounted while the container runs.
    pub fn rootfs(&self, id: &str) -> PathBuf {
        self.container(id).join("rootfs")
    }

    /// A file bind-mounted at `/etc/<name>` (`hostname`, `hosts`, `resolv.conf`).
    pub fn etc_file(&self, id: &str, name: &str) -> PathBuf {
        self.container(id).join(name)
    }

    /// The lock that serialises changes to container records.
    pub fn records_lock(&self) -> PathBuf {
        self.root.join("locks").join("containers.lock")
    }

    /// The container's runtime state directory.
    pub fn run(&self, id: &str) -> PathBuf {
        self.run.join(id)
    }

    /// The OCI bundle (holds `config.json`).
    pub fn bundle(&self, id: &str) -> PathBuf {
        self.run(id).join("bundle")
    }

    /// The runtime library's state root.
    pub fn state(&self, id: &str) -> PathBuf {
        self.run(id).join("state")
    }

    /// The monitor's socket.
    pub fn socket(&self, id: &str) -> PathBuf {
        self.run(id).join("monitor.sock")
    }

    /// The monitor's own log (debugging aid).
    pub fn monitor_log(&self, id: &str) -> PathBuf {
        self.run(id).join("monitor.log")
    }

    /// Where the pty master of a `-t` container arrives.
    pub fn console_socket(&self, id: &str) -> PathBuf {
        self.run(id).join("console.sock")
    }

    /// The runtime state of one exec'd process: `process.json`, `monitor.sock`,
    /// `console.sock` and `monitor.log`.
    pub fn exec(&self, id: &str, exec_id: &str) -> PathBuf {
        self.run(id).join("exec").join(exec_id)
    }
}
