//! Attaching to a running container: its output streams back, input and signals go
//! forward, and the exit code comes last.

use std::sync::Arc;

use tokio::io::AsyncWriteExt as _;
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Mutex;

use crate::error::{Result, RuntimeError};
use crate::protocol::{self, Reply, Request, WindowSize};
use crate::runtime::Runtime;

/// The output side of an attachment.
pub struct AttachOutput {
    id: String,
    reader: OwnedReadHalf,
}

/// The input side of an attachment; clones share the connection.
#[derive(Clone)]
pub struct AttachInput {
    id: String,
    writer: Arc<Mutex<OwnedWriteHalf>>,
}

/// What an attached client receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes on the container's stdout.
    Stdout(Vec<u8>),
    /// Bytes on the container's stderr.
    Stderr(Vec<u8>),
    /// The container exited with this code.
    Exit(i32),
}

impl Runtime {
    /// Attaches to container `name` (which must be running, or waiting for a client
    /// after an attached start). With `stdin`, input sent is the container's stdin;
    /// `size` is the client's terminal, for a container with one.
    pub async fn attach(
        &self,
        name: &str,
        stdin: bool,
        size: Option<WindowSize>,
    ) -> Result<(AttachOutput, AttachInput)> {
        let id = self.find(name)?.id;
        let socket = self.paths.socket(&id);
        attach_to(&socket, id, stdin, size).await
    }
}

/// Connects to the monitor socket at `socket`, of the container `id`, and attaches.
pub(crate) async fn attach_to(
    socket: &std::path::Path,
    id: String,
    stdin: bool,
    size: Option<WindowSize>,
) -> Result<(AttachOutput, AttachInput)> {
    let unreachable = |source| RuntimeError::MonitorUnreachable {
        id: id.clone(),
        source,
    };
    let (_dir, address) = protocol::socket_address(socket).map_err(unreachable)?;
    let stream = UnixStream::connect(&address).await.map_err(unreachable)?;
    let (reader, mut writer) = stream.into_split();
    writer
        .write_all(&Request::Attach { stdin, size }.encode())
        .await
        .map_err(unreachable)?;
    let output = AttachOutput {
        id: id.clone(),
        reader,
    };
    let input = AttachInput {
        id,
        writer: Arc::new(Mutex::new(writer)),
    };
    Ok((output, input))
}

impl AttachOutput {
    /// The next piece of output, or the exit code. A start that failed after the
    /// client attached is an error; so is a monitor that vanished.
    pub async fn next(&mut self) -> Result<Output> {
        let frame = protocol::read_frame_async(&mut self.reader)
            .await
            .map_err(|source| RuntimeError::MonitorUnreachable {
                id: self.id.clone(),
                source,
            })?;
        let Some((kind, payload)) = frame else {
            return Err(RuntimeError::Monitor {
                id: self.id.clone(),
                message: "the monitor ended without an exit code".into(),
            });
        };
        let reply = Reply::decode(kind, payload).map_err(|e| RuntimeError::Protocol {
            reason: e.to_string(),
        })?;
        match reply {
            Reply::Stdout(data) => Ok(Output::Stdout(data)),
            Reply::Stderr(data) => Ok(Output::Stderr(data)),
            Reply::Exit(code) => Ok(Output::Exit(code)),
            Reply::Error(message) => Err(RuntimeError::Monitor {
                id: self.id.clone(),
                message,
            }),
            Reply::Done => Err(RuntimeError::Protocol {
                reason: "unexpected acknowledgement".into(),
            }),
        }
    }
}

impl AttachInput {
    /// Sends input to the container's stdin.
    pub async fn send(&self, data: &[u8]) -> Result<()> {
        self.write(Request::Stdin(data.to_vec())).await
    }

    /// Closes the container's stdin.
    pub async fn close(&self) -> Result<()> {
        self.write(Request::CloseStdin).await
    }

    /// Tells the container's terminal the client's new size.
    pub async fn resize(&self, size: WindowSize) -> Result<()> {
        self.write(Request::Resize(size)).await
    }

    /// Delivers a signal to the container's init process.
    pub async fn signal(&self, number: i32) -> Result<()> {
        self.write(Request::Signal(number)).await
    }

    async fn write(&self, request: Request) -> Result<()> {
        let mut writer = self.writer.lock().await;
        writer.write_all(&request.encode()).await.map_err(|source| {
            RuntimeError::MonitorUnreachable {
                id: self.id.clone(),
                source,
            }
        })
    }
}
