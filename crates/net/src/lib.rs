//! Container networking: the default bridge network and user networks, a veth
//! pair and an address per container, NAT to the host's network, and the port
//! proxy a container's monitor serves for `-p`.
//!
//! - [`network`]: networks and endpoints in the store; addresses are allocated
//!   under a lock when a container first starts and released when it is removed.
//!   The first container on a bridge creates it and its NAT rules; they stay up
//!   between containers, as `docker0` does, until the network is removed or
//!   `system stop` takes idle bridges down.
//! - [`link`]: bridge and veth through rtnetlink (no `ip` commands).
//! - [`nat`]: masquerading and forwarding rules in chains of our own.
//! - [`publish`]: `-p` parsing as Docker does it (CASES C40).
//! - [`proxy`]: accept on the host, connect from inside the container's namespace.
//! - [`listen`]: why a published port does not answer, from the namespace's
//!   `/proc/net` tables.
//!
//! This crate depends on nothing else of ours.

#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod config;
mod error;
pub mod link;
pub mod listen;
pub mod nat;
pub mod network;
pub mod proxy;
pub mod publish;
pub mod subnet;

pub use config::NetworkConfig;
pub use error::{NetError, Result};
pub use network::{DEFAULT_NETWORK, Endpoint, Network, Networks};
pub use publish::{PortSpec, Protocol, PublishedPort};
pub use subnet::Subnet;
