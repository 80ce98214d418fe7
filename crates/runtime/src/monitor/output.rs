//! The container's output: read from its pipes or terminal, sent to attached clients,
//! and written to its log (an exec'd process's output is not logged, as in Docker).

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt as _};

use crate::error::{Result, RuntimeError};
use crate::fsutil;
use crate::logs::{self, LineSplitter, Stream};
use crate::monitor::hub::Hub;
use crate::protocol::Reply;

/// The container's log file, opened for appending (restarts add to it).
#[derive(Clone)]
pub(crate) struct LogWriter(Arc<Mutex<File>>);

impl LogWriter {
    pub(crate) fn open(path: &Path) -> Result<LogWriter> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .map_err(RuntimeError::io("opening", path))?;
        Ok(LogWriter(Arc::new(Mutex::new(file))))
    }

    /// A line of ours, on the container's stderr stream.
    pub(crate) fn warn(&self, line: &str) {
        self.write(line.as_bytes(), Stream::Stderr, &fsutil::now_rfc3339());
    }

    fn write(&self, bytes: &[u8], stream: Stream, time: &str) {
        let line = logs::encode(bytes, stream, time);
        let mut file = self.0.lock().expect("no task panics while writing the log");
        if let Err(error) = file.write_all(line.as_bytes()) {
            tracing::warn!(%error, "writing the container log");
        }
    }
}

/// Reads one of the container's outputs until it closes.
pub(crate) async fn pump(
    mut pipe: impl AsyncRead + Unpin,
    stream: Stream,
    log: Option<LogWriter>,
    hub: Hub,
) {
    let mut splitter = LineSplitter::default();
    let mut buffer = vec![0u8; 32 * 1024];
    let mut time = fsutil::now_rfc3339();
    loop {
        let n = match pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buffer[..n];
        hub.broadcast(&match stream {
            Stream::Stdout => Reply::Stdout(chunk.to_vec()),
            Stream::Stderr => Reply::Stderr(chunk.to_vec()),
        });
        let Some(log) = &log else { continue };
        time = fsutil::now_rfc3339();
        for line in splitter.push(chunk) {
            log.write(&line, stream, &time);
        }
    }
    if let (Some(rest), Some(log)) = (splitter.finish(), &log) {
        log.write(&rest, stream, &time);
    }
}
