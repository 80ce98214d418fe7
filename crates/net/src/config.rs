//! The `[network]` table of the configuration file:
//!
//! ```toml
//! [network]
//! bridge = "container0"       # the default network's bridge
//! subnet = "10.87.0.0/16"     # and its subnet; the bridge takes the first address
//! pool = "10.86.0.0/16"       # user networks' subnets are taken from here,
//! pool-prefix = 24            # this many bits each
//! ```
//!
//! Each test environment gives itself a bridge and subnets of its own this way, so
//! tests running at once never share host-wide state.

use std::path::Path;

use serde::Deserialize;

use crate::error::{NetError, Result};
use crate::subnet::Subnet;

/// The default network's bridge when the configuration names none.
pub const DEFAULT_BRIDGE: &str = "container0";
/// The default network's subnet when the configuration names none.
pub const DEFAULT_SUBNET: &str = "10.87.0.0/16";
/// Where user networks' subnets come from when the configuration says nothing.
pub const DEFAULT_POOL: &str = "10.86.0.0/16";

/// Network settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NetworkConfig {
    /// The default network's bridge.
    #[serde(default = "default_bridge")]
    pub bridge: String,
    /// The default network's subnet.
    #[serde(default = "default_subnet")]
    pub subnet: Subnet,
    /// User networks' subnets come from here.
    #[serde(default = "default_pool")]
    pub pool: Subnet,
    /// The size of a user network's subnet, in prefix bits.
    #[serde(default = "default_pool_prefix")]
    pub pool_prefix: u8,
}

fn default_bridge() -> String {
    DEFAULT_BRIDGE.to_owned()
}

fn default_subnet() -> Subnet {
    DEFAULT_SUBNET.parse().expect("the default subnet parses")
}

fn default_pool() -> Subnet {
    DEFAULT_POOL.parse().expect("the default pool parses")
}

fn default_pool_prefix() -> u8 {
    24
}

impl Default for NetworkConfig {
    fn default() -> NetworkConfig {
        NetworkConfig {
            bridge: default_bridge(),
            subnet: default_subnet(),
            pool: default_pool(),
            pool_prefix: default_pool_prefix(),
        }
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    network: Option<NetworkConfig>,
}

impl NetworkConfig {
    /// The `[network]` table of the TOML file at `path` (other tables are
    /// someone else's); defaults when the file or the table is absent.
    pub fn load(path: &Path) -> Result<NetworkConfig> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => return Err(NetError::io("reading", path)(source)),
        };
        Self::parse(&text).map_err(|reason| NetError::Invalid {
            what: "configuration",
            value: path.display().to_string(),
            reason,
        })
    }

    fn parse(text: &str) -> Result<NetworkConfig, String> {
        let file: File = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let config = file.network.unwrap_or_default();
        crate::link::check_link_name(&config.bridge).map_err(|e| e.to_string())?;
        if !(config.pool.prefix()..=30).contains(&config.pool_prefix) {
            return Err(format!(
                "pool-prefix {} does not fit in the pool {}",
                config.pool_prefix, config.pool
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_table_is_read_and_the_rest_left_alone() {
        let text = "[registries.\"docker.io\"]\nmirrors = [\"x\"]\n\
                    [network]\nbridge = \"ctest7\"\nsubnet = \"10.200.7.0/24\"\n";
        let config = NetworkConfig::parse(text).unwrap();
        assert_eq!(config.bridge, "ctest7");
        assert_eq!(config.subnet.to_string(), "10.200.7.0/24");
        assert_eq!(config.pool.to_string(), DEFAULT_POOL);
        assert_eq!(NetworkConfig::parse("").unwrap(), NetworkConfig::default());
        assert!(NetworkConfig::parse("[network]\nbridge = \"a-name-much-too-long\"\n").is_err());
        assert!(NetworkConfig::parse("[network]\nbirdge = \"x\"\n").is_err());
    }
}
