//! Named and anonymous volumes on real busybox containers: what outlives a container,
//! what the image seeds, what `rm -v`, `--rm` and `prune` take, and the `volume`
//! commands' output.

mod common;

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use common::{busybox_env, busybox_registry, container, inspect, mirrored_env};
use container_test_support::TestEnv;

fn volume_names(env: &TestEnv) -> Vec<String> {
    let output = container(env, &["volume", "ls", "-q"]);
    output.success().stdout.lines().map(String::from).collect()
}

fn data_dir(env: &TestEnv, name: &str) -> PathBuf {
    env.root.path().join("volumes").join(name).join("_data")
}

#[test]
fn a_named_volume_outlives_its_container_and_the_next_one_sees_it() {
    let (_registry, env) = busybox_env();
    container(
        &env,
        &[
            "run",
            "--rm",
            "-v",
            "data:/data",
            "busybox",
            "sh",
            "-c",
            "echo kept > /data/f",
        ],
    )
    .success();
    assert_eq!(volume_names(&env), ["data"]);
    let output = container(
        &env,
        &[
            "run",
            "--rm",
            "-v",
            "data:/srv/data:ro",
            "busybox",
            "cat",
            "/srv/data/f",
        ],
    );
    assert_eq!(output.success().stdout, "kept\n");
    assert_eq!(
        std::fs::read_to_string(data_dir(&env, "data").join("f")).unwrap(),
        "kept\n"
    );
}

#[test]
fn volume_commands_print_what_docker_prints() {
    let (_registry, env) = busybox_env();
    assert_eq!(
        container(
            &env,
            &["volume", "create", "--label", "team=web", "web-data"]
        )
        .success()
        .stdout,
        "web-data\n"
    );
    let random = container(&env, &["volume", "create"])
        .success()
        .stdout
        .trim()
        .to_owned();
    assert_eq!(random.len(), 64, "{random}");
    assert!(random.bytes().all(|b| b.is_ascii_hexdigit()));
    // Creating an existing volume gives it back.
    assert_eq!(
        container(&env, &["volume", "create", "web-data"])
            .success()
            .stdout,
        "web-data\n"
    );

    let table = container(&env, &["volume", "ls"]);
    let expected = format!("DRIVER   VOLUME NAME\nlocal    {random}\nlocal    web-data\n");
    assert_eq!(table.success().stdout, expected);
    let by_label = container(
        &env,
        &[
            "volume",
            "ls",
            "--filter",
            "label=team=web",
            "--format",
            "{{.Name}} {{.Driver}} {{.Labels}}",
        ],
    );
    assert_eq!(by_label.success().stdout, "web-data local team=web\n");
    let by_name = container(&env, &["volume", "ls", "-q", "-f", "name=web"]);
    assert_eq!(by_name.success().stdout, "web-data\n");
    let json = container(
        &env,
        &["volume", "ls", "--format", "json", "-f", "name=web"],
    );
    let row: serde_json::Value = serde_json::from_str(json.success().stdout.trim()).unwrap();
    assert_eq!(
        (&row["Name"], &row["Scope"], &row["Labels"]),
        (&"web-data".into(), &"local".into(), &"team=web".into())
    );
    container(&env, &["volume", "ls", "-f", "color=red"]).code_is(1);

    let inspected = container(&env, &["volume", "inspect", "web-data"]);
    let list: Vec<serde_json::Value> = serde_json::from_str(&inspected.success().stdout).unwrap();
    let volume = &list[0];
    assert_eq!(volume["Name"], "web-data");
    assert_eq!(volume["Driver"], "local");
    assert_eq!(volume["Scope"], "local");
    assert_eq!(volume["Labels"], serde_json::json!({"team": "web"}));
    assert_eq!(volume["Options"], serde_json::json!({}));
    assert_eq!(
        volume["Mountpoint"],
        data_dir(&env, "web-data").display().to_string()
    );
    let created = volume["CreatedAt"].as_str().unwrap();
    assert!(created.len() == 20 && created.ends_with('Z'), "{created}");
    let template = container(
        &env,
        &["volume", "inspect", "-f", "{{.Mountpoint}}", "web-data"],
    );
    assert_eq!(
        template.success().stdout.trim(),
        data_dir(&env, "web-data").display().to_string()
    );

    let missing = container(&env, &["volume", "inspect", "nothing"]);
    missing.code_is(1);
    assert!(
        missing.stderr.contains("no such volume: nothing"),
        "{missing}"
    );
    let bad = container(&env, &["volume", "create", "a/b"]);
    bad.code_is(1);
    assert!(
        bad.stderr
            .contains("\"a/b\" includes invalid characters for a local volume name"),
        "{bad}"
    );
}

