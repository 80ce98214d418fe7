//! Commands that talk to a running container's monitor: kill, stop, wait.

use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::error::{Result, RuntimeError};
use crate::protocol::{self, Reply, Request};
use crate::record::{ContainerRecord, Status};
use crate::runtime::{Runtime, is_monitored};
use crate::signal::parse_signal;

/// How long `stop` waits before killing, unless told otherwise (Docker's).
const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How often state is polled while waiting without a monitor to ask.
const POLL: Duration = Duration::from_millis(50);

impl Runtime {
    /// Sends `signal` to the container's init process.
    pub fn kill(&self, name: &str, signal: i32) -> Result<ContainerRecord> {
        let record = self.find(name)?;
        self.mark_manually_stopped(&record.id)?;
        self.send_signal(record, signal)
    }

    /// Sends `signal` without counting it as a stop by hand.
    fn send_signal(&self, record: ContainerRecord, signal: i32) -> Result<ContainerRecord> {
        if record.is_orphaned() {
            return signal_orphan(record, signal);
        }
        if !record.is_running() {
            return Err(RuntimeError::NotRunning { id: record.id });
        }
        let mut stream = self.connect(&record.id)?;
        match self.request(&record.id, &mut stream, &Request::Signal(signal))? {
            Reply::Done => {
                // A frozen process acts on no signal until thawed: SIGKILL means
                // the container must go, so a paused one is thawed to let it.
                if signal == 9 {
                    self.thaw_for_signal(&record);
                }
                Ok(record)
            }
            Reply::Error(_) => Err(RuntimeError::NotRunning { id: record.id }),
            other => Err(unexpected(&other)),
        }
    }

    /// Stops the container: its stop signal (SIGTERM unless configured), then SIGKILL
    /// after `timeout` (else its `--stop-timeout`, else Docker's 10 seconds). A
    /// container that is not running is left as it is.
    pub fn stop(
        &self,
        name: &str,
        timeout: Option<Duration>,
        signal: Option<i32>,
    ) -> Result<ContainerRecord> {
        let record = self.find(name)?;
        // Also cancels a restart its monitor is waiting to make.
        self.mark_manually_stopped(&record.id)?;
        self.stop_unmarked(record, timeout, signal)
    }

    /// Stops a container as [`Runtime::stop`] does, but as the host shutting down
    /// rather than by hand: restart policies bring it back on `system start`.
    pub fn stop_for_shutdown(
        &self,
        name: &str,
        timeout: Option<Duration>,
    ) -> Result<ContainerRecord> {
        let record = self.find(name)?;
        self.records
            .update(&record.id, |r| r.state.is_shut_down = true)?;
        self.stop_unmarked(record, timeout, None)
    }

    fn mark_manually_stopped(&self, id: &str) -> Result<()> {
        self.records
            .update(id, |r| r.state.is_manually_stopped = true)?;
        Ok(())
    }

    fn stop_unmarked(
        &self,
        record: ContainerRecord,
        timeout: Option<Duration>,
        signal: Option<i32>,
    ) -> Result<ContainerRecord> {
        let configured_timeout = record.host.stop_timeout.map(Duration::from_secs);
        let timeout = timeout
            .or(configured_timeout)
            .unwrap_or(DEFAULT_STOP_TIMEOUT);
        if record.is_orphaned() {
            return self.stop_orphan(record, timeout, signal);
        }
        if !record.is_running() {
            return Ok(record);
        }
        let configured = record
            .config
            .stop_signal
            .as_deref()
            .map(parse_signal)
            .transpose()?;
        let first = signal.or(configured).unwrap_or(15);
        tracing::debug!(id = %record.id, signal = first, ?timeout, "stopping");
        let _ = self.send_signal(record.clone(), first);
        self.thaw_for_signal(&record);
        if self.wait_timeout(&record.id, Some(timeout))?.is_none() {
            tracing::debug!(id = %record.id, "still running: killing");
            let _ = self.send_signal(record.clone(), 9);
            self.wait_timeout(&record.id, None)?;
        }
        Ok(record)
    }

