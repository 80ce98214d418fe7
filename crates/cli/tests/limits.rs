//! Cgroup limits, rlimits, `/dev/shm` and `--stop-timeout` on real busybox containers:
//! the host's cgroup files hold the values, the limits bite inside, `inspect` shows
//! Docker's `HostConfig` fields, and a restarted container gets them again.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{busybox_env, container, inspect};
use container_test_support::TestEnv;

/// `run --rm [flags] busybox sh -c SCRIPT`; its output, whatever the exit code.
fn run_sh(env: &TestEnv, flags: &[&str], script: &str) -> container_test_support::Output {
    let mut args = vec!["run", "--rm"];
    args.extend(flags);
    args.extend(["busybox", "sh", "-c", script]);
    container(env, &args)
}

/// A cgroup v1 controller's file for container `id` (this host's hierarchies).
fn cgroup_file(controller: &str, id: &str, file: &str) -> String {
    let path = PathBuf::from("/sys/fs/cgroup")
        .join(controller)
        .join("container")
        .join(id)
        .join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .trim()
        .to_owned()
}

const LIMIT_FLAGS: [&str; 12] = [
    "-m",
    "64m",
    "--memory-swap",
    "96m",
    "--cpus",
    "0.5",
    "-c",
    "512",
    "--pids-limit",
    "20",
    "--cpuset-cpus",
    "0",
];

fn assert_cgroup_limits(id: &str) {
    assert_eq!(
        cgroup_file("memory", id, "memory.limit_in_bytes"),
        "67108864"
    );
    assert_eq!(
        cgroup_file("memory", id, "memory.memsw.limit_in_bytes"),
        "100663296"
    );
    assert_eq!(cgroup_file("cpu", id, "cpu.cfs_quota_us"), "50000");
    assert_eq!(cgroup_file("cpu", id, "cpu.cfs_period_us"), "100000");
    assert_eq!(cgroup_file("cpu", id, "cpu.shares"), "512");
    assert_eq!(cgroup_file("pids", id, "pids.max"), "20");
    assert_eq!(cgroup_file("cpuset", id, "cpuset.cpus"), "0");
}

#[test]
fn cgroup_files_hold_the_limits_and_a_restart_applies_them_again() {
    let (_registry, env) = busybox_env();
    let mut args = vec!["run", "-d", "--name", "limited"];
    args.extend(LIMIT_FLAGS);
    args.extend(["busybox", "sleep", "100"]);
    let id = container(&env, &args).success().stdout.trim().to_owned();
    assert_cgroup_limits(&id);

    container(&env, &["stop", "-t", "1", "limited"]).success();
    container(&env, &["start", "limited"]).success();
    assert_cgroup_limits(&id);

    let host = &inspect(&env, "limited")["HostConfig"];
    assert_eq!(host["Memory"], 67_108_864);
    assert_eq!(host["MemorySwap"], 100_663_296);
    assert_eq!(host["NanoCpus"], 500_000_000);
    assert_eq!(host["CpuShares"], 512);
    assert_eq!(host["PidsLimit"], 20);
    assert_eq!(host["CpusetCpus"], "0");
    container(&env, &["rm", "-f", "limited"]).success();
}

#[test]
fn memory_limit_is_visible_inside_and_swap_defaults_to_twice_it() {
    let (_registry, env) = busybox_env();
    let out = run_sh(
        &env,
        &["-m", "32m"],
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
    );
    assert_eq!(out.success().stdout, "33554432\n");
    let id = container(&env, &["create", "-m", "32m", "busybox", "true"])
        .success()
        .stdout
        .clone();
    let host = &inspect(&env, id.trim())["HostConfig"];
    assert_eq!(host["MemorySwap"], 67_108_864);
    let unlimited = container(
        &env,
        &[
            "create",
            "-m",
            "32m",
            "--memory-swap",
            "-1",
            "busybox",
            "true",
        ],
    );
    let host = &inspect(&env, unlimited.success().stdout.trim())["HostConfig"];
    assert_eq!(host["MemorySwap"], -1);
}

#[test]
fn a_memory_hog_is_oom_killed_with_137() {
    let (_registry, env) = busybox_env();
    // `tail` keeps everything it reads while looking for a newline that never comes.
    let hog = container(
        &env,
        &[
            "run",
            "--name",
            "hog",
            "-m",
            "16m",
            "--memory-swap",
            "16m",
            "busybox",
            "tail",
            "/dev/zero",
        ],
    );
    hog.code_is(137);
    let state = &inspect(&env, "hog")["State"];
    assert_eq!(state["OOMKilled"], true);
    assert_eq!(state["ExitCode"], 137);

    container(
        &env,
        &["run", "--name", "calm", "-m", "16m", "busybox", "true"],
    )
    .success();
    assert_eq!(inspect(&env, "calm")["State"]["OOMKilled"], false);
}

