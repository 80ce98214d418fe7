//! `pull`, `images`, `inspect` against a real registry on loopback.

mod common;

use common::{BIN, busybox_registry, container, entries, inspect, mirrored_env};
use container_test_support::{FlakyProxy, Registry, TestEnv, fixture_digest, run};

#[test]
fn pull_short_name_through_docker_io_mirror() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);

    let output = container(&env, &["pull", "busybox"]);
    output.success();
    assert_eq!(
        output.stdout.trim(),
        "docker.io/library/busybox:latest",
        "{output}"
    );
    assert!(output.stderr.contains("Digest: sha256:"), "{output}");

    let images = container(&env, &["images"]);
    images.success();
    let lines: Vec<&str> = images.stdout.lines().collect();
    let header: Vec<&str> = lines[0]
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
        "{images}"
    );
    assert!(
        lines[1].starts_with("busybox "),
        "listings show the familiar name\n{images}"
    );
    assert!(lines[1].contains(" latest "), "{images}");

    let template = container(&env, &["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert_eq!(template.success().stdout, "busybox:latest\n");
}

#[test]
fn inspect_shows_full_names_platform_config_and_layers() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "busybox"]).success();

    let image = inspect(&env, "busybox:latest");
    assert_eq!(
        image["RepoTags"],
        serde_json::json!(["docker.io/library/busybox:latest"])
    );
    assert_eq!(image["Os"], "linux");
    assert_eq!(image["Architecture"], "amd64");
    assert_eq!(image["Config"]["Cmd"], serde_json::json!(["sh"]));
    assert_eq!(image["RootFS"]["Layers"].as_array().map(Vec::len), Some(1));
    assert!(image["History"].is_array());
    let id = image["Id"].as_str().unwrap();

    // The same image by short ID, full ID, and `name@digest`.
    let short = &id["sha256:".len().."sha256:".len() + 12];
    assert_eq!(inspect(&env, short)["Id"], id);
    assert_eq!(inspect(&env, id)["Id"], id);
    let digest = fixture_digest("busybox-1.35");
    assert_eq!(inspect(&env, &format!("busybox@{digest}"))["Id"], id);
}

#[test]
fn pull_by_registry_host_keeps_the_host_in_listings() {
    let registry = busybox_registry();
    let env = TestEnv::new();
    let name = format!("{}/library/busybox:1.35", registry.addr());
    let output = container(&env, &["pull", &name]);
    output.success();
    assert_eq!(output.stdout.trim(), name);
    let listed = container(&env, &["images", "--format", "{{.Repository}} {{.Tag}}"]);
    assert_eq!(
        listed.success().stdout,
        format!("{}/library/busybox 1.35\n", registry.addr())
    );
}

#[test]
fn a_503_is_retried_and_a_broken_off_download_resumes_where_it_stopped() {
    // The proxy also closes HTTPS attempts unanswered: a loopback registry still falls
    // back to plain HTTP.
    let registry = busybox_registry();
    // The busybox layer is about 1 MB: cut it off after 300 KB.
    let proxy = FlakyProxy::start(&registry.addr(), 300_000);
    let env = TestEnv::new();
    let name = format!("{}/library/busybox:1.35", proxy.addr());
    container(&env, &["pull", "-q", &name]).success();

    let requests = proxy.requests();
    let manifests = requests
        .iter()
        .filter(|r| r.path.ends_with("/manifests/1.35"));
    assert!(
        manifests.count() >= 2,
        "the 503 was not retried: {requests:#?}"
    );
    assert!(proxy.has_cut_a_blob(), "{requests:#?}");
    let resumed = requests
        .iter()
        .any(|r| r.path.contains("/blobs/") && r.range.as_deref() == Some("bytes=300000-"));
    assert!(resumed, "no request resumed at the cut: {requests:#?}");
    // The resumed layer checked out against its digests, and the image runs.
    let listed = container(
        &env,
        &["run", "--rm", "--network", "none", &name, "echo", "whole"],
    );
    assert_eq!(listed.success().stdout, "whole\n");
}

#[test]
fn missing_image_is_one_clear_error_with_a_hint() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    let output = container(&env, &["pull", "non-existent-image-123"]);
    output.code_is(1);
    assert!(
        output.stderr.contains(
            "`docker.io/library/non-existent-image-123:latest` was not found or access was denied"
        ),
        "{output}"
    );
    assert!(
        output.stderr.contains("hint: check the image name"),
        "{output}"
    );
    assert_eq!(
        entries(&env.root.path().join("layers")),
        Vec::<String>::new()
    );
}

#[test]
fn unreachable_registry_is_one_clear_error() {
    let env = TestEnv::new();
    // Port 1 on loopback: nothing listens there.
    let output = container(&env, &["pull", "127.0.0.1:1/library/busybox"]);
    output.code_is(1);
    assert!(
        output
            .stderr
            .contains("registry 127.0.0.1:1 is unreachable"),
        "{output}"
    );
    assert!(output.stderr.contains("hint:"), "{output}");
}

