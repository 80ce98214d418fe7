//! Networking on real containers: the default bridge with NAT, published ports in
//! every form (TCP and UDP, loopback and the machine's other addresses), user
//! networks where containers find each other by name, why a published port does
//! not answer, and nothing of ours left on the host afterwards.
//!
//! Traffic goes only to 127.0.0.0/8, to the test's containers, and to network
//! namespaces the test makes ([`Namespace`]), which stand in for the machine's
//! other addresses and for servers outside.

mod common;

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{busybox_env, container, inspect};
use container_test_support::TestEnv;

/// Whether any link, address or rule of `env`'s networks (its bridge, or an
/// address in its subnets) is on the host.
fn leftovers(env: &TestEnv) -> Vec<String> {
    let bridge = env.network.bridge();
    let slot = bridge.trim_start_matches("ctest");
    let subnets = [format!("10.200.{slot}."), format!("10.201.{slot}.")];
    let ours =
        |line: &str| line.contains(&bridge) || subnets.iter().any(|s| line.contains(s.as_str()));
    let mut found: Vec<String> = command_output("ip", &["-o", "link"])
        .lines()
        .chain(command_output("ip", &["-o", "addr"]).lines())
        .filter(|l| ours(l))
        .map(str::to_owned)
        .collect();
    for table in ["nat", "filter"] {
        let rules = command_output("iptables", &["-w", "-t", table, "-S"]);
        found.extend(rules.lines().filter(|l| ours(l)).map(str::to_owned));
    }
    found
}

/// Nothing of `env`'s containers is left: no veth on its bridges, which stay
/// (as `docker0` does); then `system stop` takes the bridges and their NAT
/// rules down, and nothing of `env`'s networks is left.
#[track_caller]
fn assert_no_leftovers(env: &TestEnv) {
    let bridge = env.network.bridge();
    let attached = command_output("ip", &["-o", "link", "show", "type", "veth"]);
    let attached: Vec<&str> = attached
        .lines()
        .filter(|l| l.contains(&format!("master {bridge} ")))
        .collect();
    assert_eq!(attached, Vec::<&str>::new(), "veths left on {bridge}");
    container(env, &["system", "stop"]).success();
    assert_eq!(leftovers(env), Vec::<String>::new());
}

