//! Restart policies, carried out by the monitor, and `system stop` / `system start`
//! bringing containers back as a reboot would.

mod common;

use std::time::{Duration, Instant};

use common::{busybox_env, container, inspect};
use container_test_support::TestEnv;

/// Polls `inspect NAME` until `is_done` holds for it.
fn poll(
    env: &TestEnv,
    name: &str,
    is_done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let value = inspect(env, name);
        if is_done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {value:#}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn on_failure_restarts_up_to_its_count_and_no_more() {
    let (_registry, env) = busybox_env();
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "flaky",
            "--restart",
            "on-failure:2",
            "busybox",
            "sh",
            "-c",
            "echo try; exit 3",
        ],
    )
    .success();
    let done = poll(&env, "flaky", |v| {
        v["RestartCount"] == 2
            && v["State"]["Status"] == "exited"
            && v["State"]["Restarting"] == false
    });
    assert_eq!(done["State"]["ExitCode"], 3);
    assert_eq!(done["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(done["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 2);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        container(&env, &["logs", "flaky"]).success().stdout,
        "try\ntry\ntry\n"
    );

    // A clean exit is not a failure.
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "fine",
            "--restart",
            "on-failure",
            "busybox",
            "true",
        ],
    )
    .success();
    let fine = poll(&env, "fine", |v| v["State"]["Status"] == "exited");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(inspect(&env, "fine")["RestartCount"], 0, "{fine:#}");
}

#[test]
fn always_restarts_until_stopped_by_hand() {
    let (_registry, env) = busybox_env();
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "loop",
            "--restart",
            "always",
            "busybox",
            "sh",
            "-c",
            "sleep 0.2",
        ],
    )
    .success();
    poll(&env, "loop", |v| {
        v["RestartCount"].as_u64().unwrap_or(0) >= 2
    });
    container(&env, &["stop", "-t", "1", "loop"]).success();
    let stopped = poll(&env, "loop", |v| {
        v["State"]["Status"] == "exited" && v["State"]["Restarting"] == false
    });
    let count = stopped["RestartCount"].clone();
    std::thread::sleep(Duration::from_secs(1));
    let later = inspect(&env, "loop");
    assert_eq!(later["State"]["Status"], "exited", "{later:#}");
    assert_eq!(later["RestartCount"], count);
}

#[test]
fn restart_and_rm_conflict_and_bad_policies_are_refused() {
    let (_registry, env) = busybox_env();
    let conflict = container(
        &env,
        &["run", "--rm", "--restart", "always", "busybox", "true"],
    );
    conflict.code_is(125);
    assert!(conflict.stderr.contains("--restart and --rm"), "{conflict}");
    let bad = container(&env, &["run", "--restart", "sometimes", "busybox", "true"]);
    bad.code_is(125);
    assert!(
        bad.stderr.contains("invalid --restart `sometimes`"),
        "{bad}"
    );
    assert_eq!(container(&env, &["ps", "-aq"]).success().stdout, "");
}

#[test]
fn system_stop_then_start_brings_back_what_the_policies_ask_for() {
    let (_registry, env) = busybox_env();
    let script = "trap 'exit 0' TERM; sleep 1000 & wait";
    for (name, policy) in [
        ("keep", "always"),
        ("unless", "unless-stopped"),
        ("never", "no"),
        ("byhand", "unless-stopped"),
    ] {
        container(
            &env,
            &[
                "run",
                "-d",
                "--name",
                name,
                "--restart",
                policy,
                "busybox",
                "sh",
                "-c",
                script,
            ],
        )
        .success();
    }
    container(&env, &["stop", "-t", "0", "byhand"]).success();

    let stop = container(&env, &["system", "stop"]);
    assert!(stop.success().stdout.contains("stopped keep"), "{stop}");
    assert_eq!(container(&env, &["ps", "-q"]).success().stdout, "");

    let start = container(&env, &["system", "start"]);
    start.success();
    let running = container(&env, &["ps", "--format", "{{.Names}}"]);
    let mut names: Vec<&str> = running.success().stdout.lines().collect();
    names.sort();
    assert_eq!(names, ["keep", "unless"], "{start}");
}

#[test]
fn system_start_marks_containers_lost_with_their_monitor_and_restarts_them() {
    let (_registry, env) = busybox_env();
    let id = container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "lost",
            "--restart",
            "on-failure",
            "busybox",
            "sleep",
            "1000",
        ],
    );
    let id = id.success().stdout.trim().to_owned();
    let plain = container(
        &env,
        &["run", "-d", "--name", "plain", "busybox", "sleep", "1000"],
    );
    let plain = plain.success().stdout.trim().to_owned();
    // What a reboot does: every process gone, records left saying running.
    for id in [&id, &plain] {
        let record: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                env.root
                    .path()
                    .join("containers")
                    .join(id)
                    .join("record.json"),
            )
            .unwrap(),
        )
        .unwrap();
        for pid in [&record["state"]["monitor"]["pid"], &record["state"]["pid"]] {
            // SAFETY: signalling processes this test started.
            unsafe { libc::kill(pid.as_i64().unwrap() as i32, libc::SIGKILL) };
        }
    }
    poll(&env, "plain", |v| v["State"]["Running"] == false);

    container(&env, &["system", "start"]).success();
    assert_eq!(inspect(&env, "lost")["State"]["Status"], "running");
    let plain = inspect(&env, "plain");
    assert_eq!(plain["State"]["Status"], "exited");
    assert_eq!(plain["State"]["ExitCode"], 255);
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let plain_root = env
        .root
        .path()
        .join("containers")
        .join(plain["Id"].as_str().unwrap());
    assert!(!mountinfo.contains(plain_root.to_str().unwrap()));
}

#[test]
fn a_container_waiting_to_restart_is_restarting_and_rm_needs_force() {
    let (_registry, env) = busybox_env();
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "flap",
            "--restart",
            "always",
            "busybox",
            "sh",
            "-c",
            "exit 1",
        ],
    )
    .success();
    // Restarts back off exponentially: soon it spends most of its time waiting.
    poll(&env, "flap", |v| {
        v["RestartCount"].as_u64().unwrap_or(0) >= 3
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ps = container(
            &env,
            &[
                "ps",
                "--filter",
                "status=restarting",
                "--format",
                "{{.Names}} {{.State}}",
            ],
        );
        if ps.stdout == "flap restarting\n" {
            break;
        }
        assert!(Instant::now() < deadline, "{ps}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Refused whether it is waiting (most likely by now) or running for a moment.
    let refused = container(&env, &["rm", "flap"]);
    refused.code_is(1);
    let says = |text: &str| refused.stderr.contains(text);
    assert!(
        says("You cannot remove a restarting container") || says("container is running"),
        "{refused}"
    );
    container(&env, &["rm", "-f", "flap"]).success();
    assert_eq!(container(&env, &["ps", "-aq"]).success().stdout, "");
}
