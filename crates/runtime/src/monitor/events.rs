//! The monitor's event loop, on one thread: the process's output, clients on the
//! socket, and SIGCHLD for the process's exit.

use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use tokio::net::unix::pipe::{Receiver, Sender};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::error::{Result, RuntimeError};
use crate::logs::Stream;
use crate::monitor::create::ProcessIo;
use crate::monitor::hub::{Hub, StdinChunk};
use crate::monitor::output::{LogWriter, pump};
use crate::protocol::{self, Reply, Request};
use crate::terminal::PtyMaster;

/// How long output may keep coming after the init process exited.
const DRAIN: Duration = Duration::from_secs(2);

/// The listener and the client that may already be waiting.
pub(crate) struct Events {
    log_path: Option<PathBuf>,
    listener: UnixListener,
    first_client: Option<(UnixStream, Request)>,
    /// Published ports to serve.
    pub(crate) proxy: Option<Proxy>,
}

/// A container's published ports: the host's sockets, and where they lead.
pub(crate) struct Proxy {
    pub(crate) listeners: container_net::proxy::Listeners,
    pub(crate) connector: container_net::proxy::Connector,
    /// The container's address.
    pub(crate) address: std::net::Ipv4Addr,
    /// Its init process, whose `/proc/<pid>/net` tells what listens.
    pub(crate) pid: i32,
}

impl Events {
    /// Output goes to the log at `log_path`, if any.
    pub(crate) fn new(
        log_path: Option<PathBuf>,
        listener: UnixListener,
        first_client: Option<(UnixStream, Request)>,
    ) -> Events {
        Events {
            log_path,
            listener,
            first_client,
            proxy: None,
        }
    }

    /// The start failed: tells the waiting client why.
    pub(crate) fn refuse(self, error: &RuntimeError) {
        if let Some((mut stream, _)) = self.first_client {
            use std::io::Write as _;
            let message = super::full_message(error);
            let _ = stream.write_all(&Reply::Error(message).encode());
        }
    }

    /// Runs until process `pid` has exited and its output is drained; then calls
    /// `finish` with the exit code and tells the clients.
    pub(crate) fn run(self, pid: i32, io: ProcessIo, finish: impl FnOnce(i32)) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(RuntimeError::system("starting the event loop"))?;
        runtime.block_on(self.serve(pid, io, finish))
    }

    async fn serve(mut self, pid: i32, io: ProcessIo, finish: impl FnOnce(i32)) -> Result<()> {
        // Registered before anything else, so the exit of a short-lived process is not
        // missed; a first reap below catches one that ended already.
        let mut sigchld =
            signal(SignalKind::child()).map_err(RuntimeError::system("watching SIGCHLD"))?;
        let log = self.log_path.as_deref().map(LogWriter::open).transpose()?;
        if let Some(proxy) = self.proxy.take() {
            serve_proxy(proxy, log.clone())?;
        }
        let (hub, outputs) = match io {
            ProcessIo::Pipes {
                stdout,
                stderr,
                stdin,
            } => serve_pipes(pid, stdout, stderr, stdin, log)?,
            ProcessIo::Terminal { master, has_stdin } => {
                serve_terminal(pid, master, has_stdin, log)?
            }
        };
        self.listen(&hub)?;

        let code = wait_for_exit(pid, &mut sigchld).await;
        hub.reaped();
        let _ = tokio::time::timeout(DRAIN, async {
            for output in outputs {
                let _ = output.await;
            }
        })
        .await;
        finish(code);
        hub.announce(code);
        hub.flush(DRAIN).await;
        Ok(())
    }

    fn listen(self, hub: &Hub) -> Result<()> {
        self.listener
            .set_nonblocking(true)
            .map_err(RuntimeError::system("configuring the socket"))?;
        let listener = tokio::net::UnixListener::from_std(self.listener)
            .map_err(RuntimeError::system("serving the socket"))?;
        tokio::spawn(accept(listener, hub.clone()));
        if let Some((stream, request)) = self.first_client {
            stream
                .set_nonblocking(true)
                .map_err(RuntimeError::system("configuring the socket"))?;
            let stream = tokio::net::UnixStream::from_std(stream)
                .map_err(RuntimeError::system("serving the socket"))?;
            tokio::spawn(client(stream, Some(request), hub.clone()));
        }
        Ok(())
    }
}

type Outputs = Vec<tokio::task::JoinHandle<()>>;

/// How often the same published port's warning may be logged.
const WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// Serves the published ports. A connection that finds nothing listening leaves
/// a warning in the container's log saying why (see [`container_net::listen`]).
fn serve_proxy(proxy: Proxy, log: Option<LogWriter>) -> Result<()> {
    let Proxy {
        listeners,
        connector,
        address,
        pid,
    } = proxy;
    let last_warned = std::sync::Mutex::new(std::collections::HashMap::new());
    let on_refused = move |port: &container_net::PublishedPort| {
        let key = port.port_key();
        let now = std::time::Instant::now();
        {
            let mut last = last_warned
                .lock()
                .expect("no task panics holding the warnings");
            if last
                .get(&key)
                .is_some_and(|t: &std::time::Instant| now - *t < WARNING_INTERVAL)
            {
                return;
            }
            last.insert(key.clone(), now);
        }
        let diagnosis = crate::networking::diagnose(pid, address, port);
        let line = format!(
            "warning: a connection to published port {} found nothing listening: {}\n",
            port.display_ps(),
            diagnosis.explain(&key)
        );
        if let Some(log) = &log {
            log.warn(&line);
        }
    };
    container_net::proxy::serve(
        listeners,
        connector,
        address,
        std::sync::Arc::new(on_refused),
    )
    .map_err(RuntimeError::system("serving published ports"))
}

