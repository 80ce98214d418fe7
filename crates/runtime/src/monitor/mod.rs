//! The monitor: one process per running container, the same binary re-executed
//! ([`crate::MONITOR_COMMAND`]) in a session of its own.
//!
//! It makes itself a child subreaper, so that the container's init process (whose
//! parent, the runtime library's intermediate process, exits) becomes its child and
//! can be waited for. It creates the container through the runtime library, which is
//! not safe for two containers in one process, hence one monitor each. It owns the
//! container's stdio, writes it to the log, serves clients on `monitor.sock`, waits,
//! records the exit status, and cleans up (and removes the container for `--rm`).
//!
//! Its first line on stdout is its report to whoever started it: `ready` (waiting for
//! an attached client before starting the process), `started`, or
//! `error CODE MESSAGE`. Then stdout becomes /dev/null.
//!
//! The main loop is a single-threaded event loop: output pipes (or the terminal), the
//! socket, and SIGCHLD; more listeners (published ports) can join it. Each exec'd
//! process has a monitor of its own ([`run_exec_monitor`], see [`crate::exec`]).

mod create;
mod events;
mod exec;
mod hub;
mod output;

use std::io::Write as _;
use std::os::fd::AsFd as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use crate::error::{Result, RuntimeError};
use crate::paths::Paths;
use crate::protocol::{self, Request};
use crate::record::{ContainerRecord, NetworkMode, ProcessId, Records, Status};
use crate::teardown::teardown;
use crate::{fsutil, ids};
use container_net::proxy::{Connector, Listeners};

pub(crate) use create::Created;
pub use exec::run_exec_monitor;

/// How long an attaching client has to show up before the process starts anyway.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the monitor of container `id` (the whole life of the process). With
/// `wait_for_attach`, the container's process starts once the first client attached.
pub fn run_monitor(paths: &Paths, id: &str, wait_for_attach: bool) -> Result<()> {
    let _ = rustix::process::setsid();
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .map_err(|e| RuntimeError::system("becoming a child subreaper")(e.into()))?;
    let records = Records::new(paths);
    let record = records
        .update_state(id, |r| r.state.monitor = ProcessId::current())?
        .ok_or_else(|| RuntimeError::NotFound {
            name: id.to_owned(),
        })?;

    let mut report = Report::new();
    let monitor = match Monitor::create(paths, &record, wait_for_attach, &mut report) {
        Ok(monitor) => monitor,
        Err(error) => {
            report.error(&error);
            finish_failed(paths, &records, &record, &error);
            return Err(error);
        }
    };
    monitor.run(report)
}

/// The one-line report on stdout.
struct Report {
    is_sent: bool,
}

impl Report {
    fn new() -> Report {
        Report { is_sent: false }
    }

    fn send(&mut self, line: &str) {
        if !self.is_sent {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}");
            let _ = stdout.flush();
            self.is_sent = true;
        }
    }

    fn error(&mut self, error: &RuntimeError) {
        let message = full_message(error).replace('\n', " ");
        self.send(&format!("error {} {message}", error.exit_code()));
    }

    /// Points stdout at /dev/null, so that whoever reads the report sees its end.
    fn close(&mut self) {
        let _ = std::io::stdout().flush();
        if let Ok(null) = std::fs::File::open("/dev/null") {
            let _ = rustix::stdio::dup2_stdout(null.as_fd());
        }
    }
}

/// An error with its causes, on one line.
pub(crate) fn full_message(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}

/// A container created and about to run.
struct Monitor {
    paths: Paths,
    records: Records,
    record: ContainerRecord,
    created: Created,
    listener: UnixListener,
    first_client: Option<(UnixStream, Request)>,
    proxy: Option<events::Proxy>,
}

/// The published ports of a bridged container, with a connector in its network
/// namespace.
fn proxy(
    record: &ContainerRecord,
    pid: i32,
    listeners: Listeners,
) -> Result<Option<events::Proxy>> {
    let Some(endpoint) = &record.state.endpoint else {
        return Ok(None);
    };
    if listeners.is_empty() {
        return Ok(None);
    }
    let path = format!("/proc/{pid}/ns/net");
    let namespace = std::fs::File::open(&path).map_err(RuntimeError::io("opening", &path))?;
    let connector = Connector::new(namespace.into())?;
    Ok(Some(events::Proxy {
        listeners,
        connector,
        address: endpoint.address,
        pid,
    }))
}

impl Monitor {
    fn create(
        paths: &Paths,
        record: &ContainerRecord,
        wait_for_attach: bool,
        report: &mut Report,
    ) -> Result<Monitor> {
        // Published ports are bound first: a port in use fails the start before
        // anything is created.
        let listeners = Listeners::bind(&record.host.publish)?;
        // Not on a thread while the runtime library creates the container: it
        // forks, and a child forked while another thread allocates can hang.
        let created = Created::new(paths, record)?;
        let proxy = match record.host.network {
            NetworkMode::None => {
                crate::loopback::bring_up(created.pid)?;
                None
            }
            NetworkMode::Host => None,
            NetworkMode::Bridge => {
                crate::networking::attach(paths, record, created.pid)?;
                proxy(record, created.pid, listeners)?
            }
        };
        let listener = bind(&paths.socket(&record.id))?;
        let first_client = match wait_for_attach {
            true => {
                report.send("ready");
                accept_first(&listener)?
            }
            false => None,
        };
        Ok(Monitor {
            paths: paths.clone(),
            records: Records::new(paths),
            record: record.clone(),
            created,
            listener,
            first_client,
            proxy,
        })
    }

