//! Pseudo-terminals for containers (`-t`).
//!
//! The pty is made inside the container, from its own `/dev/pts` instance, by the
//! runtime library's init (or tenant) process, which sends the master side over a
//! console socket as `SCM_RIGHTS` and makes the slave its controlling terminal and
//! stdio (the OCI runtime's `--console-socket` contract, as runc has it). We listen on
//! that socket, keep the master, read output from it, write input to it, and set its
//! window size with `TIOCSWINSZ`.
//! <https://github.com/opencontainers/runc/blob/main/docs/terminals.md>

use std::io::{self, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use libcontainer::oci_spec::runtime::Spec;
use libcontainer::workload::default::DefaultExecutor;
use libcontainer::workload::{Executor, ExecutorError, ExecutorValidationError};
use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{Result, RuntimeError};
use crate::protocol::{self, WindowSize};

/// How long the pty master may take to arrive once the process exists.
const MASTER_TIMEOUT: Duration = Duration::from_secs(10);

/// The listening end of a console socket.
pub(crate) struct ConsoleSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ConsoleSocket {
    /// Listens at `path` (replacing a stale socket).
    pub(crate) fn bind(path: &Path) -> Result<ConsoleSocket> {
        let _ = std::fs::remove_file(path);
        let binding = RuntimeError::io("binding the console socket", path);
        let (_dir, address) = protocol::socket_address(path).map_err(binding)?;
        let listener = UnixListener::bind(&address)
            .map_err(RuntimeError::io("binding the console socket", path))?;
        Ok(ConsoleSocket {
            listener,
            path: path.to_owned(),
        })
    }

    /// Where the runtime library connects.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The pty master the container's process sent. It was sent while the runtime
    /// library created the process, so it is normally waiting already.
    pub(crate) fn receive_master(self) -> Result<OwnedFd> {
        let failed = |source| RuntimeError::System {
            action: "receiving the terminal from the container".into(),
            source,
        };
        let stream = accept_within(&self.listener, MASTER_TIMEOUT).map_err(failed)?;
        let master = receive_fd(&stream).map_err(failed)?;
        let _ = std::fs::remove_file(&self.path);
        Ok(master)
    }
}

fn accept_within(listener: &UnixListener, limit: Duration) -> io::Result<UnixStream> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + limit;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                stream.set_read_timeout(Some(limit))?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads one message and takes the file descriptor that came with it.
fn receive_fd(stream: &UnixStream) -> io::Result<OwnedFd> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut name = [0u8; 256];
    let mut iov = [IoSliceMut::new(&mut name)];
    rustix::net::recvmsg(stream, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC)?;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = message
            && let Some(fd) = fds.next()
        {
            return Ok(fd);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "the console socket carried no file descriptor",
    ))
}

/// Sets the terminal's size; the kernel sends SIGWINCH to its foreground processes.
pub(crate) fn set_window_size(terminal: impl AsFd, size: WindowSize) -> io::Result<()> {
    let winsize = rustix::termios::Winsize {
        ws_row: size.rows,
        ws_col: size.cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    Ok(rustix::termios::tcsetwinsize(terminal, winsize)?)
}

/// Runs the process as the runtime library does, after giving its terminal (its
/// stdin, the pty slave) the client's size. An exec'd process runs as soon as it is
/// created, so a size set from outside afterwards would race with its first look.
#[derive(Clone)]
pub(crate) struct SizedExecutor {
    pub(crate) size: Option<WindowSize>,
}

impl Executor for SizedExecutor {
    fn exec(&self, spec: &Spec) -> Result<(), ExecutorError> {
        if let Some(size) = self.size {
            let _ = set_window_size(std::io::stdin(), size);
        }
        DefaultExecutor {}.exec(spec)
    }

    fn validate(&self, spec: &Spec) -> Result<(), ExecutorValidationError> {
        DefaultExecutor {}.validate(spec)
    }
}

/// The pty master on the event loop: reads the container's output, writes its input.
pub(crate) struct PtyMaster(AsyncFd<OwnedFd>);

impl PtyMaster {
    /// Must be called on the event loop.
    pub(crate) fn new(fd: OwnedFd) -> io::Result<PtyMaster> {
        let flags = rustix::fs::fcntl_getfl(&fd)?;
        rustix::fs::fcntl_setfl(&fd, flags | rustix::fs::OFlags::NONBLOCK)?;
        // SAFETY: an `OwnedFd` stays open, on the same description, until dropped
        // with the `AsyncFd` that owns it.
        let registered = unsafe { AsyncFd::register(fd) };
        Ok(PtyMaster(registered.map_err(io::Error::from)?))
    }
}

impl AsyncRead for PtyMaster {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.0.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut *unfilled)?)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // The last slave descriptor closed: the terminal's end of file.
                Ok(Err(e)) if e.raw_os_error() == Some(libc::EIO) => return Poll::Ready(Ok(())),
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PtyMaster {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.0.poll_write_ready(cx))?;
            match guard.try_io(|fd| Ok(rustix::io::write(fd.get_ref(), data)?)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd as _;

    fn openpty() -> (OwnedFd, OwnedFd) {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two descriptors that we then own.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are not owned elsewhere.
        unsafe {
            use std::os::fd::FromRawFd as _;
            (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave))
        }
    }

    #[test]
    fn the_master_passes_through_the_console_socket_and_takes_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let console = ConsoleSocket::bind(&dir.path().join("console.sock")).unwrap();
        let (master, slave) = openpty();
        let sender = UnixStream::connect(console.path()).unwrap();
        let fds = [master.as_fd()];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = rustix::net::SendAncillaryBuffer::new(&mut space);
        assert!(control.push(rustix::net::SendAncillaryMessage::ScmRights(&fds)));
        let iov = [io::IoSlice::new(b"/dev/ptmx")];
        rustix::net::sendmsg(&sender, &iov, &mut control, rustix::net::SendFlags::empty()).unwrap();

        let received = console.receive_master().unwrap();
        assert_ne!(received.as_raw_fd(), master.as_raw_fd());
        set_window_size(
            &received,
            WindowSize {
                rows: 33,
                cols: 120,
            },
        )
        .unwrap();
        let size = rustix::termios::tcgetwinsize(&slave).unwrap();
        assert_eq!((size.ws_row, size.ws_col), (33, 120));
        assert!(!dir.path().join("console.sock").exists());
    }

    #[test]
    fn output_ends_when_the_slave_closes() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let (master, slave) = openpty();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut pty = PtyMaster::new(master).unwrap();
            rustix::io::write(&slave, b"out\n").unwrap();
            pty.write_all(b"in\n").await.unwrap();
            drop(slave);
            let mut text = Vec::new();
            pty.read_to_end(&mut text).await.unwrap();
            // The line discipline echoes the input and turns newlines into CRLF.
            let text = String::from_utf8_lossy(&text);
            assert!(text.contains("out\r\n"), "{text:?}");
        });
    }
}
