//! Running containers from the images of the store.
//!
//! A container is a record (`<root>/containers/<id>/record.json`) until it starts.
//! Starting it ([`Runtime::start`]):
//!
//! 1. mounts its root filesystem, an overlay of the image's unpacked layers with an
//!    upper layer of its own;
//! 2. resolves its user against the image's `/etc/passwd` and `/etc/group`, creates a
//!    missing working directory, and checks that the command exists and can be run
//!    (Docker's exit codes 127 and 126, before anything runs);
//! 3. writes `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf` for it, and the OCI
//!    runtime spec with Docker's defaults ([`spec`]);
//! 4. starts its monitor ([`monitor`]): this program again, in a session of its own,
//!    which creates the container through youki's `libcontainer`, logs its output in
//!    Docker's json-file format ([`logs`]), serves clients on a socket ([`protocol`]),
//!    waits for it, records the exit code (128 + signal when killed), and cleans up.
//!
//! Configuration merges as Docker's does ([`config`], CASES C15); names and IDs follow
//! Docker's rules ([`ids`]). The image a container was created from is held in the
//! store, so it is not removed under it.

#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod capabilities;
mod cgroups;
mod client;
pub mod config;
mod control;
pub mod copy;
pub mod devices;
mod error;
pub mod etc;
mod exec;
mod fsutil;
pub mod ids;
pub mod init;
mod inroot;
pub mod limits;
mod logread;
pub mod logs;
mod loopback;
mod manage;
pub mod monitor;
pub mod mounts;
pub mod networking;
pub mod overlay;
mod paths;
pub mod protocol;
mod record;
pub mod restart;
mod runtime;
pub mod seccomp;
pub mod security;
pub mod signal;
pub mod spec;
mod start;
mod teardown;
mod terminal;
pub mod user;
pub mod volumes;

pub use cgroups::Usage;
pub use client::{AttachInput, AttachOutput, Output};
pub use config::{ContainerConfig, UserConfig};
pub use error::{Result, RuntimeError};
pub use exec::{ExecOptions, ExecSession};
pub use logread::LogOptions;
pub use monitor::{run_exec_monitor, run_monitor};
pub use paths::Paths;
pub use record::{ContainerRecord, HostConfig, ImageInfo, NetworkMode, ProcessId, State, Status};
pub use restart::RestartPolicy;
pub use runtime::{CreateOptions, MONITOR_COMMAND, Runtime};
pub use start::StartMode;
pub use volumes::{Volume, VolumeError, VolumePruneReport, VolumeUse};

/// The parent of every container's cgroup, in each hierarchy.
pub const CGROUP_PARENT: &str = cgroups::PARENT;
