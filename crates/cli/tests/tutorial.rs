//! The introductory tutorial of the README, step by step with the real binary, as a
//! newcomer types it: pull, a missing image, images, inspect, build the Python app,
//! run it in the foreground on a terminal and stop it with Ctrl+C, change it, rebuild
//! from the cache, run it detached, read its logs, log in, and a typo in a Dockerfile.
//!
//! docker.io is this test's own registry, set up as a mirrors-only mirror. Where the
//! tutorial pulls `alpine`, this test pulls the busybox fixture under its own name
//! (no image is renamed to pass for another); python:3.11-slim is the Debian-built
//! fixture.

mod common;
mod pty;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{BIN, busybox_registry, container, inspect, mirrored_env};
use container_test_support::{Output, Registry, TestEnv};
use pty::PtySession;

const GREETING: &str = "Hello from the tutorial app!";
const NEW_GREETING: &str = "Hello again, from version 2!";
/// How long Ctrl+C may take to stop the foreground container.
const PROMPT_STOP: Duration = Duration::from_secs(3);

/// `container ARGS` run in `dir`, as after `cd dir`.
fn container_in(env: &TestEnv, dir: &Path, args: &[&str]) -> Output {
    container_test_support::run(env.command(BIN).current_dir(dir).args(args))
}

