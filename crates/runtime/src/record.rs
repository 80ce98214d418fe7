//! Container records: `<root>/containers/<id>/record.json`.
//!
//! A record is written whole and atomically, under `locks/containers.lock`, by the
//! command that creates the container, the monitor that runs it, and the commands
//! that change it. Names are unique: the check and the write happen under the lock.

use serde::{Deserialize, Serialize};

use crate::config::ContainerConfig;
use crate::error::{Result, RuntimeError};
use crate::etc::NameConfig;
use crate::fsutil;
use crate::ids;
use crate::limits::Resources;
use crate::paths::Paths;
use crate::security::SecurityConfig;

/// Everything known about a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRecord {
    /// 64 hex digits.
    pub id: String,
    /// Unique name, without Docker's leading `/`.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created: String,
    /// The image it runs.
    pub image: ImageInfo,
    /// The merged run configuration.
    pub config: ContainerConfig,
    /// Host-side settings.
    pub host: HostConfig,
    /// What it is doing.
    pub state: State,
}

/// The image of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// As the user typed it.
    pub reference: String,
    /// The image ID (config digest).
    pub id: String,
    /// The manifest digest, which the container holds in the store.
    pub manifest_digest: String,
}

/// Network namespace choices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// A network namespace of its own with only loopback.
    #[default]
    None,
    /// The host's network namespace.
    Host,
    /// A namespace of its own on a bridge: the default network or a user network
    /// ([`HostConfig::network_name`], see [`HostConfig::joined_network`]).
    Bridge,
}

impl HostConfig {
    /// The network's name as Docker shows it: `bridge`, `host`, `none` or a user
    /// network's name.
    pub fn joined_network(&self) -> &str {
        match (self.network, &self.network_name) {
            (NetworkMode::Bridge, Some(name)) => name,
            (mode, _) => mode.as_str(),
        }
    }
}

impl NetworkMode {
    /// Docker's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::None => "none",
            NetworkMode::Host => "host",
            NetworkMode::Bridge => "bridge",
        }
    }
}

/// Settings that concern the host rather than the process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostConfig {
    /// Network namespace.
    pub network: NetworkMode,
    /// The user network joined, for [`NetworkMode::Bridge`]; the default network
    /// when absent.
    #[serde(default)]
    pub network_name: Option<String>,
    /// `--network-alias`: more names its peers on a user network find it by.
    #[serde(default)]
    pub network_aliases: Vec<String>,
    /// `-p` and `-P`: the ports to publish.
    #[serde(default)]
    pub publish: Vec<container_net::PortSpec>,
    /// Remove the container when it exits (`--rm`).
    pub auto_remove: bool,
    /// When the monitor restarts it (`--restart`).
    #[serde(default)]
    pub restart_policy: crate::restart::RestartPolicy,
    /// `--privileged`, capabilities, seccomp, `--read-only`, devices, sysctls.
    #[serde(default)]
    pub security: SecurityConfig,
    /// Cgroup limits, rlimits and the size of `/dev/shm`.
    #[serde(default)]
    pub resources: Resources,
    /// `--add-host` and the DNS flags.
    #[serde(default)]
    pub names: NameConfig,
    /// `--group-add`: more groups for the process, by name or number.
    #[serde(default)]
    pub group_add: Vec<String>,
    /// `--init`: a small init runs as PID 1 (see [`crate::init`]).
    #[serde(default)]
    pub init: bool,
    /// `--stop-timeout`: seconds `stop` waits before killing (Docker's default: 10).
    #[serde(default)]
    pub stop_timeout: Option<u64>,
    /// Bind mounts, volumes and tmpfs (`-v`, `--mount`, `--tmpfs`, the image's `VOLUME`).
    #[serde(default)]
    pub mounts: Vec<crate::mounts::MountSpec>,
}

/// Lifecycle states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, never started (or being started).
    #[default]
    Created,
    /// Its process runs.
    Running,
    /// Its process ended.
    Exited,
}

impl Status {
    /// Docker's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Exited => "exited",
        }
    }
}

