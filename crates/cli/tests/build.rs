//! `container build`: real Dockerfiles built on the busybox fixture, the results
//! checked from inside containers and through `inspect`, the cache by what reruns.

mod common;

use std::path::Path;

use common::{busybox_env, container, inspect};
use container_test_support::TestEnv;

/// Writes `files` (path, content) under `dir`.
fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// A build context with `files`, in a directory removed with the value.
fn context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

fn build(env: &TestEnv, dir: &Path, args: &[&str]) -> container_test_support::Output {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    let path = dir.to_str().unwrap();
    all.push(path);
    container(env, &all)
}

/// `container run --rm IMAGE sh -c SCRIPT`, its stdout.
fn run_sh(env: &TestEnv, image: &str, script: &str) -> String {
    let output = container(env, &["run", "--rm", image, "sh", "-c", script]);
    output.success();
    output.stdout
}

#[test]
fn workdir_copy_run_cmd_build_an_image_that_runs() {
    let (_registry, env) = busybox_env();
    let dir = context(&[
        (
            "Dockerfile",
            "FROM busybox\nWORKDIR /app\nCOPY app.sh .\nRUN chmod 755 app.sh && echo built > /app/marker\nCMD [\"/app/app.sh\"]\n",
        ),
        ("app.sh", "#!/bin/sh\necho hello from app\n"),
    ]);
    let output = build(&env, dir.path(), &["-t", "app:1"]);
    output.success();
    assert!(output.stderr.contains("[2/4] WORKDIR /app"), "{output}");
    assert!(output.stderr.contains("Successfully tagged app:1"), "{output}");
    let last = output.stderr.trim_end().lines().last().unwrap();
    assert_eq!(last, "Successfully tagged app:1");

    let run = container(&env, &["run", "--rm", "app:1"]);
    run.success();
    assert_eq!(run.stdout, "hello from app\n");
    assert_eq!(run_sh(&env, "app:1", "cat /app/marker; stat -c %a /app/app.sh"), "built\n755\n");

    let image = inspect(&env, "app:1");
    assert_eq!(image["Config"]["WorkingDir"], "/app");
    assert_eq!(image["Config"]["Cmd"], serde_json::json!(["/app/app.sh"]));
    let history = image["History"].as_array().unwrap();
    let ours: Vec<(&str, bool)> = history
        .iter()
        .rev()
        .take(4)
        .map(|h| {
            (
                h["created_by"].as_str().unwrap(),
                h["empty_layer"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        ours,
        [
            ("CMD [\"/app/app.sh\"]", true),
            ("RUN chmod 755 app.sh && echo built > /app/marker", false),
            ("COPY app.sh .", false),
            ("WORKDIR /app", false),
        ]
    );
}

#[test]
fn an_unchanged_rebuild_runs_nothing_and_a_changed_file_reruns_from_its_copy() {
    let (_registry, env) = busybox_env();
    let dir = context(&[
        (
            "Dockerfile",
            "FROM busybox\nWORKDIR /app\nRUN echo first > /first\nCOPY app.txt .\nRUN echo ran-after-copy-$((40+2))\n",
        ),
        ("app.txt", "one"),
    ]);
    let first = build(&env, dir.path(), &["-t", "app:1", "-q"]);
    first.success();
    let first_id = first.stdout.trim().to_owned();

    let again = build(&env, dir.path(), &["-t", "app:2"]);
    again.success();
    assert_eq!(again.stderr.matches("CACHED").count(), 4, "{again}");
    assert!(!again.stderr.contains("ran-after-copy-42"), "{again}");
    assert_eq!(inspect(&env, "app:2")["Id"], first_id);

    // Touching the file changes nothing: the cache follows content, not times.
    let file = std::fs::File::options()
        .write(true)
        .open(dir.path().join("app.txt"))
        .unwrap();
    file.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
    let touched = build(&env, dir.path(), &["-q"]);
    assert_eq!(touched.stdout.trim(), first_id);

    std::fs::write(dir.path().join("app.txt"), "two").unwrap();
    let changed = build(&env, dir.path(), &["-t", "app:3"]);
    changed.success();
    assert!(changed.stderr.contains("[3/5] CACHED"), "{changed}");
    assert!(changed.stderr.contains("[4/5] DONE"), "{changed}");
    assert!(changed.stderr.contains("ran-after-copy-42"), "{changed}");
    assert_eq!(run_sh(&env, "app:3", "cat /app/app.txt"), "two");

    let no_cache = build(&env, dir.path(), &["--no-cache"]);
    no_cache.success();
    assert!(!no_cache.stderr.contains("] CACHED"), "{no_cache}");
}