/// `container build -t TAG .` in `dir` on a terminal; what it showed, once done.
fn build_on_a_terminal(env: &TestEnv, dir: &Path, tag: &str) -> String {
    let mut session = PtySession::spawn_in(env, Some(dir), &["build", "-t", tag, "."], 24, 100);
    session.expect(&format!("Successfully tagged {tag}"));
    assert_eq!(session.wait(), 0, "{}", session.screen());
    session.screen()
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `curl 127.0.0.1:PORT`: the whole HTTP response, retried for a few seconds while
/// the server starts.
fn curl(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match try_get(port) {
            Ok(response) if response.starts_with("HTTP/1.") => return response,
            result if Instant::now() >= deadline => panic!("GET 127.0.0.1:{port}: {result:?}"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn try_get(port: u16) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// The rows of a table that `container images` printed, as (repository, tag).
fn image_rows(output: &Output) -> Vec<(String, String)> {
    output
        .stdout
        .lines()
        .skip(1)
        .map(|line| {
            let mut cells = line.split_whitespace();
            let repository = cells.next().unwrap_or_default().to_owned();
            (repository, cells.next().unwrap_or_default().to_owned())
        })
        .collect()
}

/// `container images`, checked to have Docker's columns.
#[track_caller]
fn images(env: &TestEnv) -> Output {
    let output = container(env, &["images"]);
    output.success();
    let header: Vec<&str> = output
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect();
    assert_eq!(
        header,
        ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
        "{output}"
    );
    output
}

fn has_row(output: &Output, repository: &str, tag: &str) -> bool {
    image_rows(output).contains(&(repository.to_owned(), tag.to_owned()))
}

#[test]
fn the_tutorial_from_pull_to_login() {
    container_test_support::fixture_layout_with_debian();
    let registry = busybox_registry();
    registry.load("python-3.11-slim", "library/python:3.11-slim");
    let env = mirrored_env(&registry);

    // container pull alpine (here: busybox, under its own name)
    let pulled = container(&env, &["pull", "busybox"]);
    pulled.success();
    assert!(
        pulled.stdout.contains("docker.io/library/busybox:latest"),
        "{pulled}"
    );

    // container pull non-existent-image-123: a clear error, exit 1
    let missing = container(&env, &["pull", "non-existent-image-123"]);
    missing.code_is(1);
    assert!(
        missing
            .stderr
            .contains("error: pulling `docker.io/library/non-existent-image-123:latest`"),
        "{missing}"
    );
    assert!(missing.stderr.contains("was not found"), "{missing}");
    assert!(missing.stderr.contains("hint: "), "{missing}");

    // container images
    let listed = images(&env);
    assert_eq!(
        image_rows(&listed),
        [("busybox".to_owned(), "latest".to_owned())],
        "{listed}"
    );

    // container inspect alpine:latest (here: busybox:latest)
    let image = inspect(&env, "busybox:latest");
    assert!(
        image["Id"].as_str().unwrap().starts_with("sha256:"),
        "{image}"
    );
    assert_eq!(
        image["RepoTags"],
        serde_json::json!(["docker.io/library/busybox:latest"])
    );
    assert_eq!(image["Os"], "linux");
    assert!(image["Architecture"].is_string(), "{image}");
    assert!(image["Created"].is_string(), "{image}");
    assert!(image["Config"]["Cmd"].is_array(), "{image}");
    assert!(image["Size"].as_u64().unwrap() > 0, "{image}");
    assert_eq!(image["RootFS"]["Type"], "layers");
    assert!(!image["RootFS"]["Layers"].as_array().unwrap().is_empty());
    assert!(image["History"].is_array(), "{image}");

    // mkdir my-first-container-app && cd my-first-container-app, app.py and Dockerfile
    let home = tempfile::tempdir().unwrap();
    let app = home.path().join("my-first-container-app");
    std::fs::create_dir(&app).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tutorial-app");
    for name in ["app.py", "Dockerfile"] {
        std::fs::copy(fixture.join(name), app.join(name)).unwrap();
    }

    // container build -t my-python-app:1.0 . (on a terminal: a line per finished step)
    let first = build_on_a_terminal(&env, &app, "my-python-app:1.0");
    for step in [
        "=> [1/3] FROM docker.io/library/python:3.11-slim  ",
        "=> [2/3] WORKDIR /app  ",
        "=> [3/3] COPY app.py .  ",
        "Successfully tagged my-python-app:1.0",
    ] {
        assert!(first.contains(step), "no {step:?}\n{first}");
    }

    // container images
    let listed = images(&env);
    for (repository, tag) in [
        ("my-python-app", "1.0"),
        ("python", "3.11-slim"),
        ("busybox", "latest"),
    ] {
        assert!(
            has_row(&listed, repository, tag),
            "no {repository}:{tag}\n{listed}"
        );
    }

    // container run -p 8080:8000 my-python-app:1.0, in the foreground on a terminal;
    // curl localhost:8080 from elsewhere; Ctrl+C stops it promptly
    let port = free_port();
    let publish = format!("{port}:8000");
    let mut session =
        PtySession::spawn(&env, &["run", "-p", &publish, "my-python-app:1.0"], 24, 80);
    session.expect("listening on 0.0.0.0:8000");
    let page = curl(port);
    assert!(page.starts_with("HTTP/1.0 200"), "{page}");
    assert!(page.ends_with(&format!("\r\n\r\n{GREETING}\n")), "{page}");
    session.expect("\"GET / HTTP/1.0\" 200 -");
    let pressed = Instant::now();
    session.type_keys("\x03");
    let code = session.wait();
    let took = pressed.elapsed();
    assert!(
        took < PROMPT_STOP,
        "Ctrl+C took {took:?} to stop the container:\n{}",
        session.screen()
    );
    assert_eq!(code, 130, "{}", session.screen());
    assert!(
        session.screen().contains("KeyboardInterrupt"),
        "{}",
        session.screen()
    );
    drop(session);
    let stopped = container(&env, &["ps", "-a", "--format", "{{.Image}} {{.Status}}"]);
    assert!(
        stopped.stdout.contains("my-python-app:1.0 Exited (130)"),
        "{stopped}"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} still answers after Ctrl+C"
    );

    // edit app.py's greeting
    let source = std::fs::read_to_string(app.join("app.py")).unwrap();
    assert!(source.contains(GREETING));
    std::fs::write(app.join("app.py"), source.replace(GREETING, NEW_GREETING)).unwrap();

    // container build -t my-python-app:2.0 .: FROM and WORKDIR from the cache
    let second = build_on_a_terminal(&env, &app, "my-python-app:2.0");
    for step in [
        "=> CACHED [1/3] FROM docker.io/library/python:3.11-slim",
        "=> CACHED [2/3] WORKDIR /app",
        "Successfully tagged my-python-app:2.0",
    ] {
        assert!(second.contains(step), "no {step:?}\n{second}");
    }
    assert!(second.contains("=> [3/3] COPY app.py .  "), "{second}");
    assert_ne!(
        inspect(&env, "my-python-app:1.0")["Id"],
        inspect(&env, "my-python-app:2.0")["Id"]
    );

    // container run -d -p 8080:8000 my-python-app:2.0 && curl localhost:8080
    let started = container(&env, &["run", "-d", "-p", &publish, "my-python-app:2.0"]);
    started.success();
    let id = started.stdout.trim().to_owned();
    assert_eq!(id.len(), 64, "{started}");
    let page = curl(port);
    assert!(
        page.ends_with(&format!("\r\n\r\n{NEW_GREETING}\n")),
        "{page}"
    );

    // container logs <id>
    let logs = container(&env, &["logs", &id]);
    logs.success();
    assert_eq!(logs.stdout, "listening on 0.0.0.0:8000\n", "{logs}");
    assert!(logs.stderr.contains("\"GET / HTTP/1.0\" 200 -"), "{logs}");
    container(&env, &["rm", "-f", &id]).success();

    // container login 127.0.0.1:5002 (here: this test's registry with basic auth)
    let private = Registry::start_basic("tester", "s3cret-pass");
    let mut login = PtySession::spawn(&env, &["login", &private.addr()], 24, 80);
    login.expect("Username: ");
    login.type_keys("tester\n");
    login.expect("Password: ");
    login.type_keys("s3cret-pass\n");
    login.expect("Login Succeeded");
    assert_eq!(login.wait(), 0, "{}", login.screen());
    assert!(
        !login.screen().contains("s3cret-pass"),
        "the password was echoed:\n{}",
        login.screen()
    );

    // a Dockerfile whose first line is `FROMM python:3.11-slim`: the error names line 1
    let typo = home.path().join("typo");
    std::fs::create_dir(&typo).unwrap();
    std::fs::write(
        typo.join("Dockerfile"),
        "FROMM python:3.11-slim\nWORKDIR /app\n",
    )
    .unwrap();
    let failed = container_in(&env, &typo, &["build", "-t", "typo", "."]);
    failed.code_is(1);
    assert!(failed.stderr.contains("Dockerfile:1"), "{failed}");
    assert!(failed.stderr.contains("FROMM"), "{failed}");
    assert!(failed.stderr.contains("did you mean FROM?"), "{failed}");
    assert!(!has_row(&images(&env), "typo", "latest"));
}
