//! Starting a container: mount its root, check what it will run, write the OCI bundle,
//! then hand over to a monitor process of its own and wait for its word.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crate::error::{Result, RuntimeError};
use crate::inroot::RootDir;
use crate::overlay::{self, Overlay};
use crate::record::HostConfig;
use crate::record::{ContainerRecord, Status};
use crate::runtime::{MONITOR_COMMAND, Runtime, is_monitored};
use crate::spec::{self, SpecInput};
use crate::teardown::teardown;
use crate::{capabilities, devices, etc, fsutil, init, limits, mounts, user};

/// How the monitor starts the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMode {
    /// At once; nobody is attached.
    Detached,
    /// Once a client has attached, so that it misses no output.
    Attached,
}

/// The files bind-mounted into every container, by their name in `/etc`.
const ETC_FILES: [&str; 3] = ["hostname", "hosts", "resolv.conf"];

impl Runtime {
    /// Starts a created or exited container. A running one is left alone. With
    /// [`StartMode::Attached`] the process waits for [`Runtime::attach`].
    pub fn start(&self, name: &str, mode: StartMode) -> Result<ContainerRecord> {
        self.start_as(name, mode, true)
    }

    /// [`Runtime::start`], by the user (which resets the restart count and the
    /// manual stop) or by a restart policy.
    pub(crate) fn start_as(
        &self,
        name: &str,
        mode: StartMode,
        is_by_user: bool,
    ) -> Result<ContainerRecord> {
        let record = self.find(name)?;
        let _lock = self.start_lock(&record.id)?;
        let record = self.find(&record.id)?;
        if record.state.status == Status::Running && is_monitored(&record) {
            return Ok(record);
        }
        let state = &record.state;
        let is_reset_due =
            state.restart_count > 0 || state.is_manually_stopped || state.is_shut_down;
        if is_by_user && is_reset_due {
            self.records.update(&record.id, |r| {
                r.state.restart_count = 0;
                r.state.is_manually_stopped = false;
                r.state.is_shut_down = false;
            })?;
        }
        let result = self
            .prepare(&record)
            .and_then(|()| self.spawn_monitor(&record.id, None, mode));
        match result {
            Ok(()) => self.find(&record.id),
            Err(error) => Err(self.failed_start(&record, error)),
        }
    }

    /// Held while a container starts, or while its root is mounted by another.
    pub(crate) fn start_lock(&self, id: &str) -> Result<fsutil::Lock> {
        fsutil::lock(
            &self
                .paths
                .root()
                .join("locks")
                .join(format!("start-{id}.lock")),
        )
    }

    /// Mounts the root filesystem, resolves the user, creates the working directory,
    /// checks the command, and writes `/etc` files and the bundle.
    /// The container's root filesystem: its image's layers, top-most first, under
    /// its own upper directory.
    pub(crate) fn overlay_of(&self, record: &ContainerRecord) -> Result<Overlay> {
        let image = self
            .store
            .image_by_manifest(&record.image.manifest_digest)?;
        let lowers = image
            .chain_ids
            .iter()
            .rev()
            .map(|c| self.store.layer_path(c));
        Ok(Overlay {
            lowers: lowers.collect(),
            upper: self.paths.upper(&record.id),
            work: self.paths.work(&record.id),
        })
    }

    fn prepare(&self, record: &ContainerRecord) -> Result<()> {
        let id = &record.id;
        teardown(&self.paths, id)?;
        let record = &self.allocate_endpoint(record)?;
        let overlay = self.overlay_of(record)?;
        for dir in [
            &overlay.upper,
            &overlay.work,
            &self.paths.rootfs(id),
            &self.paths.bundle(id),
        ] {
            fsutil::create_dir_all(dir)?;
        }
        overlay.mount(&self.paths.rootfs(id))?;
        self.write_bundle(record)
    }