#[test]
fn malformed_reference_is_refused_before_any_request() {
    let env = TestEnv::new();
    for name in [
        "docker.io/library/Alpine",
        "alpine:bad tag",
        "a@sha256:short",
        &"f".repeat(64),
    ] {
        let output = container(&env, &["pull", name]);
        output.code_is(1);
        assert!(output.stderr.starts_with("error: invalid"), "{output}");
    }
}

#[test]
fn unknown_flag_exits_125() {
    let env = TestEnv::new();
    container(&env, &["pull", "--no-such-flag", "busybox"]).code_is(125);
}

#[test]
fn eight_concurrent_pulls_all_succeed_and_store_one_copy() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    let children: Vec<_> = (0..8)
        .map(|_| {
            let mut command = env.command(BIN);
            command.args(["pull", "-q", "busybox"]);
            std::thread::spawn(move || run(&mut command))
        })
        .collect();
    for child in children {
        child.join().unwrap().success();
    }
    let layers = common::unpacked_layers(env.root.path());
    assert_eq!(layers.len(), 1, "one unpacked layer: {layers:?}");
    // manifest, config and one layer
    assert_eq!(
        entries(&env.root.path().join("content/blobs/sha256")).len(),
        3
    );
    assert_eq!(
        container(&env, &["images", "-q"])
            .success()
            .stdout
            .lines()
            .count(),
        1
    );
}

#[test]
fn skopeo_can_copy_from_the_store() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "busybox"]).success();
    let out = tempfile::tempdir().unwrap();
    let source = format!(
        "oci:{}:docker.io/library/busybox:latest",
        env.root.path().join("content").display()
    );
    let destination = format!("oci:{}:copy", out.path().display());
    let mut skopeo = std::process::Command::new("skopeo");
    skopeo.args(["copy", "-q", &source, &destination]);
    run(&mut skopeo).success();
}

#[test]
fn index_picks_the_host_platform_or_the_one_asked_for() {
    let registry = Registry::start();
    registry.load("multi-1", "library/multi:1");
    let env = mirrored_env(&registry);

    container(&env, &["pull", "-q", "multi:1"]).success();
    assert_eq!(inspect(&env, "multi:1")["Architecture"], "amd64");

    let other = mirrored_env(&registry);
    container(
        &other,
        &["pull", "-q", "--platform", "linux/arm64", "multi:1"],
    )
    .success();
    let image = inspect(&other, "multi:1");
    assert_eq!(image["Architecture"], "arm64");

    let none = container(&other, &["pull", "--platform", "linux/riscv64", "multi:1"]);
    none.code_is(1);
    assert!(
        none.stderr.contains("no image for platform linux/riscv64"),
        "{none}"
    );
}

#[test]
fn docker_v2s2_and_oci_manifests_both_pull() {
    let registry = Registry::start();
    registry.load_as("busybox-1.35", "library/v2s2:1", "v2s2");
    registry.load_as("busybox-1.35", "library/oci:1", "oci");
    let env = mirrored_env(&registry);
    for name in ["v2s2:1", "oci:1"] {
        container(&env, &["pull", "-q", name]).success();
        assert_eq!(
            inspect(&env, name)["Config"]["Cmd"],
            serde_json::json!(["sh"])
        );
    }
}

#[test]
fn layers_shared_between_images_are_stored_once() {
    // multi:1's amd64 image is busybox's layer under another config.
    let registry = busybox_registry();
    registry.load("multi-1", "library/multi:1");
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "busybox"]).success();
    let output = container(&env, &["pull", "multi:1"]);
    output.success();
    assert!(output.stderr.contains("Already exists"), "{output}");
    let layers = common::unpacked_layers(env.root.path());
    assert_eq!(layers.len(), 1, "{layers:?}");
}

#[test]
fn a_single_platform_image_of_another_platform_is_refused_not_stored() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    let pull = container(&env, &["pull", "--platform", "linux/arm64", "busybox"]);
    pull.code_is(1);
    assert!(
        pull.stderr.contains(
            "does not match the specified platform: wanted linux/arm64/v8, actual: linux/amd64"
        ),
        "{pull}"
    );
    assert_eq!(container(&env, &["images", "-q"]).success().stdout, "");

    // Stored for amd64, a run for arm64 looks for the arm64 image rather than run it.
    container(&env, &["pull", "-q", "busybox"]).success();
    let run = container(
        &env,
        &[
            "run",
            "--rm",
            "--platform",
            "linux/arm64",
            "busybox",
            "true",
        ],
    );
    run.code_is(125);
    assert!(
        run.stderr.contains("does not match the specified platform"),
        "{run}"
    );
}
