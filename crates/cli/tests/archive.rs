//! `save` and `load`: docker-archive and oci-archive, plain and compressed, and round
//! trips through skopeo and podman.

mod common;
mod piped;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{busybox_env, container, inspect, mirrored_env};
use container_test_support::{TestEnv, fixture_layout};

fn tar_names(path: &Path) -> Vec<String> {
    let out = Command::new("tar").arg("-tf").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn sh(script: &str) {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn loads_as(archive: &Path, expected: &[&str], id: &serde_json::Value) -> TestEnv {
    let env = TestEnv::new();
    let out = container(&env, &["load", "-i", archive.to_str().unwrap()]);
    out.success();
    let lines: Vec<String> = expected
        .iter()
        .map(|n| format!("Loaded image: {n}"))
        .collect();
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), lines, "{out}");
    assert_eq!(&inspect(&env, expected[0])["Id"], id);
    assert!(!common::unpacked_layers(env.root.path()).is_empty());
    env
}

#[test]
fn docker_archive_round_trip_keeps_tags_ids_and_runs() {
    let (_registry, env) = busybox_env();
    container(&env, &["tag", "busybox", "me/app:1.0"]).success();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("app.tar");
    let path = archive.to_str().unwrap();
    container(&env, &["save", "-o", path, "me/app:1.0", "busybox:latest"]).success();

    let names = tar_names(&archive);
    for name in ["manifest.json", "repositories"] {
        assert!(names.iter().any(|n| n == name), "{names:?}");
    }
    assert!(names.iter().any(|n| n.ends_with("/layer.tar")), "{names:?}");
    let id = inspect(&env, "busybox")["Id"].clone();
    let loaded = loads_as(&archive, &["me/app:1.0", "busybox:latest"], &id);
    let run = container(&loaded, &["run", "--rm", "me/app:1.0", "echo", "loaded"]);
    run.success();
    assert_eq!(run.stdout, "loaded\n");
}

#[test]
fn oci_archive_round_trip_through_stdout_and_stdin() {
    let (registry, env) = busybox_env();
    registry.load("multi-1", "library/multi:1");
    container(&env, &["pull", "-q", "multi:1"]).success();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("oci.tar");
    let save = format!(
        "CONTAINER_ROOT={} {} save --format oci-archive busybox multi:1 > {}",
        env.root.path().display(),
        common::BIN,
        archive.display()
    );
    sh(&save);
    let names = tar_names(&archive);
    for name in ["oci-layout", "index.json"] {
        assert!(names.iter().any(|n| n == name), "{names:?}");
    }

    let fresh = TestEnv::new();
    let out = piped::from_file(&fresh, &["image", "load"], &archive);
    out.success();
    assert_eq!(
        out.stdout, "Loaded image: busybox:latest\nLoaded image: multi:1\n",
        "{out}"
    );
    assert_eq!(
        inspect(&fresh, "multi:1")["Id"],
        inspect(&env, "multi:1")["Id"]
    );
}

#[test]
fn compressed_archives_load_from_stdin() {
    let (_registry, env) = busybox_env();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("busybox.tar");
    container(&env, &["save", "-o", archive.to_str().unwrap(), "busybox"]).success();
    let plain = archive.display();
    sh(&format!(
        "gzip -c {plain} > {plain}.gz && zstd -q -c {plain} > {plain}.zst"
    ));

    for suffix in ["gz", "zst"] {
        let fresh = TestEnv::new();
        let compressed = PathBuf::from(format!("{plain}.{suffix}"));
        let out = piped::from_file(&fresh, &["load"], &compressed);
        out.success();
        assert_eq!(out.stdout, "Loaded image: busybox:latest\n", "{out}");
    }
}

#[test]
fn a_damaged_layer_is_refused_and_nothing_is_tagged() {
    let (_registry, env) = busybox_env();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("busybox.tar");
    container(&env, &["save", "-o", archive.to_str().unwrap(), "busybox"]).success();
    let work = dir.path().join("x");
    sh(&format!(
        "mkdir {w} && tar -xf {a} -C {w} && for f in {w}/*/layer.tar; do \
         printf 'junk' | dd of=$f bs=1 seek=600 conv=notrunc 2>/dev/null; done && \
         tar -cf {a}.bad -C {w} .",
        w = work.display(),
        a = archive.display()
    ));

    let fresh = TestEnv::new();
    let bad = format!("{}.bad", archive.display());
    let out = container(&fresh, &["load", "-i", &bad]);
    out.code_is(1);
    assert!(out.stderr.contains("does not match"), "{out}");
    let images = container(&fresh, &["images", "-q"]);
    assert_eq!(images.stdout, "");
}

#[test]
fn save_refuses_a_terminal_and_unknown_formats() {
    let (_registry, env) = busybox_env();
    let out = container(&env, &["save", "--format", "docker-dir", "busybox"]);
    out.code_is(125);
    let missing = container(&env, &["save", "-o", "/tmp/never.tar", "nosuch:image"]);
    missing.code_is(1);
    assert!(!Path::new("/tmp/never.tar").exists());
}

