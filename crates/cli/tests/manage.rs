//! `tag`, `rmi`, `image prune`, `history`, and the other image commands.

mod common;

use common::{busybox_registry, container, entries, inspect, mirrored_env};
use container_test_support::TestEnv;

#[test]
fn tag_then_rmi_untags_and_deletes_the_last_name() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "busybox"]).success();
    let id = inspect(&env, "busybox")["Id"].as_str().unwrap().to_owned();

    container(&env, &["tag", "busybox:latest", "mine:1"]).success();
    assert_eq!(inspect(&env, "mine:1")["Id"], id.as_str());
    let names = container(
        &env,
        &["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
    );
    let mut names: Vec<&str> = names.stdout.lines().collect();
    names.sort();
    assert_eq!(names, ["busybox:latest", "mine:1"]);

    // By ID, an image with two tags needs --force.
    let refused = container(&env, &["rmi", &id]);
    refused.code_is(1);
    assert!(refused.stderr.contains("several tags"), "{refused}");

    let untag = container(&env, &["rmi", "mine:1"]);
    assert_eq!(untag.success().stdout, "Untagged: mine:1\n");
    let delete = container(&env, &["image", "rm", "busybox"]);
    assert_eq!(
        delete.success().stdout,
        format!("Untagged: busybox:latest\nDeleted: {id}\n")
    );

    assert_eq!(container(&env, &["images", "-q"]).success().stdout, "");
    assert!(entries(&env.root.path().join("content/blobs/sha256")).is_empty());
    let layers = common::unpacked_layers(env.root.path());
    assert!(layers.is_empty(), "{layers:?}");
}

#[test]
fn a_moved_tag_leaves_a_dangling_image_that_prune_removes() {
    let registry = busybox_registry();
    registry.load("zstd-1", "library/moving:1");
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "moving:1"]).success();
    registry.load("busybox-1.35", "library/moving:1");
    container(&env, &["pull", "-q", "moving:1"]).success();

    let dangling = container(
        &env,
        &[
            "images",
            "--filter",
            "dangling=true",
            "--format",
            "{{.Repository}} {{.Tag}}",
        ],
    );
    assert_eq!(dangling.success().stdout, "<none> <none>\n", "{dangling}");

    let prune = container(&env, &["image", "prune", "-f"]);
    prune.success();
    assert!(
        prune
            .stdout
            .starts_with("Deleted Images:\ndeleted: sha256:"),
        "{prune}"
    );
    assert!(prune.stdout.contains("Total reclaimed space: "), "{prune}");
    assert_eq!(
        container(&env, &["images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout,
        "moving:1\n"
    );

    let all = container(&env, &["image", "prune", "-a", "-f"]);
    assert!(all.success().stdout.contains("untagged: moving:1"), "{all}");
    assert_eq!(container(&env, &["images", "-q"]).stdout, "");
}

#[test]
fn filters_and_digests() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "busybox:1.35"]).success();
    container(&env, &["tag", "busybox:1.35", "other/name:2"]).success();

    let by_reference = container(
        &env,
        &[
            "images",
            "--filter",
            "reference=other/*",
            "--format",
            "{{.Repository}}",
        ],
    );
    assert_eq!(by_reference.success().stdout, "other/name\n");
    let positional = container(&env, &["images", "busybox", "--format", "{{.Tag}}"]);
    assert_eq!(positional.success().stdout, "1.35\n");
    let digests = container(&env, &["images", "--digests"]);
    assert!(
        digests
            .success()
            .stdout
            .lines()
            .next()
            .unwrap()
            .contains("DIGEST"),
        "{digests}"
    );
    assert!(digests.stdout.contains("sha256:"), "{digests}");
    let json = container(&env, &["images", "--format", "json"]);
    for line in json.success().stdout.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(row["ID"].as_str().is_some_and(|id| id.len() == 12), "{row}");
    }
    let bad = container(&env, &["images", "--filter", "colour=blue"]);
    bad.code_is(1);
}

#[test]
fn history_lists_the_steps() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "busybox"]).success();
    let history = container(&env, &["image", "history", "busybox"]);
    let header = history.success().stdout.lines().next().unwrap().to_owned();
    for column in ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"] {
        assert!(header.contains(column), "{history}");
    }
    assert!(history.stdout.lines().count() >= 2, "{history}");
}

#[test]
fn missing_image_names_what_was_asked() {
    let env = TestEnv::new();
    let output = container(&env, &["inspect", "nothing:here"]);
    output.code_is(1);
    assert!(
        output.stderr.contains("no such object: `nothing:here`"),
        "{output}"
    );
    assert_eq!(output.stdout.trim(), "[]");
    let image = container(&env, &["inspect", "--type", "image", "nothing:here"]);
    image.code_is(1);
    assert!(
        image.stderr.contains("no such image: `nothing:here`"),
        "{image}"
    );
    container(&env, &["rmi", "-f", "nothing:here"]).success();
}

#[test]
fn completion_and_system_commands() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let output = container(&env, &["completion", shell]);
        assert!(output.success().stdout.contains("container"), "{output}");
    }
    let info = container(&env, &["system", "info", "--format", "json"]);
    let info: serde_json::Value = serde_json::from_str(&info.success().stdout).unwrap();
    assert_eq!(info["Images"], 0);
    assert!(
        info["Checks"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["Name"] == "overlayfs"))
    );
    container(&env, &["system", "start"]).success();
    container(&env, &["system", "stop"]).success();
    let version = container(&env, &["--version"]);
    assert!(
        version.success().stdout.starts_with("container "),
        "{version}"
    );
    // Docker's top-level spellings.
    let short = container(&env, &["version", "--format", "{{.Client.Version}}"]);
    assert_eq!(
        short.success().stdout,
        format!("{}\n", env!("CARGO_PKG_VERSION"))
    );
    let info = container(&env, &["info", "--format", "json"]);
    let info: serde_json::Value = serde_json::from_str(&info.success().stdout).unwrap();
    assert_eq!(info["Images"], 0);
}