    fn run(mut self, mut report: Report) -> Result<()> {
        let id = self.record.id.clone();
        let log_path = Some(self.paths.log(&id));
        if let Some((_, Request::Attach { size, .. })) = &self.first_client {
            self.created.set_window_size(*size);
        }
        if let Err(error) = self.created.start() {
            report.error(&error);
            let events = events::Events::new(log_path, self.listener, self.first_client);
            events.refuse(&error);
            finish_failed(&self.paths, &self.records, &self.record, &error);
            return Err(error);
        }
        let pid = self.created.pid;
        let ports = self
            .proxy
            .as_ref()
            .map(|p| p.listeners.published())
            .unwrap_or_default();
        self.records.update_state(&id, |r| {
            r.state.ports = ports;
            r.state.status = Status::Running;
            r.state.pid = Some(pid);
            r.state.exit_code = None;
            r.state.error = None;
            r.state.started_at = Some(fsutil::now_rfc3339());
            r.state.oom_killed = false;
            r.state.finished_at = None;
        })?;
        tracing::debug!(%id, pid, "container started");
        report.send("started");
        report.close();

        let started = std::time::Instant::now();
        let mut events = events::Events::new(log_path, self.listener, self.first_client);
        events.proxy = self.proxy;
        let finish = |code| finish(&self.paths, &self.records, &self.record, code);
        events.run(pid, self.created.into_io(), finish)?;
        crate::restart::after_exit(&self.paths, &id, started.elapsed());
        Ok(())
    }
}

/// Records the exit, tears down, and removes the container for `--rm`.
fn finish(paths: &Paths, records: &Records, record: &ContainerRecord, code: i32) {
    let id = &record.id;
    let oom_killed = crate::cgroups::was_oom_killed(id);
    tracing::debug!(%id, code, oom_killed, "container exited");
    let _ = records.update_state(id, |r| {
        r.state.status = Status::Exited;
        r.state.is_paused = false;
        r.state.exit_code = Some(code);
        r.state.oom_killed = oom_killed;
        r.state.pid = None;
        r.state.ports.clear();
        r.state.finished_at = Some(fsutil::now_rfc3339());
    });
    if let Err(error) = teardown(paths, id) {
        tracing::warn!(%id, error = %full_message(&error), "cleaning up");
    }
    // Only now: `rm` waits for a monitor that still names itself, so that its
    // teardown and ours never run at once.
    let _ = records.update_state(id, |r| r.state.monitor = None);
    if record.host.auto_remove {
        remove(paths, records, record);
    }
}

/// After a failed start: tear down, note the error, or remove for `--rm`.
fn finish_failed(paths: &Paths, records: &Records, record: &ContainerRecord, error: &RuntimeError) {
    let _ = teardown(paths, &record.id);
    let message = full_message(error);
    let _ = records.update_state(&record.id, |r| {
        r.state.monitor = None;
        r.state.error = Some(message);
        r.state.exit_code = Some(i32::from(error.exit_code()));
    });
    if record.host.auto_remove {
        remove(paths, records, record);
    }
}

/// Removes a container's files and the store's hold for it.
fn remove(paths: &Paths, records: &Records, record: &ContainerRecord) {
    let id = &record.id;
    if crate::overlay::is_mounted(&paths.rootfs(id)) {
        tracing::warn!(%id, "root filesystem still mounted: not removing");
        return;
    }
    let Ok(lock) = records.lock() else { return };
    let _ = fsutil::remove_dir_all(&paths.container(id));
    // The volumes lock is taken before the records lock, never after.
    drop(lock);
    match container_store::Store::open(paths.root()) {
        Ok(store) => {
            let _ = store.release(id);
        }
        Err(error) => tracing::warn!(%id, %error, "releasing the image"),
    }
    let others = records.list().unwrap_or_default();
    let volumes = crate::volumes::VolumeStore::new(paths.root());
    if let Err(error) = crate::volumes::remove_anonymous(&volumes, &others, record) {
        tracing::warn!(%id, %error, "removing anonymous volumes");
    }
    tracing::debug!(id = ids::short_id(id), "container removed");
}

fn bind(path: &std::path::Path) -> Result<UnixListener> {
    let _ = std::fs::remove_file(path);
    let (_dir, address) =
        protocol::socket_address(path).map_err(RuntimeError::io("binding", path))?;
    UnixListener::bind(&address).map_err(RuntimeError::io("binding", path))
}

/// Waits (a while) for the first client and reads its first request.
fn accept_first(listener: &UnixListener) -> Result<Option<(UnixStream, Request)>> {
    listener
        .set_nonblocking(true)
        .map_err(RuntimeError::system("configuring the socket"))?;
    let deadline = std::time::Instant::now() + ATTACH_TIMEOUT;
    let mut stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if std::time::Instant::now() >= deadline {
                    tracing::debug!("no client attached: starting anyway");
                    return Ok(None);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(RuntimeError::system("accepting a client")(e)),
        }
    };
    stream
        .set_nonblocking(false)
        .map_err(RuntimeError::system("configuring the socket"))?;
    let frame =
        protocol::read_frame(&mut stream).map_err(RuntimeError::system("reading a request"))?;
    let request = frame
        .map(|(kind, payload)| Request::decode(kind, payload))
        .transpose()
        .map_err(RuntimeError::system("reading a request"))?;
    Ok(request.map(|r| (stream, r)))
}
