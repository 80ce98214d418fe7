//! Networks and their endpoints, in the store: the default network (`bridge`,
//! from the configuration) and user networks (`<root>/networks/<name>.json`).
//!
//! A container's address is allocated when it first starts and released when it is
//! removed; the allocations of a network are `<root>/networks/<name>.endpoints.json`,
//! changed only under `<root>/locks/networks.lock`. An endpoint is *attached* while
//! its veth exists. The first container to attach creates the bridge and its NAT
//! rules; the last to detach removes them, so a host without running containers
//! has nothing of ours on it.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::NetworkConfig;
use crate::error::{NetError, Result};
use crate::link::{self, Interface};
use crate::nat;
use crate::subnet::Subnet;

/// Docker's name for the default network.
pub const DEFAULT_NETWORK: &str = "bridge";

/// Names that are network modes, not networks one can create.
pub const PREDEFINED: [&str; 3] = [DEFAULT_NETWORK, "host", "none"];

/// A network containers can join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Its name (`bridge` for the default network).
    pub name: String,
    /// 64 hex digits.
    pub id: String,
    /// The bridge's interface name.
    pub bridge: String,
    /// Its subnet; the bridge has the first address.
    pub subnet: Subnet,
    /// When it was created (RFC 3339); empty for the default network.
    #[serde(default)]
    pub created: String,
    /// `--label`s.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Network {
    /// Whether this is the default network, on which containers do not resolve
    /// each other by name (as in Docker).
    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_NETWORK
    }
}

