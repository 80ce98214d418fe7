//! Bind mounts and tmpfs, checked from inside real busybox containers: what the
//! process sees, what reaches the host, and Docker's messages for bad flags.

mod common;

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::PathBuf;

use common::{busybox_env, busybox_registry, container, inspect, mirrored_env};
use container_test_support::TestEnv;

/// A directory of the test's own, for the host side of bind mounts.
fn host_dir(env: &TestEnv, name: &str) -> PathBuf {
    let dir = env.home.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn files_written_in_a_bind_mount_reach_the_host_with_the_writers_owner() {
    let (_registry, env) = busybox_env();
    let dir = host_dir(&env, "shared");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(dir.join("from-host"), "host\n").unwrap();
    let volume = format!("{}:/data", dir.display());
    let output = container(
        &env,
        &[
            "run",
            "--rm",
            "-u",
            "1234:5678",
            "-v",
            &volume,
            "busybox",
            "sh",
            "-c",
            "cat /data/from-host; echo hi > /data/f",
        ],
    );
    assert_eq!(output.success().stdout, "host\n");
    let written = dir.join("f");
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "hi\n");
    let metadata = std::fs::metadata(&written).unwrap();
    assert_eq!((metadata.uid(), metadata.gid()), (1234, 5678));
}

#[test]
fn read_only_binds_refuse_writes_with_erofs() {
    let (_registry, env) = busybox_env();
    let dir = host_dir(&env, "ro");
    for flag in [
        vec!["-v".to_owned(), format!("{}:/data:ro", dir.display())],
        vec![
            "--mount".to_owned(),
            format!("type=bind,source={},target=/data,readonly", dir.display()),
        ],
    ] {
        let mut args = vec!["run", "--rm"];
        args.extend(flag.iter().map(String::as_str));
        args.extend(["busybox", "sh", "-c", "touch /data/x"]);
        let output = container(&env, &args);
        output.code_is(1);
        assert!(output.stderr.contains("Read-only file system"), "{output}");
    }
    assert!(!dir.join("x").exists());
}

#[test]
fn a_missing_host_directory_is_made_for_v_and_refused_for_mount() {
    let (_registry, env) = busybox_env();
    let missing = env.home.path().join("made/by/run");
    let volume = format!("{}:/data", missing.display());
    container(&env, &["run", "--rm", "-v", &volume, "busybox", "true"]).success();
    assert!(missing.is_dir());

    let absent = env.home.path().join("absent");
    let mount = format!("type=bind,source={},target=/data", absent.display());
    let output = container(&env, &["run", "--rm", "--mount", &mount, "busybox", "true"]);
    output.code_is(125);
    let message = format!(
        "invalid mount config for type \"bind\": bind source path does not exist: {}",
        absent.display()
    );
    assert!(output.stderr.contains(&message), "{output}");
    assert!(!absent.exists());
}

#[test]
fn missing_destinations_are_made_and_files_bind_onto_files() {
    let (_registry, env) = busybox_env();
    let dir = host_dir(&env, "deep");
    let file = env.home.path().join("app.conf");
    std::fs::write(&file, "setting=1\n").unwrap();
    let dir_volume = format!("{}:/new/deep/dir", dir.display());
    let file_volume = format!("{}:/etc/app.conf:ro", file.display());
    let output = container(
        &env,
        &[
            "run",
            "--rm",
            "-v",
            &dir_volume,
            "-v",
            &file_volume,
            "busybox",
            "sh",
            "-c",
            "cat /etc/app.conf; stat -c '%F %a' /new /new/deep/dir",
        ],
    );
    assert_eq!(
        output.success().stdout,
        "setting=1\ndirectory 755\ndirectory 755\n"
    );
}

#[test]
fn tmpfs_mounts_have_the_size_mode_and_flags_asked_for() {
    let (_registry, env) = busybox_env();
    let output = container(
        &env,
        &[
            "run",
            "--rm",
            "--tmpfs",
            "/scratch:size=1m,mode=1770",
            "--tmpfs",
            "/plain",
            "--mount",
            "type=tmpfs,destination=/t2,tmpfs-size=2m,tmpfs-mode=700",
            "busybox",
            "sh",
            "-c",
            "grep -E ' /(scratch|plain|t2) ' /proc/mounts; stat -c '%a' /scratch /t2",
        ],
    );
    let mut lines: Vec<&str> = output.success().stdout.lines().collect();
    lines[..3].sort();
    assert_eq!(
        lines,
        [
            "tmpfs /plain tmpfs rw,nosuid,nodev,noexec,relatime 0 0",
            "tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770 0 0",
            "tmpfs /t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=700 0 0",
            "1770",
            "700",
        ],
        "{output}"
    );
}

#[test]
fn bad_mount_flags_exit_125_with_dockers_messages() {
    let (_registry, env) = busybox_env();
    let cases = [
        (
            vec!["-v", "/src:dst"],
            "invalid volume specification: '/src:dst'",
        ),
        (vec!["-v", "/src:/dst:bogus"], "invalid mode: bogus"),
        (
            vec!["-v", "bad/name:/dst"],
            "includes invalid characters for a local volume name",
        ),
        (
            vec!["--mount", "type=bind,source=/tmp"],
            "invalid argument \"type=bind,source=/tmp\" for \"--mount\" flag: target is required",
        ),
        (
            vec!["--mount", "type=volume,target=/x,ro"],
            "must not set ReadOnly mode when using anonymous volumes",
        ),
        (
            vec!["--tmpfs", "relative"],
            "invalid mount path: 'relative' mount path must be absolute",
        ),
        (
            vec!["--tmpfs", "/x:color=red"],
            "Invalid tmpfs option [\"color=red\"]",
        ),
        (
            vec!["-v", "one:/same", "--tmpfs", "/same"],
            "Duplicate mount point: /same",
        ),
    ];
    for (flags, message) in cases {
        let mut args = vec!["run", "--rm"];
        args.extend(flags);
        args.extend(["busybox", "true"]);
        let output = container(&env, &args);
        output.code_is(125);
        assert!(output.stderr.contains(message), "{message}\n{output}");
    }
    assert_eq!(container(&env, &["ps", "-aq"]).success().stdout, "");
    assert_eq!(
        container(&env, &["volume", "ls", "-q"]).success().stdout,
        ""
    );
}

