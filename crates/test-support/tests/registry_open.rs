//! The open registry: starts, serves what `load` copied with the fixture's digests, and
//! is gone after Drop.

use std::net::TcpStream;

use container_test_support::{Registry, fixture_digest, http};
use serde_json::json;

const OCI_ACCEPT: &str =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

#[test]
fn open_registry_serves_a_loaded_busybox_with_the_fixture_digest() {
    let registry = Registry::start();
    registry.load("busybox-1.35", "library/busybox:1.35");
    let tags = http::get(&registry.addr(), "/v2/library/busybox/tags/list", &[]).unwrap();
    assert_eq!(tags.status, 200, "{}", tags.text());
    assert_eq!(
        tags.json(),
        json!({"name": "library/busybox", "tags": ["1.35"]})
    );
    let manifest = http::get(
        &registry.addr(),
        "/v2/library/busybox/manifests/1.35",
        &[("Accept", OCI_ACCEPT)],
    )
    .unwrap();
    assert_eq!(manifest.status, 200);
    assert_eq!(
        manifest.header("Docker-Content-Digest"),
        Some(&*fixture_digest("busybox-1.35"))
    );
}

#[test]
fn an_index_keeps_its_digest_and_both_platforms() {
    let registry = Registry::start();
    registry.load("multi-1", "library/multi:1");
    let index = http::get(
        &registry.addr(),
        "/v2/library/multi/manifests/1",
        &[("Accept", OCI_ACCEPT)],
    )
    .unwrap();
    assert_eq!(
        index.header("Docker-Content-Digest"),
        Some(&*fixture_digest("multi-1"))
    );
    let platforms: Vec<String> = index.json()["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(platforms, ["amd64", "arm64"]);
}

#[test]
fn load_as_v2s2_serves_a_docker_manifest() {
    let registry = Registry::start();
    registry.load_as("busybox-1.35", "library/busybox:v2", "v2s2");
    let accept = "application/vnd.docker.distribution.manifest.v2+json";
    let manifest = http::get(
        &registry.addr(),
        "/v2/library/busybox/manifests/v2",
        &[("Accept", accept)],
    )
    .unwrap();
    assert_eq!(manifest.json()["mediaType"], accept);
}

#[test]
fn the_registry_stops_on_drop() {
    let registry = Registry::start();
    let addr = registry.addr();
    assert!(TcpStream::connect(&addr).is_ok());
    drop(registry);
    assert!(
        TcpStream::connect(&addr).is_err(),
        "{addr} still accepts connections"
    );
}