#[test]
fn a_volume_in_use_is_not_removed() {
    let (_registry, env) = busybox_env();
    let id = container(&env, &["create", "-v", "busy:/data", "busybox", "true"])
        .success()
        .stdout
        .trim()
        .to_owned();
    let refused = container(&env, &["volume", "rm", "-f", "busy"]);
    refused.code_is(1);
    assert!(
        refused
            .stderr
            .contains(&format!("remove busy: volume is in use - [{id}]")),
        "{refused}"
    );
    assert_eq!(volume_names(&env), ["busy"]);

    container(&env, &["rm", &id]).success();
    assert_eq!(
        container(&env, &["volume", "rm", "busy"]).success().stdout,
        "busy\n"
    );
    assert!(!env.root.path().join("volumes/busy").exists());
    container(&env, &["volume", "rm", "busy"]).code_is(1);
    container(&env, &["volume", "rm", "-f", "busy"]).success();
}

#[test]
fn seeding_copies_busybox_etc_with_its_modes() {
    let (_registry, env) = busybox_env();
    let listing = "cd /etc && for f in *; do stat -c '%n %a %u %g %s' \"$f\"; done";
    let image = container(&env, &["run", "--rm", "busybox", "sh", "-c", listing])
        .success()
        .stdout
        .clone();
    let seeded = container(
        &env,
        &[
            "run", "--rm", "-v", "etc:/etc", "busybox", "sh", "-c", listing,
        ],
    );
    // The container's own /etc/hostname, hosts and resolv.conf are mounted on top.
    let unmounted = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                !["hostname ", "hosts ", "resolv.conf "]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .map(String::from)
            .collect()
    };
    assert_eq!(unmounted(&seeded.success().stdout), unmounted(&image));
    assert!(image.contains("passwd 644 0 0"), "{image}");
    let passwd = std::fs::read_to_string(data_dir(&env, "etc").join("passwd")).unwrap();
    assert!(passwd.starts_with("root:"), "{passwd}");
}

#[test]
fn seeding_keeps_owners_modes_links_and_xattrs_and_happens_only_into_an_empty_volume() {
    let registry = busybox_registry();
    let layer = tempfile::tempdir().unwrap();
    seed_tree(&layer.path().join("seed"));
    common::image::push_busybox_with(&registry, "library/seeded:latest", layer.path(), &[]);
    let env = mirrored_env(&registry);

    container(&env, &["run", "--rm", "-v", "seed:/seed", "seeded", "true"]).success();
    let data = data_dir(&env, "seed");
    let meta = |name: &str| std::fs::symlink_metadata(data.join(name)).unwrap();
    assert_eq!(
        (meta(".").mode() & 0o7777, meta(".").uid(), meta(".").gid()),
        (0o750, 3, 4)
    );
    assert_eq!(
        (
            meta("file").mode() & 0o7777,
            meta("file").uid(),
            meta("file").gid()
        ),
        (0o640, 1000, 2000)
    );
    assert_eq!(
        std::fs::read_to_string(data.join("file")).unwrap(),
        "content\n"
    );
    assert_eq!(meta("setuid").mode() & 0o7777, 0o4755);
    assert_eq!((meta("sub").mode() & 0o7777, meta("sub").uid()), (0o700, 7));
    assert_eq!(meta("sub/inner").uid(), 8);
    assert_eq!(
        std::fs::read_link(data.join("link")).unwrap(),
        Path::new("file")
    );
    assert_eq!(meta("link").uid(), 1000);
    assert_eq!(meta("hard").ino(), meta("file").ino());
    assert_eq!(meta("file").mtime(), 1_000_000_000);
    let mut value = [0u8; 16];
    let size = rustix::fs::getxattr(data.join("file"), "user.note", &mut value[..]).unwrap();
    assert_eq!(&value[..size], b"hello");

    // A volume with files in it is not filled again; `nocopy` leaves a new one empty.
    std::fs::remove_file(data.join("hard")).unwrap();
    container(&env, &["run", "--rm", "-v", "seed:/seed", "seeded", "true"]).success();
    assert!(!data.join("hard").exists());
    let empty = container(
        &env,
        &[
            "run",
            "--rm",
            "-v",
            "bare:/seed:nocopy",
            "seeded",
            "ls",
            "-A",
            "/seed",
        ],
    );
    assert_eq!(empty.success().stdout, "");
    let mount = container(
        &env,
        &[
            "run",
            "--rm",
            "--mount",
            "source=bare2,target=/seed,volume-nocopy",
            "seeded",
            "ls",
            "-A",
            "/seed",
        ],
    );
    assert_eq!(mount.success().stdout, "");
}

