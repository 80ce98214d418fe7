//! What every command needs: where the store is, and how to reach registries.

use std::path::PathBuf;

use anyhow::Context as _;
use container_net::NetworkConfig;
use container_registry::{Credentials, RegistryConfig, SessionOptions};
use container_runtime::Runtime;
use container_store::{RegistryAccess, Store};

use crate::cli::Cli;

/// The store root when neither `--root` nor `CONTAINER_ROOT` is given.
pub const DEFAULT_ROOT: &str = "/var/lib/container";
/// Runtime state when neither `--root` nor `CONTAINER_ROOT` is given.
pub const DEFAULT_RUN_DIR: &str = "/run/container";
/// The configuration file when neither `--config` nor `CONTAINER_CONFIG` is given.
pub const DEFAULT_CONFIG: &str = "/etc/container/config.toml";

/// Global settings, resolved once.
pub struct Context {
    pub root: PathBuf,
    /// Runtime state: `<root>/run` with `--root`, else `/run/container`.
    pub run_dir: PathBuf,
    pub config_path: PathBuf,
}

impl Context {
    pub fn new(cli: &Cli) -> Context {
        let root = cli.root.clone().or_else(|| from_env("CONTAINER_ROOT"));
        let run_dir = match &root {
            Some(root) => root.join("run"),
            None => PathBuf::from(DEFAULT_RUN_DIR),
        };
        let config = cli.config.clone().or_else(|| from_env("CONTAINER_CONFIG"));
        Context {
            root: root.unwrap_or_else(|| PathBuf::from(DEFAULT_ROOT)),
            run_dir,
            config_path: config.unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG)),
        }
    }

    /// Opens (creating if needed) the store.
    pub fn store(&self) -> anyhow::Result<Store> {
        Store::open(&self.root)
            .with_context(|| format!("opening the store at `{}`", self.root.display()))
    }

    /// The containers of the store.
    pub fn containers(&self) -> anyhow::Result<Runtime> {
        let network = NetworkConfig::load(&self.config_path)?;
        Ok(Runtime::new(self.store()?, &self.run_dir).with_network_config(network))
    }

    /// Registry configuration and logins.
    pub fn registry_access(&self, tls_verify: bool) -> anyhow::Result<RegistryAccess> {
        let config = RegistryConfig::load(&self.config_path)?;
        let credentials = match Credentials::default_path() {
            Some(path) => Credentials::load(&path)?,
            None => Credentials::default(),
        };
        let options = SessionOptions {
            tls_verify,
            certs_dirs: config.certs_dirs(),
        };
        Ok(RegistryAccess {
            config,
            credentials,
            options,
        })
    }
}

/// A runtime for the commands that talk to registries.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// A path from environment variable `name`; unset or empty is none.
fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}
