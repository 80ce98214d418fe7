//! Shared by the integration tests: the binary, and a store whose docker.io is a mirror.

#![allow(dead_code)]

pub mod image;

use container_test_support::{Output, Registry, TestEnv};

pub const BIN: &str = env!("CARGO_BIN_EXE_container");

/// A test store whose `docker.io` is served only by `registry`, as on a site without
/// internet access.
pub fn mirrored_env(registry: &Registry) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[registries.\"docker.io\"]\nmirrors = [\"{}\"]\nmirrors-only = true\n",
        registry.addr()
    ));
    env
}

/// Runs the binary in `env` with `args`.
pub fn container(env: &TestEnv, args: &[&str]) -> Output {
    env.run(BIN, args)
}

/// A registry serving the busybox fixture as `library/busybox:latest` and `:1.35`.
pub fn busybox_registry() -> Registry {
    let registry = Registry::start();
    registry.load("busybox-1.35", "library/busybox:latest");
    registry.load("busybox-1.35", "library/busybox:1.35");
    registry
}

/// A store with busybox pulled through the docker.io mirror, and its registry (kept
/// alive with it).
pub fn busybox_env() -> (Registry, TestEnv) {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "busybox"]).success();
    (registry, env)
}

/// The JSON `inspect` prints for `name`.
pub fn inspect(env: &TestEnv, name: &str) -> serde_json::Value {
    let output = container(env, &["inspect", name]);
    output.success();
    let mut list: Vec<serde_json::Value> =
        serde_json::from_str(&output.stdout).expect("inspect prints JSON");
    assert_eq!(list.len(), 1, "{output}");
    list.remove(0)
}

/// Names of the entries of a directory, sorted.
pub fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// What `layers/` holds besides layer records: unpacked layers, and any leftovers.
pub fn unpacked_layers(root: &std::path::Path) -> Vec<String> {
    entries(&root.join("layers"))
        .into_iter()
        .filter(|n| !n.ends_with(".json"))
        .collect()
}
