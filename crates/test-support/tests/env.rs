//! TestEnv's environment for the binary, `run`'s capture and assertions, and cleanup.

use std::time::Duration;

use container_test_support::{TestEnv, run, run_with_timeout};

#[test]
fn command_points_the_binary_at_the_scratch_dirs() {
    let env = TestEnv::new();
    env.write_config("[registry]\n");
    let script =
        "echo $CONTAINER_ROOT $CONTAINER_CONFIG $HOME $DOCKER_CONFIG $NO_COLOR ${RUST_LOG-unset}";
    let out = run(env.command("sh").args(["-c", script]));
    out.success();
    let root = env.root.path().display();
    let home = env.home.path().display();
    let expected = format!(
        "{root} {} {home} {home}/.docker 1 unset\n",
        env.config_path.display()
    );
    assert_eq!(out.stdout, expected);
    // The test's text, then the environment's own bridge and subnets.
    let config = std::fs::read_to_string(&env.config_path).unwrap();
    assert!(config.starts_with("[registry]\n"), "{config}");
    let network = format!("[network]\nbridge = \"{}\"\n", env.network.bridge());
    assert!(config.contains(&network), "{config}");
}

#[test]
fn environments_alive_at_once_get_bridges_and_subnets_of_their_own() {
    let (a, b) = (TestEnv::new(), TestEnv::new());
    assert_ne!(a.network.bridge(), b.network.bridge());
    assert_ne!(a.network.subnet(), b.network.subnet());
}

#[test]
fn run_captures_both_streams_and_the_exit_code() {
    let env = TestEnv::new();
    let out = env.run("sh", &["-c", "echo out; echo err >&2; exit 3"]);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.code),
        ("out\n", "err\n", 3)
    );
    out.failure().code_is(3);
}

#[test]
fn a_signal_death_is_128_plus_the_signal() {
    let out = run(std::process::Command::new("sh").args(["-c", "kill -KILL $$"]));
    assert_eq!(out.code, 137);
}

#[test]
#[should_panic(expected = "expected success")]
fn success_panics_on_a_failed_command() {
    run(&mut std::process::Command::new("false")).success();
}

#[test]
#[should_panic(expected = "still running after")]
fn a_command_past_its_timeout_is_killed() {
    run_with_timeout(
        std::process::Command::new("sleep").arg("30"),
        Duration::from_millis(300),
    );
}

#[test]
fn scratch_dirs_are_removed_on_drop() {
    let env = TestEnv::new();
    let (root, home) = (env.root.path().to_path_buf(), env.home.path().to_path_buf());
    std::fs::write(root.join("file"), "x").unwrap();
    drop(env);
    assert!(!root.exists() && !home.exists());
}