/// A container's place on a network: kept in its record from its first start to
/// its removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The network's name.
    pub network: String,
    /// The network's ID.
    pub network_id: String,
    /// The network's bridge.
    pub bridge: String,
    /// The network's subnet.
    pub subnet: Subnet,
    /// The container's address.
    pub address: Ipv4Addr,
    /// The bridge's address: the container's default route.
    pub gateway: Ipv4Addr,
    /// The container's MAC address.
    pub mac: String,
    /// The host's end of the container's veth pair.
    pub host_link: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Allocations {
    #[serde(default)]
    endpoints: BTreeMap<String, Allocation>,
    /// Whether the bridge and its NAT rules are set up (with the first
    /// endpoint; taken down by [`Networks::tear_down_idle`] or `remove`).
    #[serde(default)]
    is_ready: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Allocation {
    address: Ipv4Addr,
    host_link: String,
    #[serde(default)]
    is_attached: bool,
}

/// The networks of one store.
#[derive(Debug, Clone)]
pub struct Networks {
    root: PathBuf,
    config: NetworkConfig,
}

impl Networks {
    /// The networks of the store at `root`, the default one as `config` says.
    pub fn new(root: &Path, config: NetworkConfig) -> Networks {
        Networks {
            root: root.to_owned(),
            config,
        }
    }

    fn dir(&self) -> PathBuf {
        self.root.join("networks")
    }

    fn record_path(&self, name: &str) -> PathBuf {
        self.dir().join(format!("{name}.json"))
    }

    fn allocations_path(&self, name: &str) -> PathBuf {
        self.dir().join(format!("{name}.endpoints.json"))
    }

    fn lock(&self) -> Result<std::fs::File> {
        let path = self.root.join("locks").join("networks.lock");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(NetError::io("creating", parent))?;
        }
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(NetError::io("opening", &path))?;
        file.lock().map_err(NetError::io("locking", &path))?;
        Ok(file)
    }

    /// The default network, as configured.
    pub fn default_network(&self) -> Network {
        Network {
            name: DEFAULT_NETWORK.to_owned(),
            id: stable_id(&self.config.bridge),
            bridge: self.config.bridge.clone(),
            subnet: self.config.subnet,
            created: String::new(),
            labels: BTreeMap::new(),
        }
    }

    /// The network called `name` (or with this ID, or a unique ID prefix).
    pub fn get(&self, name: &str) -> Result<Network> {
        if name == DEFAULT_NETWORK {
            return Ok(self.default_network());
        }
        let all = self.list()?;
        let found = all
            .iter()
            .find(|n| n.name == name || n.id == name)
            .or_else(|| {
                let mut prefixed = all
                    .iter()
                    .filter(|n| !name.is_empty() && n.id.starts_with(name));
                match (prefixed.next(), prefixed.next()) {
                    (Some(network), None) => Some(network),
                    _ => None,
                }
            });
        found.cloned().ok_or_else(|| NetError::NetworkNotFound {
            name: name.to_owned(),
        })
    }

    /// The default network, then user networks by name.
    pub fn list(&self) -> Result<Vec<Network>> {
        let mut networks = vec![self.default_network()];
        let entries = match std::fs::read_dir(self.dir()) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(networks),
            Err(e) => return Err(NetError::io("reading", self.dir())(e)),
        };
        let mut users = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(name) = name.strip_suffix(".json") else {
                continue;
            };
            if name.ends_with(".endpoints") {
                continue;
            }
            if let Some(network) = read_json::<Network>(&self.record_path(name))? {
                users.push(network);
            }
        }
        users.sort_by(|a, b| a.name.cmp(&b.name));
        networks.extend(users);
        Ok(networks)
    }

    /// Creates user network `name`, on `subnet` or the first free subnet of the pool.
    pub fn create(
        &self,
        name: &str,
        subnet: Option<Subnet>,
        labels: BTreeMap<String, String>,
        created: String,
        id: String,
    ) -> Result<Network> {
        check_name(name)?;
        if PREDEFINED.contains(&name) {
            return Err(NetError::Predefined {
                name: name.to_owned(),
                action: "created",
            });
        }
        let _lock = self.lock()?;
        let existing = self.list()?;
        if existing.iter().any(|n| n.name == name) {
            return Err(NetError::NetworkExists {
                name: name.to_owned(),
            });
        }
        let used: Vec<Subnet> = existing.iter().map(|n| n.subnet).collect();
        let subnet = match subnet {
            Some(subnet) => {
                if let Some(other) = existing.iter().find(|n| n.subnet.overlaps(&subnet)) {
                    return Err(NetError::Invalid {
                        what: "subnet",
                        value: subnet.to_string(),
                        reason: format!("it overlaps network {}'s {}", other.name, other.subnet),
                    });
                }
                subnet
            }
            None => self.free_subnet(&used)?,
        };
        let network = Network {
            name: name.to_owned(),
            bridge: format!("br-{}", &id[..12]),
            id,
            subnet,
            created,
            labels,
        };
        write_json(&self.record_path(name), &network)?;
        Ok(network)
    }

    fn free_subnet(&self, used: &[Subnet]) -> Result<Subnet> {
        let routes = host_routes();
        self.config
            .pool
            .split(self.config.pool_prefix)
            .find(|candidate| {
                !used
                    .iter()
                    .chain(&routes)
                    .any(|other| other.overlaps(candidate))
            })
            .ok_or_else(|| NetError::PoolExhausted {
                pool: self.config.pool.to_string(),
            })
    }

    /// Removes user network `name`. The caller checks that no container uses it.
    pub fn remove(&self, name: &str) -> Result<Network> {
        if PREDEFINED.contains(&name) {
            return Err(NetError::Predefined {
                name: name.to_owned(),
                action: "removed",
            });
        }
        let network = self.get(name)?;
        let _lock = self.lock()?;
        let _ = link::delete(&network.bridge);
        nat::remove(&network.bridge)?;
        for path in [
            self.allocations_path(&network.name),
            self.record_path(&network.name),
        ] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(NetError::io("removing", path)(e)),
            }
        }
        Ok(network)
    }

    /// The endpoint of container `id` on `network`: its address allocated on its
    /// first start, the same one afterwards. Allocations of containers not in
    /// `live_ids` (removed while we were not looking) are dropped first.
    pub fn allocate(&self, network: &Network, id: &str, live_ids: &[String]) -> Result<Endpoint> {
        let _lock = self.lock()?;
        let path = self.allocations_path(&network.name);
        let mut allocations: Allocations = read_json(&path)?.unwrap_or_default();
        allocations
            .endpoints
            .retain(|other, _| other == id || live_ids.contains(other));
        let address = match allocations.endpoints.get(id) {
            Some(allocation) if network.subnet.contains(allocation.address) => allocation.address,
            _ => {
                let taken: Vec<Ipv4Addr> = allocations
                    .endpoints
                    .iter()
                    .filter(|(other, _)| *other != id)
                    .map(|(_, a)| a.address)
                    .collect();
                network
                    .subnet
                    .first_free(&taken)
                    .ok_or_else(|| NetError::AddressesExhausted {
                        network: network.name.clone(),
                        subnet: network.subnet.to_string(),
                    })?
            }
        };
        let host_link = format!("veth{}", &id[..11.min(id.len())]);
        allocations.endpoints.insert(
            id.to_owned(),
            Allocation {
                address,
                host_link: host_link.clone(),
                is_attached: false,
            },
        );
        write_json(&path, &allocations)?;
        Ok(Endpoint {
            network: network.name.clone(),
            network_id: network.id.clone(),
            bridge: network.bridge.clone(),
            subnet: network.subnet,
            address,
            gateway: network.subnet.gateway(),
            mac: link::format_mac(&link::mac_for(address)),
            host_link,
        })
    }

    /// Releases the address of container `id` (it is being removed).
    pub fn release(&self, endpoint: &Endpoint, id: &str) -> Result<()> {
        let _lock = self.lock()?;
        let path = self.allocations_path(&endpoint.network);
        let mut allocations: Allocations = read_json(&path)?.unwrap_or_default();
        if allocations.endpoints.remove(id).is_some() {
            write_json(&path, &allocations)?;
        }
        Ok(())
    }

    /// Sets up the endpoint's bridge and NAT rules, unless the marker says they
    /// are. Rules a crash left behind are replaced; a duplicate jump it might
    /// leave is removed with the rest ([`nat::remove_added`] falls back to
    /// removing every one).
    fn make_ready(&self, endpoint: &Endpoint, allocations: &mut Allocations) -> Result<()> {
        let is_bridge_missing = !link::exists(&endpoint.bridge)?;
        if allocations.is_ready && !is_bridge_missing {
            return Ok(());
        }
        link::ensure_bridge(&endpoint.bridge, endpoint.gateway, endpoint.subnet.prefix())?;
        match allocations.is_ready {
            true => nat::set_up(&endpoint.bridge, &endpoint.subnet)?,
            false => nat::add(&endpoint.bridge, &endpoint.subnet)?,
        }
        allocations.is_ready = true;
        Ok(())
    }

    /// Connects the network namespace `namespace` of container `id` to its
    /// endpoint's bridge: sets up the bridge and NAT first if needed, then the
    /// veth pair.
    pub fn attach(&self, endpoint: &Endpoint, id: &str, namespace: &OwnedFd) -> Result<()> {
        let _lock = self.lock()?;
        let path = self.allocations_path(&endpoint.network);
        let mut allocations: Allocations = read_json(&path)?.unwrap_or_default();
        self.make_ready(endpoint, &mut allocations)?;
        // A veth left by a container whose namespace outlived its monitor.
        let _ = link::delete(&endpoint.host_link);
        let interface = Interface {
            address: endpoint.address,
            prefix: endpoint.subnet.prefix(),
            gateway: endpoint.gateway,
            mac: link::mac_for(endpoint.address),
        };
        link::create_veth(&endpoint.host_link, &endpoint.bridge, namespace, &interface)?;
        let allocation = allocations
            .endpoints
            .entry(id.to_owned())
            .or_insert_with(|| Allocation {
                address: endpoint.address,
                host_link: endpoint.host_link.clone(),
                is_attached: true,
            });
        allocation.is_attached = true;
        write_json(&path, &allocations)?;
        tracing::debug!(bridge = %endpoint.bridge, address = %endpoint.address, "attached");
        Ok(())
    }

    /// Disconnects container `id`: removes its veth. The bridge and its NAT
    /// rules stay for the next container, as Docker keeps `docker0` (taking a
    /// bridge down costs the kernel tens of milliseconds, and so does every
    /// start that makes it again); [`Networks::tear_down_idle`] removes them.
    pub fn detach(&self, endpoint: &Endpoint, id: &str) -> Result<()> {
        let _lock = self.lock()?;
        let path = self.allocations_path(&endpoint.network);
        let mut allocations: Allocations = read_json(&path)?.unwrap_or_default();
        let was_attached = allocations.endpoints.get(id).is_some_and(|a| a.is_attached);
        if !was_attached && !allocations.is_ready {
            // Not started since it last detached (teardown runs before each start).
            return Ok(());
        }
        if was_attached {
            link::delete(&endpoint.host_link)?;
        }
        if let Some(allocation) = allocations.endpoints.get_mut(id) {
            allocation.is_attached = false;
        }
        if path.exists() {
            write_json(&path, &allocations)?;
        }
        Ok(())
    }

    /// Removes the bridge of network `network` and its NAT rules when no
    /// container is attached to it (`system stop`); whether it did.
    pub fn tear_down_idle(&self, network: &Network) -> Result<bool> {
        let _lock = self.lock()?;
        let path = self.allocations_path(&network.name);
        let mut allocations: Allocations = read_json(&path)?.unwrap_or_default();
        forget_vanished(&mut allocations, "");
        // The kernel's view too: a store of another root may use a bridge of
        // the same name.
        if allocations.endpoints.values().any(|a| a.is_attached)
            || link::has_ports(&network.bridge)?
        {
            return Ok(false);
        }
        let was_up = link::exists(&network.bridge)?;
        match allocations.is_ready {
            true => nat::remove_added(&network.bridge)?,
            false => nat::remove(&network.bridge)?,
        }
        if was_up {
            link::delete(&network.bridge)?;
        }
        let was_ready = std::mem::take(&mut allocations.is_ready);
        if path.exists() {
            write_json(&path, &allocations)?;
        }
        tracing::debug!(bridge = %network.bridge, "idle bridge removed");
        Ok(was_up || was_ready)
    }
}

