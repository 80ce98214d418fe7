//! `network ls --filter` and the `--format` of the `inspect` commands, as Docker
//! users type them. No container is started: networks are records until one is.

mod common;

use common::container;
use container_test_support::TestEnv;

#[test]
fn network_ls_filters_as_docker_does() {
    let env = TestEnv::new();
    container(&env, &["network", "create", "--label", "team=web", "front"]).success();
    container(&env, &["network", "create", "back"]).success();

    let names = |filters: &[&str]| {
        let mut args = vec!["network", "ls", "--format", "{{.Name}}"];
        for filter in filters {
            args.extend(["--filter", filter]);
        }
        let output = container(&env, &args);
        output.success();
        output.stdout.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(names(&["name=ront"]), ["front"]);
    assert_eq!(names(&["type=custom"]), ["back", "front"]);
    assert_eq!(names(&["type=builtin"]), ["bridge", "host", "none"]);
    assert_eq!(names(&["driver=host", "driver=null"]), ["host", "none"]);
    assert_eq!(names(&["label=team"]), ["front"]);
    assert_eq!(names(&["label=team=db"]), Vec::<String>::new());
    assert_eq!(names(&["type=custom", "name=back"]), ["back"]);

    let id = container(&env, &["network", "ls", "-q", "-f", "name=back"]);
    let id = id.success().stdout.trim().to_owned();
    assert_eq!(id.len(), 12, "{id}");
    assert_eq!(names(&[&format!("id={}", &id[..6])]), ["back"]);

    let labels = container(
        &env,
        &[
            "network",
            "ls",
            "-f",
            "name=front",
            "--format",
            "{{.Labels}}",
        ],
    );
    assert_eq!(labels.success().stdout.trim(), "team=web");

    let bad = container(&env, &["network", "ls", "--filter", "colour=red"]);
    assert!(
        bad.failure().stderr.contains("invalid filter 'colour'"),
        "{bad}"
    );
}

#[test]
fn network_inspect_takes_a_template() {
    let env = TestEnv::new();
    container(
        &env,
        &["network", "create", "--subnet", "10.209.3.0/24", "app"],
    )
    .success();
    let output = container(
        &env,
        &[
            "network",
            "inspect",
            "-f",
            "{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}",
            "app",
        ],
    );
    assert_eq!(output.success().stdout, "10.209.3.0/24 via 10.209.3.1\n");

    let missing = container(
        &env,
        &["network", "inspect", "-f", "{{.Name}}", "app", "nope"],
    );
    assert_eq!(missing.code_is(1).stdout, "app\n", "{missing}");
    assert!(missing.stderr.contains("nope"), "{missing}");
}

/// `{{json .}}` is a template like any other: one compact object per line, not the
/// indented array that no `--format` (or `json`) prints.
#[test]
fn inspect_json_template_prints_one_line_per_object() {
    let env = TestEnv::new();
    container(&env, &["network", "create", "one"]).success();
    container(&env, &["network", "create", "two"]).success();
    container(&env, &["volume", "create", "data"]).success();

    let lines = container(
        &env,
        &["network", "inspect", "-f", "{{json .}}", "one", "two"],
    );
    let lines: Vec<&str> = lines.success().stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, name) in lines.iter().zip(["one", "two"]) {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
        assert_eq!(value["Name"], name);
    }

    let pretty = container(&env, &["network", "inspect", "one"]);
    assert!(pretty.success().stdout.starts_with("[\n  {"), "{pretty}");
    let pretty = container(&env, &["network", "inspect", "--format", "json", "one"]);
    assert!(pretty.success().stdout.starts_with("[\n  {"), "{pretty}");

    let volume = container(
        &env,
        &["volume", "inspect", "--format", "{{json .}}", "data"],
    );
    let value: serde_json::Value =
        serde_json::from_str(volume.success().stdout.trim()).expect("one JSON object");
    assert_eq!(value["Name"], "data");

    let bad = container(&env, &["network", "inspect", "-f", "{{.Name", "one"]);
    assert!(bad.failure().stdout.is_empty(), "{bad}");
}

