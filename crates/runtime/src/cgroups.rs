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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oom_kills_are_counted_in_either_version() {
        assert_eq!(oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 2);
        assert_eq!(oom_kills("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n"), 1);
        assert_eq!(oom_kills("oom_kill_disable 0\n"), 0);
    }
}