/// A directory with owners, modes, a symlink, a hard link, a set-user-ID file, a
/// private subdirectory and an xattr.
fn seed_tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let file = dir.join("file");
    std::fs::write(&file, "content\n").unwrap();
    std::fs::write(dir.join("setuid"), "#!/bin/sh\n").unwrap();
    std::fs::write(dir.join("sub/inner"), "inner\n").unwrap();
    std::os::unix::fs::symlink("file", dir.join("link")).unwrap();
    std::fs::hard_link(&file, dir.join("hard")).unwrap();
    rustix::fs::setxattr(
        &file,
        "user.note",
        b"hello",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    let own =
        |path: &Path, uid, gid| std::os::unix::fs::lchown(path, Some(uid), Some(gid)).unwrap();
    own(&file, 1000, 2000);
    own(&dir.join("link"), 1000, 2000);
    own(&dir.join("sub"), 7, 7);
    own(&dir.join("sub/inner"), 8, 8);
    own(dir, 3, 4);
    let chmod = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    chmod(&file, 0o640);
    chmod(&dir.join("setuid"), 0o4755);
    chmod(&dir.join("sub"), 0o700);
    chmod(dir, 0o750);
    let when = rustix::fs::Timespec {
        tv_sec: 1_000_000_000,
        tv_nsec: 0,
    };
    let times = rustix::fs::Timestamps {
        last_access: when,
        last_modification: when,
    };
    rustix::fs::utimensat(rustix::fs::CWD, &file, &times, rustix::fs::AtFlags::empty()).unwrap();
}

#[test]
fn anonymous_volumes_go_with_run_rm_and_rm_v_and_named_ones_stay() {
    let (_registry, env) = busybox_env();
    container(
        &env,
        &[
            "run",
            "--rm",
            "-v",
            "/scratch",
            "busybox",
            "sh",
            "-c",
            "echo x > /scratch/f",
        ],
    )
    .success();
    assert!(volume_names(&env).is_empty());

    container(
        &env,
        &["create", "--name", "kept", "-v", "/anon", "busybox", "true"],
    )
    .success();
    container(&env, &["rm", "kept"]).success();
    let left = volume_names(&env);
    assert_eq!(left.len(), 1, "{left:?}");

    container(
        &env,
        &[
            "create", "--name", "gone", "-v", "/anon", "-v", "named:/n", "busybox", "true",
        ],
    )
    .success();
    let anonymous = inspect(&env, "gone")["Mounts"][0]["Name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(volume_names(&env).contains(&anonymous));
    container(&env, &["rm", "-v", "gone"]).success();
    let mut expected = vec![left[0].clone(), "named".to_owned()];
    expected.sort();
    assert_eq!(volume_names(&env), expected);
}

#[test]
fn image_volumes_become_anonymous_volumes_seeded_from_the_image() {
    let registry = busybox_registry();
    let layer = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(layer.path().join("var/lib/app")).unwrap();
    std::fs::write(layer.path().join("var/lib/app/state"), "initial\n").unwrap();
    common::image::push_busybox_with(
        &registry,
        "library/withvolume:latest",
        layer.path(),
        &["/var/lib/app"],
    );
    let env = mirrored_env(&registry);

    let output = container(
        &env,
        &[
            "run",
            "--name",
            "app",
            "withvolume",
            "sh",
            "-c",
            "cat /var/lib/app/state; grep -c ' /var/lib/app ' /proc/mounts",
        ],
    );
    assert_eq!(output.success().stdout, "initial\n1\n");
    let value = inspect(&env, "app");
    assert_eq!(
        value["Config"]["Volumes"],
        serde_json::json!({"/var/lib/app": {}})
    );
    let mount = &value["Mounts"][0];
    assert_eq!(
        (&mount["Type"], &mount["Destination"]),
        (&"volume".into(), &"/var/lib/app".into())
    );
    let name = mount["Name"].as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read_to_string(data_dir(&env, &name).join("state")).unwrap(),
        "initial\n"
    );
    let labels = container(
        &env,
        &["volume", "inspect", "-f", "{{json .Labels}}", &name],
    );
    assert_eq!(
        labels.success().stdout.trim(),
        r#"{"com.docker.volume.anonymous":""}"#
    );

    // A mount of the user's at the same place replaces the image's volume.
    let replaced = container(
        &env,
        &[
            "run",
            "--rm",
            "-v",
            "mine:/var/lib/app",
            "withvolume",
            "true",
        ],
    );
    replaced.success();
    container(&env, &["rm", "-v", "app"]).success();
    assert_eq!(volume_names(&env), ["mine"]);
}

