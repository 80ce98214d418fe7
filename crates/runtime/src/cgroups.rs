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