#[test]
fn pids_limit_stops_a_fork_bomb() {
    let (_registry, env) = busybox_env();
    let bomb = "for i in $(seq 40); do sleep 5 & done; echo all forked";
    let out = run_sh(&env, &["--pids-limit", "10"], bomb);
    assert!(out.stderr.contains("can't fork"), "{out}");
    assert!(!out.stdout.contains("all forked"), "{out}");

    let unlimited = run_sh(
        &env,
        &["--pids-limit", "-1"],
        "for i in $(seq 40); do true & done; wait; echo all forked",
    );
    assert_eq!(unlimited.success().stdout, "all forked\n");
}

#[test]
fn ulimits_apply_and_never_exceed_the_hosts_hard_limit() {
    let (_registry, env) = busybox_env();
    let out = run_sh(
        &env,
        &["--ulimit", "nofile=256:512", "--ulimit", "nproc=100"],
        "ulimit -n; ulimit -Hn; ulimit -u",
    );
    assert_eq!(out.success().stdout, "256\n512\n100\n");

    let host_hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    let default = run_sh(&env, &[], "ulimit -n; ulimit -Hn")
        .success()
        .stdout
        .clone();
    let expected_hard = host_hard.map_or(524_288, |max| max.min(524_288));
    assert_eq!(default, format!("1024\n{expected_hard}\n"));

    if let Some(max) = host_hard {
        let above = format!("nofile=100:{}", max + 1);
        let refused = container(
            &env,
            &["run", "--rm", "--ulimit", &above, "busybox", "true"],
        );
        refused.code_is(125);
        assert!(refused.stderr.contains("CAP_SYS_RESOURCE"), "{refused}");
    }
    let id = container(
        &env,
        &["create", "--ulimit", "nofile=256:512", "busybox", "true"],
    );
    let ulimits = &inspect(&env, id.success().stdout.trim())["HostConfig"]["Ulimits"];
    assert_eq!(
        ulimits,
        &serde_json::json!([{"Name": "nofile", "Soft": 256, "Hard": 512}])
    );

    for (ulimit, message) in [
        (
            "nofile=2:1",
            "soft limit must be less than or equal to hard limit: 2 > 1",
        ),
        ("bogus=1", "invalid ulimit type: bogus"),
        ("nofile", "invalid ulimit argument: nofile"),
    ] {
        let refused = container(
            &env,
            &["run", "--rm", "--ulimit", ulimit, "busybox", "true"],
        );
        refused.code_is(125);
        assert!(refused.stderr.contains(message), "{refused}");
    }
}

#[test]
fn shm_size_sets_dev_shm() {
    let (_registry, env) = busybox_env();
    let size = |flags: &[&str]| -> String {
        let out = run_sh(&env, flags, "df -k /dev/shm | tail -1");
        out.success()
            .stdout
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(size(&[]), "65536");
    assert_eq!(size(&["--shm-size", "128m"]), "131072");
    let id = container(&env, &["create", "--shm-size", "1g", "busybox", "true"])
        .success()
        .stdout
        .clone();
    assert_eq!(
        inspect(&env, id.trim())["HostConfig"]["ShmSize"],
        1_073_741_824
    );
}

#[test]
fn stop_timeout_is_how_long_stop_waits() {
    let (_registry, env) = busybox_env();
    // `sleep` as PID 1 ignores SIGTERM, so only the kill after the timeout ends it.
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "stubborn",
            "--stop-timeout",
            "1",
            "busybox",
            "sleep",
            "100",
        ],
    )
    .success();
    let started = Instant::now();
    container(&env, &["stop", "stubborn"]).success();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
    assert_eq!(
        container(&env, &["wait", "stubborn"]).success().stdout,
        "137\n"
    );
    assert_eq!(inspect(&env, "stubborn")["Config"]["StopTimeout"], 1);
}

#[test]
fn limits_are_checked_as_docker_checks_them() {
    let (_registry, env) = busybox_env();
    for (flags, message) in [
        (&["-m", "1m"][..], "minimum memory limit allowed is 6MB"),
        (&["-m", "12q"], "invalid size: '12q'"),
        (
            &["--memory-swap", "64m"],
            "should always set the memory limit",
        ),
        (
            &["-m", "64m", "--memory-swap", "32m"],
            "should be larger than memory limit",
        ),
        (&["--cpus", "999"], "range of CPUs is from 0.01 to"),
        (&["--cpus", "lots"], "not a number of CPUs"),
        (
            &["--cpuset-cpus", "0-999"],
            "requested CPUs are not available",
        ),
        (&["--shm-size", "big"], "invalid size: 'big'"),
    ] {
        let mut args = vec!["run", "--rm"];
        args.extend(flags);
        args.extend(["busybox", "true"]);
        let refused = container(&env, &args);
        refused.code_is(125);
        assert!(refused.stderr.contains(message), "{flags:?}: {refused}");
    }
    assert_eq!(
        container(&env, &["ps", "-aq"]).success().stdout,
        "",
        "nothing was created"
    );
}