/// Marks detached the endpoints (other than `id`'s) whose veth is gone: their
/// container died with its monitor, and the kernel removed the pair with the
/// namespace.
fn forget_vanished(allocations: &mut Allocations, id: &str) {
    for (other, allocation) in &mut allocations.endpoints {
        if other != id
            && allocation.is_attached
            && !link::exists(&allocation.host_link).unwrap_or(true)
        {
            allocation.is_attached = false;
        }
    }
}

/// The ID shown for the `host` and `none` modes, which `network ls` lists.
pub fn mode_id(mode: &str) -> String {
    stable_id(mode)
}

/// Docker's rule for network names.
fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let is_valid = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.clone().next().is_some()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    match is_valid {
        true => Ok(()),
        false => Err(NetError::Invalid {
            what: "network name",
            value: name.to_owned(),
            reason: "only [a-zA-Z0-9][a-zA-Z0-9_.-]+ are allowed".into(),
        }),
    }
}

/// The subnets the host routes to (`/proc/net/route`), which a new network must
/// not overlap.
fn host_routes() -> Vec<Subnet> {
    let text = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    parse_routes(&text)
}

fn parse_routes(text: &str) -> Vec<Subnet> {
    let hex = |field: &str| u32::from_str_radix(field, 16).ok();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (destination, mask) = (hex(fields.get(1)?)?, hex(fields.get(7)?)?);
            let prefix = mask.count_ones() as u8;
            // The default route overlaps everything; it is not a subnet in use.
            (prefix > 0).then(|| Subnet::new(Ipv4Addr::from(destination.to_le_bytes()), prefix))?
        })
        .collect()
}

