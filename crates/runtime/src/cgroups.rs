//! Removing a container's cgroups. Containers live under one parent of ours,
//! `container/<id>` in each hierarchy (cgroup v1 controllers, the named `systemd`
//! hierarchy, and the v2 unified one alike). The runtime library removes what it made
//! when the container is deleted, but not everything in every hierarchy of a hybrid
//! v1 + v2 host, so each hierarchy is swept here; `container/` itself stays, shared.

use std::path::PathBuf;
use std::time::Duration;

/// The parent directory of our cgroups, in each hierarchy.
pub const PARENT: &str = "container";

/// Mount points of the cgroup hierarchies (v1 and v2), from /proc/self/mountinfo.
pub fn hierarchies() -> Vec<PathBuf> {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    mountinfo
        .lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let fstype = right.split(' ').next()?;
            let point = left.split(' ').nth(4)?;
            matches!(fstype, "cgroup" | "cgroup2").then(|| PathBuf::from(point))
        })
        .collect()
}

/// Removes `container/<id>` in every hierarchy. A cgroup still busy (its last process
/// not yet gone) is retried for a moment; what stays is logged, not failed on.
pub fn remove(id: &str) {
    for hierarchy in hierarchies() {
        let dir = hierarchy.join(PARENT).join(id);
        if !dir.exists() {
            continue;
        }
        remove_dir(&dir);
    }
}

/// The pids in container `id`'s cgroups, in every hierarchy (repeats possible).
pub fn processes(id: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for hierarchy in hierarchies() {
        let procs = hierarchy.join(PARENT).join(id).join("cgroup.procs");
        if let Ok(text) = std::fs::read_to_string(procs) {
            pids.extend(
                text.lines()
                    .filter_map(|line| line.trim().parse::<i32>().ok()),
            );
        }
    }
    pids
}

/// Whether the kernel's OOM killer has killed a process of the container: the
/// `oom_kill` count of its memory cgroup (`memory.oom_control` in v1,
/// `memory.events` in v2), read before the cgroup is removed.
pub fn was_oom_killed(id: &str) -> bool {
    hierarchies().iter().any(|hierarchy| {
        let dir = hierarchy.join(PARENT).join(id);
        ["memory.oom_control", "memory.events"]
            .iter()
            .filter_map(|name| std::fs::read_to_string(dir.join(name)).ok())
            .any(|text| oom_kills(&text) > 0)
    })
}

/// The `oom_kill N` line of a memory cgroup's counters.
fn oom_kills(text: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

fn remove_dir(dir: &std::path::Path) {
    // Children first (a runtime may have made sub-cgroups), then the directory.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_dir(&entry.path());
            }
        }
    }
    for _ in 0..50 {
        match std::fs::remove_dir(dir) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    tracing::debug!(dir = %dir.display(), "cgroup still busy, left in place");
}

/// What a container's cgroups have counted, as `stats` shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// CPU time used, in nanoseconds.
    pub cpu_nanos: u64,
    /// Memory in use, less the inactive file cache (as Docker counts it).
    pub memory: u64,
    /// The memory limit, or the host's memory when there is none.
    pub memory_limit: u64,
    /// Processes and threads.
    pub pids: u64,
    /// Bytes read from block devices.
    pub block_read: u64,
    /// Bytes written to block devices.
    pub block_write: u64,
}

