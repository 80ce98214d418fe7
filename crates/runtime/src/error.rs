//! What can go wrong running containers.

use std::path::PathBuf;

/// A failure creating, running or managing a container.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A file or directory could not be read or written.
    #[error("{action} {path}")]
    Io {
        /// What we were doing ("writing", "reading", …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A system call failed.
    #[error("{action}")]
    System {
        /// What we were doing.
        action: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A container record is damaged.
    #[error("{path} is not valid")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The image store failed.
    #[error(transparent)]
    Store(#[from] container_store::StoreError),
    /// Networking failed (bridge, veth, address, NAT, published ports).
    #[error(transparent)]
    Net(#[from] container_net::NetError),
    /// No container goes by that name or ID.
    #[error("no such container: {name}")]
    NotFound {
        /// What the user typed.
        name: String,
    },
    /// An ID prefix matches several containers.
    #[error("multiple IDs found with provided prefix: {prefix}")]
    Ambiguous {
        /// The prefix typed.
        prefix: String,
    },
    /// Another container has the name (Docker's message, which scripts match).
    #[error(
        "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". \
         You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameInUse {
        /// The name.
        name: String,
        /// The container that has it.
        id: String,
    },
    /// A name with characters Docker does not allow.
    #[error("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// An option value that cannot be used.
    #[error("invalid {option} `{value}`: {reason}")]
    InvalidOption {
        /// The option (`--workdir`, `--env-file`, …).
        option: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// The user is not in the image's /etc/passwd.
    #[error("unable to find user {user}: no matching entries in passwd file")]
    UserNotFound {
        /// The user asked for.
        user: String,
    },
    /// The group is not in the image's /etc/group.
    #[error("unable to find group {group}: no matching entries in group file")]
    GroupNotFound {
        /// The group asked for.
        group: String,
    },
    /// Neither the image nor the flags name a command.
    #[error("no command specified")]
    NoCommand,
    /// The command is not in the container (exit code 127).
    #[error("exec: \"{command}\": executable file not found in $PATH")]
    CommandNotFound {
        /// argv\[0\].
        command: String,
    },
    /// A bind mount of a directory onto a file, or of a file onto a directory.
    #[error(
        "cannot mount `{host_path}` on `{destination}`: one is a directory and the other is not \
         (are you trying to mount a directory onto a file, or the other way round?)"
    )]
    MountTypeMismatch {
        /// The host path.
        host_path: String,
        /// The path in the container.
        destination: String,
    },
    /// The command, given as a path, is not there (exit code 127).
    #[error("exec: \"{command}\": stat {command}: no such file or directory")]
    CommandPathNotFound {
        /// argv\[0\].
        command: String,
    },
    /// The command exists but cannot be run (exit code 126).
    #[error("exec: \"{command}\": {reason}")]
    CommandNotExecutable {
        /// argv\[0\].
        command: String,
        /// Why (`is a directory`, `permission denied`).
        reason: &'static str,
    },
    /// An exec'd process's working directory is not in the container (exit code 126).
    #[error("chdir to cwd (\"{dir}\") failed: no such directory in the container")]
    WorkdirNotFound {
        /// The directory.
        dir: String,
    },
    /// The container is not running.
    #[error("container {id} is not running")]
    NotRunning {
        /// The container's ID.
        id: String,
    },
    /// The container is paused already (Docker's message).
    #[error("Container {id} is already paused")]
    Paused {
        /// The container's ID.
        id: String,
    },
    /// Removing a container that its monitor is about to restart (Docker's message).
    #[error(
        "You cannot remove a restarting container {id}. Stop the container before attempting removal or force remove"
    )]
    IsRestarting {
        /// The container's ID.
        id: String,
    },
    /// `exec` into a paused container (Docker's message).
    #[error("Container {name} is paused, unpause the container before exec")]
    PausedForExec {
        /// The container, as the user named it.
        name: String,
    },
    /// The container is not paused (Docker's message).
    #[error("Container {id} is not paused")]
    NotPaused {
        /// The container's ID.
        id: String,
    },
    /// The container is running, and the action needs it stopped (or forced).
    #[error(
        "cannot remove container \"/{name}\": container is running: stop the container before removing or force remove"
    )]
    IsRunning {
        /// The container's name.
        name: String,
    },
    /// A mount or unmount failed.
    #[error("{action} {target}")]
    Mount {
        /// "mounting overlay on", "unmounting".
        action: &'static str,
        /// The mount point.
        target: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The OCI runtime spec could not be built or written.
    #[error("building the runtime spec")]
    Spec(#[source] oci_spec::OciSpecError),
    /// The runtime library failed to create or start the container.
    #[error("{action} the container")]
    Container {
        /// "creating", "starting", "deleting".
        action: &'static str,
        /// Why.
        #[source]
        source: Box<libcontainer::error::LibcontainerError>,
    },
    /// The monitor reported a failure, or ended before reporting.
    #[error("starting container {id}: {message}")]
    Monitor {
        /// The container's ID.
        id: String,
        /// What the monitor said.
        message: String,
    },
    /// The monitor's socket cannot be reached.
    #[error("connecting to the monitor of container {id}")]
    MonitorUnreachable {
        /// The container's ID.
        id: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The monitor sent something we do not understand.
    #[error("unexpected message from the container monitor: {reason}")]
    Protocol {
        /// What was wrong.
        reason: String,
    },
    /// A mount the user asked for cannot be made.
    #[error(transparent)]
    InvalidMount(#[from] crate::mounts::MountError),
    /// A volume operation failed.
    #[error(transparent)]
    Volume(#[from] crate::volumes::VolumeError),
    /// A feature this release does not have yet.
    #[error("{what} is not supported yet")]
    Unsupported {
        /// The feature.
        what: String,
    },
    /// A seccomp profile file that is not a profile (Docker's message).
    #[error("decoding seccomp profile failed")]
    SeccompProfile {
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A host device for `--device` that cannot be used.
    #[error("error gathering device information while adding custom device \"{path}\"")]
    Device {
        /// The path on the host.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl RuntimeError {
    /// An I/O error with the path it concerns.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> RuntimeError {
        let path = path.into();
        move |source| RuntimeError::Io {
            action,
            path,
            source,
        }
    }

    /// A failed system call, described by what we were doing.
    pub(crate) fn system(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> RuntimeError {
        let action = action.into();
        move |source| RuntimeError::System { action, source }
    }

    /// Docker's exit code for `run` failing with this error: 127 when the command is
    /// not found, 126 when it cannot be invoked, 125 for anything else (the tool failed).
    pub fn exit_code(&self) -> u8 {
        match self {
            RuntimeError::CommandNotFound { .. } | RuntimeError::CommandPathNotFound { .. } => 127,
            RuntimeError::CommandNotExecutable { .. } | RuntimeError::WorkdirNotFound { .. } => 126,
            _ => 125,
        }
    }
}

/// Results of this crate.
pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;
