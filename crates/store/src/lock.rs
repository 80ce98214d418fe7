//! Locks between concurrent commands on one store: `flock`-style locks on files under
//! `locks/`, released when the guard is dropped or the process dies.

use std::fs::File;
use std::path::Path;

use crate::error::{Result, StoreError};

/// An exclusive lock, held until dropped.
pub(crate) struct LockGuard {
    _file: File,
}

/// Takes the exclusive lock named `name`, waiting for whoever holds it. Blocking: call it
/// from a blocking context.
pub(crate) fn lock_exclusive(dir: &Path, name: &str) -> Result<LockGuard> {
    let path = dir.join(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(StoreError::io("opening lock", &path))?;
    file.lock().map_err(StoreError::io("locking", &path))?;
    Ok(LockGuard { _file: file })
}
