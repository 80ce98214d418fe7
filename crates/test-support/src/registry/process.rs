//! Spawning `docker-registry serve` and waiting until it answers `GET /v2/`.

use std::fs::{self, File};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a started registry is not serving.
pub(super) enum NotReady {
    /// It exited; `port_taken` if the log says the address was in use.
    Exited {
        port_taken: bool,
    },
    TimedOut,
}

/// Starts `docker-registry serve config`, its output appended to `log`.
pub(super) fn spawn(config: &Path, log: &Path) -> Child {
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .expect("registry log file");
    let err = out.try_clone().expect("registry log file");
    Command::new("docker-registry")
        .arg("serve")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start docker-registry: {e}"))
}

/// Polls `GET http://addr/v2/` until it answers 200 or 401 (or, for an HTTPS registry,
/// 400: "client sent an HTTP request to an HTTPS server").
pub(super) fn wait_ready(child: &mut Child, addr: &str, log: &Path) -> Result<(), NotReady> {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            let port_taken = log_text(log).contains("address already in use");
            return Err(NotReady::Exited { port_taken });
        }
        if let Ok(response) = crate::http::get(addr, "/v2/", &[])
            && matches!(response.status, 200 | 400 | 401)
        {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(25));
    }
    Err(NotReady::TimedOut)
}

/// Kills and reaps the registry.
pub(super) fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The log's last lines, for panic messages.
pub(super) fn log_tail(log: &Path) -> String {
    let text = log_text(log);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn log_text(log: &Path) -> String {
    fs::read_to_string(log).unwrap_or_default()
}