fn command_output(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().expect("runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn sh(script: &str) {
    let status = Command::new("sh")
        .args(["-c", script])
        .status()
        .expect("sh runs");
    assert!(status.success(), "{script}");
}

/// A network namespace with a veth to the host: `host_address` on the host's
/// end, `address` inside. Removed on Drop.
struct Namespace {
    name: String,
    host_link: String,
    host_address: String,
    address: String,
}

impl Namespace {
    /// The `/30` at `10.202.<slot>.<4n>` is ours alone.
    fn new(env: &TestEnv, n: u8) -> Namespace {
        let slot = env.network.bridge().trim_start_matches("ctest").to_owned();
        let name = format!("ctns{slot}x{n}");
        let host_link = format!("ctv{slot}x{n}");
        let base = 4 * n;
        let host_address = format!("10.202.{slot}.{}", base + 1);
        let address = format!("10.202.{slot}.{}", base + 2);
        let namespace = Namespace {
            name,
            host_link,
            host_address,
            address,
        };
        namespace.remove();
        let Namespace {
            name,
            host_link,
            host_address,
            address,
        } = &namespace;
        sh(&format!(
            "ip netns add {name} && ip link add {host_link} type veth peer name {host_link}p && \
             ip link set {host_link}p netns {name} && \
             ip addr add {host_address}/30 dev {host_link} && ip link set {host_link} up && \
             ip -n {name} addr add {address}/30 dev {host_link}p && \
             ip -n {name} link set {host_link}p up && ip -n {name} link set lo up && \
             ip -n {name} route add default via {host_address}"
        ));
        namespace
    }

    /// Runs `script` inside, in the background; its output goes to `log`.
    fn spawn(&self, script: &str) -> std::process::Child {
        Command::new("ip")
            .args(["netns", "exec", &self.name, "sh", "-c", script])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("ip netns exec runs")
    }

    /// Runs `script` inside and returns its stdout.
    fn run(&self, script: &str) -> String {
        let output = Command::new("ip")
            .args(["netns", "exec", &self.name, "sh", "-c", script])
            .output()
            .expect("ip netns exec runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn remove(&self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_link])
            .output();
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        self.remove();
    }
}

/// An HTTP GET of `/` at `address`, retried until `limit`: the body.
fn http_get(address: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        match try_http_get(address) {
            Ok(body) if body.starts_with("HTTP/1.") => return body,
            result if Instant::now() >= deadline => panic!("GET {address}: {result:?}"),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn try_http_get(address: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// Runs busybox's httpd in a detached container, serving `index.html` with `body`.
fn web_server(env: &TestEnv, name: &str, publish: &[&str], body: &str) {
    let script =
        format!("mkdir -p /www && echo {body} > /www/index.html && exec httpd -f -p 80 -h /www");
    let mut args = vec!["run", "-d", "--name", name];
    for p in publish {
        args.extend(["-p", p]);
    }
    args.extend(["busybox", "sh", "-c", &script]);
    container(env, &args).success();
}

#[test]
fn the_default_network_gives_an_address_hosts_files_and_nat() {
    let (_registry, env) = busybox_env();
    let outside = Namespace::new(&env, 0);
    let mut server = outside.spawn("echo from-outside | busybox nc -l -p 7000");

    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "--hostname",
            "webhost",
            "busybox",
            "sleep",
            "60",
        ],
    )
    .success();
    let settings = &inspect(&env, "web")["NetworkSettings"];
    let address = settings["IPAddress"].as_str().unwrap().to_owned();
    assert!(
        address.starts_with(&env.network.subnet().replace(".0/24", ".")),
        "{settings}"
    );
    assert_eq!(
        settings["Networks"]["bridge"]["IPAddress"],
        address.as_str()
    );

    let exec = |script: &str| container(&env, &["exec", "web", "sh", "-c", script]);
    let hosts = exec("cat /etc/hosts");
    assert!(
        hosts
            .success()
            .stdout
            .contains(&format!("{address}\twebhost")),
        "{hosts}"
    );
    assert_eq!(exec("cat /etc/hostname").success().stdout, "webhost\n");
    let route = exec("ip route");
    assert!(route.success().stdout.contains("default via"), "{route}");

    // Out through NAT: the server outside sees the host's address, not the
    // container's, and needs no route back to the container's subnet.
    let connect = format!(
        "for i in $(seq 50); do nc {} 7000 </dev/null && exit 0; sleep 0.1; done; exit 1",
        outside.address
    );
    assert_eq!(exec(&connect).success().stdout, "from-outside\n");
    let _ = server.kill();
    let _ = server.wait();

    container(&env, &["rm", "-f", "web"]).success();
    assert_no_leftovers(&env);
}

#[test]
fn published_ports_answer_in_every_form() {
    let (_registry, env) = busybox_env();
    let port = free_port();
    let range_start = free_port();
    web_server(
        &env,
        "web",
        &[
            &format!("{port}:80"),
            "80",
            "127.0.0.1::80/tcp",
            &format!("{range_start}-{}:80", range_start + 1),
        ],
        "hello-web",
    );
    let response = http_get(&format!("127.0.0.1:{port}"), Duration::from_secs(10));
    assert!(response.contains("hello-web"), "{response}");

    let listing = container(&env, &["port", "web"]);
    let text = listing.success().stdout.clone();
    assert!(
        text.contains(&format!("80/tcp -> 0.0.0.0:{port}")),
        "{listing}"
    );
    assert!(
        text.contains(&format!("80/tcp -> [::]:{port}")),
        "{listing}"
    );
    // Docker's lines exactly: a port that answers has no note.
    assert!(listing.stderr.is_empty(), "{listing}");
    let lines: Vec<&str> = text.lines().collect();
    // Every address twice (IPv4 and IPv6), loopback once: 2 + 2 + 1 + 2.
    assert_eq!(lines.len(), 7, "{listing}");
    for line in &lines {
        let address = line.split(" -> ").nth(1).unwrap();
        let address = address
            .replace("0.0.0.0", "127.0.0.1")
            .replace("[::]", "[::1]");
        let response = http_get(&address, Duration::from_secs(5));
        assert!(response.contains("hello-web"), "{address}: {response}");
    }
    let ps = container(&env, &["ps", "--format", "{{.Ports}}"]);
    assert!(
        ps.success()
            .stdout
            .contains(&format!("0.0.0.0:{port}->80/tcp")),
        "{ps}"
    );
    let ports = &inspect(&env, "web")["NetworkSettings"]["Ports"]["80/tcp"];
    assert!(ports.as_array().is_some_and(|p| p.len() == 7), "{ports}");

    // The machine's other addresses: from a namespace, through its veth to the host.
    let outside = Namespace::new(&env, 1);
    let fetched = outside.run(&format!(
        "curl -sS -m 5 http://{}:{port}/ 2>&1",
        outside.host_address
    ));
    assert!(fetched.contains("hello-web"), "{fetched}");

    container(&env, &["rm", "-f", "web"]).success();
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the listener is gone"
    );
    assert_no_leftovers(&env);
}

#[test]
fn a_host_port_in_use_fails_before_the_container_starts() {
    let (_registry, env) = busybox_env();
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "-p",
            &format!("{port}:80"),
            "busybox",
            "sleep",
            "60",
        ],
    );
    output.code_is(125);
    assert!(
        output
            .stderr
            .contains(&format!("0.0.0.0:{port} is already in use")),
        "{output}"
    );
    let status = container(&env, &["inspect", "-f", "{{.State.Status}}", "web"]);
    assert_eq!(status.success().stdout, "created\n");
    let bad = container(&env, &["run", "-p", "localhost:8080:80", "busybox", "true"]);
    bad.code_is(125);
    assert!(
        bad.stderr.contains("invalid IP address: localhost"),
        "{bad}"
    );
}

