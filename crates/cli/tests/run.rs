//! `run`, `create`, `start` and the lifecycle commands, on real containers from the
//! busybox fixture, checked from inside the container where it matters.

mod common;

use common::{busybox_env, busybox_registry, container, inspect, mirrored_env};
use container_test_support::TestEnv;

#[test]
fn run_prints_the_output_and_passes_the_exit_code_through() {
    let (_registry, env) = busybox_env();
    let hello = container(&env, &["run", "--rm", "busybox", "echo", "hello"]);
    assert_eq!(hello.success().stdout, "hello\n");

    let failed = container(
        &env,
        &[
            "run",
            "busybox",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ],
    );
    failed.code_is(3);
    assert_eq!(failed.stdout, "out\n");
    assert_eq!(failed.stderr, "err\n");
}

#[test]
fn kill_delivers_signals_and_a_killed_container_exits_128_plus_the_signal() {
    let (_registry, env) = busybox_env();
    let script = "trap 'echo got HUP' HUP; echo ready; while true; do sleep 0.1; done";
    container(
        &env,
        &["run", "-d", "--name", "sig", "busybox", "sh", "-c", script],
    )
    .success();
    wait_for_log(&env, "sig", "ready\n");

    container(&env, &["kill", "-s", "HUP", "sig"]).success();
    wait_for_log(&env, "sig", "ready\ngot HUP\n");
    container(&env, &["kill", "sig"]).success();
    assert_eq!(container(&env, &["wait", "sig"]).success().stdout, "137\n");
    let status = container(&env, &["ps", "-a", "--format", "{{.Status}}"]);
    assert!(
        status.success().stdout.starts_with("Exited (137)"),
        "{status}"
    );
}

#[test]
fn run_pulls_a_missing_image_and_rm_leaves_nothing() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    let output = container(&env, &["run", "--rm", "busybox", "true"]);
    output.success();
    assert!(
        output
            .stderr
            .contains("Unable to find image 'busybox:latest' locally"),
        "{output}"
    );
    assert_eq!(container(&env, &["ps", "-aq"]).success().stdout, "");
    assert!(common::entries(&env.root.path().join("containers")).is_empty());
}

#[test]
fn commands_that_cannot_run_exit_127_and_126() {
    let (_registry, env) = busybox_env();
    let missing = container(&env, &["run", "--rm", "busybox", "no-such-command"]);
    missing.code_is(127);
    assert!(
        missing.stderr.contains("executable file not found"),
        "{missing}"
    );

    let not_executable = container(&env, &["run", "--rm", "busybox", "/etc/passwd"]);
    not_executable.code_is(126);
    assert!(
        not_executable.stderr.contains("permission denied"),
        "{not_executable}"
    );

    let no_image = container(&env, &["run", "--rm", "--pull", "never", "nothing-here"]);
    no_image.code_is(125);
}

#[test]
fn detached_container_logs_stops_and_is_removed() {
    let (_registry, env) = busybox_env();
    let script = "trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done";
    let id = container(
        &env,
        &["run", "-d", "--name", "web", "busybox", "sh", "-c", script],
    );
    let id = id.success().stdout.trim().to_owned();
    assert_eq!(id.len(), 64, "{id}");

    wait_for_log(&env, "web", "ready\n");
    let ps = container(&env, &["ps", "--format", "{{.Names}} {{.Status}}"]);
    assert!(ps.success().stdout.starts_with("web Up"), "{ps}");
    assert_eq!(inspect(&env, "web")["State"]["Status"], "running");

    container(&env, &["stop", "-t", "5", "web"]).success();
    assert_eq!(container(&env, &["wait", "web"]).success().stdout, "0\n");
    assert_eq!(
        container(&env, &["logs", "web"]).success().stdout,
        "ready\nbye\n"
    );
    assert_eq!(inspect(&env, &id[..12])["State"]["Status"], "exited");

    container(&env, &["rm", "web"]).success();
    assert_eq!(container(&env, &["ps", "-aq"]).success().stdout, "");
}

#[test]
fn process_sees_the_image_config_and_the_flags() {
    let (_registry, env) = busybox_env();
    let output = container(
        &env,
        &[
            "run",
            "--rm",
            "-e",
            "GREETING=hi",
            "-w",
            "/work/dir",
            "-u",
            "65534:65534",
            "--hostname",
            "box",
            "busybox",
            "sh",
            "-c",
            "echo $GREETING; pwd; id -u; id -g; hostname; echo $PATH",
        ],
    );
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "hi",
            "/work/dir",
            "65534",
            "65534",
            "box",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        ],
        "{output}"
    );
}

