//! Running another process in a running container (`exec`), as Docker does.
//!
//! - Environment: Docker's for the container (`PATH`, `HOSTNAME`, `TERM=xterm` when
//!   the exec has a terminal, the container's variables), with `-e` replacing or
//!   adding entries, and `HOME` from the exec user's passwd entry when unset.
//! - User: `-u`, else the container's, resolved against the container's own
//!   `/etc/passwd` and `/etc/group` ([`crate::user`]). Working directory: `-w`, else
//!   the container's; it must exist (126 otherwise, as an exec that cannot start).
//! - The command is checked before anything runs: 127 when not found, 126 when it
//!   cannot be run.
//! - The process gets the container's capabilities, rlimits and `noNewPrivileges`
//!   (taken from its runtime spec); `--privileged` gives every capability.
//!
//! Where the process's parent lives: in a monitor of its own, this program again
//! ([`crate::MONITOR_COMMAND`] with `--exec`), in a session of its own, like the
//! container's monitor. It creates the process through the runtime library's tenant
//! builder (which joins the container's namespaces and cgroup), owns its stdio or
//! terminal, serves one socket in `<run>/<id>/exec/<exec-id>/`, waits for it and
//! reports its exit code. A foreground `exec` attaches to that socket as `run` does
//! to the container's; `exec -d` leaves the monitor to outlive the command. Keeping
//! the runtime library out of the CLI and out of the container's monitor (it is not
//! safe for two containers in one process) costs one process per exec. An exec'd
//! process lives in the container's PID namespace, so it ends when the container's
//! init process does (`stop`, `kill`, `rm -f`), and its monitor with it.

use oci_spec::runtime::{Capabilities, LinuxCapabilities, Process, Spec, User};

use crate::client::{AttachInput, AttachOutput, attach_to};
use crate::config::{ContainerConfig, replace_or_append};
use crate::error::{Result, RuntimeError};
use crate::inroot::RootDir;
use crate::protocol::WindowSize;
use crate::record::ContainerRecord;
use crate::runtime::Runtime;
use crate::start::StartMode;
use crate::user::{self, ResolvedUser};
use crate::{fsutil, ids};

/// Every capability Linux has, by number; the running kernel may know fewer.
const ALL_CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// What `exec` runs, as the user asked.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// argv.
    pub command: Vec<String>,
    /// `KEY=VALUE` entries, already resolved ([`crate::config::resolve_env`]).
    pub env: Vec<String>,
    /// `-w`.
    pub working_dir: Option<String>,
    /// `-u`.
    pub user: Option<String>,
    /// `-t`.
    pub tty: bool,
    /// `-d`: nobody attaches; the process starts at once.
    pub detach: bool,
    /// `--privileged`.
    pub privileged: bool,
}

/// An exec'd process, started or waiting for its client.
#[derive(Debug, Clone)]
pub struct ExecSession {
    /// The container's ID.
    pub id: String,
    /// The exec's ID (12 hex digits).
    pub exec_id: String,
    /// Whether it has a terminal.
    pub tty: bool,
}

impl Runtime {
    /// Starts `options.command` in running container `name`. Unless detached, the
    /// process starts once a client attaches ([`Runtime::attach_exec`]).
    pub fn exec(&self, name: &str, options: &ExecOptions) -> Result<ExecSession> {
        let record = self.find(name)?;
        if !record.is_running() {
            return Err(RuntimeError::NotRunning { id: record.id });
        }
        if record.state.is_paused {
            return Err(RuntimeError::PausedForExec {
                name: name.to_owned(),
            });
        }
        let process = self.exec_process(&record, options)?;
        let exec_id = ids::new_id()?[..12].to_owned();
        let dir = self.paths.exec(&record.id, &exec_id);
        fsutil::create_dir_all(&dir)?;
        let json = serde_json::to_vec_pretty(&process).expect("a process always serialises");
        fsutil::write_atomic(&dir.join("process.json"), &json)?;

        let mode = match options.detach {
            true => StartMode::Detached,
            false => StartMode::Attached,
        };
        tracing::debug!(id = %record.id, %exec_id, ?mode, "starting an exec monitor");
        self.spawn_monitor(&record.id, Some(&exec_id), mode)?;
        Ok(ExecSession {
            id: record.id,
            exec_id,
            tty: options.tty,
        })
    }

    /// Attaches to an exec'd process: as [`Runtime::attach`], for that process.
    pub async fn attach_exec(
        &self,
        session: &ExecSession,
        stdin: bool,
        size: Option<WindowSize>,
    ) -> Result<(AttachOutput, AttachInput)> {
        let socket = self
            .paths
            .exec(&session.id, &session.exec_id)
            .join("monitor.sock");
        attach_to(&socket, session.id.clone(), stdin, size).await
    }

