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
        if !record.is_running() {
            return Err(RuntimeError::NotRunning { id: record.id });
        }
        let mut stream = self.connect(&record.id)?;
        match self.request(&record.id, &mut stream, &Request::Signal(signal))? {
            Reply::Done => Ok(record),
            Reply::Error(_) => Err(RuntimeError::NotRunning { id: record.id }),
            other => Err(unexpected(&other)),
        }
    }

    /// Stops the container: its stop signal (SIGTERM unless configured), then SIGKILL
    /// after `timeout` (else its `--stop-timeout`, else Docker's 10 seconds). A
    /// container that is not running is left as it is.
    pub fn stop(&self, name: &str, timeout: Option<Duration>, signal: Option<i32>) -> Result<ContainerRecord> {
        let record = self.find(name)?;
        if !record.is_running() {
            return Ok(record);
        }
        let configured_timeout = record.host.stop_timeout.map(Duration::from_secs);
        let timeout = timeout.or(configured_timeout).unwrap_or(DEFAULT_STOP_TIMEOUT);
        let configured = record.config.stop_signal.as_deref().map(parse_signal).transpose()?;
        let first = signal.or(configured).unwrap_or(15);
        tracing::debug!(id = %record.id, signal = first, ?timeout, "stopping");
        let _ = self.kill(&record.id, first);
        if self.wait_timeout(&record.id, Some(timeout))?.is_none() {
            tracing::debug!(id = %record.id, "still running: killing");
            let _ = self.kill(&record.id, 9);
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
                    if matches!(source.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    return Ok(None);
                }
                _ => {}
            }
        }
        loop {
            let Some(record) = self.records.load(id)? else {
                return Err(RuntimeError::NotFound { name: id.to_owned() });
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
        let (_dir, address) = protocol::socket_address(&self.paths.socket(id)).map_err(unreachable)?;
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

fn unexpected(reply: &Reply) -> RuntimeError {
    RuntimeError::Protocol {
        reason: format!("unexpected reply {reply:?}"),
    }
}
