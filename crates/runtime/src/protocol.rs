//! The monitor's socket protocol: frames of one kind byte, a big-endian `u32` length
//! and a payload. A client's first frame says what it wants: attach to the output
//! (optionally sending stdin, and with the size of its terminal), deliver a signal,
//! or wait for the exit code. An attached client may send resizes for the terminal.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use tokio::io::{AsyncRead, AsyncReadExt as _};

/// The largest payload accepted.
const MAX_PAYLOAD: usize = 1 << 20;

/// The size of a terminal, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSize {
    /// Lines.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

/// Client to monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Stream output back, then the exit code; with `stdin`, stdin frames follow.
    Attach {
        /// Whether the client sends input.
        stdin: bool,
        /// The client's terminal size, applied before the process starts.
        size: Option<WindowSize>,
    },
    /// The client's terminal changed size.
    Resize(WindowSize),
    /// Input for the container's stdin.
    Stdin(Vec<u8>),
    /// The client's input ended: close the container's stdin.
    CloseStdin,
    /// Deliver this signal to the container's init process.
    Signal(i32),
    /// Answer with the exit code once the container has exited.
    Wait,
}

/// Monitor to client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Output on the container's stdout.
    Stdout(Vec<u8>),
    /// Output on the container's stderr.
    Stderr(Vec<u8>),
    /// The container exited with this code (128 + signal when killed).
    Exit(i32),
    /// The request failed.
    Error(String),
    /// The request was carried out.
    Done,
}

mod kind {
    pub const ATTACH: u8 = 1;
    pub const STDIN: u8 = 2;
    pub const CLOSE_STDIN: u8 = 3;
    pub const SIGNAL: u8 = 4;
    pub const WAIT: u8 = 5;
    pub const RESIZE: u8 = 6;
    pub const STDOUT: u8 = 0x81;
    pub const STDERR: u8 = 0x82;
    pub const EXIT: u8 = 0x83;
    pub const ERROR: u8 = 0x84;
    pub const DONE: u8 = 0x85;
}

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(5 + payload.len());
    bytes.push(kind);
    bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

impl Request {
    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Request::Attach { stdin, size } => {
                let mut payload = vec![u8::from(*stdin)];
                payload.extend(size.iter().copied().flat_map(WindowSize::to_bytes));
                frame(kind::ATTACH, &payload)
            }
            Request::Resize(size) => frame(kind::RESIZE, &size.to_bytes()),
            Request::Stdin(data) => frame(kind::STDIN, data),
            Request::CloseStdin => frame(kind::CLOSE_STDIN, &[]),
            Request::Signal(signal) => frame(kind::SIGNAL, &signal.to_be_bytes()),
            Request::Wait => frame(kind::WAIT, &[]),
        }
    }

    /// Reads a frame's kind and payload back.
    pub fn decode(kind: u8, payload: Vec<u8>) -> io::Result<Request> {
        Ok(match kind {
            kind::ATTACH => Request::Attach {
                stdin: payload.first() == Some(&1),
                size: match payload.get(1..) {
                    Some(size) if !size.is_empty() => Some(WindowSize::from_bytes(size)?),
                    _ => None,
                },
            },
            kind::RESIZE => Request::Resize(WindowSize::from_bytes(&payload)?),
            kind::STDIN => Request::Stdin(payload),
            kind::CLOSE_STDIN => Request::CloseStdin,
            kind::SIGNAL => Request::Signal(i32::from_be_bytes(four_bytes(&payload)?)),
            kind::WAIT => Request::Wait,
            other => return Err(invalid(format!("unknown request kind {other}"))),
        })
    }
}

impl Reply {
    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Reply::Stdout(data) => frame(kind::STDOUT, data),
            Reply::Stderr(data) => frame(kind::STDERR, data),
            Reply::Exit(code) => frame(kind::EXIT, &code.to_be_bytes()),
            Reply::Error(message) => frame(kind::ERROR, message.as_bytes()),
            Reply::Done => frame(kind::DONE, &[]),
        }
    }

    /// Reads a frame's kind and payload back.
    pub fn decode(kind: u8, payload: Vec<u8>) -> io::Result<Reply> {
        Ok(match kind {
            kind::STDOUT => Reply::Stdout(payload),
            kind::STDERR => Reply::Stderr(payload),
            kind::EXIT => Reply::Exit(i32::from_be_bytes(four_bytes(&payload)?)),
            kind::ERROR => Reply::Error(String::from_utf8_lossy(&payload).into_owned()),
            kind::DONE => Reply::Done,
            other => return Err(invalid(format!("unknown reply kind {other}"))),
        })
    }
}

