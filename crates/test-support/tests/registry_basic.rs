//! The basic-auth registry: 401 with a Basic challenge without credentials, 200 with.

use container_test_support::{Registry, http};

#[test]
fn basic_auth_registry_wants_the_right_credentials() {
    let registry = Registry::start_basic("tester", "s3cret-pass");
    let anonymous = http::get(&registry.addr(), "/v2/", &[]).unwrap();
    assert_eq!(anonymous.status, 401);
    let challenge = anonymous.header("WWW-Authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Basic realm="), "{challenge}");
    let good = http::basic_auth("tester", "s3cret-pass");
    let ok = http::get(&registry.addr(), "/v2/", &[("Authorization", &good)]).unwrap();
    assert_eq!(ok.status, 200);
    let bad = http::basic_auth("tester", "wrong");
    let refused = http::get(&registry.addr(), "/v2/", &[("Authorization", &bad)]).unwrap();
    assert_eq!(refused.status, 401);
}

#[test]
fn load_pushes_with_the_registry_credentials() {
    let registry = Registry::start_basic("tester", "s3cret-pass");
    registry.load("busybox-1.35", "library/busybox:1.35");
    let auth = http::basic_auth("tester", "s3cret-pass");
    let tags = http::get(
        &registry.addr(),
        "/v2/library/busybox/tags/list",
        &[("Authorization", &auth)],
    )
    .unwrap();
    assert_eq!(tags.json()["tags"][0], "1.35");
}