    /// Waits for the container to exit and returns its exit code.
    pub fn wait(&self, name: &str) -> Result<i32> {
        let record = self.find(name)?;
        match self.wait_timeout(&record.id, None)? {
            Some(code) => Ok(code),
            None => unreachable!("waiting without a limit ends only with a code"),
        }
    }

    /// The exit code once the container has exited, or `None` when `limit` passed
    /// first. Asks the monitor when there is one (it answers even after removing an
    /// `--rm` container), else watches the record.
    fn wait_timeout(&self, id: &str, limit: Option<Duration>) -> Result<Option<i32>> {
        let deadline = limit.map(|l| Instant::now() + l);
        if let Ok(mut stream) = self.connect(id) {
            stream
                .set_read_timeout(limit.map(|l| l.max(Duration::from_millis(1))))
                .map_err(RuntimeError::system("setting a socket timeout"))?;
            match self.request(id, &mut stream, &Request::Wait) {
                Ok(Reply::Exit(code)) => return Ok(Some(code)),
                Err(RuntimeError::MonitorUnreachable { source, .. })
                    if matches!(
                        source.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                _ => {}
            }
        }
        loop {
            let Some(record) = self.records.load(id)? else {
                return Err(RuntimeError::NotFound {
                    name: id.to_owned(),
                });
            };
            match record.state.status {
                Status::Exited => return Ok(Some(record.state.exit_code.unwrap_or(-1))),
                Status::Running if !is_monitored(&record) => {
                    return Err(RuntimeError::Monitor {
                        id: id.to_owned(),
                        message: "its monitor died; the exit code is unknown".into(),
                    });
                }
                _ => {}
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            std::thread::sleep(POLL);
        }
    }

    /// Connects to the monitor's socket.
    pub(crate) fn connect(&self, id: &str) -> Result<UnixStream> {
        let unreachable = |source| RuntimeError::MonitorUnreachable {
            id: id.to_owned(),
            source,
        };
        let (_dir, address) =
            protocol::socket_address(&self.paths.socket(id)).map_err(unreachable)?;
        UnixStream::connect(&address).map_err(unreachable)
    }

    /// Sends one request and reads one reply.
    fn request(&self, id: &str, stream: &mut UnixStream, request: &Request) -> Result<Reply> {
        let unreachable = |source| RuntimeError::MonitorUnreachable {
            id: id.to_owned(),
            source,
        };
        protocol::write_request(stream, request).map_err(unreachable)?;
        let frame = protocol::read_frame(stream).map_err(unreachable)?;
        let (kind, payload) = frame.ok_or_else(|| RuntimeError::Protocol {
            reason: "the monitor closed the connection".into(),
        })?;
        Reply::decode(kind, payload).map_err(|e| RuntimeError::Protocol {
            reason: e.to_string(),
        })
    }
}

impl Runtime {
    /// Stops a container whose monitor died: its stop signal, then SIGKILL, straight
    /// to its process. Nobody can learn its exit code, so it stays unknown.
    fn stop_orphan(
        &self,
        record: ContainerRecord,
        timeout: Duration,
        signal: Option<i32>,
    ) -> Result<ContainerRecord> {
        let configured = record
            .config
            .stop_signal
            .as_deref()
            .map(parse_signal)
            .transpose()?;
        let record = signal_orphan(record, signal.or(configured).unwrap_or(15))?;
        let deadline = Instant::now() + timeout;
        while record.is_orphaned() && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
        if record.is_orphaned() {
            signal_orphan(record.clone(), 9)?;
            while record.is_orphaned() {
                std::thread::sleep(POLL);
            }
        }
        Ok(record)
    }
}

/// Signals the process of a container whose monitor died.
fn signal_orphan(record: ContainerRecord, signal: i32) -> Result<ContainerRecord> {
    let not_running = || RuntimeError::NotRunning {
        id: record.id.clone(),
    };
    let number = crate::signal::to_rustix(signal).ok_or_else(not_running)?;
    let pid = record
        .state
        .pid
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(not_running)?;
    tracing::debug!(id = %record.id, signal, "signalling a container without a monitor");
    rustix::process::kill_process(pid, number).map_err(|_| not_running())?;
    Ok(record)
}

fn unexpected(reply: &Reply) -> RuntimeError {
    RuntimeError::Protocol {
        reason: format!("unexpected reply {reply:?}"),
    }
}
