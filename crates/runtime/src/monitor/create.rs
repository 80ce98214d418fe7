//! Creating the container through the runtime library, with pipes for its stdio or,
//! for `-t`, a terminal.

use std::os::fd::OwnedFd;
use std::path::Path;

use libcontainer::container::Container;
use libcontainer::container::builder::ContainerBuilder;
use libcontainer::syscall::syscall::SyscallType;
use rustix::pipe::PipeFlags;

use crate::error::{Result, RuntimeError};
use crate::paths::Paths;
use crate::protocol::WindowSize;
use crate::record::ContainerRecord;
use crate::terminal::{self, ConsoleSocket};

/// A container whose init process exists and waits to be started.
pub(crate) struct Created {
    container: Container,
    /// The init process, as the host sees it.
    pub(crate) pid: i32,
    /// Its stdio, as the monitor holds it.
    pub(crate) io: ProcessIo,
}

/// The monitor's side of a container process's stdio.
pub(crate) enum ProcessIo {
    /// Separate pipes.
    Pipes {
        /// Read end of the process's stdout.
        stdout: OwnedFd,
        /// Read end of the process's stderr.
        stderr: OwnedFd,
        /// Write end of the process's stdin, when it is kept open (`-i`).
        stdin: Option<OwnedFd>,
    },
    /// A pseudo-terminal: output and input both go through its master.
    Terminal {
        /// The pty master.
        master: OwnedFd,
        /// Whether clients' input is written to it (`-i`).
        has_stdin: bool,
    },
}

/// A process's stdio while the runtime library creates it.
pub(crate) enum PendingIo {
    /// Pipes, ready.
    Pipes(ProcessIo),
    /// A terminal, whose master arrives on the console socket.
    Console {
        socket: ConsoleSocket,
        has_stdin: bool,
    },
}

impl PendingIo {
    /// Gives `builder` the process's stdio: pipes, or for a terminal a console
    /// socket bound at `console_path`.
    pub(crate) fn attach(
        builder: ContainerBuilder,
        is_terminal: bool,
        has_stdin: bool,
        console_path: &Path,
    ) -> Result<(ContainerBuilder, PendingIo)> {
        if is_terminal {
            let socket = ConsoleSocket::bind(console_path)?;
            let builder = builder.with_console_socket(Some(socket.path()));
            return Ok((builder, PendingIo::Console { socket, has_stdin }));
        }
        let (stdout, stdout_writer) = pipe()?;
        let (stderr, stderr_writer) = pipe()?;
        let builder = builder
            .with_stdout(stdout_writer)
            .with_stderr(stderr_writer);
        let (builder, stdin) = match has_stdin.then(pipe).transpose()? {
            Some((reader, writer)) => (builder.with_stdin(reader), Some(writer)),
            None => (builder, None),
        };
        let io = ProcessIo::Pipes {
            stdout,
            stderr,
            stdin,
        };
        Ok((builder, PendingIo::Pipes(io)))
    }

    /// The monitor's side, once the process exists.
    pub(crate) fn finish(self) -> Result<ProcessIo> {
        match self {
            PendingIo::Pipes(io) => Ok(io),
            PendingIo::Console { socket, has_stdin } => Ok(ProcessIo::Terminal {
                master: socket.receive_master()?,
                has_stdin,
            }),
        }
    }
}

impl Created {
    /// Creates the container from the bundle written by `start`.
    pub(crate) fn new(paths: &Paths, record: &ContainerRecord) -> Result<Created> {
        let id = &record.id;
        let builder = ContainerBuilder::new(id.clone(), SyscallType::default())
            .with_root_path(paths.state(id))
            .map_err(creating)?;
        let config = &record.config;
        let console = paths.console_socket(id);
        let (builder, io) = PendingIo::attach(builder, config.tty, config.open_stdin, &console)?;
        let init = builder
            .as_init(paths.bundle(id))
            .with_systemd(false)
            .with_detach(true);
        let container = {
            let _sigpipe = DefaultSigpipe::set();
            init.build().map_err(creating)?
        };
        let pid = container
            .pid()
            .map(|p| p.as_raw())
            .ok_or_else(|| RuntimeError::Monitor {
                id: id.clone(),
                message: "the runtime library gave no process ID".into(),
            })?;
        let io = io.finish()?;
        Ok(Created { container, pid, io })
    }

    /// Gives the terminal, if any, the first client's size before the process runs.
    pub(crate) fn set_window_size(&self, size: Option<WindowSize>) {
        if let (ProcessIo::Terminal { master, .. }, Some(size)) = (&self.io, size)
            && let Err(error) = terminal::set_window_size(master, size)
        {
            tracing::debug!(%error, "setting the terminal size");
        }
    }

    /// The monitor's side of the process's stdio.
    pub(crate) fn into_io(self) -> ProcessIo {
        self.io
    }

    /// Lets the init process run the command.
    pub(crate) fn start(&mut self) -> Result<()> {
        self.container
            .start()
            .map_err(|source| RuntimeError::Container {
                action: "starting",
                source: Box::new(source),
            })
    }
}

fn creating(source: libcontainer::error::LibcontainerError) -> RuntimeError {
    RuntimeError::Container {
        action: "creating",
        source: Box::new(source),
    }
}

/// A pipe: (read end, write end), both close-on-exec.
fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    rustix::pipe::pipe_with(PipeFlags::CLOEXEC)
        .map_err(|e| RuntimeError::system("creating a pipe")(e.into()))
}

/// Rust programs ignore SIGPIPE, and an ignored signal stays ignored across `exec`, so
/// the container's processes would inherit it (`yes | head` would never end). While
/// the runtime library forks the container's processes, SIGPIPE has its default
/// disposition; it is ignored again afterwards, since the monitor writes to sockets.
pub(crate) struct DefaultSigpipe;

impl DefaultSigpipe {
    pub(crate) fn set() -> DefaultSigpipe {
        // SAFETY: setting a signal's disposition to a constant, with no handler code.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        DefaultSigpipe
    }
}

impl Drop for DefaultSigpipe {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    }
}