/// Reads container `id`'s counters: cgroup v1 controllers where mounted (this host's
/// case), else the v2 unified hierarchy.
pub fn usage(id: &str) -> Usage {
    let v1 = |controller: &str, file: &str| {
        read(
            &PathBuf::from("/sys/fs/cgroup")
                .join(controller)
                .join(PARENT)
                .join(id)
                .join(file),
        )
    };
    let v2_dir = hierarchies()
        .into_iter()
        .find(|h| h.join("cgroup.controllers").exists())
        .map(|h| h.join(PARENT).join(id));
    let v2 = |file: &str| v2_dir.as_ref().and_then(|dir| read(&dir.join(file)));

    let cpu_nanos = v1("cpuacct", "cpuacct.usage")
        .and_then(|t| t.trim().parse().ok())
        .or_else(|| stat_field(&v2("cpu.stat")?, "usage_usec").map(|us| us * 1000))
        .unwrap_or(0);
    let (memory, limit) = match v1("memory", "memory.usage_in_bytes") {
        Some(used) => (
            number(&used).saturating_sub(
                v1("memory", "memory.stat")
                    .and_then(|s| stat_field(&s, "total_inactive_file"))
                    .unwrap_or(0),
            ),
            v1("memory", "memory.limit_in_bytes").map(|t| number(&t)),
        ),
        None => (
            v2("memory.current")
                .map_or(0, |t| number(&t))
                .saturating_sub(
                    v2("memory.stat")
                        .and_then(|s| stat_field(&s, "inactive_file"))
                        .unwrap_or(0),
                ),
            v2("memory.max")
                .filter(|t| t.trim() != "max")
                .map(|t| number(&t)),
        ),
    };
    let host_memory = host_memory();
    let pids = v1("pids", "pids.current")
        .or_else(|| v2("pids.current"))
        .map_or(0, |t| number(&t));
    let (block_read, block_write) = match v1("blkio", "blkio.throttle.io_service_bytes") {
        Some(text) => blkio_totals(&text),
        None => v2("io.stat").map_or((0, 0), |text| io_stat_totals(&text)),
    };
    Usage {
        cpu_nanos,
        memory,
        memory_limit: limit
            .filter(|&l| l > 0 && l < host_memory)
            .unwrap_or(host_memory),
        pids,
        block_read,
        block_write,
    }
}

fn read(path: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn number(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

/// `key value` lines (memory.stat, cpu.stat).
fn stat_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| number(value))
    })
}

/// v1 `blkio.throttle.io_service_bytes`: `MAJ:MIN Read N` lines, summed.
fn blkio_totals(text: &str) -> (u64, u64) {
    let mut totals = (0, 0);
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(_device), Some(op), Some(value)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        match op {
            "Read" => totals.0 += number(value),
            "Write" => totals.1 += number(value),
            _ => {}
        }
    }
    totals
}

/// v2 `io.stat`: `MAJ:MIN rbytes=N wbytes=N ...` lines, summed.
fn io_stat_totals(text: &str) -> (u64, u64) {
    let mut totals = (0, 0);
    for word in text.split_whitespace() {
        if let Some(value) = word.strip_prefix("rbytes=") {
            totals.0 += number(value);
        } else if let Some(value) = word.strip_prefix("wbytes=") {
            totals.1 += number(value);
        }
    }
    totals
}

/// The host's memory, from /proc/meminfo.
fn host_memory() -> u64 {
    read(std::path::Path::new("/proc/meminfo"))
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_io_totals_sum_every_device() {
        let v1 = "8:0 Read 4096\n8:0 Write 512\n8:16 Read 100\n8:0 Total 4608\nTotal 4708\n";
        assert_eq!(blkio_totals(v1), (4196, 512));
        let v2 = "8:0 rbytes=10 wbytes=20 rios=1 wios=2\n8:16 rbytes=5 wbytes=0\n";
        assert_eq!(io_stat_totals(v2), (15, 20));
    }

    #[test]
    fn stat_fields_are_found_by_name() {
        let text = "cache 10\ntotal_inactive_file 4096\nrss 7\n";
        assert_eq!(stat_field(text, "total_inactive_file"), Some(4096));
        assert_eq!(stat_field(text, "missing"), None);
    }

    #[test]
    fn oom_kills_are_counted_in_either_version() {
        assert_eq!(
            oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"),
            2
        );
        assert_eq!(oom_kills("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n"), 1);
        assert_eq!(oom_kills("oom_kill_disable 0\n"), 0);
    }
}
