//! Stopping what a test's containers left running, and removing their cgroups, before
//! the scratch store is unmounted and deleted. A test that fails half-way must not
//! leave monitors, container processes or `container/<id>` cgroups behind.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Kills the monitor and the init process of every container recorded under `root`,
/// waits for them to go, and removes their cgroups in every hierarchy.
pub(crate) fn stop_under(root: &Path) {
    let ids = container_ids(root);
    let mut pids = Vec::new();
    for id in &ids {
        pids.extend(recorded_pids(
            &root.join("containers").join(id).join("record.json"),
        ));
        pids.extend(cgroup_pids(id));
    }
    for &pid in &pids {
        // SAFETY: sending a signal has no memory effects.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    wait_gone(&pids, Duration::from_secs(5));
    for id in &ids {
        for hierarchy in cgroup_hierarchies() {
            remove_cgroup(&hierarchy.join("container").join(id));
        }
    }
}

fn container_ids(root: &Path) -> Vec<String> {
    std::fs::read_dir(root.join("containers"))
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.len() == 64)
                .collect()
        })
        .unwrap_or_default()
}

/// The monitor's and the container's pids, as the record has them.
fn recorded_pids(record: &Path) -> Vec<i32> {
    let Ok(text) = std::fs::read_to_string(record) else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let state = &json["state"];
    [&state["monitor"]["pid"], &state["pid"]]
        .into_iter()
        .filter_map(|v| v.as_i64())
        .map(|pid| pid as i32)
        .filter(|&pid| pid > 1)
        .collect()
}

/// Every process in the container's cgroups (exec'd processes included).
fn cgroup_pids(id: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for hierarchy in cgroup_hierarchies() {
        let procs = hierarchy.join("container").join(id).join("cgroup.procs");
        if let Ok(text) = std::fs::read_to_string(procs) {
            pids.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
        }
    }
    pids
}

fn wait_gone(pids: &[i32], limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let alive = pids.iter().any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| !stat.contains(") Z "))
        });
        if !alive {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn cgroup_hierarchies() -> Vec<PathBuf> {
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

/// Removes a cgroup directory, children first; a busy one is retried for a moment.
fn remove_cgroup(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup(&entry.path());
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
}
