//! Atomic writes, JSON files and locks.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, RuntimeError};

/// Writes `bytes` to `path` through a synced temporary file in the same directory and a
/// rename, so readers see the old content or the new, never a part.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, bytes, true)
}

/// Writes a file that every start makes anew (the `/etc` files, the runtime spec)
/// as [`write_atomic`] does, but without syncing it: after a crash it is written
/// again before it is used, so its durability is not worth a disk flush per start.
pub(crate) fn write_regenerated(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, bytes, false)
}

fn write_renamed(path: &Path, bytes: &[u8], is_synced: bool) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(
        ".tmp-{}-{n}-{}",
        std::process::id(),
        name.unwrap_or_default()
    ));
    let result = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        if is_synced {
            file.sync_all()?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(RuntimeError::io("writing", path))
}

/// Reads a JSON file; `None` when it does not exist.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RuntimeError::io("reading", path)(e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| RuntimeError::Corrupt {
            path: path.to_owned(),
            source,
        })
}

/// Writes `value` as JSON, atomically.
pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).expect("records always serialise");
    write_atomic(path, &bytes)
}

/// Creates `path` and its parents.
pub(crate) fn create_dir_all(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(RuntimeError::io("creating", path))
}

/// Removes a tree; a missing one is fine.
pub(crate) fn remove_dir_all(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(RuntimeError::io("removing", path)(e))
        }
        _ => Ok(()),
    }
}

/// An exclusive lock on a file, held until dropped (or the process dies).
#[derive(Debug)]
pub(crate) struct Lock {
    _file: File,
}

/// Takes the exclusive lock on `path`, waiting for whoever holds it.
pub(crate) fn lock(path: &Path) -> Result<Lock> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(RuntimeError::io("opening lock", path))?;
    file.lock().map_err(RuntimeError::io("locking", path))?;
    Ok(Lock { _file: file })
}

/// Now, in RFC 3339 with nanoseconds, UTC (`2026-01-02T03:04:05.123456789Z`).
pub(crate) fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

/// A time in RFC 3339, UTC.
pub(crate) fn rfc3339(time: time::OffsetDateTime) -> String {
    let utc = time.to_offset(time::UtcOffset::UTC);
    utc.format(&time::format_description::well_known::Rfc3339)
        .expect("every UTC time formats")
}