#[test]
fn prune_takes_unused_anonymous_volumes_and_with_all_every_unused_one() {
    let (_registry, env) = busybox_env();
    container(&env, &["volume", "create", "idle"]).success();
    container(
        &env,
        &[
            "create", "--name", "user", "-v", "used:/u", "-v", "/held", "busybox", "true",
        ],
    )
    .success();
    container(
        &env,
        &[
            "create", "--name", "dropped", "-v", "/loose", "busybox", "true",
        ],
    )
    .success();
    let loose = inspect(&env, "dropped")["Mounts"][0]["Name"]
        .as_str()
        .unwrap()
        .to_owned();
    container(&env, &["rm", "dropped"]).success();
    std::fs::write(data_dir(&env, &loose).join("f"), "12345").unwrap();

    let dangling = container(&env, &["volume", "ls", "-q", "-f", "dangling=true"]);
    let mut expected = vec!["idle".to_owned(), loose.clone()];
    expected.sort();
    assert_eq!(
        dangling.success().stdout.lines().collect::<Vec<_>>(),
        expected
    );

    let pruned = container(&env, &["volume", "prune", "-f"]);
    assert_eq!(
        pruned.success().stdout,
        format!("Deleted Volumes:\n{loose}\n\nTotal reclaimed space: 5B\n")
    );
    let pruned = container(&env, &["volume", "prune", "-f", "--all"]);
    assert_eq!(
        pruned.success().stdout,
        "Deleted Volumes:\nidle\n\nTotal reclaimed space: 0B\n"
    );
    assert_eq!(volume_names(&env).len(), 2, "the used volumes stay");
}

#[test]
fn prune_asks_first_and_anything_but_yes_keeps_the_volumes() {
    let (_registry, env) = busybox_env();
    container(&env, &["volume", "create", "keepme"]).success();
    let prune = |answer: &str| {
        let mut child = env
            .command(common::BIN)
            .args(["volume", "prune", "--all"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    for answer in ["", "n\n", "maybe\n"] {
        let declined = prune(answer);
        assert!(declined.status.success());
        let stderr = String::from_utf8_lossy(&declined.stderr);
        assert!(
            stderr.contains("Are you sure you want to continue? [y/N]"),
            "{stderr}"
        );
        assert_eq!(
            String::from_utf8_lossy(&declined.stdout),
            "Total reclaimed space: 0B\n"
        );
        assert_eq!(volume_names(&env), ["keepme"]);
    }
    let accepted = prune("y\n");
    assert!(String::from_utf8_lossy(&accepted.stdout).contains("Deleted Volumes:\nkeepme\n"));
    assert!(volume_names(&env).is_empty());
}
