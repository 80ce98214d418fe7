//! What the monitor's tasks share: the clients to send output and the exit code to,
//! the container's stdin and terminal, and whether its init process still runs.

use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use crate::protocol::{Reply, WindowSize};
use crate::{signal, terminal};

/// The character a terminal's line discipline reads as end of input (^D).
const END_OF_INPUT: u8 = 0x04;

/// Input for the container's stdin; `None` closes it.
pub(crate) type StdinChunk = Option<Vec<u8>>;

/// Shared state, cheap to clone.
#[derive(Clone)]
pub(crate) struct Hub(Arc<Mutex<Inner>>);

struct Inner {
    pid: i32,
    is_reaped: bool,
    exit_code: Option<i32>,
    attached: Vec<UnboundedSender<Reply>>,
    waiters: Vec<UnboundedSender<Reply>>,
    stdin: Option<UnboundedSender<StdinChunk>>,
    terminal: Option<OwnedFd>,
    writers: Vec<JoinHandle<()>>,
}

impl Hub {
    /// `terminal` is the pty master (a descriptor of its own) when there is one.
    pub(crate) fn new(
        pid: i32,
        stdin: Option<UnboundedSender<StdinChunk>>,
        terminal: Option<OwnedFd>,
    ) -> Hub {
        Hub(Arc::new(Mutex::new(Inner {
            pid,
            is_reaped: false,
            exit_code: None,
            attached: Vec::new(),
            waiters: Vec::new(),
            stdin,
            terminal,
            writers: Vec::new(),
        })))
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().expect("no task panics while holding the hub")
    }

    /// Sends output to every attached client.
    pub(crate) fn broadcast(&self, reply: &Reply) {
        self.inner()
            .attached
            .retain(|client| client.send(reply.clone()).is_ok());
    }

    /// A new attached client: output from now on, then the exit code.
    pub(crate) fn attach(&self) -> UnboundedReceiver<Reply> {
        let (sender, receiver) = unbounded_channel();
        let mut inner = self.inner();
        match inner.exit_code {
            Some(code) => drop(sender.send(Reply::Exit(code))),
            None => inner.attached.push(sender),
        }
        receiver
    }

    /// A new waiting client: the exit code, once known.
    pub(crate) fn wait(&self) -> UnboundedReceiver<Reply> {
        let (sender, receiver) = unbounded_channel();
        let mut inner = self.inner();
        match inner.exit_code {
            Some(code) => drop(sender.send(Reply::Exit(code))),
            None => inner.waiters.push(sender),
        }
        receiver
    }

    /// Delivers a signal to the init process, unless it was already reaped (its pid may
    /// then belong to another process).
    pub(crate) fn signal(&self, number: i32) -> Result<(), String> {
        let inner = self.inner();
        if inner.is_reaped {
            return Err("the container is not running".into());
        }
        let signal = signal::to_rustix(number).ok_or_else(|| format!("invalid signal {number}"))?;
        let pid = rustix::process::Pid::from_raw(inner.pid).ok_or("no process")?;
        tracing::debug!(pid = inner.pid, signal = number, "delivering a signal");
        rustix::process::kill_process(pid, signal).map_err(|e| e.to_string())
    }

    /// Forwards input to the container's stdin (when it has one).
    pub(crate) fn stdin(&self, chunk: StdinChunk) {
        if let Some(stdin) = &self.inner().stdin {
            let _ = stdin.send(chunk);
        }
    }

    /// A client's input ended. Pipes close (the process reads end of file); a
    /// terminal, which cannot be closed for one reader, gets ^D when the client said
    /// so, and nothing when it merely went away.
    pub(crate) fn end_input(&self, is_explicit: bool) {
        let is_terminal = self.inner().terminal.is_some();
        match is_terminal {
            true if is_explicit => self.stdin(Some(vec![END_OF_INPUT])),
            true => {}
            false => self.stdin(None),
        }
    }

    /// Applies a client's terminal size.
    pub(crate) fn resize(&self, size: WindowSize) {
        if let Some(terminal) = &self.inner().terminal
            && let Err(error) = terminal::set_window_size(terminal, size)
        {
            tracing::debug!(%error, "resizing the terminal");
        }
    }

    /// The init process was reaped: no more signals.
    pub(crate) fn reaped(&self) {
        self.inner().is_reaped = true;
    }

    /// Sends the exit code to every client, and closes their streams.
    pub(crate) fn announce(&self, code: i32) {
        let mut guard = self.inner();
        let inner = &mut *guard;
        inner.exit_code = Some(code);
        for client in inner.attached.drain(..).chain(inner.waiters.drain(..)) {
            let _ = client.send(Reply::Exit(code));
        }
    }

    /// Keeps a client's writer task, to let it finish before the monitor exits.
    pub(crate) fn track(&self, writer: JoinHandle<()>) {
        self.inner().writers.push(writer);
    }

    /// Waits (at most `limit`) for the clients' writers to send what they have.
    pub(crate) async fn flush(&self, limit: Duration) {
        let writers: Vec<JoinHandle<()>> = std::mem::take(&mut self.inner().writers);
        let all = async {
            for writer in writers {
                let _ = writer.await;
            }
        };
        let _ = tokio::time::timeout(limit, all).await;
    }
}
