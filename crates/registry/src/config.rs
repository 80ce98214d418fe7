//! Which endpoints serve a registry, and how to talk to each.
//!
//! The configuration is a TOML file (`/etc/container/config.toml` by default):
//!
//! ```toml
//! # Pulls of docker.io images try these mirrors first, in order.
//! [registries."docker.io"]
//! mirrors = ["mirror.example.com", "127.0.0.1:5000"]
//! # Never fall back to docker.io itself (air-gapped sites, tests).
//! mirrors-only = true
//!
//! # Plain HTTP, or HTTPS without certificate checks, for this registry.
//! [registries."10.0.0.5:5000"]
//! insecure = true
//! ```
//!
//! Loopback registries (`localhost`, `127.0.0.0/8`, `[::1]`) may answer in plain HTTP
//! without being listed, as in Docker; when they speak HTTPS, their certificate is
//! checked unless they are listed as insecure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Docker Hub's name in references.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Where CA certificates for registries are looked up, `certs.d/HOST/*.crt`.
pub const DEFAULT_CERTS_DIRS: &[&str] = &["/etc/container/certs.d", "/etc/docker/certs.d"];

/// The parsed configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistryConfig {
    /// Per-registry settings, keyed by the registry's name in references.
    #[serde(default)]
    pub registries: BTreeMap<String, RegistrySettings>,
    /// Directories holding `HOST/*.crt` CA bundles; defaults to [`DEFAULT_CERTS_DIRS`].
    #[serde(default)]
    pub certs_dirs: Option<Vec<PathBuf>>,
    /// The `[network]` table, which `container-net` reads (kept so that it is not
    /// an unknown field here).
    #[serde(default)]
    pub network: Option<toml::Table>,
}

/// Settings for one registry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistrySettings {
    /// Mirrors tried before the registry itself, in order.
    #[serde(default)]
    pub mirrors: Vec<String>,
    /// Never contact the registry itself, only its mirrors.
    #[serde(default)]
    pub mirrors_only: bool,
    /// Allow plain HTTP and unverified certificates.
    #[serde(default)]
    pub insecure: bool,
}

/// A failure reading the configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading configuration {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("parsing configuration {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: toml::de::Error,
    },
}

/// One host that can serve a registry's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host[:port]` to connect to.
    pub host: String,
    /// Whether this is a mirror rather than the registry itself.
    pub is_mirror: bool,
    /// Whether plain HTTP and unverified certificates are allowed.
    pub is_insecure: bool,
}

impl Endpoint {
    /// Whether plain HTTP may be used when the host does not speak TLS.
    pub fn allows_plain_http(&self) -> bool {
        self.is_insecure || is_loopback(&self.host)
    }
}

impl RegistryConfig {
    /// Reads the file at `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<RegistryConfig, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                let path = path.to_owned();
                return Err(ConfigError::Read { path, source });
            }
        };
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// The endpoints to try for `domain`, in order: its mirrors, then itself unless the
    /// configuration says mirrors only.
    pub fn endpoints(&self, domain: &str) -> Vec<Endpoint> {
        let settings = self.registries.get(domain).cloned().unwrap_or_default();
        let mut endpoints: Vec<Endpoint> = settings
            .mirrors
            .iter()
            .map(|mirror| self.mirror_endpoint(mirror))
            .collect();
        if !settings.mirrors_only || endpoints.is_empty() {
            let host = if domain == DOCKER_HUB {
                DOCKER_HUB_API
            } else {
                domain
            };
            endpoints.push(Endpoint {
                host: host.to_owned(),
                is_mirror: false,
                is_insecure: settings.insecure,
            });
        }
        endpoints
    }

    /// Whether `domain` is configured insecure: plain HTTP, or TLS without checks.
    pub fn is_insecure(&self, domain: &str) -> bool {
        self.registries.get(domain).is_some_and(|s| s.insecure)
    }

    /// The directories searched for `HOST/*.crt`.
    pub fn certs_dirs(&self) -> Vec<PathBuf> {
        match &self.certs_dirs {
            Some(dirs) => dirs.clone(),
            None => DEFAULT_CERTS_DIRS.iter().map(PathBuf::from).collect(),
        }
    }

    fn mirror_endpoint(&self, mirror: &str) -> Endpoint {
        let (host, is_http) = match mirror.strip_prefix("http://") {
            Some(rest) => (rest, true),
            None => (mirror.strip_prefix("https://").unwrap_or(mirror), false),
        };
        let host = host.trim_end_matches('/').to_owned();
        let is_insecure = is_http || self.is_insecure(&host);
        Endpoint {
            host,
            is_mirror: true,
            is_insecure,
        }
    }
}

/// Whether `host` (with or without a port) names this machine's loopback interface.
pub fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> RegistryConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn docker_hub_goes_to_its_api_host() {
        let endpoints = RegistryConfig::default().endpoints("docker.io");
        assert_eq!(endpoints.len(), 1);
        assert_eq!(endpoints[0].host, "registry-1.docker.io");
        assert!(!endpoints[0].is_insecure);
    }

    #[test]
    fn mirrors_come_first_then_upstream() {
        let config = parse(
            "[registries.\"docker.io\"]\nmirrors = [\"http://m.example:5000/\", \"127.0.0.1:5000\"]\n",
        );
        let hosts: Vec<_> = config
            .endpoints("docker.io")
            .into_iter()
            .map(|e| (e.host, e.is_insecure))
            .collect();
        assert_eq!(
            hosts,
            [
                ("m.example:5000".to_owned(), true),
                ("127.0.0.1:5000".to_owned(), false),
                ("registry-1.docker.io".to_owned(), false)
            ]
        );
    }

    #[test]
    fn mirrors_only_drops_upstream() {
        let config = parse(
            "[registries.\"docker.io\"]\nmirrors = [\"127.0.0.1:5000\"]\nmirrors-only = true\n",
        );
        assert_eq!(config.endpoints("docker.io").len(), 1);
    }

    #[test]
    fn loopback_hosts_may_use_plain_http() {
        let config = parse("[registries.\"docker.io\"]\nmirrors = [\"127.0.0.1:5000\"]\n");
        assert!(config.endpoints("docker.io")[0].allows_plain_http());
        assert!(!config.endpoints("docker.io")[1].allows_plain_http());
        for host in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "localhost",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["example.com", "10.0.0.1:5000", "localhost.example.com"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<RegistryConfig>("[registries.x]\nmirror = []\n").is_err());
    }
}
