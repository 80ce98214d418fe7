//! Reading a container's log: the last lines, a time window, and following it while
//! the container runs.

use std::time::Duration;

use crate::error::Result;
use crate::logs::{self, LogEntry};
use crate::record::Status;
use crate::runtime::{Runtime, is_monitored};

/// How often a followed log is checked for more.
const FOLLOW_POLL: Duration = Duration::from_millis(50);

/// Which entries `logs` shows.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Only the last N entries (`-n`); all when `None`.
    pub tail: Option<usize>,
    /// Only entries at or after this time (RFC 3339).
    pub since: Option<time::OffsetDateTime>,
    /// Only entries before this time.
    pub until: Option<time::OffsetDateTime>,
    /// Keep reading until the container exits (`-f`).
    pub follow: bool,
}

impl Runtime {
    /// Hands each log entry of container `name` to `sink`, in order.
    pub fn logs(
        &self,
        name: &str,
        options: &LogOptions,
        mut sink: impl FnMut(&LogEntry) -> std::io::Result<()>,
    ) -> Result<()> {
        let record = self.find(name)?;
        let path = self.paths.log(&record.id);
        let (entries, mut offset) = logs::read_from(&path, 0)?;
        let mut shown: Vec<&LogEntry> = entries.iter().filter(|e| in_window(e, options)).collect();
        if let Some(tail) = options.tail {
            shown.drain(..shown.len().saturating_sub(tail));
        }
        for entry in shown {
            sink(entry).map_err(crate::error::RuntimeError::system("writing logs"))?;
        }
        if !options.follow {
            return Ok(());
        }
        loop {
            // Read once more after the container is seen gone: its last lines may
            // have landed since the previous read.
            let is_done = !self.is_still_running(&record.id)?;
            let (entries, next) = logs::read_from(&path, offset)?;
            offset = next;
            for entry in entries.iter().filter(|e| in_window(e, options)) {
                sink(entry).map_err(crate::error::RuntimeError::system("writing logs"))?;
            }
            if is_done {
                return Ok(());
            }
            std::thread::sleep(FOLLOW_POLL);
        }
    }

    fn is_still_running(&self, id: &str) -> Result<bool> {
        Ok(self
            .records
            .load(id)?
            .is_some_and(|r| r.state.status != Status::Exited && is_monitored(&r)))
    }
}

fn in_window(entry: &LogEntry, options: &LogOptions) -> bool {
    if options.since.is_none() && options.until.is_none() {
        return true;
    }
    let Ok(time) =
        time::OffsetDateTime::parse(&entry.time, &time::format_description::well_known::Rfc3339)
    else {
        return true;
    };
    options.since.is_none_or(|since| time >= since)
        && options.until.is_none_or(|until| time < until)
}