/// The state of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Lifecycle state.
    pub status: Status,
    /// The container's init process, as the host sees it, while running.
    pub pid: Option<i32>,
    /// The monitor process while it runs: pid and start time (clock ticks since boot).
    pub monitor: Option<ProcessId>,
    /// The exit code of the last run (128 + signal when killed).
    pub exit_code: Option<i32>,
    /// When the last run started (RFC 3339).
    pub started_at: Option<String>,
    /// When the last run ended (RFC 3339).
    pub finished_at: Option<String>,
    /// Why the last start failed, if it did.
    pub error: Option<String>,
    /// Whether its processes are frozen (`pause`).
    #[serde(default)]
    pub is_paused: bool,
    /// Restarts by its policy since it was last started by hand.
    #[serde(default)]
    pub restart_count: u32,
    /// Whether its monitor waits to restart it.
    #[serde(default)]
    pub is_restarting: bool,
    /// Whether `stop` or `kill` ended it, which restart policies respect.
    #[serde(default)]
    pub is_manually_stopped: bool,
    /// Whether `system stop` ended it: not restarted until `system start`.
    #[serde(default)]
    pub is_shut_down: bool,
    /// Whether the kernel's OOM killer killed a process of the last run.
    #[serde(default)]
    pub oom_killed: bool,
    /// Its place on its network: allocated at its first start, released on removal.
    #[serde(default)]
    pub endpoint: Option<container_net::Endpoint>,
    /// The host ports its monitor listens on while it runs.
    #[serde(default)]
    pub ports: Vec<container_net::PublishedPort>,
}