/// A store with the python fixture image as `python:3.11-slim`.
fn python_env() -> (container_test_support::Registry, TestEnv) {
    container_test_support::fixture_layout_with_debian();
    let registry = container_test_support::Registry::start();
    registry.load("python-3.11-slim", "library/python:3.11-slim");
    let env = common::mirrored_env(&registry);
    container(&env, &["pull", "-q", "python:3.11-slim"]).success();
    (registry, env)
}

#[test]
fn udp_ports_are_published_too() {
    let (_registry, env) = python_env();
    let port = free_udp_port();
    let server = "import socket\n\
                  s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
                  s.bind(('0.0.0.0', 5353))\n\
                  while True:\n    data, peer = s.recvfrom(2048)\n    s.sendto(b'echo:' + data, peer)\n";
    container(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "udp",
            "-p",
            &format!("127.0.0.1:{port}:5353/udp"),
            "python:3.11-slim",
            "python3",
            "-c",
            server,
        ],
    )
    .success();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut reply = [0u8; 64];
    let length = loop {
        socket.send_to(b"ping", ("127.0.0.1", port)).unwrap();
        if let Ok((length, _)) = socket.recv_from(&mut reply) {
            break length;
        }
        assert!(
            Instant::now() < deadline,
            "no UDP reply through the published port"
        );
    };
    assert_eq!(&reply[..length], b"echo:ping");
    let listing = container(&env, &["port", "udp"]);
    assert_eq!(
        listing.success().stdout,
        format!("5353/udp -> 127.0.0.1:{port}\n"),
        "{listing}"
    );
    assert!(listing.stderr.is_empty(), "{listing}");
    container(&env, &["rm", "-f", "udp"]).success();
    assert_no_leftovers(&env);
}