impl WindowSize {
    fn to_bytes(self) -> [u8; 4] {
        let [r0, r1] = self.rows.to_be_bytes();
        let [c0, c1] = self.cols.to_be_bytes();
        [r0, r1, c0, c1]
    }

    fn from_bytes(payload: &[u8]) -> io::Result<WindowSize> {
        let [r0, r1, c0, c1] = four_bytes(payload)?;
        Ok(WindowSize {
            rows: u16::from_be_bytes([r0, r1]),
            cols: u16::from_be_bytes([c0, c1]),
        })
    }
}

fn four_bytes(payload: &[u8]) -> io::Result<[u8; 4]> {
    payload
        .try_into()
        .map_err(|_| invalid("a number frame needs 4 bytes".into()))
}

fn invalid(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

fn check_length(header: &[u8; 5]) -> io::Result<(u8, usize)> {
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if length > MAX_PAYLOAD {
        return Err(invalid(format!("frame of {length} bytes is too large")));
    }
    Ok((header[0], length))
}

/// Reads one frame; `None` at a clean end of stream.
pub fn read_frame(reader: &mut impl Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut header = [0u8; 5];
    match reader.read_exact(&mut header) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    let (kind, length) = check_length(&header)?;
    let mut payload = vec![0; length];
    reader.read_exact(&mut payload)?;
    Ok(Some((kind, payload)))
}

/// Reads one frame asynchronously; `None` at a clean end of stream.
pub async fn read_frame_async(
    reader: &mut (impl AsyncRead + Unpin),
) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut header = [0u8; 5];
    match reader.read_exact(&mut header).await {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    };
    let (kind, length) = check_length(&header)?;
    let mut payload = vec![0; length];
    reader.read_exact(&mut payload).await?;
    Ok(Some((kind, payload)))
}

/// Writes one request.
pub fn write_request(writer: &mut impl Write, request: &Request) -> io::Result<()> {
    writer.write_all(&request.encode())
}

/// A socket path short enough for `sockaddr_un` (108 bytes): long paths go through
/// `/proc/self/fd/N/` of their directory, opened here and kept open by the caller for
/// as long as the address is used.
pub(crate) fn socket_address(path: &Path) -> io::Result<(Option<OwnedFd>, PathBuf)> {
    const MAX: usize = 100;
    if path.as_os_str().len() <= MAX {
        return Ok((None, path.to_owned()));
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok((None, path.to_owned()));
    };
    let fd: OwnedFd = std::fs::File::open(dir)?.into();
    let short = PathBuf::from(format!("/proc/self/fd/{}", raw(&fd))).join(name);
    Ok((Some(fd), short))
}

fn raw(fd: &impl AsFd) -> i32 {
    use std::os::fd::AsRawFd as _;
    fd.as_fd().as_raw_fd()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let requests = [
            Request::Attach {
                stdin: true,
                size: None,
            },
            Request::Attach {
                stdin: false,
                size: Some(WindowSize {
                    rows: 24,
                    cols: 300,
                }),
            },
            Request::Resize(WindowSize {
                rows: 1,
                cols: 65535,
            }),
            Request::Stdin(b"abc".to_vec()),
            Request::CloseStdin,
            Request::Signal(15),
            Request::Wait,
        ];
        for request in requests {
            let bytes = request.encode();
            let (kind, payload) = read_frame(&mut bytes.as_slice()).unwrap().unwrap();
            assert_eq!(Request::decode(kind, payload).unwrap(), request);
        }
        let replies = [
            Reply::Stdout(b"out".to_vec()),
            Reply::Stderr(vec![]),
            Reply::Exit(137),
            Reply::Error("nope".into()),
            Reply::Done,
        ];
        for reply in replies {
            let bytes = reply.encode();
            let (kind, payload) = read_frame(&mut bytes.as_slice()).unwrap().unwrap();
            assert_eq!(Reply::decode(kind, payload).unwrap(), reply);
        }
    }

    #[test]
    fn truncated_and_oversized_frames_are_refused() {
        assert!(read_frame(&mut [].as_slice()).unwrap().is_none());
        assert!(read_frame(&mut [1u8, 0, 0, 0, 4, 1].as_slice()).is_err());
        assert!(read_frame(&mut [1u8, 0xff, 0, 0, 0].as_slice()).is_err());
    }

    #[test]
    fn long_socket_paths_are_shortened_through_proc() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join("d".repeat(90));
        std::fs::create_dir(&long).unwrap();
        let path = long.join("monitor.sock");
        let (fd, short) = socket_address(&path).unwrap();
        assert!(fd.is_some());
        assert!(short.as_os_str().len() < 40, "{}", short.display());
        let listener = std::os::unix::net::UnixListener::bind(&short).unwrap();
        drop(listener);
        assert!(path.exists());
    }
}
