//! Links through rtnetlink: the bridge, and a veth pair per container whose inner
//! end becomes the container's `eth0`.
//!
//! Every request runs on a thread of its own with a small single-threaded async
//! runtime, so callers need not be async and may already be inside a runtime. The
//! container's side is configured from a thread that joined its network namespace:
//! a netlink socket talks to the namespace it was opened in.

use std::future::Future;
use std::net::Ipv4Addr;
use std::os::fd::{AsFd as _, AsRawFd as _, OwnedFd};

use futures_util::TryStreamExt as _;
use rtnetlink::{Handle, LinkBridge, LinkUnspec, LinkVeth, RouteMessageBuilder};

use crate::error::{NetError, Result, to_io};

/// Linux's limit on interface names (IFNAMSIZ less the NUL).
const MAX_NAME: usize = 15;

/// Checks an interface name: 1 to 15 characters, no `/`, no whitespace.
pub fn check_link_name(name: &str) -> Result<()> {
    let is_valid = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    match is_valid {
        true => Ok(()),
        false => Err(NetError::Invalid {
            what: "bridge name",
            value: name.to_owned(),
            reason: "1 to 15 letters, digits, `-`, `_` or `.`".into(),
        }),
    }
}

/// Runs `work` with a netlink handle, on a thread of its own; in the network
/// namespace `namespace` when given.
fn with_handle<T, F, Fut>(namespace: Option<OwnedFd>, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(Handle) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T>>,
{
    let thread = std::thread::spawn(move || -> Result<T> {
        if let Some(namespace) = namespace {
            rustix::thread::move_into_link_name_space(
                namespace.as_fd(),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .map_err(|e| NetError::Netlink {
                action: "entering the container's network namespace".into(),
                source: e.into(),
            })?;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| NetError::Netlink {
                action: "starting a netlink client".into(),
                source,
            })?;
        runtime.block_on(async move {
            let (connection, handle, _) =
                rtnetlink::new_connection().map_err(|source| NetError::Netlink {
                    action: "opening a netlink socket".into(),
                    source,
                })?;
            tokio::spawn(connection);
            work(handle).await
        })
    });
    thread.join().expect("netlink work does not panic")
}

/// The index of link `name`, if it exists.
async fn index_of(handle: &Handle, name: &str) -> Result<Option<u32>> {
    let mut links = handle.link().get().match_name(name.to_owned()).execute();
    match links.try_next().await {
        Ok(Some(link)) => Ok(Some(link.header.index)),
        Ok(None) => Ok(None),
        Err(error) if to_io(&error).raw_os_error() == Some(libc::ENODEV) => Ok(None),
        Err(error) => Err(NetError::netlink(format!("looking up link {name}"))(error)),
    }
}

/// Whether link `name` exists in this network namespace.
pub fn exists(name: &str) -> Result<bool> {
    let name = name.to_owned();
    with_handle(None, move |handle| async move {
        Ok(index_of(&handle, &name).await?.is_some())
    })
}

/// Whether any link (a veth of some container, perhaps of another store) is
/// attached to bridge `name`.
pub fn has_ports(name: &str) -> Result<bool> {
    use rtnetlink::packet_route::link::LinkAttribute;
    let name = name.to_owned();
    with_handle(None, move |handle| async move {
        let Some(bridge) = index_of(&handle, &name).await? else {
            return Ok(false);
        };
        let mut links = handle.link().get().execute();
        let listing = format!("listing the links on bridge {name}");
        while let Some(link) = links
            .try_next()
            .await
            .map_err(NetError::netlink(listing.clone()))?
        {
            if link.attributes.contains(&LinkAttribute::Controller(bridge)) {
                return Ok(true);
            }
        }
        Ok(false)
    })
}

/// Creates bridge `name` with `gateway/prefix` and sets it up, unless it exists.
pub fn ensure_bridge(name: &str, gateway: Ipv4Addr, prefix: u8) -> Result<()> {
    let name = name.to_owned();
    with_handle(None, move |handle| async move {
        if index_of(&handle, &name).await?.is_some() {
            return Ok(());
        }
        let creating = format!("creating bridge {name}");
        handle
            .link()
            .add(LinkBridge::new(&name).up().build())
            .execute()
            .await
            .map_err(NetError::netlink(creating.clone()))?;
        let index = index_of(&handle, &name)
            .await?
            .ok_or_else(|| NetError::Netlink {
                action: creating,
                source: std::io::Error::from_raw_os_error(libc::ENODEV),
            })?;
        handle
            .address()
            .add(index, gateway.into(), prefix)
            .execute()
            .await
            .map_err(NetError::netlink(format!(
                "giving bridge {name} address {gateway}"
            )))
    })
}

/// Deletes link `name` (a veth's other end goes with it); `false` if it was absent.
pub fn delete(name: &str) -> Result<bool> {
    let name = name.to_owned();
    with_handle(None, move |handle| async move {
        let Some(index) = index_of(&handle, &name).await? else {
            return Ok(false);
        };
        match handle.link().del(index).execute().await {
            Ok(()) => Ok(true),
            Err(error) if to_io(&error).raw_os_error() == Some(libc::ENODEV) => Ok(false),
            Err(error) => Err(NetError::netlink(format!("deleting link {name}"))(error)),
        }
    })
}

/// The container's end of a veth pair, as it is set up in its namespace.
#[derive(Debug, Clone)]
pub struct Interface {
    /// The address (the subnet's prefix applies).
    pub address: Ipv4Addr,
    /// The prefix length.
    pub prefix: u8,
    /// The default route's gateway.
    pub gateway: Ipv4Addr,
    /// The MAC address.
    pub mac: [u8; 6],
}

/// Creates veth pair `host_name` (on `bridge`, up) and its peer, moved into the
/// network namespace `namespace`, where it becomes `eth0` with `interface`'s
/// address and a default route; `lo` is set up there too.
pub fn create_veth(
    host_name: &str,
    bridge: &str,
    namespace: &OwnedFd,
    interface: &Interface,
) -> Result<()> {
    let peer = format!("{}p", &host_name[..host_name.len().min(MAX_NAME - 1)]);
    let inside = namespace
        .try_clone()
        .map_err(NetError::io("duplicating", "the network namespace"))?;
    let raw_namespace = namespace.as_raw_fd();
    let (host, bridge, peer_name) = (host_name.to_owned(), bridge.to_owned(), peer.clone());
    with_handle(None, move |handle| async move {
        let action = format!("creating veth pair {host}");
        handle
            .link()
            .add(LinkVeth::new(&host, &peer_name).build())
            .execute()
            .await
            .map_err(NetError::netlink(action.clone()))?;
        let missing = || NetError::Netlink {
            action: action.clone(),
            source: std::io::Error::from_raw_os_error(libc::ENODEV),
        };
        let bridge_index = index_of(&handle, &bridge).await?.ok_or_else(missing)?;
        let host_index = index_of(&handle, &host).await?.ok_or_else(missing)?;
        let peer_index = index_of(&handle, &peer_name).await?.ok_or_else(missing)?;
        handle
            .link()
            .set(
                LinkUnspec::new_with_index(host_index)
                    .controller(bridge_index)
                    .up()
                    .build(),
            )
            .execute()
            .await
            .map_err(NetError::netlink(format!(
                "attaching {host} to bridge {bridge}"
            )))?;
        handle
            .link()
            .set(
                LinkUnspec::new_with_index(peer_index)
                    .setns_by_fd(raw_namespace)
                    .build(),
            )
            .execute()
            .await
            .map_err(NetError::netlink(format!(
                "moving {peer_name} into the container's network namespace"
            )))
    })?;
    configure_inside(inside, peer, interface.clone())
}

/// In the container's namespace: `peer` becomes `eth0`, with its address, MAC and
/// default route; `lo` goes up.
fn configure_inside(namespace: OwnedFd, peer: String, interface: Interface) -> Result<()> {
    with_handle(Some(namespace), move |handle| async move {
        let index = index_of(&handle, &peer)
            .await?
            .ok_or_else(|| NetError::Netlink {
                action: format!("finding {peer} in the container"),
                source: std::io::Error::from_raw_os_error(libc::ENODEV),
            })?;
        handle
            .link()
            .set(
                LinkUnspec::new_with_index(index)
                    .name("eth0".to_owned())
                    .address(interface.mac.to_vec())
                    .up()
                    .build(),
            )
            .execute()
            .await
            .map_err(NetError::netlink("setting up eth0 in the container"))?;
        handle
            .address()
            .add(index, interface.address.into(), interface.prefix)
            .execute()
            .await
            .map_err(NetError::netlink(format!(
                "giving the container address {}",
                interface.address
            )))?;
        let route = RouteMessageBuilder::<Ipv4Addr>::new()
            .gateway(interface.gateway)
            .build();
        handle
            .route()
            .add(route)
            .execute()
            .await
            .map_err(NetError::netlink("adding the container's default route"))?;
        bring_up_loopback(&handle).await
    })
}

async fn bring_up_loopback(handle: &Handle) -> Result<()> {
    let index = index_of(handle, "lo").await?.unwrap_or(1);
    handle
        .link()
        .set(LinkUnspec::new_with_index(index).up().build())
        .execute()
        .await
        .map_err(NetError::netlink("setting up lo in the container"))
}

/// Docker's MAC address for a container address: `02:42` and the address's bytes.
pub fn mac_for(address: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = address.octets();
    [0x02, 0x42, a, b, c, d]
}

/// `02:42:0a:57:00:02`.
pub fn format_mac(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