/// Polls `logs NAME` until it prints `expected` (a few seconds at most).
fn wait_for_log(env: &TestEnv, name: &str, expected: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let logs = container(env, &["logs", name]);
        if logs.stdout == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {expected:?} in the logs: {logs}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_container_whose_monitor_was_killed_shows_so_and_rm_force_cleans_up() {
    let (_registry, env) = busybox_env();
    let id = container(
        &env,
        &["run", "-d", "--name", "orphan", "busybox", "sleep", "1000"],
    );
    let id = id.success().stdout.trim().to_owned();
    let record_path = env
        .root
        .path()
        .join("containers")
        .join(&id)
        .join("record.json");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record_path).unwrap()).unwrap();
    let monitor = record["state"]["monitor"]["pid"].as_i64().unwrap() as i32;
    let init = record["state"]["pid"].as_i64().unwrap() as i32;

    // SAFETY: signalling a process this test started.
    unsafe { libc::kill(monitor, libc::SIGKILL) };
    let status = poll_status(&env, "orphan", |s| s.contains("its monitor is gone"));
    assert!(status.starts_with("Up "), "{status}");
    let refused = container(&env, &["rm", "orphan"]);
    refused.code_is(1);
    assert!(refused.stderr.contains("is running"), "{refused}");

    container(&env, &["rm", "-f", "orphan"]).success();
    assert_eq!(container(&env, &["ps", "-aq"]).success().stdout, "");
    assert!(!std::path::Path::new(&format!("/proc/{init}/cgroup")).exists() || is_zombie(init));
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mountinfo.contains(env.root.path().to_str().unwrap()),
        "{mountinfo}"
    );
    for hierarchy in ["memory", "pids", "unified"] {
        let cgroup = format!("/sys/fs/cgroup/{hierarchy}/container/{id}");
        assert!(!std::path::Path::new(&cgroup).exists(), "{cgroup} is left");
    }
    assert!(!env.root.path().join("run").join(&id).exists());
}

#[test]
fn a_container_killed_from_the_host_is_recorded_as_exited_137() {
    let (_registry, env) = busybox_env();
    let id = container(&env, &["run", "-d", "busybox", "sleep", "1000"]);
    let id = id.success().stdout.trim().to_owned();
    let pid = inspect(&env, &id)["State"]["Pid"].as_i64().unwrap() as i32;
    assert!(pid > 1);
    // SAFETY: signalling a process this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    assert_eq!(container(&env, &["wait", &id]).success().stdout, "137\n");
    let state = &inspect(&env, &id)["State"];
    assert_eq!(state["Status"], "exited");
    assert_eq!(state["ExitCode"], 137);
}

