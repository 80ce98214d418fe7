//! `container cp`, into and out of running and stopped containers, by Docker's rules.

mod common;

use common::{busybox_env, container};

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn files_and_directories_go_both_ways_with_a_running_container() {
    let (_registry, env) = busybox_env();
    let host = tempfile::tempdir().unwrap();
    let script = "mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b && sleep 1000";
    container(
        &env,
        &["run", "-d", "--name", "box", "busybox", "sh", "-c", script],
    )
    .success();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let out = host.path().join("probe");
        let copied = container(
            &env,
            &["cp", "-q", "box:/data/sub/b", out.to_str().unwrap()],
        );
        if copied.code == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{copied}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // A file into an existing directory keeps its name; to a new path takes that name.
    let dir = host.path().to_str().unwrap().to_owned();
    container(&env, &["cp", "box:/data/a", &dir]).success();
    assert_eq!(read(&host.path().join("a")), "one\n");
    container(&env, &["cp", "box:/data/a", &format!("{dir}/renamed")]).success();
    assert_eq!(read(&host.path().join("renamed")), "one\n");
    // A directory to a new path becomes it; `/.` copies only the contents.
    container(&env, &["cp", "box:/data", &format!("{dir}/copy")]).success();
    assert_eq!(read(&host.path().join("copy/sub/b")), "two\n");
    std::fs::create_dir(host.path().join("contents")).unwrap();
    container(&env, &["cp", "box:/data/.", &format!("{dir}/contents")]).success();
    assert_eq!(read(&host.path().join("contents/a")), "one\n");

    std::fs::write(host.path().join("in.txt"), "from the host\n").unwrap();
    let copied = container(&env, &["cp", &format!("{dir}/in.txt"), "box:/data/"]);
    assert!(
        copied.success().stderr.starts_with("Successfully copied"),
        "{copied}"
    );
    container(
        &env,
        &["cp", "box:/data/in.txt", &format!("{dir}/back.txt")],
    )
    .success();
    assert_eq!(read(&host.path().join("back.txt")), "from the host\n");

    let missing = container(&env, &["cp", "box:/no/such", &dir]);
    missing.code_is(1);
    assert!(
        missing.stderr.contains("no such file or directory"),
        "{missing}"
    );
    let to_file = container(&env, &["cp", "box:/data", &format!("{dir}/a")]);
    to_file.code_is(1);
    assert!(
        to_file.stderr.contains("cannot copy a directory to a file"),
        "{to_file}"
    );
}

#[test]
fn a_stopped_container_is_mounted_for_the_copy_and_unmounted_after() {
    let (_registry, env) = busybox_env();
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("greeting"), "hello\n").unwrap();
    container(
        &env,
        &["create", "--name", "later", "busybox", "cat", "/greeting"],
    )
    .success();
    let source = host.path().join("greeting");
    container(&env, &["cp", source.to_str().unwrap(), "later:/"]).success();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mountinfo.contains(env.root.path().to_str().unwrap()),
        "left mounted"
    );
    let run = container(&env, &["start", "-a", "later"]);
    assert_eq!(run.success().stdout, "hello\n");

    let out = host.path().join("passwd");
    container(&env, &["cp", "later:/etc/passwd", out.to_str().unwrap()]).success();
    assert!(read(&out).starts_with("root:"));
}

#[test]
fn symlinks_in_the_container_cannot_lead_a_copy_outside_it() {
    let (_registry, env) = busybox_env();
    let host = tempfile::tempdir().unwrap();
    let marker = format!("cp-escape-{}", std::process::id());
    container(
        &env,
        &[
            "create",
            "--name",
            "trap",
            "busybox",
            "sh",
            "-c",
            &format!("cat /{marker}"),
        ],
    )
    .success();
    std::fs::write(host.path().join(&marker), "inside\n").unwrap();
    let links = host.path().join("links");
    std::fs::create_dir(&links).unwrap();
    std::os::unix::fs::symlink("/", links.join("root")).unwrap();
    std::os::unix::fs::symlink("../../../../../../..", links.join("dots")).unwrap();
    container(&env, &["cp", links.to_str().unwrap(), "trap:/links"]).success();

    let source = host.path().join(&marker);
    container(&env, &["cp", source.to_str().unwrap(), "trap:/links/root/"]).success();
    container(&env, &["cp", source.to_str().unwrap(), "trap:/links/dots/"]).success();
    assert!(
        !std::path::Path::new("/").join(&marker).exists(),
        "the copy escaped to the host"
    );
    assert_eq!(
        container(&env, &["start", "-a", "trap"]).success().stdout,
        "inside\n"
    );
}
