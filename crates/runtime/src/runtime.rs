//! The runtime: creating, listing, finding and removing containers.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use container_store::{Image, Store};

use crate::config::{self, ContainerConfig, ImageRunConfig, UserConfig};
use crate::error::{Result, RuntimeError};
use crate::fsutil;
use crate::ids;
use crate::mounts;
use crate::overlay;
use crate::paths::Paths;
use crate::record::{ContainerRecord, HostConfig, ImageInfo, NetworkMode, Records, State, Status};
use crate::teardown::teardown;

/// The hidden subcommand the monitor runs as: `<program> __monitor …`.
pub const MONITOR_COMMAND: &str = "__monitor";

/// What `create` needs besides the image.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// `--name`; a name is made up when absent.
    pub name: Option<String>,
    /// The user's flags that merge with the image's configuration.
    pub config: UserConfig,
    /// Host-side settings.
    pub host: HostConfig,
}

/// Containers on one store.
#[derive(Debug, Clone)]
pub struct Runtime {
    pub(crate) store: Store,
    pub(crate) paths: Paths,
    pub(crate) records: Records,
    pub(crate) monitor_program: PathBuf,
    pub(crate) network_config: container_net::NetworkConfig,
}

impl Runtime {
    /// A runtime for the containers of `store`, with runtime state under `run_dir`.
    /// The monitor is this program, re-executed ([`MONITOR_COMMAND`]).
    pub fn new(store: Store, run_dir: &Path) -> Runtime {
        let paths = Paths::new(store.root(), run_dir);
        Runtime {
            records: Records::new(&paths),
            paths,
            store,
            monitor_program: PathBuf::from("/proc/self/exe"),
            network_config: container_net::NetworkConfig::default(),
        }
    }

    /// Runs monitors as `program` instead of this executable.
    pub fn with_monitor_program(mut self, program: &Path) -> Runtime {
        self.monitor_program = program.to_owned();
        self
    }

    /// The image store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Where things live.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Creates a container from `image` (typed by the user as `image_name`): merges the
    /// configuration, picks or checks the name, writes the record and holds the image.
    /// Nothing runs until [`Runtime::start`].
    pub fn create(
        &self,
        image: &Image,
        image_name: &str,
        options: &CreateOptions,
    ) -> Result<ContainerRecord> {
        let id = ids::new_id()?;
        let hostname = default_hostname(&id, options.host.network);
        let image_config = ImageRunConfig::from_json(image.config.config.as_ref());
        let config = config::merge(image_name, &image_config, &options.config, &hostname)?;
        let mut host = options.host.clone();
        host.mounts = mounts::with_image_volumes(&host.mounts, image.config.config.as_ref());
        mounts::check_duplicates(&host.mounts)?;
        mounts::check_bind_sources(&host.mounts)?;
        let record = ContainerRecord {
            name: String::new(),
            created: fsutil::now_rfc3339(),
            image: ImageInfo {
                reference: image_name.to_owned(),
                id: image.id.clone(),
                manifest_digest: image.manifest_digest.clone(),
            },
            config,
            host,
            state: State::default(),
            id,
        };
        let record = self.register_with_volumes(record, options.name.as_deref())?;
        tracing::debug!(id = %record.id, name = %record.name, "container created");
        Ok(record)
    }

    /// Names the record, and writes it and the image hold under the records lock.
    pub(crate) fn register(
        &self,
        mut record: ContainerRecord,
        name: Option<&str>,
    ) -> Result<ContainerRecord> {
        let _lock = self.records.lock()?;
        record.name = match name {
            Some(name) => {
                let name = ids::validate_name(name)?;
                if let Some(other) = self.records.with_name(&name)? {
                    return Err(RuntimeError::NameInUse { name, id: other.id });
                }
                name
            }
            None => self.unused_name()?,
        };
        self.store.hold(&record.id, &record.image.manifest_digest)?;
        for dir in [
            self.paths.upper(&record.id),
            self.paths.work(&record.id),
            self.paths.rootfs(&record.id),
        ] {
            fsutil::create_dir_all(&dir)?;
        }
        self.records.save(&record)?;
        Ok(record)
    }

    fn unused_name(&self) -> Result<String> {
        let taken: Vec<String> = self.records.list()?.into_iter().map(|r| r.name).collect();
        for _ in 0..100 {
            let name = ids::random_name()?;
            if !taken.contains(&name) {
                return Ok(name);
            }
        }
        // Thousands of containers: fall back to numbered names.
        let base = ids::random_name()?;
        Ok((2..)
            .map(|n| format!("{base}{n}"))
            .find(|name| !taken.contains(name))
            .expect("some number is free"))
    }

    /// Every container, oldest first.
    pub fn list(&self) -> Result<Vec<ContainerRecord>> {
        self.records.list()
    }

