//! `push` to real loopback registries: open, basic auth and token auth.

mod common;
mod piped;

use common::{busybox_env, container, mirrored_env};
use container_test_support::{Registry, TestEnv, fixture_digest};
use piped::with_input;

const USER: &str = "tester";
const PASSWORD: &str = "s3cret-pass";

/// `TAG: digest: sha256:… size: N`, as Docker prints it.
fn digest_line(stdout: &str, tag: &str) -> String {
    let line = stdout.lines().last().unwrap_or_default();
    let rest = line
        .strip_prefix(&format!("{tag}: digest: "))
        .unwrap_or_else(|| panic!("no digest line in {stdout:?}"));
    let (digest, size) = rest.split_once(" size: ").unwrap();
    assert!(size.parse::<u64>().unwrap() > 0);
    digest.to_owned()
}

/// The digest a fresh store gets when pulling `name`.
fn pulled_digest(name: &str) -> String {
    let env = TestEnv::new();
    container(&env, &["pull", "-q", name]).success();
    let image = common::inspect(&env, name);
    let digests = image["RepoDigests"].as_array().unwrap();
    let first = digests[0].as_str().unwrap();
    first.split_once('@').unwrap().1.to_owned()
}

#[test]
fn push_uploads_then_finds_every_blob_there() {
    let (_source, env) = busybox_env();
    let target = Registry::start();
    let name = format!("{}/me/app:1.0", target.addr());
    container(&env, &["tag", "busybox", &name]).success();

    let first = container(&env, &["push", &name]);
    first.success();
    assert!(
        first.stderr.contains(&format!(
            "The push refers to repository [{}/me/app]",
            target.addr()
        )),
        "{first}"
    );
    assert!(first.stderr.contains(": Pushed"), "{first}");
    let digest = digest_line(&first.stdout, "1.0");
    assert_eq!(digest, fixture_digest("busybox-1.35"));
    assert_eq!(pulled_digest(&name), digest);

    let again = container(&env, &["image", "push", &name]);
    again.success();
    assert!(again.stderr.contains(": Layer already exists"), "{again}");
    assert!(!again.stderr.contains(": Pushed"), "{again}");
    assert_eq!(digest_line(&again.stdout, "1.0"), digest);
}

#[test]
fn push_mounts_blobs_from_other_repositories_of_the_registry() {
    let (_source, env) = busybox_env();
    let target = Registry::start();
    let first = format!("{}/me/app:1.0", target.addr());
    let second = format!("{}/other/app:2", target.addr());
    container(&env, &["tag", "busybox", &first]).success();
    container(&env, &["push", &first]).success();

    container(&env, &["tag", "busybox", &second]).success();
    let out = container(&env, &["push", &second]);
    out.success();
    assert!(out.stderr.contains(": Mounted from me/app"), "{out}");
    assert_eq!(pulled_digest(&second), fixture_digest("busybox-1.35"));

    // A store that pulled from the registry knows where its blobs are, too.
    let other = TestEnv::new();
    container(&other, &["pull", "-q", &first]).success();
    let third = format!("{}/third/app:3", target.addr());
    container(&other, &["tag", &first, &third]).success();
    let out = container(&other, &["push", &third]);
    out.success();
    assert!(out.stderr.contains(": Mounted from me/app"), "{out}");
}

fn refused_without_login(registry: &Registry) {
    let (_source, env) = busybox_env();
    let name = format!("{}/me/app:1.0", registry.addr());
    container(&env, &["tag", "busybox", &name]).success();
    let out = container(&env, &["push", &name]);
    out.code_is(1);
    assert!(out.stderr.contains("401 Unauthorized"), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "hint: log in first: `container login {}`",
            registry.addr()
        )),
        "{out}"
    );

    let input = format!("{PASSWORD}\n");
    let login = ["login", "-u", USER, "--password-stdin", &registry.addr()];
    with_input(&env, &login, input.as_bytes()).success();
    let out = container(&env, &["push", &name]);
    out.success();
    assert_eq!(
        digest_line(&out.stdout, "1.0"),
        fixture_digest("busybox-1.35")
    );
}

#[test]
fn push_to_a_basic_auth_registry_needs_a_login() {
    refused_without_login(&Registry::start_basic(USER, PASSWORD));
}

#[test]
fn push_to_a_token_registry_needs_a_login_and_asks_for_push_scope() {
    let registry = Registry::start_token(USER, PASSWORD);
    refused_without_login(&registry);
    let requests = registry.token_requests();
    let scope = "repository:me/app:pull,push";
    assert!(
        requests
            .iter()
            .any(|r| r.scopes.iter().any(|s| s == scope) && r.authorized_user.is_some()),
        "{requests:?}"
    );
}

#[test]
fn an_image_pulled_from_an_index_pushes_its_platform_manifest() {
    let source = Registry::start();
    source.load("multi-1", "library/multi:1");
    let env = mirrored_env(&source);
    container(&env, &["pull", "-q", "multi:1"]).success();
    let image = common::inspect(&env, "multi:1");

    let target = Registry::start();
    let name = format!("{}/me/multi:1", target.addr());
    container(&env, &["tag", "multi:1", &name]).success();
    let out = container(&env, &["push", &name]);
    out.success();
    let digest = digest_line(&out.stdout, "1");
    assert_ne!(digest, fixture_digest("multi-1"), "pushed the index");
    assert_eq!(pulled_digest(&name), digest);
    let pushed = TestEnv::new();
    container(&pushed, &["pull", "-q", &name]).success();
    assert_eq!(common::inspect(&pushed, &name)["Id"], image["Id"]);
}

#[test]
fn pushing_a_missing_image_fails_before_contacting_the_registry() {
    let env = TestEnv::new();
    let out = container(&env, &["push", "127.0.0.1:9/me/nothere:1"]);
    out.code_is(1);
    assert!(
        out.stderr
            .contains("no such image: `127.0.0.1:9/me/nothere:1`"),
        "{out}"
    );
    assert!(!out.stderr.contains("The push refers to"), "{out}");
}
