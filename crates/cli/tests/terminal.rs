//! `-t`: containers with a pseudo-terminal, driven from a terminal the test opens
//! (and without one), checked from inside the container.

mod common;
mod pty;

use std::io::Write as _;
use std::process::Stdio;

use common::{BIN, busybox_env, container};
use pty::PtySession;

#[test]
fn run_it_gives_a_terminal_of_the_clients_size_and_restores_ours() {
    let (_registry, env) = busybox_env();
    let script = "tty; stty size; exit 3";
    let mut session = PtySession::spawn(
        &env,
        &["run", "--rm", "-it", "busybox", "sh", "-c", script],
        30,
        100,
    );
    assert_eq!(session.wait(), 3, "{}", session.screen());
    session.expect("/dev/pts/0\r\n30 100\r\n");
    assert!(session.is_cooked(), "the terminal was left in raw mode");
}

#[test]
fn an_interactive_shell_reads_what_is_typed_and_follows_resizes() {
    let (_registry, env) = busybox_env();
    let mut session = PtySession::spawn(&env, &["run", "--rm", "-it", "busybox", "sh"], 24, 80);
    session.expect("# ");
    session.type_keys("stty size; echo $((6 * 7))\r");
    session.expect("24 80\r\n42\r\n");

    session.resize(50, 132);
    // The resize reaches the container on SIGWINCH; ask until it shows.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !session.screen().contains("50 132") {
        assert!(std::time::Instant::now() < deadline, "{}", session.screen());
        session.type_keys("stty size\r");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // ^C goes to the container's terminal (raw mode here): it interrupts `sleep`,
    // not us, and the shell carries on.
    session.type_keys("sleep 30\r");
    std::thread::sleep(std::time::Duration::from_millis(300));
    session.type_keys("\x03echo after-interrupt\r");
    session.expect("after-interrupt\r\n");
    session.type_keys("exit 7\r");
    assert_eq!(session.wait(), 7, "{}", session.screen());
    assert!(session.is_cooked());
}

#[test]
fn t_without_a_local_terminal_gives_one_stream_and_the_exit_code() {
    let (_registry, env) = busybox_env();
    let script = "tty; echo out; echo err >&2; exit 2";
    let output = container(
        &env,
        &[
            "run", "-t", "--name", "plain", "busybox", "sh", "-c", script,
        ],
    );
    output.code_is(2);
    assert_eq!(output.stdout, "/dev/pts/0\r\nout\r\nerr\r\n", "{output}");
    assert_eq!(output.stderr, "");
    let logs = container(&env, &["logs", "plain"]);
    assert_eq!(logs.success().stdout, "/dev/pts/0\r\nout\r\nerr\r\n");
}

#[test]
fn piped_input_with_a_terminal_is_refused_as_docker_does() {
    let (_registry, env) = busybox_env();
    let mut child = env
        .command(BIN)
        .args(["run", "--rm", "-i", "-t", "busybox", "sh"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(b"echo $((40 + 2))\n");
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the input device is not a TTY"), "{stderr}");
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert_eq!(container(&env, &["ps", "-aq"]).success().stdout, "");
}

#[test]
fn create_t_then_start_a_streams_the_terminal() {
    let (_registry, env) = busybox_env();
    let script = "tty; exit 5";
    let created = container(&env, &["create", "-t", "busybox", "sh", "-c", script]);
    let id = created.success().stdout.trim().to_owned();
    let started = container(&env, &["start", "-a", &id]);
    started.code_is(5);
    assert_eq!(started.stdout, "/dev/pts/0\r\n", "{started}");
}

#[test]
fn attach_joins_a_running_terminal_and_types_into_it() {
    let (_registry, env) = busybox_env();
    container(&env, &["run", "-dit", "--name", "shell", "busybox", "sh"]).success();
    let mut session = PtySession::spawn(&env, &["attach", "shell"], 20, 60);
    // Attaching resizes the container's terminal to ours.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !session.screen().contains("20 60") {
        assert!(std::time::Instant::now() < deadline, "{}", session.screen());
        session.type_keys("stty size\r");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    session.type_keys("exit 6\r");
    assert_eq!(session.wait(), 6, "{}", session.screen());
    assert_eq!(container(&env, &["wait", "shell"]).success().stdout, "6\n");

    let stopped = container(&env, &["attach", "shell"]);
    stopped.code_is(1);
    assert!(
        stopped
            .stderr
            .contains("You cannot attach to a stopped container"),
        "{stopped}"
    );
}

#[test]
fn detach_keys_leave_the_container_running_and_attach_gets_back_in() {
    let (_registry, env) = busybox_env();
    let mut session = PtySession::spawn(
        &env,
        &["run", "-it", "--name", "away", "busybox", "sh"],
        24,
        80,
    );
    session.expect("# ");
    session.type_keys("echo first\r");
    session.expect("first\r\n");
    // ctrl-p ctrl-q: Docker's default sequence.
    session.type_keys("\x10\x11");
    assert_eq!(session.wait(), 0, "{}", session.screen());
    assert!(session.is_cooked());
    assert_eq!(common::inspect(&env, "away")["State"]["Status"], "running");

    let mut again = PtySession::spawn(
        &env,
        &["attach", "--detach-keys", "ctrl-x,x", "away"],
        24,
        80,
    );
    again.type_keys("echo second\r");
    again.expect("second\r\n");
    again.type_keys("\x18x");
    assert_eq!(again.wait(), 0, "{}", again.screen());
    assert_eq!(common::inspect(&env, "away")["State"]["Status"], "running");
    container(&env, &["rm", "-f", "away"]).success();
}