    /// The container the user means by `name`: full ID, name, or unique ID prefix.
    pub fn find(&self, name: &str) -> Result<ContainerRecord> {
        self.records.find(name)
    }

    /// Removes a container: its record, files, hold on the image and runtime state.
    /// A running one needs `force`, which kills it first.
    pub fn remove(&self, name: &str, force: bool) -> Result<ContainerRecord> {
        let record = self.find(name)?;
        if record.is_restarting() && !force {
            return Err(RuntimeError::IsRestarting { id: record.id });
        }
        if record.is_running() || record.is_orphaned() {
            if !force {
                return Err(RuntimeError::IsRunning { name: record.name });
            }
            let _ = self.kill(&record.id, 9);
            self.wait_for_monitor(&record, Duration::from_secs(10));
        } else {
            self.wait_for_teardown(&record.id, Duration::from_secs(10));
        }
        self.purge(&record)?;
        Ok(record)
    }

    /// Deletes everything of a container whose monitor is gone (or never was).
    pub(crate) fn purge(&self, record: &ContainerRecord) -> Result<()> {
        let id = &record.id;
        teardown(&self.paths, id)?;
        let rootfs = self.paths.rootfs(id);
        if overlay::is_mounted(&rootfs) {
            return Err(RuntimeError::Mount {
                action: "still mounted, not removing",
                target: rootfs,
                source: std::io::Error::from(std::io::ErrorKind::ResourceBusy),
            });
        }
        let _lock = self.records.lock()?;
        fsutil::remove_dir_all(&self.paths.container(id))?;
        self.store.release(id)?;
        self.release_endpoint(record);
        tracing::debug!(%id, "container removed");
        Ok(())
    }

    /// Waits while the monitor of a container that has just exited tears it
    /// down (it names itself in the record until it is done), or `limit`.
    fn wait_for_teardown(&self, id: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let Ok(Some(record)) = self.records.load(id) else {
                return;
            };
            let is_tearing_down = record.state.status == Status::Exited
                && !record.state.is_restarting
                && is_monitored(&record);
            if !is_tearing_down {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the container's monitor has finished (or `limit` passed).
    /// The monitor is waited for as a process, not only through the record: it
    /// clears its pid from the record before it tears down, and a teardown of
    /// ours at the same time would race with it.
    pub(crate) fn wait_for_monitor(&self, record: &ContainerRecord, limit: Duration) {
        let id = &record.id;
        let deadline = Instant::now() + limit;
        let mut monitors: Vec<crate::record::ProcessId> =
            record.state.monitor.into_iter().collect();
        while Instant::now() < deadline {
            match self.records.load(id) {
                Ok(Some(record)) => monitors.extend(record.state.monitor),
                _ => return,
            }
            monitors.retain(|m| m.is_alive());
            if monitors.is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether a monitor process is alive for this container.
pub(crate) fn is_monitored(record: &ContainerRecord) -> bool {
    record.state.monitor.is_some_and(|m| m.is_alive())
}

/// The hostname when none is given: the short ID, or the host's own with its network
/// (as Docker does).
fn default_hostname(id: &str, network: NetworkMode) -> String {
    if network == NetworkMode::Host
        && let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname")
    {
        return name.trim().to_owned();
    }
    ids::short_id(id).to_owned()
}

impl ContainerRecord {
    /// The container's short ID.
    pub fn short_id(&self) -> &str {
        ids::short_id(&self.id)
    }

    /// The command as Docker shows it: argv joined by spaces.
    pub fn command_line(&self) -> String {
        self.config.argv().join(" ")
    }

    /// The merged configuration.
    pub fn config(&self) -> &ContainerConfig {
        &self.config
    }

    /// Whether the process runs (the record says so and its monitor is alive).
    pub fn is_running(&self) -> bool {
        self.state.status == Status::Running && is_monitored(self)
    }

    /// Docker's `State.Status`: `created`, `running`, `paused`, `restarting` or
    /// `exited`.
    pub fn docker_status(&self) -> &'static str {
        match self.state.status {
            Status::Running if self.is_running() && self.state.is_paused => "paused",
            Status::Exited if self.is_restarting() => "restarting",
            other => other.as_str(),
        }
    }

    /// Whether its monitor waits to restart it by its policy.
    pub fn is_restarting(&self) -> bool {
        self.state.is_restarting && is_monitored(self)
    }

    /// Whether a monitor process is alive for it (also while it waits to restart).
    pub fn is_monitor_alive(&self) -> bool {
        is_monitored(self)
    }

    /// Whether its monitor died while its process still runs: nobody logs its output
    /// or will record its exit, but `stop`, `kill` and `rm -f` still reach it.
    pub fn is_orphaned(&self) -> bool {
        self.state.status == Status::Running
            && !is_monitored(self)
            && self
                .state
                .pid
                .is_some_and(|pid| crate::record::is_in_container(pid, &self.id))
    }
}