#[test]
fn skopeo_reads_our_archives_and_we_read_skopeos() {
    let (_registry, env) = busybox_env();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let root = env.root.path().display();
    let bin = common::BIN;
    sh(&format!(
        "CONTAINER_ROOT={root} {bin} save -o {d}/ours.tar busybox && \
         CONTAINER_ROOT={root} {bin} save --format oci-archive -o {d}/ours-oci.tar busybox && \
         skopeo --insecure-policy copy -q docker-archive:{d}/ours.tar oci:{d}/from-docker:x && \
         skopeo --insecure-policy copy -q oci-archive:{d}/ours-oci.tar oci:{d}/from-oci:x"
    ));
    let fixture = fixture_layout();
    let f = fixture.display();
    sh(&format!(
        "skopeo --insecure-policy copy -q oci:{f}:busybox-1.35 docker-archive:{d}/theirs.tar:busybox:skopeo && \
         skopeo --insecure-policy copy -q oci:{f}:busybox-1.35 oci-archive:{d}/theirs-oci.tar:busybox:oci"
    ));
    let id = inspect(&env, "busybox")["Id"].clone();
    loads_as(&dir.path().join("theirs.tar"), &["busybox:skopeo"], &id);
    loads_as(&dir.path().join("theirs-oci.tar"), &["busybox:oci"], &id);
}

/// Podman with a store of the test's own, removed with the tempdir.
struct Podman {
    dir: tempfile::TempDir,
}

impl Podman {
    fn new() -> Podman {
        Podman {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &str) -> String {
        let d = self.dir.path().display();
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "podman --root {d}/root --runroot {d}/run --storage-driver vfs {args}"
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "podman {args}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let d = self.dir.path().display();
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "podman --root {d}/root --runroot {d}/run --storage-driver vfs system reset -f"
            ))
            .output();
    }
}

#[test]
fn podman_loads_our_archives_and_we_load_podmans() {
    let (_registry, env) = busybox_env();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let root = env.root.path().display();
    let bin = common::BIN;
    sh(&format!(
        "CONTAINER_ROOT={root} {bin} save -o {d}/ours.tar busybox && \
         CONTAINER_ROOT={root} {bin} save --format oci-archive -o {d}/ours-oci.tar busybox"
    ));
    let id = inspect(&env, "busybox")["Id"].as_str().unwrap().to_owned();

    let podman = Podman::new();
    // Podman reads a familiar name (as Docker writes them) as one of `localhost/`.
    let loaded = podman.run(&format!("load -i {d}/ours.tar"));
    let name = loaded.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(name.ends_with("busybox:latest"), "{loaded}");
    let podman_id = podman.run(&format!("image inspect --format '{{{{.Id}}}}' {name}"));
    assert_eq!(format!("sha256:{}", podman_id.trim()), id);
    podman.run("rmi -a -f");
    let loaded = podman.run(&format!("load -i {d}/ours-oci.tar"));
    assert!(
        loaded.contains("docker.io/library/busybox:latest"),
        "{loaded}"
    );

    podman.run(&format!(
        "tag docker.io/library/busybox:latest localhost/podman/app:2 && \
         podman --root {d0}/root --runroot {d0}/run --storage-driver vfs save --format docker-archive -o {d}/podman.tar localhost/podman/app:2 && \
         podman --root {d0}/root --runroot {d0}/run --storage-driver vfs save --format oci-archive -o {d}/podman-oci.tar localhost/podman/app:2",
        d0 = podman.dir.path().display()
    ));
    let id = serde_json::Value::String(id);
    loads_as(
        &dir.path().join("podman.tar"),
        &["localhost/podman/app:2"],
        &id,
    );
    loads_as(
        &dir.path().join("podman-oci.tar"),
        &["localhost/podman/app:2"],
        &id,
    );
}

#[test]
fn images_pulled_through_a_mirror_save_under_their_docker_io_names() {
    let (registry, _env) = busybox_env();
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "busybox:1.35"]).success();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.tar");
    container(
        &env,
        &["save", "-o", archive.to_str().unwrap(), "busybox:1.35"],
    )
    .success();
    let id = inspect(&env, "busybox:1.35")["Id"].clone();
    loads_as(&archive, &["busybox:1.35"], &id);
}

/// Loading back an image the store has under the same name (pulled, saved,
/// loaded) changes nothing, as in Docker: no `<none>` twin of the same ID, and the
/// registry digest stays.
#[test]
fn loading_an_image_back_leaves_no_untagged_twin() {
    let (_registry, env) = busybox_env();
    let archive = env.home.path().join("busybox.tar");
    let archive = archive.to_str().unwrap();
    let before = inspect(&env, "busybox");
    container(&env, &["save", "-o", archive, "busybox"]).success();
    let loaded = container(&env, &["load", "-i", archive]);
    assert!(
        loaded
            .success()
            .stdout
            .contains("Loaded image: busybox:latest"),
        "{loaded}"
    );

    let listing = container(
        &env,
        &["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
    );
    let lines: Vec<&str> = listing.success().stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{listing}");
    assert!(lines[0].starts_with("busybox:latest "), "{listing}");
    let after = inspect(&env, "busybox");
    assert_eq!(after["Id"], before["Id"]);
    assert_eq!(after["RepoDigests"], before["RepoDigests"]);
    let dangling = container(&env, &["images", "-q", "--filter", "dangling=true"]);
    assert_eq!(dangling.success().stdout, "", "{dangling}");
}
