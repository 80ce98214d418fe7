//! `system df`, `image prune` and `system prune`: what is used, what goes, and the
//! space given back.

mod common;

use common::{busybox_env, container};

/// `system df --format json`, by type.
fn df_rows(env: &container_test_support::TestEnv) -> Vec<serde_json::Value> {
    let out = container(env, &["system", "df", "--format", "json"]);
    out.success();
    let rows: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4, "{out}");
    rows
}

fn row<'a>(rows: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    rows.iter().find(|r| r["Type"] == kind).unwrap()
}

#[test]
fn system_df_counts_images_containers_and_volumes() {
    let (_registry, env) = busybox_env();
    let rows = df_rows(&env);
    assert_eq!(row(&rows, "Images")["TotalCount"], "1");
    assert_eq!(row(&rows, "Images")["Active"], "0");
    assert_ne!(row(&rows, "Images")["Size"], "0B");
    assert!(
        row(&rows, "Images")["Reclaimable"]
            .as_str()
            .unwrap()
            .ends_with("(100%)")
    );
    assert_eq!(row(&rows, "Containers")["TotalCount"], "0");

    let created = container(
        &env,
        &[
            "create",
            "--name",
            "keeper",
            "-v",
            "data:/data",
            "busybox",
            "true",
        ],
    );
    created.success();
    let rows = df_rows(&env);
    assert_eq!(row(&rows, "Images")["Active"], "1");
    assert_eq!(row(&rows, "Images")["Reclaimable"], "0B (0%)");
    assert_eq!(row(&rows, "Containers")["TotalCount"], "1");
    assert_eq!(row(&rows, "Containers")["Active"], "0");
    assert_eq!(row(&rows, "Local Volumes")["TotalCount"], "1");
    assert_eq!(row(&rows, "Local Volumes")["Active"], "1");

    let table = container(&env, &["system", "df"]);
    table.success();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("TYPE"), "{table}");
    assert!(lines[1].starts_with("Images"), "{table}");
    assert!(lines[4].starts_with("Build Cache"), "{table}");

    let verbose = container(&env, &["system", "df", "-v"]);
    verbose.success();
    for needle in [
        "Images space usage:",
        "busybox",
        "Containers space usage:",
        "keeper",
        "Local Volumes space usage:",
        "data",
        "Build cache usage: ",
    ] {
        assert!(verbose.stdout.contains(needle), "{needle}: {verbose}");
    }
}

#[test]
fn image_prune_shows_what_went_and_the_space_reclaimed() {
    let (_registry, env) = busybox_env();
    let kept = container(&env, &["image", "prune", "-f"]);
    kept.success();
    assert_eq!(kept.stdout, "Total reclaimed space: 0B\n");

    let id = common::inspect(&env, "busybox")["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = container(&env, &["image", "prune", "-a", "-f"]);
    out.success();
    let expected = format!("Deleted Images:\nuntagged: busybox:latest\ndeleted: {id}\n\n");
    assert!(out.stdout.starts_with(&expected), "{out}");
    let last = out.stdout.lines().last().unwrap();
    assert!(last.starts_with("Total reclaimed space: "), "{out}");
    assert_ne!(last, "Total reclaimed space: 0B", "{out}");
    assert_eq!(row(&df_rows(&env), "Images")["TotalCount"], "0");
}

#[test]
fn system_prune_asks_first_then_removes_stopped_containers_volumes_and_images() {
    let (_registry, env) = busybox_env();
    let run = container(
        &env,
        &["run", "--name", "done", "-v", "/scratch", "busybox", "true"],
    );
    run.success();
    let id = container(&env, &["ps", "-a", "-q", "--no-trunc"]).stdout;

    let declined = container(&env, &["system", "prune", "--volumes"]);
    declined.success();
    assert!(declined.stderr.contains("WARNING! This will remove:\n  - all stopped containers\n  - all anonymous volumes not used by at least one container\n  - all dangling images\n  - unused build cache\n"), "{declined}");
    assert_eq!(declined.stdout, "Total reclaimed space: 0B\n");
    assert_eq!(
        container(&env, &["ps", "-a", "-q"]).stdout.lines().count(),
        1
    );

    let out = container(&env, &["system", "prune", "-a", "--volumes", "-f"]);
    out.success();
    assert!(
        out.stdout
            .starts_with(&format!("Deleted Containers:\n{}\n", id.trim())),
        "{out}"
    );
    assert!(out.stdout.contains("\nDeleted Volumes:\n"), "{out}");
    assert!(
        out.stdout
            .contains("\nDeleted Images:\nuntagged: busybox:latest\n"),
        "{out}"
    );
    let last = out.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("Total reclaimed space: ") && !last.ends_with(" 0B"),
        "{out}"
    );

    assert_eq!(container(&env, &["ps", "-a", "-q"]).stdout, "");
    assert_eq!(container(&env, &["volume", "ls", "-q"]).stdout, "");
    assert_eq!(container(&env, &["images", "-q"]).stdout, "");
}

#[test]
fn system_prune_empties_the_build_cache() {
    let (_registry, env) = busybox_env();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox\nRUN echo cached > /made\n",
    )
    .unwrap();
    let context = dir.path().to_str().unwrap();
    container(&env, &["build", "-t", "made:1", context]).success();
    assert_eq!(row(&df_rows(&env), "Build Cache")["TotalCount"], "1");

    container(&env, &["rmi", "made:1"]).success();
    let out = container(&env, &["system", "prune", "-f"]);
    out.success();
    assert!(
        out.stdout.contains("Deleted build cache objects: 1\n"),
        "{out}"
    );
    assert_eq!(row(&df_rows(&env), "Build Cache")["TotalCount"], "0");

    // Nothing cached any more: the same build runs its step again.
    let again = container(&env, &["build", "-t", "made:2", context]);
    again.success();
    assert!(!again.stderr.contains("[2/2] CACHED"), "{again}");
    assert!(again.stderr.contains("[2/2] DONE"), "{again}");
}
