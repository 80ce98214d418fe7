//! Registries serving HTTPS with a certificate from a CA of their own.

mod common;

use common::container;
use container_test_support::{Registry, TestEnv};

fn tls_registry() -> (Registry, String) {
    let registry = Registry::start_tls();
    registry.load("busybox-1.35", "library/busybox:1");
    let name = format!("{}/library/busybox:1", registry.addr());
    (registry, name)
}

#[test]
fn unknown_ca_is_a_tls_error_with_a_hint() {
    let (registry, name) = tls_registry();
    let env = TestEnv::new();
    let output = container(&env, &["pull", &name]);
    output.code_is(1);
    let expected = format!("TLS handshake with {} failed", registry.addr());
    assert!(output.stderr.contains(&expected), "{output}");
    assert!(output.stderr.contains("certs.d"), "{output}");
}

#[test]
fn ca_from_certs_d_is_trusted() {
    let (registry, name) = tls_registry();
    let env = TestEnv::new();
    let certs = env.home.path().join("certs.d");
    let host_dir = certs.join(registry.addr());
    std::fs::create_dir_all(&host_dir).unwrap();
    std::fs::write(host_dir.join("ca.crt"), registry.ca_pem().unwrap()).unwrap();
    env.write_config(&format!("certs-dirs = [\"{}\"]\n", certs.display()));
    container(&env, &["pull", "-q", &name]).success();
}

#[test]
fn tls_verify_false_and_insecure_registries_skip_the_check() {
    let (registry, name) = tls_registry();
    let env = TestEnv::new();
    container(&env, &["pull", "-q", "--tls-verify=false", &name]).success();

    let insecure = TestEnv::new();
    insecure.write_config(&format!(
        "[registries.\"{}\"]\ninsecure = true\n",
        registry.addr()
    ));
    container(&insecure, &["pull", "-q", &name]).success();
}
