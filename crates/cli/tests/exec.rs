//! `exec`: processes run in running containers, checked from inside: environment,
//! working directory, user, capabilities, exit codes, terminals, and that nothing
//! exec'd outlives its container.

mod common;
mod pty;

use std::io::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{BIN, busybox_registry, container, mirrored_env};
use container_test_support::{Registry, TestEnv};
use pty::PtySession;

/// A store with busybox, and container `box` running `sleep` with `flags`.
fn running_box(flags: &[&str]) -> (Registry, TestEnv) {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    let mut args = vec!["run", "-d", "--name", "box"];
    args.extend(flags);
    args.extend(["busybox", "sleep", "300"]);
    container(&env, &args).success();
    (registry, env)
}

#[test]
fn exec_sees_the_containers_env_cwd_and_user_and_the_flags_over_them() {
    let (_registry, env) = running_box(&["-e", "FOO=run", "-e", "KEEP=yes", "-w", "/srv"]);
    let defaults = container(
        &env,
        &["exec", "box", "sh", "-c", "echo $FOO $KEEP; pwd; id"],
    );
    assert_eq!(
        defaults.success().stdout,
        "run yes\n/srv\nuid=0(root) gid=0(root) groups=0(root)\n"
    );

    let env_file = env.home.path().join("exec.env");
    std::fs::write(&env_file, "FROMFILE=1\nFOO=file\n").unwrap();
    let script = "echo $FOO $KEEP $FROMFILE $HOME; pwd; id";
    let flags = container(
        &env,
        &[
            "exec",
            "--env-file",
            env_file.to_str().unwrap(),
            "-e",
            "FOO=exec",
            "-w",
            "/tmp",
            "-u",
            "nobody",
            "box",
            "sh",
            "-c",
            script,
        ],
    );
    assert_eq!(
        flags.success().stdout,
        "exec yes 1 /home\n/tmp\nuid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"
    );
    let group = container(
        &env,
        &[
            "exec",
            "-u",
            "daemon:1000",
            "box",
            "sh",
            "-c",
            "id -u; id -g",
        ],
    );
    assert_eq!(group.success().stdout, "1\n1000\n");
}

#[test]
fn exec_runs_as_the_containers_user_by_default() {
    let (_registry, env) = running_box(&["-u", "65534:65534"]);
    let output = container(&env, &["exec", "box", "sh", "-c", "id -u; id -g"]);
    assert_eq!(output.success().stdout, "65534\n65534\n");
}

#[test]
fn exec_exit_codes_are_dockers() {
    let (_registry, env) = running_box(&[]);
    container(&env, &["exec", "box", "true"]).code_is(0);
    let failed = container(
        &env,
        &["exec", "box", "sh", "-c", "echo out; echo err >&2; exit 3"],
    );
    failed.code_is(3);
    assert_eq!(
        (failed.stdout.as_str(), failed.stderr.as_str()),
        ("out\n", "err\n")
    );

    let missing = container(&env, &["exec", "box", "no-such-command"]);
    missing.code_is(127);
    assert!(
        missing.stderr.contains("executable file not found"),
        "{missing}"
    );
    container(&env, &["exec", "box", "/etc/passwd"]).code_is(126);
    container(&env, &["exec", "-w", "/no/such/dir", "box", "true"]).code_is(126);
    container(&env, &["exec", "nobody-here", "true"]).code_is(1);

    container(&env, &["kill", "box"]).success();
    container(&env, &["wait", "box"]).success();
    let stopped = container(&env, &["exec", "box", "true"]);
    stopped.code_is(1);
    assert!(stopped.stderr.contains("is not running"), "{stopped}");
}

#[test]
fn exec_i_forwards_piped_input() {
    let (_registry, env) = running_box(&[]);
    let mut child = env
        .command(BIN)
        .args(["exec", "-i", "box", "sh"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"echo got $((40 + 2))\nexit 4\n").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "got 42\n");
    assert_eq!(output.status.code(), Some(4));
}