#[test]
fn containers_on_a_user_network_resolve_each_other_by_name() {
    let (_registry, env) = busybox_env();
    let created = container(&env, &["network", "create", "appnet"]);
    let id = created.success().stdout.trim().to_owned();
    assert_eq!(id.len(), 64, "{created}");
    let listing = container(
        &env,
        &["network", "ls", "--format", "{{.Name}} {{.Driver}}"],
    );
    assert_eq!(
        listing.success().stdout,
        "appnet bridge\nbridge bridge\nhost host\nnone null\n"
    );
    let details = container(&env, &["network", "inspect", "appnet"]);
    let details: serde_json::Value = serde_json::from_str(&details.success().stdout).unwrap();
    let subnet = details[0]["IPAM"]["Config"][0]["Subnet"]
        .as_str()
        .unwrap()
        .to_owned();
    let slot = env.network.bridge().trim_start_matches("ctest").to_owned();
    assert!(subnet.starts_with(&format!("10.201.{slot}.")), "{subnet}");
    let again = container(&env, &["network", "create", "appnet"]);
    again.failure();
    assert!(again.stderr.contains("already exists"), "{again}");

    let script = "mkdir -p /www && echo db-page > /www/index.html && exec httpd -f -p 80 -h /www";
    container(
        &env,
        &[
            "run",
            "-d",
            "--network",
            "appnet",
            "--name",
            "db",
            "busybox",
            "sh",
            "-c",
            script,
        ],
    )
    .success();
    container(
        &env,
        &[
            "run",
            "-d",
            "--network",
            "appnet",
            "--name",
            "app",
            "busybox",
            "sleep",
            "60",
        ],
    )
    .success();
    let fetch = "for i in $(seq 50); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc db 80 && exit 0; sleep 0.1; done; exit 1";
    let page = container(&env, &["exec", "app", "sh", "-c", fetch]);
    assert!(page.success().stdout.contains("db-page"), "{page}");
    // The earlier container learnt of the later one, and forgets it when it stops.
    let hosts = |name: &str| container(&env, &["exec", name, "cat", "/etc/hosts"]).stdout;
    assert!(hosts("db").contains("\tapp\n"), "{}", hosts("db"));
    let inspected = &inspect(&env, "db")["NetworkSettings"]["Networks"]["appnet"];
    assert!(
        inspected["IPAddress"]
            .as_str()
            .unwrap()
            .starts_with(&format!("10.201.{slot}."))
    );

    // The default network has no names of its peers, as in Docker.
    container(
        &env,
        &["run", "-d", "--name", "loner", "busybox", "sleep", "60"],
    )
    .success();
    // A name, not a substring: the container ID may hold "db".
    assert!(!hosts("loner").contains("\tdb\n"), "{}", hosts("loner"));

    container(&env, &["stop", "-t", "0", "app"]).success();
    assert!(!hosts("db").contains("\tapp\n"), "{}", hosts("db"));

    let busy = container(&env, &["network", "rm", "appnet"]);
    busy.failure();
    assert!(busy.stderr.contains("has containers attached"), "{busy}");
    container(&env, &["rm", "-f", "db", "app", "loner"]).success();
    container(&env, &["network", "rm", "appnet"]).success();
    container(&env, &["network", "create", "spare"]).success();
    let pruned = container(&env, &["network", "prune", "-f"]);
    assert_eq!(pruned.success().stdout, "Deleted Networks:\nspare\n");
    let gone = container(&env, &["run", "--network", "appnet", "busybox", "true"]);
    gone.code_is(125);
    assert!(gone.stderr.contains("network appnet not found"), "{gone}");
    assert_no_leftovers(&env);
}