#[test]
fn ten_containers_started_at_once_by_ten_processes_all_run() {
    let (_registry, env) = busybox_env();
    let children: Vec<_> = (0..10)
        .map(|n| {
            env.command(common::BIN)
                .args([
                    "run",
                    "-d",
                    "--name",
                    &format!("many{n}"),
                    "busybox",
                    "sleep",
                    "1000",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let running = container(&env, &["ps", "-q"]);
    assert_eq!(running.success().stdout.lines().count(), 10, "{running}");
    let names = container(&env, &["ps", "--format", "{{.Names}}"]);
    let mut names: Vec<&str> = names.stdout.lines().collect();
    names.sort();
    let expected: Vec<String> = (0..10).map(|n| format!("many{n}")).collect();
    let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(names, expected);
}

/// Polls `ps -a` until the container's status satisfies `is_done`.
fn poll_status(env: &TestEnv, name: &str, is_done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let filter = format!("name={name}");
        let ps = container(
            env,
            &["ps", "-a", "--filter", &filter, "--format", "{{.Status}}"],
        );
        let status = ps.stdout.trim().to_owned();
        if is_done(&status) {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "status stayed {status:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[test]
fn rename_restart_pause_top_and_stats() {
    let (_registry, env) = busybox_env();
    let script = "echo started; sleep 1000; echo never";
    container(
        &env,
        &[
            "run", "-d", "--name", "first", "busybox", "sh", "-c", script,
        ],
    )
    .success();
    wait_for_log(&env, "first", "started\n");

    container(&env, &["rename", "first", "second"]).success();
    container(
        &env,
        &["run", "-d", "--name", "other", "busybox", "sleep", "99"],
    )
    .success();
    let taken = container(&env, &["rename", "second", "other"]);
    taken.code_is(1);
    assert!(taken.stderr.contains("is already in use"), "{taken}");

    let top = container(&env, &["top", "second"]);
    let top_lines: Vec<&str> = top.success().stdout.lines().collect();
    assert!(
        top_lines[0].contains("PID") && top_lines[0].contains("CMD"),
        "{top}"
    );
    assert!(
        top_lines[1..]
            .iter()
            .any(|l| l.contains("sh -c echo started")),
        "{top}"
    );
    assert!(top.stdout.contains("sleep 1000"), "{top}");
    assert!(!top.stdout.contains("sleep 99"), "{top}");

    container(&env, &["pause", "second"]).success();
    assert_eq!(inspect(&env, "second")["State"]["Status"], "paused");
    let status = container(
        &env,
        &["ps", "--filter", "name=second", "--format", "{{.Status}}"],
    );
    assert!(
        status.success().stdout.trim_end().ends_with("(Paused)"),
        "{status}"
    );
    container(&env, &["pause", "second"]).code_is(1);
    let stats = container(
        &env,
        &[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.CPUPerc}} {{.PIDs}}",
            "second",
        ],
    );
    assert_eq!(stats.success().stdout.trim(), "second 0.00% 2", "{stats}");
    container(&env, &["unpause", "second"]).success();
    assert_eq!(inspect(&env, "second")["State"]["Status"], "running");

    let started = inspect(&env, "second")["State"]["StartedAt"].clone();
    container(&env, &["restart", "-t", "1", "second"]).success();
    assert_eq!(inspect(&env, "second")["State"]["Status"], "running");
    assert_ne!(inspect(&env, "second")["State"]["StartedAt"], started);
    wait_for_log(&env, "second", "started\nstarted\n");

    // A paused container still stops: it is thawed to take the signal.
    container(&env, &["pause", "second"]).success();
    container(&env, &["stop", "-t", "1", "second"]).success();
    assert_eq!(inspect(&env, "second")["State"]["Status"], "exited");
}

#[test]
fn a_named_user_gets_its_primary_and_supplementary_groups_from_the_image() {
    let (_registry, env) = busybox_env();
    container(
        &env,
        &[
            "create", "--name", "groups", "-u", "daemon", "busybox", "id",
        ],
    )
    .success();
    let host = tempfile::tempdir().unwrap();
    let group = host.path().join("group");
    std::fs::write(
        &group,
        "root:x:0:\ndaemon:x:1:\nstaff:x:50:daemon,other\nwheel:x:10:root\n",
    )
    .unwrap();
    container(&env, &["cp", group.to_str().unwrap(), "groups:/etc/group"]).success();
    let id = container(&env, &["start", "-a", "groups"]);
    assert_eq!(
        id.success().stdout,
        "uid=1(daemon) gid=1(daemon) groups=1(daemon),50(staff)\n"
    );

    let unknown = container(&env, &["run", "--rm", "-u", "nosuch", "busybox", "id"]);
    unknown.code_is(125);
    assert!(
        unknown.stderr.contains("unable to find user nosuch"),
        "{unknown}"
    );
}

#[test]
fn the_containers_own_network_has_loopback_up() {
    let (_registry, env) = busybox_env();
    let script = "cat /sys/class/net/lo/flags; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo reached";
    let output = container(&env, &["run", "--rm", "busybox", "sh", "-c", script]);
    // IFF_UP | IFF_LOOPBACK, and more once it runs.
    let flags = output.stdout.lines().next().unwrap_or_default();
    let flags = u32::from_str_radix(flags.trim_start_matches("0x"), 16).unwrap_or(0);
    assert_eq!(flags & 0x9, 0x9, "{output}");
    assert!(output.success().stdout.ends_with("reached\n"), "{output}");
}

#[test]
fn clear_errors_for_a_missing_path_a_mismatched_mount_and_a_bad_env_file() {
    let (_registry, env) = busybox_env();
    let missing = container(&env, &["run", "--rm", "busybox", "/no/such/tool"]);
    missing.code_is(127);
    assert!(
        missing
            .stderr
            .contains("stat /no/such/tool: no such file or directory"),
        "{missing}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bind = format!("{}:/etc/passwd", dir.path().display());
    let mismatch = container(&env, &["run", "--rm", "-v", &bind, "busybox", "true"]);
    mismatch.code_is(125);
    assert!(
        mismatch.stderr.contains("mount a directory onto a file"),
        "{mismatch}"
    );

    let env_file = dir.path().join("env");
    std::fs::write(&env_file, "A=1\nexport C=3\n").unwrap();
    let bad = container(
        &env,
        &[
            "run",
            "--rm",
            "--env-file",
            env_file.to_str().unwrap(),
            "busybox",
            "env",
        ],
    );
    bad.code_is(125);
    assert!(
        bad.stderr
            .contains("variable 'export C' contains whitespaces"),
        "{bad}"
    );
    assert_eq!(container(&env, &["ps", "-aq"]).success().stdout, "");
}

/// CASES C37: Docker's exit codes for `run`, each line of the case.
#[test]
fn exit_codes_are_dockers_c37() {
    let (_registry, env) = busybox_env();
    container(&env, &["run", "--rm", "busybox", "sh", "-c", "exit 3"]).code_is(3);
    container(&env, &["run", "--rm", "busybox", "/etc"]).code_is(126);
    container(&env, &["run", "--rm", "busybox", "nosuchcmd"]).code_is(127);
    container(&env, &["run", "--no-such-flag", "busybox"]).code_is(125);
    // The case names a registry that cannot be reached; tests stay on loopback, so
    // the pull fails at the mirror instead.
    container(&env, &["run", "--rm", "no-such-image-123"]).code_is(125);
    let child_killed = "sh -c 'kill -TERM $$'; exit $?";
    container(&env, &["run", "--rm", "busybox", "sh", "-c", child_killed]).code_is(143);

    container(
        &env,
        &["run", "-d", "--name", "killed", "busybox", "sleep", "1000"],
    )
    .success();
    container(&env, &["kill", "killed"]).success();
    assert_eq!(
        container(&env, &["wait", "killed"]).success().stdout,
        "137\n"
    );
    container(
        &env,
        &["run", "-d", "--name", "stopped", "busybox", "sleep", "1000"],
    )
    .success();
    container(&env, &["stop", "-t", "1", "stopped"]).success();
    assert_eq!(
        container(&env, &["wait", "stopped"]).success().stdout,
        "137\n"
    );
}

/// CASES C15, the `run` side: arguments replace the image CMD, `--entrypoint`
/// drops it, and `--entrypoint ""` clears the image's entrypoint.
#[test]
fn entrypoint_and_cmd_merge_as_docker_does_c15() {
    let (_registry, env) = busybox_env();
    let echo = container(&env, &["run", "--rm", "busybox", "echo", "hi"]);
    assert_eq!(echo.success().stdout, "hi\n");
    let ls = container(&env, &["run", "--rm", "--entrypoint", "/bin/ls", "busybox"]);
    assert!(ls.success().stdout.lines().any(|l| l == "bin"), "{ls}");
    let with_args = container(
        &env,
        &[
            "run",
            "--rm",
            "--entrypoint",
            "/bin/echo",
            "busybox",
            "a",
            "b",
        ],
    );
    assert_eq!(with_args.success().stdout, "a b\n");
    let cleared = container(
        &env,
        &[
            "run",
            "--rm",
            "--entrypoint",
            "",
            "busybox",
            "echo",
            "plain",
        ],
    );
    assert_eq!(cleared.success().stdout, "plain\n");
    let config = inspect(&env, "busybox");
    assert_eq!(config["Config"]["Cmd"], serde_json::json!(["sh"]));
}

#[test]
fn unknown_flags_are_named_and_a_retagged_image_shows_by_id_in_ps() {
    let (_registry, env) = busybox_env();
    let unknown = container(&env, &["run", "--bogus", "busybox"]);
    unknown.code_is(125);
    assert!(
        unknown.stderr.starts_with("error: unknown flag: --bogus\n"),
        "{unknown}"
    );

    container(&env, &["tag", "busybox", "mine:1"]).success();
    container(
        &env,
        &["run", "-d", "--name", "tagged", "mine:1", "sleep", "100"],
    )
    .success();
    let image = || container(&env, &["ps", "--format", "{{.Image}}"]).stdout;
    assert_eq!(image(), "mine:1\n");
    container(&env, &["rmi", "mine:1"]).success();
    let id = inspect(&env, "busybox")["Id"].as_str().unwrap().to_owned();
    let short = &id.strip_prefix("sha256:").unwrap()[..12];
    assert_eq!(image(), format!("{short}\n"));
}
