//! Reading a file while another task is still writing it.
//!
//! A layer is unpacked while it downloads: the download writes the blob's temporary
//! file, and the unpacker reads the same file a little behind. The file is the buffer,
//! so memory stays small however large the layer, and a download never waits for a
//! slower unpack (or for the layers below it to finish unpacking).

use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex};

/// How far the writer has got, shared with readers.
#[derive(Default)]
pub(crate) struct Progress {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    written: u64,
    end: Option<bool>,
}

impl Progress {
    /// `n` more bytes are in the file.
    pub fn advance(&self, n: u64) {
        let mut state = self.state.lock().expect("no panics while holding the lock");
        state.written += n;
        self.changed.notify_all();
    }

    /// The writer is done: the file is complete (`true`) or will never be (`false`).
    pub fn finish(&self, is_complete: bool) {
        let mut state = self.state.lock().expect("no panics while holding the lock");
        state.end = Some(is_complete);
        self.changed.notify_all();
    }

    /// Waits until more than `position` bytes exist or the writer is done.
    fn wait_beyond(&self, position: u64) -> (u64, Option<bool>) {
        let mut state = self.state.lock().expect("no panics while holding the lock");
        while state.written <= position && state.end.is_none() {
            state = self
                .changed
                .wait(state)
                .expect("no panics while holding the lock");
        }
        (state.written, state.end)
    }
}

/// Reads a file up to what the writer has announced, waiting for more.
pub(crate) struct FollowReader {
    file: File,
    progress: Arc<Progress>,
    position: u64,
}

impl FollowReader {
    pub fn new(file: File, progress: Arc<Progress>) -> FollowReader {
        FollowReader {
            file,
            progress,
            position: 0,
        }
    }
}

impl Read for FollowReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let (written, end) = self.progress.wait_beyond(self.position);
        if written <= self.position {
            return match end {
                Some(true) => Ok(0),
                _ => Err(io::Error::other("the download of this layer failed")),
            };
        }
        let available = usize::try_from(written - self.position).unwrap_or(usize::MAX);
        let len = buffer.len().min(available);
        let n = self.file.read(&mut buffer[..len])?;
        self.position += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn reader_follows_a_writer_to_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let mut writer = File::create(&path).unwrap();
        let progress = Arc::new(Progress::default());
        let mut reader = FollowReader::new(File::open(&path).unwrap(), progress.clone());

        let handle = std::thread::spawn(move || {
            let mut all = Vec::new();
            reader.read_to_end(&mut all).map(|_| all)
        });
        for chunk in [b"hello ".as_slice(), b"world"] {
            writer.write_all(chunk).unwrap();
            progress.advance(chunk.len() as u64);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        progress.finish(true);
        assert_eq!(handle.join().unwrap().unwrap(), b"hello world");
    }

    #[test]
    fn reader_fails_when_the_writer_gives_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        File::create(&path).unwrap();
        let progress = Arc::new(Progress::default());
        let mut reader = FollowReader::new(File::open(&path).unwrap(), progress.clone());
        progress.finish(false);
        assert!(reader.read(&mut [0; 8]).is_err());
    }
}
