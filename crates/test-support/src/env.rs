//! A scratch store root and home for one test, and `Command`s for the binary in them.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use tempfile::TempDir;

use crate::network::NetworkSlot;
use crate::output::{Output, run};

/// Variables from the developer's shell that must not reach the binary under test.
const CLEARED_VARS: &[&str] = &[
    "RUST_LOG",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
];

/// A scratch store root for one test, removed on Drop (after killing its containers'
/// processes, removing their cgroups and unmounting anything left mounted under it),
/// with helpers to run the binary.
pub struct TestEnv {
    /// The store root (`CONTAINER_ROOT`).
    pub root: TempDir,
    /// `HOME` for the binary; `DOCKER_CONFIG` is `<home>/.docker`.
    pub home: TempDir,
    /// The `CONTAINER_CONFIG` file: the environment's `[network]` table, and what
    /// [`TestEnv::write_config`] adds.
    pub config_path: PathBuf,
    /// The bridge and subnets of this environment alone.
    pub network: NetworkSlot,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let root = scratch_dir("container-root-");
        let home = scratch_dir("container-home-");
        let config_path = home.path().join("container.toml");
        let env = TestEnv {
            root,
            home,
            config_path,
            network: NetworkSlot::take(),
        };
        env.write_config("");
        env
    }

    /// Writes the tool config (TOML) for this test: `toml`, then this
    /// environment's `[network]` table unless `toml` has its own.
    pub fn write_config(&self, toml: &str) {
        let mut text = toml.to_owned();
        if !toml.lines().any(|l| l.trim() == "[network]") {
            text.push('\n');
            text.push_str(&self.network.config_toml());
        }
        fs::write(&self.config_path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", self.config_path.display()));
    }

    /// `<home>/.docker`, the binary's `DOCKER_CONFIG` (not created here).
    pub fn docker_config_dir(&self) -> PathBuf {
        self.home.path().join(".docker")
    }

    /// A `Command` for `bin` (pass `env!("CARGO_BIN_EXE_container")`) with
    /// `CONTAINER_ROOT`, `CONTAINER_CONFIG`, `HOME`, `DOCKER_CONFIG` pointing here,
    /// `NO_COLOR=1`, and `RUST_LOG`, the XDG base dirs and other `CONTAINER_*` unset.
    pub fn command(&self, bin: &str) -> Command {
        let mut cmd = Command::new(bin);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("CONTAINER_") {
                cmd.env_remove(name);
            }
        }
        for name in CLEARED_VARS {
            cmd.env_remove(name);
        }
        cmd.env("CONTAINER_ROOT", self.root.path())
            .env("CONTAINER_CONFIG", &self.config_path)
            .env("HOME", self.home.path())
            .env("DOCKER_CONFIG", self.docker_config_dir())
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `bin args...` here and captures its output (see [`crate::run`]).
    pub fn run(&self, bin: &str, args: &[&str]) -> Output {
        run(self.command(bin).args(args))
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        TestEnv::new()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        crate::containers::stop_under(self.root.path());
        crate::network::remove_networks(self.root.path(), &self.network.bridge());
        crate::mounts::unmount_under(self.root.path());
        crate::mounts::unmount_under(self.home.path());
    }
}

fn scratch_dir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a {prefix}* tempdir: {e}"))
}
