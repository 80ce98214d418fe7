//! Registries that want credentials: basic auth and Docker Hub's bearer-token flow.

mod common;

use base64::Engine as _;
use common::container;
use container_test_support::{FlakyProxy, Registry, TestEnv, http};

const USER: &str = "tester";
const PASSWORD: &str = "s3cret-pass";

/// Writes Docker's `config.json` with a login for the registry at `addr`.
fn login(env: &TestEnv, addr: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
    let dir = env.docker_config_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let json = format!(r#"{{"auths":{{"{addr}":{{"auth":"{auth}"}}}}}}"#);
    std::fs::write(dir.join("config.json"), json).unwrap();
}

#[test]
fn credentials_do_not_follow_a_blob_redirect_to_another_host() {
    let registry = Registry::start_basic(USER, PASSWORD);
    registry.load("busybox-1.35", "library/busybox:1");
    // Blob storage holds its own access to the blobs, as S3 behind a registry does.
    let storage = FlakyProxy::storage(&registry.addr(), &http::basic_auth(USER, PASSWORD));
    let front = FlakyProxy::redirecting(&registry.addr(), &storage.addr());
    let env = TestEnv::new();
    login(&env, &front.addr(), PASSWORD);
    let name = format!("{}/library/busybox:1", front.addr());
    container(&env, &["pull", "-q", &name]).success();

    let asked = front.requests();
    let manifest = asked.iter().find(|r| r.path.contains("/manifests/"));
    assert!(manifest.is_some_and(|r| r.is_authorized), "{asked:#?}");
    let fetched = storage.requests();
    assert!(
        fetched.iter().any(|r| r.path.contains("/blobs/")),
        "{fetched:#?}"
    );
    assert!(fetched.iter().all(|r| !r.is_authorized), "{fetched:#?}");
}

#[test]
fn basic_auth_uses_docker_config_credentials() {
    let registry = Registry::start_basic(USER, PASSWORD);
    registry.load("busybox-1.35", "library/busybox:1");
    let name = format!("{}/library/busybox:1", registry.addr());

    let anonymous = TestEnv::new();
    let refused = container(&anonymous, &["pull", &name]);
    refused.code_is(1);
    assert!(
        refused
            .stderr
            .contains("was not found or access was denied"),
        "{refused}"
    );

    let env = TestEnv::new();
    login(&env, &registry.addr(), PASSWORD);
    container(&env, &["pull", &name]).success();
}

#[test]
fn bearer_token_flow_asks_for_the_right_scope_with_credentials() {
    let registry = Registry::start_token(USER, PASSWORD);
    registry.load("busybox-1.35", "library/busybox:1");
    registry.clear_token_requests();
    let name = format!("{}/library/busybox:1", registry.addr());

    let env = TestEnv::new();
    login(&env, &registry.addr(), PASSWORD);
    container(&env, &["pull", &name]).success();
    let requests = registry.token_requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request.scopes, ["repository:library/busybox:pull"]);
        assert_eq!(request.authorized_user.as_deref(), Some(USER));
    }
}

#[test]
fn bearer_token_flow_is_anonymous_without_credentials_and_fails_cleanly() {
    let registry = Registry::start_token(USER, PASSWORD);
    registry.load("busybox-1.35", "library/busybox:1");
    registry.clear_token_requests();
    let name = format!("{}/library/busybox:1", registry.addr());

    let env = TestEnv::new();
    let output = container(&env, &["pull", &name]);
    output.code_is(1);
    assert!(
        output.stderr.contains("was not found or access was denied"),
        "{output}"
    );
    let requests = registry.token_requests();
    assert!(requests.iter().all(|r| !r.had_credentials), "{requests:?}");
}

#[test]
fn wrong_password_is_refused_by_the_token_endpoint() {
    let registry = Registry::start_token(USER, PASSWORD);
    registry.load("busybox-1.35", "library/busybox:1");
    let env = TestEnv::new();
    login(&env, &registry.addr(), "wrong");
    let output = container(
        &env,
        &["pull", &format!("{}/library/busybox:1", registry.addr())],
    );
    output.code_is(1);
    assert!(output.stderr.contains("authentication with"), "{output}");
    assert!(output.stderr.contains("status 401"), "{output}");
}