/// An ID that stays the same for the same bridge name (the default network has
/// no record to keep a random one in).
fn stable_id(seed: &str) -> String {
    let mut id = String::new();
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    while id.len() < 64 {
        for byte in seed.bytes().chain(id.len().to_le_bytes()) {
            state = (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        id.push_str(&format!("{state:016x}"));
    }
    id
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(NetError::io("reading", path)(e)),
    };
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| NetError::io("parsing", path)(std::io::Error::other(e)))
}

/// Temporary file, then rename.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().expect("network files live in a directory");
    std::fs::create_dir_all(dir).map_err(NetError::io("creating", dir))?;
    let bytes = serde_json::to_vec_pretty(value).expect("network files serialise");
    let temporary = dir.join(format!(
        ".{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::write(&temporary, bytes).map_err(NetError::io("writing", &temporary))?;
    std::fs::rename(&temporary, path).map_err(NetError::io("writing", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_from_proc() {
        let text = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n\
                    eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n\
                    eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";
        let routes: Vec<String> = parse_routes(text).iter().map(|s| s.to_string()).collect();
        assert_eq!(routes, ["192.0.2.0/24"]);
    }

    #[test]
    fn names_follow_dockers_rule() {
        assert!(check_name("my-net_1.x").is_ok());
        assert!(check_name("a").is_err());
        assert!(check_name("-net").is_err());
        assert!(check_name("bad name").is_err());
        assert_eq!(stable_id("container0"), stable_id("container0"));
        assert_eq!(stable_id("x").len(), 64);
    }

    #[test]
    fn addresses_are_kept_then_released() {
        let root = tempfile::tempdir().unwrap();
        let config = NetworkConfig {
            subnet: "10.9.0.0/29".parse().unwrap(),
            ..NetworkConfig::default()
        };
        let networks = Networks::new(root.path(), config);
        let network = networks.default_network();
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let live = [a.clone(), b.clone()];
        let first = networks.allocate(&network, &a, &live).unwrap();
        assert_eq!(first.address, Ipv4Addr::new(10, 9, 0, 2));
        assert_eq!(first.gateway, Ipv4Addr::new(10, 9, 0, 1));
        assert_eq!(networks.allocate(&network, &a, &live).unwrap(), first);
        let second = networks.allocate(&network, &b, &live).unwrap();
        assert_eq!(second.address, Ipv4Addr::new(10, 9, 0, 3));
        networks.release(&first, &a).unwrap();
        let c = "c".repeat(64);
        let third = networks
            .allocate(&network, &c, &[b.clone(), c.clone()])
            .unwrap();
        assert_eq!(third.address, Ipv4Addr::new(10, 9, 0, 2));
    }
}