    fn write_bundle(&self, record: &ContainerRecord) -> Result<()> {
        let id = &record.id;
        let config = &record.config;
        let root = RootDir::open(&self.paths.rootfs(id))?;
        let mounts = mounts::prepare(&record.host.mounts, &root, &self.volume_store())?;
        let passwd = root.read_to_string("/etc/passwd")?;
        let group = root.read_to_string("/etc/group")?;
        let mut user = user::resolve(&config.user, passwd.as_deref(), group.as_deref())?;
        user.additional_gids.extend(user::resolve_groups(
            &record.host.group_add,
            group.as_deref(),
        )?);
        let cwd = if config.working_dir.is_empty() {
            "/"
        } else {
            &config.working_dir
        };
        root.create_dir_all(cwd)?;

        let env = config.process_env(&user.home);
        let path_env = env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or_default();
        let argv = config.argv();
        if !mounts::may_hide_command(&record.host.mounts, &argv[0], path_env, cwd) {
            root.check_command(&argv[0], path_env, cwd, &user)?;
        }
        let (argv, init) = match record.host.init {
            true => (
                init::wrap(argv),
                Some(init::install(self.paths.run_root())?),
            ),
            false => (argv, None),
        };

        let container_dir = self.paths.container(id);
        let host = &record.host;
        let peers = crate::networking::starting_peers(&self.paths, record);
        let hosts = crate::networking::hosts_input_for(record, &peers);
        etc::write_files(&container_dir, &hosts)?;
        let input = SpecInput {
            id: id.clone(),
            rootfs: self.paths.rootfs(id),
            argv,
            env,
            cwd: cwd.to_owned(),
            user,
            hostname: config.hostname.clone(),
            network: record.host.network,
            bind_files: ETC_FILES
                .iter()
                .map(|name| (format!("/etc/{name}"), container_dir.join(name)))
                .collect(),
            host_limits: limits::host_hard_limit,
            available_caps: capabilities::host_bounding(),
            security: host.security.clone(),
            resources: host.resources.clone(),
            devices: devices_for(host)?,
            init,
            terminal: config.tty,
            mounts,
        };
        spec::write(&spec::build(&input)?, &self.paths.bundle(id))
    }

    /// Starts `<program> __monitor` in a session of its own (for the container's init
    /// process, or with `exec_id` for an exec'd one), and reads its one-line report:
    /// `ready`, `started`, or `error CODE MESSAGE`.
    pub(crate) fn spawn_monitor(
        &self,
        id: &str,
        exec_id: Option<&str>,
        mode: StartMode,
    ) -> Result<()> {
        let log_path = match exec_id {
            Some(exec_id) => self.paths.exec(id, exec_id).join("monitor.log"),
            None => self.paths.monitor_log(id),
        };
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(RuntimeError::io("opening", &log_path))?;
        let mut command = Command::new(&self.monitor_program);
        command
            .arg("--root")
            .arg(self.paths.root())
            .arg("--debug")
            .arg(MONITOR_COMMAND)
            .arg("--run-dir")
            .arg(self.paths.run_root());
        if mode == StartMode::Attached {
            command.arg("--attach");
        }
        if let Some(exec_id) = exec_id {
            command.arg("--exec").arg(exec_id);
        }
        let mut child = command
            .arg(id)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(RuntimeError::io(
                "starting the monitor",
                &self.monitor_program,
            ))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(RuntimeError::io("reading from the monitor", &log_path))?;
        // The monitor lives on, in its own session; it is not waited for.
        drop(child);
        parse_report(id, line.trim_end())
    }

    /// Undoes a failed start, records why, and removes the container if it was to be
    /// removed anyway (`--rm`).
    fn failed_start(&self, record: &ContainerRecord, error: RuntimeError) -> RuntimeError {
        if let Err(cleanup) = teardown(&self.paths, &record.id) {
            tracing::debug!(error = %cleanup, "cleaning up after a failed start");
        }
        if record.host.auto_remove {
            let _ = self.purge(record);
            let _ = self.remove_anonymous_volumes(record);
            return error;
        }
        let message = error.to_string();
        let code = i32::from(error.exit_code());
        let _ = self.records.update(&record.id, |r| {
            r.state.error = Some(message);
            r.state.exit_code = Some(code);
        });
        error
    }
}

/// The host's devices for `--privileged`, with every device allowed; else the
/// `--device` mappings.
fn devices_for(
    host: &HostConfig,
) -> Result<(
    Vec<oci_spec::runtime::LinuxDevice>,
    Vec<oci_spec::runtime::LinuxDeviceCgroup>,
)> {
    let (mut nodes, mut rules) = devices::mapped(&host.security.devices)?;
    if host.security.privileged {
        nodes.extend(devices::host_devices()?);
        rules.push(devices::allow_all()?);
    }
    Ok((nodes, rules))
}

fn parse_report(id: &str, line: &str) -> Result<()> {
    let monitor_error = |message: &str| RuntimeError::Monitor {
        id: id.to_owned(),
        message: message.to_owned(),
    };
    match line.split_once(' ').unwrap_or((line, "")) {
        ("ready" | "started", _) => Ok(()),
        ("error", rest) => {
            let (_code, message) = rest.split_once(' ').unwrap_or(("125", rest));
            Err(monitor_error(message))
        }
        _ => Err(monitor_error(
            "the monitor ended before starting the container (see its log in the run directory)",
        )),
    }
}

impl Runtime {
    /// Whether the rootfs of `id` is mounted (for tests and diagnostics).
    pub fn is_rootfs_mounted(&self, id: &str) -> bool {
        overlay::is_mounted(&self.paths.rootfs(id))
    }
}