#[test]
fn a_killed_monitor_leaves_nothing_after_rm() {
    let (_registry, env) = busybox_env();
    container(
        &env,
        &[
            "run", "-d", "--name", "web", "-p", "80", "busybox", "sleep", "60",
        ],
    )
    .success();
    let record = inspect(&env, "web");
    let monitor = std::fs::read_to_string(
        env.root
            .path()
            .join("containers")
            .join(record["Id"].as_str().unwrap())
            .join("record.json"),
    )
    .unwrap();
    let monitor: serde_json::Value = serde_json::from_str(&monitor).unwrap();
    let (monitor, pid) = (
        monitor["state"]["monitor"]["pid"].as_i64().unwrap(),
        record["State"]["Pid"].as_i64().unwrap(),
    );
    // SAFETY: signals to processes this test started.
    unsafe {
        libc::kill(monitor as i32, libc::SIGKILL);
        libc::kill(pid as i32, libc::SIGKILL);
    }
    std::thread::sleep(Duration::from_millis(300));
    container(&env, &["rm", "-f", "web"]).success();
    assert_no_leftovers(&env);
}

/// Polls `container port NAME` until its output contains `expected`.
fn wait_for_port_status(env: &TestEnv, name: &str, expected: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listing = container(env, &["port", name]);
        let text = format!("{}{}", listing.stdout, listing.stderr);
        if text.contains(expected) {
            return text;
        }
        assert!(Instant::now() < deadline, "{listing}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Connects, sends a request, and reads until the proxy closes: nothing answers.
fn assert_no_answer(port: u16) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = stream.write_all(b"GET / HTTP/1.0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
}

#[test]
fn a_published_port_that_does_not_answer_says_why() {
    let (_registry, env) = busybox_env();
    let (loopback, other) = (free_port(), free_port());
    let serve = |name: &str, port: u16, listen: &str| {
        let script = format!(
            "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p {listen} -h /www"
        );
        let publish = format!("{port}:80");
        container(
            &env,
            &[
                "run", "-d", "--name", name, "-p", &publish, "busybox", "sh", "-c", &script,
            ],
        )
        .success();
    };
    serve("local", loopback, "127.0.0.1:80");
    serve("other", other, "8080");

    let text = wait_for_port_status(&env, "local", "127.0.0.1:80 only");
    assert!(
        text.contains(&format!("0.0.0.0:{loopback} is not answering")),
        "{text}"
    );
    let listing = container(&env, &["port", "local"]);
    assert_eq!(
        listing.success().stdout,
        format!("80/tcp -> 0.0.0.0:{loopback}\n80/tcp -> [::]:{loopback}\n"),
        "{listing}"
    );
    assert_no_answer(loopback);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let logs = container(&env, &["logs", "local"]);
        if logs.stderr.contains("found nothing listening") {
            assert!(logs.stderr.contains("127.0.0.1:80 only"), "{logs}");
            break;
        }
        assert!(Instant::now() < deadline, "no warning in the log: {logs}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let why = &inspect(&env, "local")["NetworkSettings"]["PortDiagnostics"]["80/tcp"];
    assert!(
        why.as_str().unwrap().contains("make it listen on 0.0.0.0"),
        "{why}"
    );

    let text = wait_for_port_status(&env, "other", "listens on 8080");
    assert!(text.contains("nothing listens on 80/tcp"), "{text}");
    assert_no_answer(other);
    let single = container(&env, &["port", "other", "80"]);
    assert!(
        single
            .success()
            .stdout
            .contains(&format!("0.0.0.0:{other}")),
        "{single}"
    );
    assert!(single.stderr.contains("listens on 8080"), "{single}");

    container(&env, &["stop", "-t", "0", "other"]).success();
    let stopped = container(&env, &["port", "other"]);
    assert!(stopped.success().stderr.contains("has exited"), "{stopped}");
    container(&env, &["rm", "-f", "local", "other"]).success();
    assert_no_leftovers(&env);
}

fn free_port() -> u16 {
    // Two consecutive free ports, for the range form.
    loop {
        let first = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < 65000 && std::net::TcpListener::bind(("0.0.0.0", port + 1)).is_ok() {
            return port;
        }
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