#[test]
fn exec_it_gives_an_interactive_shell_on_a_terminal_of_our_size() {
    let (_registry, env) = running_box(&[]);
    let mut session = PtySession::spawn(&env, &["exec", "-it", "box", "sh"], 33, 77);
    session.expect("# ");
    session.type_keys("tty; stty size; echo $TERM\r");
    // The container has no terminal of its own, so the exec's is the first.
    session.expect("/dev/pts/0\r\n33 77\r\nxterm\r\n");
    session.type_keys("exit 9\r");
    assert_eq!(session.wait(), 9, "{}", session.screen());
    assert!(session.is_cooked());

    // Without a local terminal: still a terminal inside (its number may be reused).
    let plain = container(&env, &["exec", "-t", "box", "sh", "-c", "tty; echo $TERM"]);
    let stdout = &plain.success().stdout;
    assert!(
        stdout.starts_with("/dev/pts/") && stdout.ends_with("\r\nxterm\r\n"),
        "{plain}"
    );
}

#[test]
fn privileged_exec_gets_every_capability_we_have() {
    let (_registry, env) = running_box(&[]);
    let effective = |args: &[&str]| {
        let mut all = vec!["exec"];
        all.extend(args);
        all.extend(["box", "sh", "-c", "grep CapEff /proc/self/status"]);
        container(&env, &all).success().stdout.clone()
    };
    // Docker's default set.
    assert_eq!(effective(&[]), "CapEff:\t00000000a80425fb\n");
    let ours = std::fs::read_to_string("/proc/self/status").unwrap();
    let bounding = ours
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .unwrap()
        .trim();
    assert_eq!(
        effective(&["--privileged"]),
        format!("CapEff:\t{bounding}\n")
    );
}

#[test]
fn exec_d_outlives_the_command_and_nothing_exec_d_outlives_rm_f() {
    let (_registry, env) = running_box(&[]);
    let id = common::inspect(&env, "box")["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let detached = container(&env, &["exec", "-d", "box", "sleep", "4321"]);
    assert_eq!(detached.success().stdout, "");
    wait_until(
        || !host_processes(&["sleep", "4321"]).is_empty(),
        "the exec'd sleep to run",
    );
    let top = container(&env, &["exec", "box", "ps", "-o", "args"]);
    assert!(top.success().stdout.contains("sleep 4321"), "{top}");
    // The foreground `ps` exec's monitor may still be on its way out.
    let exec_monitors = || {
        let monitors = host_processes(&["__monitor", "--exec"]);
        monitors.iter().filter(|a| a.contains(&id)).count()
    };
    wait_until(
        || exec_monitors() == 1,
        "one exec monitor, the detached one's",
    );

    container(&env, &["rm", "-f", "box"]).success();
    wait_until(
        || host_processes(&["sleep", "4321"]).is_empty(),
        "the exec'd sleep to end",
    );
    wait_until(
        || {
            !host_processes(&["__monitor"])
                .iter()
                .any(|a| a.contains(&id))
        },
        "the monitors to end",
    );
}

/// Command lines (space-joined) of live, non-zombie host processes with every one
/// of `words` among their arguments.
fn host_processes(words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let path = entry.path();
        let Ok(cmdline) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_zombie =
            std::fs::read_to_string(path.join("stat")).is_ok_and(|s| s.contains(") Z "));
        if !is_zombie && words.iter().all(|w| args.iter().any(|a| a == w)) {
            found.push(args.join(" "));
        }
    }
    found
}

fn wait_until(condition: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn exec_refuses_a_paused_container_and_an_unknown_user_as_docker_does() {
    let registry = common::busybox_registry();
    let env = common::mirrored_env(&registry);
    container(
        &env,
        &["run", "-d", "--name", "frozen", "busybox", "sleep", "1000"],
    )
    .success();
    let unknown = container(&env, &["exec", "-u", "nosuch", "frozen", "true"]);
    unknown.code_is(126);
    assert!(
        unknown.stderr.contains("unable to find user nosuch"),
        "{unknown}"
    );
    container(&env, &["pause", "frozen"]).success();
    let paused = container(&env, &["exec", "frozen", "true"]);
    paused.code_is(1);
    assert!(
        paused
            .stderr
            .contains("Container frozen is paused, unpause the container before exec"),
        "{paused}"
    );
    container(&env, &["rm", "-f", "frozen"]).success();
}