/// A process, identified so that a reused pid is not mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessId {
    /// Process ID.
    pub pid: i32,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat` field 22).
    pub start_time: u64,
}

impl ProcessId {
    /// This process.
    pub fn current() -> Option<ProcessId> {
        let pid = std::process::id() as i32;
        Some(ProcessId {
            pid,
            start_time: start_time(pid)?,
        })
    }

    /// Whether the process still runs (and is the same process). A zombie does not:
    /// a monitor killed with SIGKILL stays one until whoever adopted it reaps it.
    pub fn is_alive(&self) -> bool {
        start_time(self.pid) == Some(self.start_time)
    }
}

/// Field 22 of `/proc/<pid>/stat`, after the parenthesised command name, for a
/// process that is not a zombie.
fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 2..].split(' ');
    let state = fields.next()?;
    if matches!(state, "Z" | "X") {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// Whether `pid` is a live process in the cgroup of container `id`: how a container
/// whose monitor died is told apart from a pid since reused by another process.
pub(crate) fn is_in_container(pid: i32, id: &str) -> bool {
    let Ok(cgroups) = std::fs::read_to_string(format!("/proc/{pid}/cgroup")) else {
        return false;
    };
    let suffix = format!("/{}/{id}", crate::cgroups::PARENT);
    let is_member = cgroups.lines().any(|line| line.ends_with(&suffix));
    is_member && start_time(pid).is_some()
}

/// Reads and writes records.
#[derive(Debug, Clone)]
pub(crate) struct Records {
    paths: Paths,
}

impl Records {
    pub(crate) fn new(paths: &Paths) -> Records {
        Records {
            paths: paths.clone(),
        }
    }

    /// Takes the records lock.
    pub(crate) fn lock(&self) -> Result<fsutil::Lock> {
        fsutil::lock(&self.paths.records_lock())
    }

    /// Every record, oldest first.
    pub(crate) fn list(&self) -> Result<Vec<ContainerRecord>> {
        let dir = self.paths.containers();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RuntimeError::io("reading", dir)(e)),
        };
        let mut records = Vec::new();
        for entry in entries.flatten() {
            let id = entry.file_name().to_string_lossy().into_owned();
            if let Some(record) = self.load(&id)? {
                records.push(record);
            }
        }
        records.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(records)
    }

    /// The record of `id`, if there is one.
    pub(crate) fn load(&self, id: &str) -> Result<Option<ContainerRecord>> {
        if !ids::is_id_prefix(id) || id.len() != 64 {
            return Ok(None);
        }
        fsutil::read_json(&self.paths.record(id))
    }

    /// Writes a record (call with the lock held).
    pub(crate) fn save(&self, record: &ContainerRecord) -> Result<()> {
        let dir = self.paths.container(&record.id);
        fsutil::create_dir_all(&dir)?;
        fsutil::write_json(&self.paths.record(&record.id), record)
    }

    /// Reads, changes and writes back a record under the lock; `None` if it is gone.
    pub(crate) fn update(
        &self,
        id: &str,
        change: impl FnOnce(&mut ContainerRecord),
    ) -> Result<Option<ContainerRecord>> {
        self.change(id, change, true)
    }

    /// [`Records::update`] for what a monitor records as its container runs and
    /// exits: written atomically but not synced, since after a crash those facts are
    /// stale anyway and `system start` sets them right; a flush per state change
    /// would cost every `run` several disk round trips.
    pub(crate) fn update_state(
        &self,
        id: &str,
        change: impl FnOnce(&mut ContainerRecord),
    ) -> Result<Option<ContainerRecord>> {
        self.change(id, change, false)
    }

    fn change(
        &self,
        id: &str,
        change: impl FnOnce(&mut ContainerRecord),
        is_synced: bool,
    ) -> Result<Option<ContainerRecord>> {
        let _lock = self.lock()?;
        let Some(mut record) = self.load(id)? else {
            return Ok(None);
        };
        change(&mut record);
        match is_synced {
            true => self.save(&record)?,
            false => {
                let bytes = serde_json::to_vec_pretty(&record).expect("records always serialise");
                fsutil::write_regenerated(&self.paths.record(&record.id), &bytes)?;
            }
        }
        Ok(Some(record))
    }

    /// Finds what the user means by `name`: a full ID, a name, or a unique ID prefix,
    /// tried in that order (as Docker does).
    pub(crate) fn find(&self, name: &str) -> Result<ContainerRecord> {
        let wanted = name.strip_prefix('/').unwrap_or(name);
        let records = self.list()?;
        find_in(&records, wanted).cloned().map_err(|e| match e {
            Lookup::Missing => RuntimeError::NotFound {
                name: name.to_owned(),
            },
            Lookup::Ambiguous => RuntimeError::Ambiguous {
                prefix: name.to_owned(),
            },
        })
    }

    /// The container that has `name`, if any.
    pub(crate) fn with_name(&self, name: &str) -> Result<Option<ContainerRecord>> {
        Ok(self.list()?.into_iter().find(|r| r.name == name))
    }
}

enum Lookup {
    Missing,
    Ambiguous,
}

fn find_in<'a>(
    records: &'a [ContainerRecord],
    wanted: &str,
) -> Result<&'a ContainerRecord, Lookup> {
    if let Some(record) = records.iter().find(|r| r.id == wanted) {
        return Ok(record);
    }
    if let Some(record) = records.iter().find(|r| r.name == wanted) {
        return Ok(record);
    }
    if !ids::is_id_prefix(wanted) {
        return Err(Lookup::Missing);
    }
    let mut matches = records.iter().filter(|r| r.id.starts_with(wanted));
    match (matches.next(), matches.next()) {
        (Some(record), None) => Ok(record),
        (Some(_), Some(_)) => Err(Lookup::Ambiguous),
        _ => Err(Lookup::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, name: &str) -> ContainerRecord {
        ContainerRecord {
            id: id.repeat(64 / id.len()),
            name: name.into(),
            created: String::new(),
            image: ImageInfo {
                reference: "busybox".into(),
                id: String::new(),
                manifest_digest: String::new(),
            },
            config: ContainerConfig::default(),
            host: HostConfig::default(),
            state: State::default(),
        }
    }

    #[test]
    fn lookups_try_id_then_name_then_prefix() {
        let records = [
            record("ab", "web"),
            record("ac", "db"),
            record("cafe", "abab"),
        ];
        let found = |name: &str| find_in(&records, name).map(|r| r.name.clone()).ok();
        assert_eq!(found(&"ab".repeat(32)).as_deref(), Some("web"));
        assert_eq!(found("db").as_deref(), Some("db"));
        // A name wins over an ID prefix, as in Docker.
        assert_eq!(found("abab").as_deref(), Some("abab"));
        assert_eq!(found("aba").as_deref(), Some("web"));
        assert!(matches!(find_in(&records, "a"), Err(Lookup::Ambiguous)));
        assert!(matches!(find_in(&records, "zz"), Err(Lookup::Missing)));
    }

    #[test]
    fn start_times_identify_this_process() {
        let me = ProcessId::current().unwrap();
        assert!(me.is_alive());
        let other = ProcessId {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!other.is_alive());
    }
}