/// `--expose` adds to the image's `EXPOSE`s, and `-P` publishes them on free host
/// ports, skipping what `-p` already publishes.
#[test]
fn expose_flag_is_published_by_publish_all() {
    let (_registry, env) = common::busybox_env();
    let output = container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "--expose",
            "80",
            "--expose",
            "7000-7001/udp",
            "-p",
            "127.0.0.1::7000/udp",
            "-P",
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
        ],
    );
    output.success();
    let host = container(&env, &["port", "web", "80"]);
    let host = host
        .success()
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let port: u16 = host.rsplit(':').next().unwrap().parse().expect("a port");
    assert_ne!(port, 80, "{host}");
    let answer = http_get(port);
    assert!(answer.starts_with("HTTP/1."), "{answer}");

    let udp = container(&env, &["port", "web", "7000/udp"]);
    let udp = udp.success().stdout.clone();
    assert_eq!(udp.lines().count(), 1, "{udp}");
    assert!(udp.starts_with("127.0.0.1:"), "{udp}");
    let udp = container(&env, &["port", "web", "7001/udp"]);
    assert_eq!(udp.success().stdout.lines().count(), 2, "{udp}");

    // Exposed and not published: in inspect with `null`, and in ps after the
    // published ones, as Docker shows them.
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "quiet",
            "--expose",
            "9000-9001",
            "--expose",
            "53/udp",
            "-p",
            "127.0.0.1::8000",
            "busybox",
            "sleep",
            "60",
        ],
    )
    .success();
    let exposed = container(
        &env,
        &["inspect", "-f", "{{json .Config.ExposedPorts}}", "quiet"],
    );
    assert_eq!(
        exposed.success().stdout.trim(),
        r#"{"53/udp":{},"8000/tcp":{},"9000/tcp":{},"9001/tcp":{}}"#
    );
    let ports = container(
        &env,
        &["inspect", "-f", "{{json .NetworkSettings.Ports}}", "quiet"],
    );
    let ports: serde_json::Value = serde_json::from_str(&ports.success().stdout).unwrap();
    assert_eq!(ports["9000/tcp"], serde_json::Value::Null, "{ports}");
    assert!(ports["8000/tcp"][0]["HostPort"].is_string(), "{ports}");
    let listed = container(
        &env,
        &["ps", "--filter", "name=quiet", "--format", "{{.Ports}}"],
    );
    let listed = listed.success().stdout.trim().to_owned();
    assert!(listed.starts_with("127.0.0.1:"), "{listed}");
    assert!(
        listed.ends_with("->8000/tcp, 9000-9001/tcp, 53/udp"),
        "{listed}"
    );
    container(&env, &["rm", "-f", "quiet"]).success();

    for bad in ["0", "81-80", "http", "80/xyz"] {
        let output = container(&env, &["create", "--expose", bad, "busybox"]);
        assert!(output.code_is(125).stderr.contains("--expose"), "{output}");
    }
    container(&env, &["rm", "-f", "web"]).success();
}

/// One `GET /` to 127.0.0.1:`port`, retried while the proxy starts; the reply.
fn http_get(port: u16) -> String {
    use std::io::{Read as _, Write as _};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let attempt = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
            s.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
            let mut reply = String::new();
            s.read_to_string(&mut reply)?;
            Ok(reply)
        });
        match attempt {
            Ok(reply) if !reply.is_empty() => return reply,
            _ if std::time::Instant::now() > deadline => return format!("{attempt:?}"),
            _ => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
}

/// A host port that is taken fails `run` with 125, naming the container once (by
/// its short ID) and the address that is taken; the container stays `Created`, as
/// in Docker.
#[test]
fn publishing_a_taken_port_says_so_once() {
    let (_registry, env) = common::busybox_env();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = taken.local_addr().unwrap().port();
    let spec = format!("127.0.0.1:{port}:80");
    let output = container(
        &env,
        &[
            "run", "-d", "--name", "late", "-p", &spec, "busybox", "true",
        ],
    );
    output.code_is(125);
    assert!(
        output
            .stderr
            .contains(&format!("127.0.0.1:{port} is already in use")),
        "{output}"
    );
    assert_eq!(
        output.stderr.matches("starting container").count(),
        1,
        "{output}"
    );
    let id = container(&env, &["inspect", "-f", "{{.Id}}", "late"]);
    let id = id.success().stdout.trim().to_owned();
    assert!(!output.stderr.contains(&id), "{output}");
    assert!(output.stderr.contains(&id[..12]), "{output}");
    let status = container(&env, &["inspect", "-f", "{{.State.Status}}", "late"]);
    assert_eq!(status.success().stdout.trim(), "created");
}

/// `--network-alias` names resolve for the container's peers on a user network,
/// those that start after it and those already running; on the default network
/// the flag is refused, as in Docker.
#[test]
fn network_aliases_resolve_for_peers() {
    let (_registry, env) = common::busybox_env();
    container(&env, &["network", "create", "app"]).success();
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "early",
            "--network",
            "app",
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "db1",
            "--network",
            "app",
            "--network-alias",
            "db",
            "--net-alias",
            "postgres",
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let late = container(
        &env,
        &[
            "run",
            "--rm",
            "--network",
            "app",
            "busybox",
            "sh",
            "-c",
            "ping -c1 -W2 db && ping -c1 -W2 postgres",
        ],
    );
    assert!(
        late.success().stdout.contains("1 packets received"),
        "{late}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let hosts = container(&env, &["exec", "early", "cat", "/etc/hosts"]);
        if hosts.success().stdout.lines().any(|l| l.ends_with("\tdb")) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{hosts}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let aliases = container(
        &env,
        &[
            "inspect",
            "-f",
            "{{json .NetworkSettings.Networks.app.Aliases}}",
            "db1",
        ],
    );
    assert_eq!(
        aliases.success().stdout.trim(),
        r#"["db1","db","postgres"]"#
    );

    let refused = container(&env, &["create", "--network-alias", "x", "busybox"]);
    assert!(
        refused
            .code_is(125)
            .stderr
            .contains("only supported for user-defined networks"),
        "{refused}"
    );
    container(&env, &["rm", "-f", "early", "db1"]).success();
}