fn serve_pipes(
    pid: i32,
    stdout: OwnedFd,
    stderr: OwnedFd,
    stdin: Option<OwnedFd>,
    log: Option<LogWriter>,
) -> Result<(Hub, Outputs)> {
    let (stdin_sender, stdin_receiver) = unbounded_channel();
    let hub = Hub::new(pid, stdin.is_some().then_some(stdin_sender), None);
    if let Some(stdin) = stdin
        && let Ok(pipe) = Sender::from_owned_fd(stdin)
    {
        tokio::spawn(feed_stdin(pipe, stdin_receiver));
    }
    let outputs = vec![
        tokio::spawn(pump(
            receiver(stdout)?,
            Stream::Stdout,
            log.clone(),
            hub.clone(),
        )),
        tokio::spawn(pump(receiver(stderr)?, Stream::Stderr, log, hub.clone())),
    ];
    Ok((hub, outputs))
}

/// One stream for everything: Docker logs a terminal's output as stdout.
fn serve_terminal(
    pid: i32,
    master: OwnedFd,
    has_stdin: bool,
    log: Option<LogWriter>,
) -> Result<(Hub, Outputs)> {
    let resizer = rustix::io::dup(&master)
        .map_err(|e| RuntimeError::system("duplicating the terminal")(e.into()))?;
    let pty = PtyMaster::new(master).map_err(RuntimeError::system("serving the terminal"))?;
    let (reader, writer) = tokio::io::split(pty);
    let (stdin_sender, stdin_receiver) = unbounded_channel();
    let hub = Hub::new(pid, has_stdin.then_some(stdin_sender), Some(resizer));
    if has_stdin {
        tokio::spawn(feed_stdin(writer, stdin_receiver));
    }
    let outputs = vec![tokio::spawn(pump(reader, Stream::Stdout, log, hub.clone()))];
    Ok((hub, outputs))
}

fn receiver(fd: OwnedFd) -> Result<Receiver> {
    Receiver::from_owned_fd(fd).map_err(RuntimeError::system("reading the container's output"))
}

/// Waits for the init process to be reaped; its exit code (128 + signal if killed).
async fn wait_for_exit(pid: i32, sigchld: &mut Signal) -> i32 {
    loop {
        if let Some(code) = reap(pid) {
            return code;
        }
        sigchld.recv().await;
    }
}

/// Reaps every child that ended; the init process's exit code if it was one of them.
fn reap(init: i32) -> Option<i32> {
    use rustix::process::{WaitOptions, wait};
    loop {
        // `wait`, not `waitpid(None, ..)`: rustix passes 0 for `None`, which waits
        // only for children in our process group, and the container has its own.
        match wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => {
                if pid.as_raw_nonzero().get() == init {
                    let code = status
                        .exit_status()
                        .or(status.terminating_signal().map(|signal| 128 + signal));
                    return Some(code.unwrap_or(255));
                }
            }
            _ => return None,
        }
    }
}

async fn accept(listener: tokio::net::UnixListener, hub: Hub) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(client(stream, None, hub.clone()));
    }
}

/// Serves one client: its first request says what it wants.
async fn client(stream: tokio::net::UnixStream, first: Option<Request>, hub: Hub) {
    let (mut reader, writer) = stream.into_split();
    let request = match first {
        Some(request) => request,
        None => match read_request(&mut reader).await {
            Some(request) => request,
            None => return,
        },
    };
    match request {
        Request::Attach { stdin, size } => {
            if let Some(size) = size {
                hub.resize(size);
            }
            hub.track(tokio::spawn(write_replies(writer, hub.attach())));
            read_input(reader, &hub, stdin).await;
        }
        Request::Wait => hub.track(tokio::spawn(write_replies(writer, hub.wait()))),
        Request::Signal(number) => {
            let reply = match hub.signal(number) {
                Ok(()) => Reply::Done,
                Err(message) => Reply::Error(message),
            };
            write_one(writer, reply).await;
        }
        Request::Stdin(_) | Request::CloseStdin | Request::Resize(_) => {
            write_one(writer, Reply::Error("attach first".into())).await;
        }
    }
}

async fn read_request(reader: &mut OwnedReadHalf) -> Option<Request> {
    let (kind, payload) = protocol::read_frame_async(reader).await.ok()??;
    Request::decode(kind, payload).ok()
}

/// An attached client's input: stdin data, resizes and signals, until it disconnects
/// (which closes the container's stdin pipe, as `docker run -i` does).
async fn read_input(mut reader: OwnedReadHalf, hub: &Hub, has_stdin: bool) {
    while let Some(request) = read_request(&mut reader).await {
        match request {
            Request::Stdin(data) if has_stdin => hub.stdin(Some(data)),
            Request::CloseStdin if has_stdin => hub.end_input(true),
            Request::Resize(size) => hub.resize(size),
            Request::Signal(number) => {
                let _ = hub.signal(number);
            }
            _ => {}
        }
    }
    if has_stdin {
        hub.end_input(false);
    }
}

async fn write_replies(mut writer: OwnedWriteHalf, mut replies: UnboundedReceiver<Reply>) {
    while let Some(reply) = replies.recv().await {
        let is_last = matches!(reply, Reply::Exit(_));
        if writer.write_all(&reply.encode()).await.is_err() || is_last {
            break;
        }
    }
    let _ = writer.shutdown().await;
}

async fn write_one(mut writer: OwnedWriteHalf, reply: Reply) {
    let _ = writer.write_all(&reply.encode()).await;
    let _ = writer.shutdown().await;
}

async fn feed_stdin(mut pipe: impl AsyncWrite + Unpin, mut chunks: UnboundedReceiver<StdinChunk>) {
    while let Some(Some(data)) = chunks.recv().await {
        if pipe.write_all(&data).await.is_err() {
            break;
        }
    }
}
