//! A container's network: its endpoint on a bridge (allocated on its first start,
//! released on removal), its veth (attached by the monitor, detached on
//! teardown), and on user networks the `/etc/hosts` entries by which the
//! containers of a network find each other.
//!
//! Name resolution on user networks is by `/etc/hosts`, not an embedded DNS
//! server: when a container starts or stops, every running container on the same
//! network gets its hosts file rewritten (in place, since it is bind-mounted) with
//! the names and addresses of the others.

use std::net::Ipv4Addr;

use container_net::{Endpoint, NetworkConfig, Networks};

use crate::error::Result;
use crate::etc::{self, HostsInput};
use crate::paths::Paths;
use crate::record::{ContainerRecord, NetworkMode, Records, Status};
use crate::runtime::{Runtime, is_monitored};

impl Runtime {
    /// The networks of this store.
    pub fn networks(&self) -> Networks {
        Networks::new(self.paths.root(), self.network_config.clone())
    }

    /// Uses `config` for the default network.
    pub fn with_network_config(mut self, config: NetworkConfig) -> Runtime {
        self.network_config = config;
        self
    }

    /// Gives a bridged container its endpoint (the one it had, or a new address),
    /// and returns its record with it.
    pub(crate) fn allocate_endpoint(&self, record: &ContainerRecord) -> Result<ContainerRecord> {
        if record.host.network != NetworkMode::Bridge {
            return Ok(record.clone());
        }
        let networks = self.networks();
        let name = record.host.joined_network();
        if let Some(endpoint) = &record.state.endpoint
            && endpoint.network == name
            && name == container_net::DEFAULT_NETWORK
        {
            return Ok(record.clone());
        }
        let network = networks.get(name)?;
        // Kept from its first start to its removal. The default network's
        // endpoint is kept whatever the configuration says now, since a restart
        // policy's start does not read the configuration.
        if let Some(endpoint) = &record.state.endpoint
            && endpoint.network == network.name
            && (network.is_default() || endpoint.network_id == network.id)
        {
            return Ok(record.clone());
        }
        let live: Vec<String> = self.records.list()?.into_iter().map(|r| r.id).collect();
        let endpoint = networks.allocate(&network, &record.id, &live)?;
        // Not synced, as the monitor's state is not: after a crash the container
        // would merely get an address again.
        let updated = self
            .records
            .update_state(&record.id, |r| r.state.endpoint = Some(endpoint.clone()))?;
        Ok(updated.unwrap_or_else(|| record.clone()))
    }

    /// Releases a removed container's address.
    pub(crate) fn release_endpoint(&self, record: &ContainerRecord) {
        if let Some(endpoint) = &record.state.endpoint
            && let Err(error) = self.networks().release(endpoint, &record.id)
        {
            tracing::warn!(id = %record.id, %error, "releasing the container's address");
        }
    }
}

/// The `/etc/hosts` input of `record`, with `peers`.
fn hosts_input<'a>(record: &'a ContainerRecord, peers: &'a [(String, Ipv4Addr)]) -> HostsInput<'a> {
    HostsInput {
        hostname: &record.config.hostname,
        network: record.host.network,
        names: &record.host.names,
        endpoint: record.state.endpoint.as_ref(),
        peers,
    }
}

/// The containers that are on `network` (a user network) and running or
/// starting (`starting`), with their endpoints.
fn members(
    records: &[ContainerRecord],
    network: &str,
    starting: Option<&str>,
) -> Vec<ContainerRecord> {
    records
        .iter()
        .filter(|r| {
            r.host.network == NetworkMode::Bridge && r.host.network_name.as_deref() == Some(network)
        })
        .filter(|r| r.state.endpoint.is_some())
        .filter(|r| {
            Some(r.id.as_str()) == starting
                || (r.state.status == Status::Running && is_monitored(r))
        })
        .cloned()
        .collect()
}

