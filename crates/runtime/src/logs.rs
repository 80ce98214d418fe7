//! Container logs in Docker's `json-file` format: one JSON object per line,
//! `{"log":"hello\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}`.
//!
//! Output is cut at newlines; a line longer than 16 KiB is written in pieces without
//! the newline, as Docker does, so a process that never prints one cannot make the
//! monitor's memory grow without bound.

use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuntimeError};

/// The longest piece of a line kept in one entry.
const MAX_LINE: usize = 16 * 1024;

/// Which output a log entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line of a container's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The text, with its newline when it had one.
    pub log: String,
    /// Which output.
    pub stream: Stream,
    /// When the monitor read it (RFC 3339, UTC, nanoseconds).
    pub time: String,
}

/// Cuts a stream of output into lines.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Adds a chunk; returns the complete lines (with their newline), and pieces of
    /// over-long lines.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        for &byte in chunk {
            self.partial.push(byte);
            if byte == b'\n' || self.partial.len() >= MAX_LINE {
                lines.push(std::mem::take(&mut self.partial));
            }
        }
        lines
    }

    /// What is left once the stream ended.
    pub(crate) fn finish(&mut self) -> Option<Vec<u8>> {
        (!self.partial.is_empty()).then(|| std::mem::take(&mut self.partial))
    }
}

/// The JSON line for a piece of output (bytes that are not UTF-8 are replaced).
pub(crate) fn encode(bytes: &[u8], stream: Stream, time: &str) -> String {
    let entry = LogEntry {
        log: String::from_utf8_lossy(bytes).into_owned(),
        stream,
        time: time.to_owned(),
    };
    let mut line = serde_json::to_string(&entry).expect("log entries always serialise");
    line.push('\n');
    line
}

/// Reads the complete entries of a log from byte `offset`; returns them and the offset
/// after the last complete line. A damaged line is skipped.
pub fn read_from(path: &Path, offset: u64) -> Result<(Vec<LogEntry>, u64)> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), offset)),
        Err(e) => return Err(RuntimeError::io("opening", path)(e)),
    };
    let mut reader = BufReader::new(file);
    reader
        .seek(SeekFrom::Start(offset))
        .map_err(RuntimeError::io("reading", path))?;
    let mut entries = Vec::new();
    let mut position = offset;
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(RuntimeError::io("reading", path))?;
        if n == 0 || !line.ends_with('\n') {
            break;
        }
        position += n as u64;
        if let Ok(entry) = serde_json::from_str(&line) {
            entries.push(entry);
        }
    }
    Ok((entries, position))
}

/// `2026-01-02T03:04:05.120000000Z`: Docker's `logs -t` form, always nine digits.
pub fn fixed_nanos(time: &str) -> String {
    let Ok(parsed) =
        time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339)
    else {
        return time.to_owned();
    };
    let utc = parsed.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z"
    );
    utc.format(&format).unwrap_or_else(|_| time.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_at_newlines_and_long_lines_in_pieces() {
        let mut splitter = LineSplitter::default();
        assert_eq!(splitter.push(b"hel"), Vec::<Vec<u8>>::new());
        assert_eq!(splitter.push(b"lo\nwor"), vec![b"hello\n".to_vec()]);
        assert_eq!(splitter.finish(), Some(b"wor".to_vec()));
        assert_eq!(splitter.finish(), None);
        let long = vec![b'x'; MAX_LINE + 10];
        let pieces = splitter.push(&long);
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].len(), MAX_LINE);
    }

    #[test]
    fn entries_are_dockers_json_lines() {
        let line = encode(b"hello\n", Stream::Stdout, "2026-01-01T00:00:00.5Z");
        assert_eq!(
            line,
            "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00.5Z\"}\n"
        );
    }

    #[test]
    fn reading_stops_at_a_partial_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let first = encode(b"a\n", Stream::Stdout, "2026-01-01T00:00:00Z");
        let second = encode(b"b\n", Stream::Stderr, "2026-01-01T00:00:01Z");
        std::fs::write(&path, format!("{first}{}", &second[..10])).unwrap();
        let (entries, offset) = read_from(&path, 0).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(offset, first.len() as u64);
        std::fs::write(&path, format!("{first}{second}")).unwrap();
        let (entries, _) = read_from(&path, offset).unwrap();
        assert_eq!(entries[0].stream, Stream::Stderr);
    }

    #[test]
    fn timestamps_print_with_nine_digits() {
        assert_eq!(
            fixed_nanos("2026-01-01T00:00:00.12Z"),
            "2026-01-01T00:00:00.120000000Z"
        );
    }
}
