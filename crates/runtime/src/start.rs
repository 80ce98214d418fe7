//! Starting a container: mount its root, check what it will run, write the OCI bundle,
//! then hand over to a monitor process of its own and wait for its word.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crate::error::{Result, RuntimeError};
use crate::inroot::RootDir;
use crate::overlay::{self, Overlay};
use crate::record::{ContainerRecord, Status};
use crate::runtime::{MONITOR_COMMAND, Runtime, is_monitored};
use crate::spec::{self, SpecInput};
use crate::teardown::teardown;
use crate::{etc, fsutil, mounts, user};

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
        let record = self.find(name)?;
        let _lock = fsutil::lock(&self.paths.root().join("locks").join(format!("start-{}.lock", record.id)))?;
        let record = self.find(&record.id)?;
        if record.state.status == Status::Running && is_monitored(&record) {
            return Ok(record);
        }
        let result = self.prepare(&record).and_then(|()| self.spawn_monitor(&record, mode));
        match result {
            Ok(()) => self.find(&record.id),
            Err(error) => Err(self.failed_start(&record, error)),
        }
    }

    /// Mounts the root filesystem, resolves the user, creates the working directory,
    /// checks the command, and writes `/etc` files and the bundle.
    fn prepare(&self, record: &ContainerRecord) -> Result<()> {
        let id = &record.id;
        teardown(&self.paths, id)?;
        let image = self.store.image_by_manifest(&record.image.manifest_digest)?;
        let overlay = Overlay {
            lowers: image.chain_ids.iter().rev().map(|c| self.store.layer_path(c)).collect(),
            upper: self.paths.upper(id),
            work: self.paths.work(id),
        };
        for dir in [&overlay.upper, &overlay.work, &self.paths.rootfs(id), &self.paths.bundle(id)] {
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
        let user = user::resolve(&config.user, passwd.as_deref(), group.as_deref())?;
        let cwd = if config.working_dir.is_empty() { "/" } else { &config.working_dir };
        root.create_dir_all(cwd)?;

        let env = config.process_env(&user.home);
        let path_env = env.iter().find_map(|e| e.strip_prefix("PATH=")).unwrap_or_default();
        let argv = config.argv();
        if !mounts::may_hide_command(&record.host.mounts, &argv[0], path_env, cwd) {
            root.check_command(&argv[0], path_env, cwd, &user)?;
        }

        let container_dir = self.paths.container(id);
        etc::write_files(&container_dir, &config.hostname, record.host.network)?;
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
            host_nofile_max: spec::host_nofile_max(),
            mounts,
        };
        spec::write(&spec::build(&input)?, &self.paths.bundle(id))
    }

    /// Starts `<program> __monitor` in a session of its own, and reads its one-line
    /// report: `ready`, `started`, or `error CODE MESSAGE`.
    fn spawn_monitor(&self, record: &ContainerRecord, mode: StartMode) -> Result<()> {
        let id = &record.id;
        let log_path = self.paths.monitor_log(id);
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
        let mut child = command
            .arg(id)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(RuntimeError::io("starting the monitor", &self.monitor_program))?;
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