    /// The OCI process: the container's, with the exec's command, user, environment
    /// and working directory, checked against the container's root filesystem.
    fn exec_process(&self, record: &ContainerRecord, options: &ExecOptions) -> Result<Process> {
        let config = &record.config;
        let root = RootDir::open(&self.paths.rootfs(&record.id))?;
        let passwd = root.read_to_string("/etc/passwd")?;
        let group = root.read_to_string("/etc/group")?;
        let user_spec = options.user.as_deref().unwrap_or(&config.user);
        let user = user::resolve(user_spec, passwd.as_deref(), group.as_deref())?;
        let cwd = working_dir(options.working_dir.as_deref(), &config.working_dir)?;
        if !root.is_dir(&cwd) {
            return Err(RuntimeError::WorkdirNotFound { dir: cwd });
        }

        let env = exec_env(config, options, &user.home);
        let path = env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or_default();
        let argv0 = options.command.first().ok_or(RuntimeError::NoCommand)?;
        root.check_command(argv0, path, &cwd, &user)?;

        let spec_path = self.paths.bundle(&record.id).join("config.json");
        let spec = Spec::load(&spec_path).map_err(RuntimeError::Spec)?;
        let mut process = spec.process().clone().unwrap_or_default();
        process
            .set_args(Some(options.command.clone()))
            .set_env(Some(env))
            .set_cwd(cwd.into())
            .set_user(oci_user(&user))
            .set_terminal(Some(options.tty));
        if options.privileged {
            process.set_capabilities(Some(every_capability()));
        }
        Ok(process)
    }
}

/// `-w`, else the container's working directory, else `/`; absolute.
fn working_dir(flag: Option<&str>, container: &str) -> Result<String> {
    let dir = flag.unwrap_or(container);
    if dir.is_empty() {
        return Ok("/".into());
    }
    if !dir.starts_with('/') {
        return Err(RuntimeError::InvalidOption {
            option: "--workdir",
            value: dir.to_owned(),
            reason: "the working directory must be an absolute path".into(),
        });
    }
    Ok(dir.to_owned())
}

/// The container's environment as Docker gives it to an exec (see the module docs).
fn exec_env(config: &ContainerConfig, options: &ExecOptions, home: &str) -> Vec<String> {
    let mut config = config.clone();
    config.tty = options.tty;
    replace_or_append(&mut config.env, &options.env);
    config.process_env(home)
}

fn oci_user(user: &ResolvedUser) -> User {
    let mut oci = User::default();
    oci.set_uid(user.uid)
        .set_gid(user.gid)
        .set_additional_gids(Some(user.additional_gids.clone()));
    oci
}

/// Every capability we have ourselves (our bounding set: a capability missing from it
/// cannot be given), in every set but the inheritable one.
fn every_capability() -> LinuxCapabilities {
    let bounding = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| bounding_set(&status))
        .unwrap_or(0);
    let set: Capabilities = ALL_CAPABILITIES
        .iter()
        .enumerate()
        .filter(|(number, _)| bounding & (1 << number) != 0)
        .filter_map(|(_, name)| serde_json::from_value(name.to_owned().into()).ok())
        .collect();
    let mut capabilities = LinuxCapabilities::default();
    capabilities
        .set_bounding(Some(set.clone()))
        .set_effective(Some(set.clone()))
        .set_permitted(Some(set))
        .set_inheritable(None)
        .set_ambient(None);
    capabilities
}

/// The `CapBnd:` mask of a `/proc/<pid>/status`.
fn bounding_set(status: &str) -> Option<u64> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("CapBnd:"))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::Capability;

    #[test]
    fn exec_env_is_the_containers_with_the_flags_over_it() {
        let config = ContainerConfig {
            hostname: "box".into(),
            env: vec!["A=container".into(), "B=container".into()],
            ..Default::default()
        };
        let options = ExecOptions {
            env: vec!["B=exec".into(), "C=exec".into(), "PATH=/mine".into()],
            tty: true,
            ..Default::default()
        };
        assert_eq!(
            exec_env(&config, &options, "/home/u"),
            [
                "PATH=/mine",
                "HOSTNAME=box",
                "TERM=xterm",
                "A=container",
                "B=exec",
                "C=exec",
                "HOME=/home/u",
            ]
        );
    }

    #[test]
    fn working_dir_defaults_to_the_containers_and_must_be_absolute() {
        assert_eq!(working_dir(None, "").unwrap(), "/");
        assert_eq!(working_dir(None, "/app").unwrap(), "/app");
        assert_eq!(working_dir(Some("/tmp"), "/app").unwrap(), "/tmp");
        assert!(working_dir(Some("tmp"), "/app").is_err());
    }

    #[test]
    fn privileged_means_every_capability_we_have() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let ours = bounding_set(&status).unwrap();
        let capabilities = every_capability();
        let bounding = capabilities.bounding().clone().unwrap();
        assert_eq!(bounding.len(), ours.count_ones() as usize);
        assert_eq!(
            bounding.contains(&Capability::SysAdmin),
            ours & (1 << 21) != 0
        );
        assert_eq!(capabilities.inheritable(), &None);
        assert_eq!(
            bounding_set("CapInh:\t0\nCapBnd:\t00000000a80425fb\n"),
            Some(0xa80425fb)
        );
    }
}