#[test]
fn symlinks_in_the_image_cannot_lead_a_bind_mount_out_of_the_root() {
    let registry = busybox_registry();
    let layer = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/", layer.path().join("escape")).unwrap();
    std::os::unix::fs::symlink("../../..", layer.path().join("up")).unwrap();
    std::fs::create_dir_all(layer.path().join("var/data")).unwrap();
    std::os::unix::fs::symlink("/var/data", layer.path().join("data")).unwrap();
    common::image::push_busybox_with(&registry, "library/links:latest", layer.path(), &[]);
    let env = mirrored_env(&registry);
    let source = host_dir(&env, "source");
    std::fs::write(source.join("file"), "inside\n").unwrap();

    // Were a link followed on the host, these would land in the test's home.
    let landing = env.home.path().join("landing");
    let through_root = format!("{}:/escape{}", source.display(), landing.display());
    let through_parents = format!("{}:/up{}/2", source.display(), landing.display());
    let through_a_link = format!("{}:/data", source.display());
    let script = format!("cat {0}/file {0}/2/file /var/data/file", landing.display());
    let output = container(
        &env,
        &[
            "run",
            "--rm",
            "-v",
            &through_root,
            "-v",
            &through_parents,
            "-v",
            &through_a_link,
            "links",
            "sh",
            "-c",
            &script,
        ],
    );
    assert_eq!(output.success().stdout, "inside\ninside\ninside\n");
    assert!(!landing.exists(), "a bind mount left the root");
}

#[test]
fn mounts_are_made_again_when_a_container_starts_again() {
    let (_registry, env) = busybox_env();
    let dir = host_dir(&env, "again");
    let volume = format!("{}:/data", dir.display());
    let script = "echo run >> /data/log; echo run >> /v/log; grep -c ' /t ' /proc/mounts";
    let first = container(
        &env,
        &[
            "run", "--name", "again", "-v", &volume, "-v", "keep:/v", "--tmpfs", "/t", "busybox",
            "sh", "-c", script,
        ],
    );
    assert_eq!(first.success().stdout, "1\n");
    let second = container(&env, &["start", "-a", "again"]);
    assert_eq!(second.success().stdout, "1\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("log")).unwrap(),
        "run\nrun\n"
    );

    let mounts = &inspect(&env, "again")["Mounts"];
    let keep = mounts
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Name"] == "keep")
        .unwrap();
    let data = PathBuf::from(keep["Source"].as_str().unwrap());
    assert_eq!(
        std::fs::read_to_string(data.join("log")).unwrap(),
        "run\nrun\n"
    );
}

#[test]
fn inspect_shows_mounts_as_docker_does() {
    let (_registry, env) = busybox_env();
    let dir = host_dir(&env, "shown");
    let bind = format!("{}:/b:ro", dir.display());
    container(
        &env,
        &[
            "create",
            "--name",
            "shown",
            "-v",
            &bind,
            "-v",
            "named:/n",
            "-v",
            "/anon",
            "--tmpfs",
            "/run:size=1m",
            "--mount",
            "type=tmpfs,target=/t",
            "busybox",
            "true",
        ],
    )
    .success();
    let value = inspect(&env, "shown");
    let mounts = value["Mounts"].as_array().unwrap();
    let destinations: Vec<&str> = mounts
        .iter()
        .map(|m| m["Destination"].as_str().unwrap())
        .collect();
    assert_eq!(destinations, ["/anon", "/b", "/n", "/t"]);
    let (anon, b, n, t) = (&mounts[0], &mounts[1], &mounts[2], &mounts[3]);
    assert_eq!(anon["Type"], "volume");
    assert_eq!(anon["Name"].as_str().unwrap().len(), 64);
    assert_eq!(
        (&anon["Mode"], &anon["RW"], &anon["Driver"]),
        (&"".into(), &true.into(), &"local".into())
    );
    assert_eq!(b["Type"], "bind");
    assert_eq!(b["Source"], dir.display().to_string());
    assert_eq!(
        (&b["Mode"], &b["RW"], &b["Propagation"]),
        (&"ro".into(), &false.into(), &"rprivate".into())
    );
    assert_eq!(
        (&n["Name"], &n["Mode"], &n["Propagation"]),
        (&"named".into(), &"z".into(), &"".into())
    );
    let named_source = env.root.path().join("volumes/named/_data");
    assert_eq!(n["Source"], named_source.display().to_string());
    assert_eq!((&t["Type"], &t["Source"]), (&"tmpfs".into(), &"".into()));

    let host = &value["HostConfig"];
    assert_eq!(host["Binds"], serde_json::json!([bind, "named:/n"]));
    assert_eq!(host["Tmpfs"], serde_json::json!({"/run": "size=1m"}));
    assert_eq!(host["Mounts"][0]["Target"], "/t");
    assert_eq!(value["Config"]["Volumes"], serde_json::json!({"/anon": {}}));
}
