//! Hard link targets, which may live in a layer below.
//!
//! A hard link joins two names of one filesystem, and in overlay form each
//! layer is a directory of its own: a target that exists only in a lower
//! layer is first copied up into this one, data, owner, mode, times and
//! extended attributes, as overlayfs itself does before `link(2)`, and the
//! link is made to the copy.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, mknodat, openat, readlinkat, statat, symlinkat};
use rustix::io::Errno;

use crate::error::{LayerError, lossy};
use crate::metadata::{DirTimes, Metadata};
use crate::path::split;
use crate::resolve::{Lower, Root, lookup_lowers};
use crate::whiteout::is_whiteout;

/// Finds the hard link target `target` (cleaned, not empty) in this layer,
/// copying it up from a lower one if need be, and returns its directory.
pub(crate) fn find_target(
    root: &Root<'_>,
    target: &[u8],
    entry: &[u8],
    deferred: &mut Vec<DirTimes>,
) -> Result<OwnedFd, LayerError> {
    let failed = |source| LayerError::LinkTarget {
        entry: lossy(entry),
        target: lossy(target),
        source,
    };
    let (parent, name) = split(target);
    let dir = root.directory(parent, true, deferred).map_err(failed)?;

    match statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Directory => {
            return Err(to_directory(entry, target));
        }
        Ok(stat) if is_whiteout(&stat) => return Err(missing(entry, target)),
        Ok(_) => return Ok(dir),
        Err(Errno::NOENT) => {}
        Err(errno) => return Err(failed(errno.into())),
    }

    let level = root
        .walk_with_lowers(parent, true, deferred)
        .map_err(failed)?;
    let layer = match lookup_lowers(&level.lowers, name).map_err(failed)? {
        Lower::Other { layer } | Lower::Symlink { layer, .. } => layer,
        Lower::Directories(_) => return Err(to_directory(entry, target)),
        Lower::Absent => return Err(missing(entry, target)),
    };
    tracing::debug!(target = %lossy(target), "copying up hard link target");
    copy_up(level.lowers[layer].as_fd(), level.dir.as_fd(), name).map_err(failed)?;
    Ok(level.dir)
}

fn to_directory(entry: &[u8], target: &[u8]) -> LayerError {
    LayerError::LinkToDirectory {
        entry: lossy(entry),
        target: lossy(target),
    }
}

fn missing(entry: &[u8], target: &[u8]) -> LayerError {
    LayerError::LinkTargetMissing {
        entry: lossy(entry),
        target: lossy(target),
    }
}

/// Copies the non-directory `name` from a lower layer's directory into the
/// same directory of this layer.
fn copy_up(lower: BorrowedFd<'_>, dest: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    let stat = statat(lower, name, AtFlags::SYMLINK_NOFOLLOW)?;
    let file_type = FileType::from_raw_mode(stat.st_mode);
    let metadata = Metadata::from_stat(&stat);
    let result = match file_type {
        FileType::RegularFile => return copy_up_file(lower, dest, name),
        FileType::Directory => return Err(Errno::ISDIR.into()),
        FileType::Symlink => {
            symlinkat(readlinkat(lower, name, Vec::new())?.as_c_str(), dest, name)?;
            metadata.apply_at(dest, name, true)
        }
        _ => {
            mknodat(
                dest,
                name,
                file_type,
                Mode::from_raw_mode(0o600),
                stat.st_rdev,
            )?;
            metadata.apply_at(dest, name, false)
        }
    };
    result.map_err(|failure| failure.source)
}

fn copy_up_file(lower: BorrowedFd<'_>, dest: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    let read = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut source = File::from(openat(lower, name, read, Mode::empty())?);
    let metadata = Metadata::from_fd(source.as_fd())?;

    let write = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut copy = File::from(openat(dest, name, write, Mode::from_raw_mode(0o600))?);
    // std uses copy_file_range(2) between two files, which can share extents.
    io::copy(&mut source, &mut copy)?;
    metadata
        .apply_to_fd(copy.as_fd(), true)
        .map_err(|failure| failure.source)
}
