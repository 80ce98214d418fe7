//! Host-wide network state per test environment: each [`crate::TestEnv`] holds a
//! slot (a lock file under the temp dir, taken without waiting) that gives it a
//! bridge name and subnets no other test, in this process or another, uses while
//! it runs. On Drop, the environment's bridges, their veths and NAT chains go.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

/// Slots, and so test environments alive at once on the machine.
const SLOTS: u32 = 256;

/// A bridge and subnets of one's own.
pub struct NetworkSlot {
    index: u32,
    _lock: File,
}

impl NetworkSlot {
    /// The first free slot.
    pub(crate) fn take() -> NetworkSlot {
        let dir = std::env::temp_dir().join("container-test-networks");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        for index in 0..SLOTS {
            let path = dir.join(format!("slot-{index}.lock"));
            let Ok(file) = File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
            else {
                continue;
            };
            if file.try_lock().is_ok() {
                let slot = NetworkSlot { index, _lock: file };
                // A test process killed before its Drop may have left the slot's
                // bridge behind.
                remove_bridge(&slot.bridge());
                return slot;
            }
        }
        panic!("all {SLOTS} test network slots are in use");
    }

    /// The default network's bridge.
    pub fn bridge(&self) -> String {
        format!("ctest{}", self.index)
    }

    /// The default network's subnet.
    pub fn subnet(&self) -> String {
        format!("10.200.{}.0/24", self.index)
    }

    /// The `[network]` table of the tool's configuration.
    pub(crate) fn config_toml(&self) -> String {
        format!(
            "[network]\nbridge = \"{}\"\nsubnet = \"{}\"\npool = \"10.201.{}.0/24\"\npool-prefix = 26\n",
            self.bridge(),
            self.subnet(),
            self.index
        )
    }
}

/// Removes the bridges of the store at `root` (the default one, `default_bridge`,
/// and its user networks'), their veths, and their NAT chains.
pub(crate) fn remove_networks(root: &Path, default_bridge: &str) {
    let mut bridges = vec![default_bridge.to_owned()];
    bridges.extend(user_bridges(&root.join("networks")));
    for bridge in bridges {
        remove_bridge(&bridge);
    }
}

fn user_bridges(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| is_network_record(p.as_path()))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .filter_map(|json| json["bridge"].as_str().map(str::to_owned))
        .collect()
}

fn is_network_record(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".json") && !name.ends_with(".endpoints.json") && !name.starts_with('.')
}

/// The bridge, the veths on it, and its chains in `nat` and `filter`.
pub fn remove_bridge(bridge: &str) {
    let output = Command::new("ip")
        .args(["-o", "link", "show", "master", bridge])
        .stderr(Stdio::null())
        .output();
    if let Ok(output) = output {
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if let Some(name) = line.split(": ").nth(1) {
                let name = name.split('@').next().unwrap_or(name);
                quiet("ip", &["link", "del", name]);
            }
        }
    }
    quiet("ip", &["link", "del", bridge]);
    let chain = format!("CTR-{bridge}");
    for (table, parent) in [("nat", "POSTROUTING"), ("filter", "FORWARD")] {
        while quiet("iptables", &["-w", "-t", table, "-D", parent, "-j", &chain]) {}
        quiet("iptables", &["-w", "-t", table, "-F", &chain]);
        quiet("iptables", &["-w", "-t", table, "-X", &chain]);
    }
}

fn quiet(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
