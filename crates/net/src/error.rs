//! The one error type of this crate.

use std::path::PathBuf;

/// What failed, with the object it failed on.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A `-p` value that does not parse.
    #[error("invalid published port `{value}`: {reason}")]
    InvalidPublish {
        /// As the user typed it.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A subnet, address or name in the configuration or on the command line.
    #[error("invalid {what} `{value}`: {reason}")]
    Invalid {
        /// What the value is (`subnet`, `network name`, ...).
        what: &'static str,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A netlink request (bridge, veth, address, route).
    #[error("{action}")]
    Netlink {
        /// What was being done.
        action: String,
        /// The kernel's answer.
        #[source]
        source: std::io::Error,
    },
    /// A file of ours, or of the kernel's.
    #[error("{action} `{}`", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// `iptables` could not be run, or refused a rule.
    #[error("setting up NAT with `{command}`: {stderr}")]
    Firewall {
        /// The command line.
        command: String,
        /// What it said.
        stderr: String,
    },
    /// Every address of a subnet is taken.
    #[error("no free address left in network `{network}` ({subnet})")]
    AddressesExhausted {
        /// The network's name.
        network: String,
        /// Its subnet.
        subnet: String,
    },
    /// No subnet of the pool is free for a new network.
    #[error("no free subnet left in the address pool {pool}")]
    PoolExhausted {
        /// The pool.
        pool: String,
    },
    /// A host port (or every port of a range) is taken.
    #[error("cannot publish port {binding}: {address} is already in use")]
    PortInUse {
        /// The binding, as `-p` spelt it.
        binding: String,
        /// The host address and port tried.
        address: String,
        /// The kernel's answer.
        #[source]
        source: std::io::Error,
    },
    /// Binding a host port failed for another reason than it being in use.
    #[error("cannot publish port {binding} on {address}")]
    Bind {
        /// The binding, as `-p` spelt it.
        binding: String,
        /// The host address and port tried.
        address: String,
        /// The kernel's answer.
        #[source]
        source: std::io::Error,
    },
    /// A user network that does not exist.
    #[error("network {name} not found")]
    NetworkNotFound {
        /// The name asked for.
        name: String,
    },
    /// A user network with this name exists already.
    #[error("network with name {name} already exists")]
    NetworkExists {
        /// The name.
        name: String,
    },
    /// A network still used by containers.
    #[error("network {name} has containers attached: {containers}")]
    NetworkInUse {
        /// The network.
        name: String,
        /// The containers, by name.
        containers: String,
    },
    /// `bridge`, `host` and `none` are not user networks.
    #[error("{name} is a pre-defined network and cannot be {action}")]
    Predefined {
        /// The network.
        name: String,
        /// `created` or `removed`.
        action: &'static str,
    },
}

impl NetError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> NetError {
        let path = path.into();
        move |source| NetError::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn netlink(action: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> NetError {
        let action = action.into();
        move |error| NetError::Netlink {
            action,
            source: to_io(&error),
        }
    }
}

/// The errno of a netlink error, as an I/O error.
pub(crate) fn to_io(error: &rtnetlink::Error) -> std::io::Error {
    match error {
        rtnetlink::Error::NetlinkError(message) => message.to_io(),
        other => std::io::Error::other(other.to_string()),
    }
}

/// Results of this crate.
pub type Result<T, E = NetError> = std::result::Result<T, E>;
