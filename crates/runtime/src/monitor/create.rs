//! Creating the container through the runtime library, with pipes for its stdio.

use std::os::fd::OwnedFd;

use libcontainer::container::Container;
use libcontainer::container::builder::ContainerBuilder;
use libcontainer::syscall::syscall::SyscallType;
use rustix::pipe::PipeFlags;

use crate::error::{Result, RuntimeError};
use crate::paths::Paths;
use crate::record::ContainerRecord;

/// A container whose init process exists and waits to be started.
pub(crate) struct Created {
    container: Container,
    /// The init process, as the host sees it.
    pub(crate) pid: i32,
    /// Read end of the container's stdout.
    pub(crate) stdout: OwnedFd,
    /// Read end of the container's stderr.
    pub(crate) stderr: OwnedFd,
    /// Write end of the container's stdin, when it is kept open (`-i`).
    pub(crate) stdin: Option<OwnedFd>,
}

impl Created {
    /// Creates the container from the bundle written by `start`.
    pub(crate) fn new(paths: &Paths, record: &ContainerRecord) -> Result<Created> {
        let id = &record.id;
        let (stdout, stdout_writer) = pipe()?;
        let (stderr, stderr_writer) = pipe()?;
        let stdin_pipe = record.config.open_stdin.then(pipe).transpose()?;
        let builder = ContainerBuilder::new(id.clone(), SyscallType::default())
            .with_root_path(paths.state(id))
            .map_err(creating)?
            .with_stdout(stdout_writer)
            .with_stderr(stderr_writer);
        let (builder, stdin) = match stdin_pipe {
            Some((reader, writer)) => (builder.with_stdin(reader), Some(writer)),
            None => (builder, None),
        };
        let init = builder
            .as_init(paths.bundle(id))
            .with_systemd(false)
            .with_detach(true);
        let container = {
            let _sigpipe = DefaultSigpipe::set();
            init.build().map_err(creating)?
        };
        let pid = container.pid().map(|p| p.as_raw()).ok_or_else(|| RuntimeError::Monitor {
            id: id.clone(),
            message: "the runtime library gave no process ID".into(),
        })?;
        Ok(Created {
            container,
            pid,
            stdout,
            stderr,
            stdin,
        })
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
struct DefaultSigpipe;

impl DefaultSigpipe {
    fn set() -> DefaultSigpipe {
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
