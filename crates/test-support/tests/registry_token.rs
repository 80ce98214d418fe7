//! Token mode: the registry challenges with Bearer, the issuer grants what valid
//! credentials ask for and nothing to anonymous callers, and records every request.

use container_test_support::http::{self, HttpResponse};
use container_test_support::{Registry, TOKEN_SERVICE, TokenRequest};

const USER: &str = "tester";
const PASSWORD: &str = "s3cret-pass";
const SCOPE: &str = "repository:library/busybox:pull,push";
const MANIFEST: &str = "/v2/library/busybox/manifests/1.35";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// `GET <realm>?service=..&scope=..` (each scope its own parameter).
fn ask_token(registry: &Registry, scopes: &[&str], auth: Option<&str>) -> HttpResponse {
    let realm = registry.token_realm().expect("token mode");
    let (addr, path) = realm
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap();
    let mut target = format!("/{path}?service={TOKEN_SERVICE}");
    for scope in scopes {
        target.push_str(&format!(
            "&scope={}",
            scope.replace(':', "%3A").replace('/', "%2F")
        ));
    }
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    http::get(addr, &target, &headers).unwrap()
}

fn bearer_get(registry: &Registry, path: &str, token: &str) -> HttpResponse {
    let auth = format!("Bearer {token}");
    http::get(
        &registry.addr(),
        path,
        &[("Authorization", &auth), ("Accept", OCI_MANIFEST)],
    )
    .unwrap()
}

#[test]
fn anonymous_v2_gets_a_bearer_challenge_naming_realm_and_service() {
    let registry = Registry::start_token(USER, PASSWORD);
    let response = http::get(&registry.addr(), "/v2/", &[]).unwrap();
    assert_eq!(response.status, 401);
    let challenge = response.header("WWW-Authenticate").unwrap();
    let expected = format!(
        "Bearer realm=\"{}\",service=\"{TOKEN_SERVICE}\"",
        registry.token_realm().unwrap()
    );
    assert_eq!(challenge, expected);
}

#[test]
fn a_token_got_with_credentials_reads_what_skopeo_pushed() {
    let registry = Registry::start_token(USER, PASSWORD);
    registry.load("busybox-1.35", "library/busybox:1.35"); // skopeo's own bearer flow
    assert_eq!(registry.token_requests(), []);
    let basic = http::basic_auth(USER, PASSWORD);
    let answer = ask_token(&registry, &[SCOPE], Some(&basic));
    assert_eq!(answer.status, 200, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["token"], body["access_token"]);
    let manifest = bearer_get(&registry, MANIFEST, body["token"].as_str().unwrap());
    assert_eq!(manifest.status, 200, "{}", manifest.text());
    let expected = TokenRequest {
        scopes: vec![SCOPE.to_string()],
        service: Some(TOKEN_SERVICE.to_string()),
        authorized_user: Some(USER.to_string()),
        had_credentials: true,
    };
    assert_eq!(registry.token_requests(), [expected]);
}

#[test]
fn an_anonymous_token_grants_nothing() {
    let registry = Registry::start_token(USER, PASSWORD);
    registry.load("busybox-1.35", "library/busybox:1.35");
    let answer = ask_token(&registry, &["repository:library/busybox:pull"], None);
    assert_eq!(answer.status, 200);
    let manifest = bearer_get(
        &registry,
        MANIFEST,
        answer.json()["token"].as_str().unwrap(),
    );
    assert_eq!(manifest.status, 401, "{}", manifest.text());
    let request = &registry.token_requests()[0];
    assert!(!request.had_credentials);
    assert_eq!(request.authorized_user, None);
}

#[test]
fn a_wrong_password_gets_401_from_the_issuer_and_scopes_are_all_recorded() {
    let registry = Registry::start_token(USER, PASSWORD);
    let bad = http::basic_auth(USER, "wrong");
    let scopes = ["repository:a/b:pull", "repository:c/d:pull,push"];
    let answer = ask_token(&registry, &scopes, Some(&bad));
    assert_eq!(answer.status, 401);
    let request = &registry.token_requests()[0];
    assert_eq!(request.scopes, scopes);
    assert!(request.had_credentials);
    assert_eq!(request.authorized_user, None);
}
