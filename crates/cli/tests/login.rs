//! `login`, `logout` and `registry ls` against registries with basic and token auth,
//! and through `docker-credential-*` helpers.

mod common;
mod piped;
mod pty;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use base64::Engine as _;
use common::container;
use container_test_support::{Registry, TestEnv};
use piped::{with_input, with_path};

const USER: &str = "tester";
const PASSWORD: &str = "s3cret-pass";

fn config_file(env: &TestEnv) -> std::path::PathBuf {
    env.docker_config_dir().join("config.json")
}

fn read_config(env: &TestEnv) -> serde_json::Value {
    let text = std::fs::read_to_string(config_file(env)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn expected_auth() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
}

/// Logs in with a wrong password (refused, nothing stored), then the right one
/// (stored, mode 0600, other keys kept), pulls with it, and logs out.
fn login_round_trip(registry: &Registry) {
    registry.load("busybox-1.35", "library/busybox:1");
    let addr = registry.addr();
    let env = TestEnv::new();

    let wrong = with_input(
        &env,
        &["login", "-u", USER, "--password-stdin", &addr],
        b"wrong\n",
    );
    wrong.code_is(1);
    assert!(
        wrong.stderr.contains("refused the user name or password"),
        "{wrong}"
    );
    assert!(
        !config_file(&env).exists(),
        "a refused login stored something"
    );

    std::fs::create_dir_all(env.docker_config_dir()).unwrap();
    std::fs::write(config_file(&env), r#"{"psFormat":"table {{.ID}}"}"#).unwrap();
    let input = format!("{PASSWORD}\n");
    let right = with_input(
        &env,
        &["login", "-u", USER, "--password-stdin", &addr],
        input.as_bytes(),
    );
    right.success();
    assert_eq!(right.stdout, "Login Succeeded\n", "{right}");
    let config = read_config(&env);
    assert_eq!(config["psFormat"], "table {{.ID}}");
    assert_eq!(config["auths"][&addr]["auth"], expected_auth());
    let mode = std::fs::metadata(config_file(&env))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let name = format!("{addr}/library/busybox:1");
    container(&env, &["pull", "-q", &name]).success();

    let out = container(&env, &["logout", &addr]);
    out.success();
    assert_eq!(
        out.stdout,
        format!("Removing login credentials for {addr}\n")
    );
    assert!(read_config(&env)["auths"].get(&addr).is_none());
    assert_eq!(read_config(&env)["psFormat"], "table {{.ID}}");
    let again = container(&env, &["logout", &addr]);
    again.success();
    assert_eq!(again.stdout, format!("Not logged in to {addr}\n"));
}

#[test]
fn login_checks_and_stores_credentials_with_basic_auth() {
    login_round_trip(&Registry::start_basic(USER, PASSWORD));
}

#[test]
fn login_checks_and_stores_credentials_with_token_auth() {
    let registry = Registry::start_token(USER, PASSWORD);
    login_round_trip(&registry);
    let requests = registry.token_requests();
    assert!(
        requests
            .iter()
            .any(|r| r.authorized_user.as_deref() == Some(USER)),
        "{requests:?}"
    );
}

#[test]
fn registry_login_and_ls_show_the_stored_login() {
    let registry = Registry::start_basic(USER, PASSWORD);
    let addr = registry.addr();
    let env = TestEnv::new();
    container(
        &env,
        &["registry", "login", "-u", USER, "-p", PASSWORD, &addr],
    )
    .success();

    let list = container(&env, &["registry", "ls"]);
    list.success();
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert!(lines[0].starts_with("HOSTNAME"), "{list}");
    assert!(
        lines[1].starts_with(&addr) && lines[1].contains(USER),
        "{list}"
    );
    let quiet = container(&env, &["registry", "list", "-q"]);
    assert_eq!(quiet.stdout, format!("{addr}\n"));

    container(&env, &["registry", "logout", &addr]).success();
    let empty = container(&env, &["registry", "ls", "-q"]);
    assert_eq!(empty.stdout, "");
}

#[test]
fn login_without_a_terminal_or_password_is_refused() {
    let registry = Registry::start_basic(USER, PASSWORD);
    let env = TestEnv::new();
    let out = container(&env, &["login", "-u", USER, &registry.addr()]);
    out.code_is(1);
    assert!(out.stderr.contains("non TTY device"), "{out}");
    assert!(!config_file(&env).exists());
}

#[test]
fn login_on_a_terminal_asks_without_echo() {
    let registry = Registry::start_basic(USER, PASSWORD);
    let addr = registry.addr();
    let env = TestEnv::new();
    let mut session = pty::PtySession::spawn(&env, &["login", &addr], 24, 80);
    session.expect("Username: ");
    session.type_keys(&format!("{USER}\n"));
    session.expect("Password: ");
    session.type_keys(&format!("{PASSWORD}\n"));
    session.expect("Login Succeeded");
    assert_eq!(session.wait(), 0, "{}", session.screen());
    assert!(!session.screen().contains(PASSWORD), "{}", session.screen());
    assert_eq!(read_config(&env)["auths"][&addr]["auth"], expected_auth());
}

/// A `docker-credential-test` helper keeping one JSON file per server under its dir.
fn write_helper(dir: &Path) {
    let script = r#"#!/bin/sh
store="$(dirname "$0")/store"
mkdir -p "$store"
file_for() { printf '%s/%s.json' "$store" "$(printf '%s' "$1" | tr '/:' '__')"; }
echo "$1" >> "$store/calls"
case "$1" in
  store) json="$(cat)"; server="$(printf '%s' "$json" | jq -r .ServerURL)"
         printf '%s' "$json" > "$(file_for "$server")" ;;
  get) read -r server; f="$(file_for "$server")"
       if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) read -r server; f="$(file_for "$server")"
         if [ -f "$f" ]; then rm "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  list) if ls "$store"/*.json >/dev/null 2>&1; then
          jq -s 'map({(.ServerURL): .Username}) | add' "$store"/*.json
        else echo '{}'; fi ;;
esac
"#;
    let path = dir.join("docker-credential-test");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn helper_round_trip(config: &str) {
    let registry = Registry::start_basic(USER, PASSWORD);
    registry.load("busybox-1.35", "library/busybox:1");
    let addr = registry.addr();
    let env = TestEnv::new();
    let helpers = tempfile::tempdir().unwrap();
    write_helper(helpers.path());
    std::fs::create_dir_all(env.docker_config_dir()).unwrap();
    std::fs::write(config_file(&env), config.replace("ADDR", &addr)).unwrap();

    let input = format!("{PASSWORD}\n");
    let args = ["login", "-u", USER, "--password-stdin", &addr];
    with_path(&env, &args, helpers.path(), Some(input.as_bytes())).success();
    let text = std::fs::read_to_string(config_file(&env)).unwrap();
    assert!(
        !text.contains(&expected_auth()),
        "secret in config.json: {text}"
    );
    let stored = helpers
        .path()
        .join("store")
        .join(format!("{}.json", addr.replace(':', "_")));
    let stored = std::fs::read_to_string(stored).unwrap();
    assert!(stored.contains(PASSWORD), "{stored}");

    let name = format!("{addr}/library/busybox:1");
    with_path(&env, &["pull", "-q", &name], helpers.path(), None).success();
    let list = with_path(&env, &["registry", "ls"], helpers.path(), None);
    list.success();
    assert!(
        list.stdout.contains(&addr) && list.stdout.contains(USER),
        "{list}"
    );

    let out = with_path(&env, &["logout", &addr], helpers.path(), None);
    assert_eq!(
        out.stdout,
        format!("Removing login credentials for {addr}\n"),
        "{out}"
    );
    let calls = std::fs::read_to_string(helpers.path().join("store/calls")).unwrap();
    for action in ["store", "get", "erase"] {
        assert!(
            calls.lines().any(|l| l == action),
            "{action} not called: {calls}"
        );
    }
}

#[test]
fn cred_helpers_hold_the_secret_for_their_registry() {
    helper_round_trip(r#"{"credHelpers":{"ADDR":"test"}}"#);
}

#[test]
fn creds_store_holds_every_secret() {
    helper_round_trip(r#"{"credsStore":"test"}"#);
}