/// Each member's peers: the other members, by name (and `--network-alias`es)
/// and address.
fn peers_of(member: &ContainerRecord, members: &[ContainerRecord]) -> Vec<(String, Ipv4Addr)> {
    members
        .iter()
        .filter(|other| other.id != member.id)
        .filter_map(|other| Some((other, other.state.endpoint.as_ref()?.address)))
        .flat_map(|(other, address)| {
            std::iter::once(&other.name)
                .chain(&other.host.network_aliases)
                .map(move |name| (name.clone(), address))
        })
        .collect()
}

/// The `/etc/hosts` of `record` (about to start): its own names and, on a user
/// network, its running peers.
pub(crate) fn hosts_input_for<'a>(
    record: &'a ContainerRecord,
    peers: &'a [(String, Ipv4Addr)],
) -> HostsInput<'a> {
    hosts_input(record, peers)
}

/// The peers `record` (about to start) will find in its `/etc/hosts`.
pub(crate) fn starting_peers(paths: &Paths, record: &ContainerRecord) -> Vec<(String, Ipv4Addr)> {
    let Some(network) = user_network(record) else {
        return Vec::new();
    };
    let records = Records::new(paths).list().unwrap_or_default();
    peers_of(record, &members(&records, network, Some(&record.id)))
}

fn user_network(record: &ContainerRecord) -> Option<&str> {
    match record.host.network {
        NetworkMode::Bridge => record.host.network_name.as_deref(),
        _ => None,
    }
}

/// Rewrites the `/etc/hosts` of the running containers on `record`'s user network
/// (other than `record`), after `record` started (`is_leaving` false) or stopped.
pub(crate) fn refresh_peers(paths: &Paths, record: &ContainerRecord, is_leaving: bool) {
    let Some(network) = user_network(record) else {
        return;
    };
    let records = Records::new(paths).list().unwrap_or_default();
    let starting = (!is_leaving).then_some(record.id.as_str());
    let mut members = members(&records, network, starting);
    if is_leaving {
        members.retain(|m| m.id != record.id);
    }
    for member in members.iter().filter(|m| m.id != record.id) {
        let peers = peers_of(member, &members);
        let text = etc::hosts_text(&hosts_input(member, &peers));
        let path = paths.etc_file(&member.id, "hosts");
        if let Err(error) = etc::rewrite_in_place(&path, &text) {
            tracing::debug!(id = %member.id, %error, "updating a peer's hosts file");
        }
    }
}

/// Connects a created container (whose init process is `pid`) to its bridge.
pub(crate) fn attach(paths: &Paths, record: &ContainerRecord, pid: i32) -> Result<()> {
    let Some(endpoint) = &record.state.endpoint else {
        return Ok(());
    };
    let path = format!("/proc/{pid}/ns/net");
    let namespace: std::os::fd::OwnedFd = std::fs::File::open(&path)
        .map_err(crate::error::RuntimeError::io("opening", &path))?
        .into();
    networks_at(paths).attach(endpoint, &record.id, &namespace)?;
    refresh_peers(paths, record, false);
    Ok(())
}

/// Disconnects a container from its bridge (which stays up for the next one).
pub(crate) fn detach(paths: &Paths, endpoint: &Endpoint, record: &ContainerRecord) -> Result<()> {
    networks_at(paths).detach(endpoint, &record.id)?;
    refresh_peers(paths, record, true);
    Ok(())
}

/// Attaching and detaching need only the endpoint, not the default network's
/// configuration.
fn networks_at(paths: &Paths) -> Networks {
    Networks::new(paths.root(), NetworkConfig::default())
}

/// The containers of the store that use user network `name`, by name.
pub fn users_of(records: &[ContainerRecord], name: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| {
            r.host.network == NetworkMode::Bridge && r.host.network_name.as_deref() == Some(name)
        })
        .map(|r| r.name.clone())
        .collect()
}

/// Whether a process of the container whose init process is `pid` listens on
/// `port`, reached at `address`; and if not, why.
pub fn diagnose(
    pid: i32,
    address: Ipv4Addr,
    port: &container_net::PublishedPort,
) -> container_net::listen::Listening {
    match container_net::listen::sockets(pid, port.protocol) {
        Ok(sockets) => container_net::listen::diagnose(port.container_port, address, &sockets),
        Err(_) => container_net::listen::Listening::Exited(None),
    }
}
