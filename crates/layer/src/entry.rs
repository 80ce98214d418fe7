//! Creating each kind of entry in its parent directory.
//!
//! Every call names the file relative to a descriptor of its directory and
//! never follows a symlink at the last component (`O_NOFOLLOW`, `O_EXCL`,
//! `AT_SYMLINK_NOFOLLOW`): a symlink planted by an earlier entry cannot
//! redirect a write. An entry replaces whatever this layer already holds at
//! its path, except that a directory entry over a directory only updates its
//! metadata and keeps its children, as `tar -x` and Docker do.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use rustix::fs::{
    AtFlags, Dev, Dir, FileType, Mode, OFlags, linkat, mkdirat, mknodat, openat, statat, symlinkat,
    unlinkat,
};
use rustix::io::Errno;

use crate::error::{LayerError, lossy};
use crate::metadata::{Metadata, identity};
use crate::resolve::open_dir;
use crate::whiteout::{is_whiteout, mark_opaque};

/// Where an entry goes: its directory, its name there, and its cleaned path
/// for errors.
pub(crate) struct Place<'a> {
    pub(crate) parent: BorrowedFd<'a>,
    pub(crate) name: &'a [u8],
    pub(crate) path: &'a [u8],
}

impl Place<'_> {
    fn create_error(&self, kind: &'static str) -> impl FnOnce(io::Error) -> LayerError + '_ {
        move |source| LayerError::Create {
            entry: lossy(self.path),
            kind,
            source,
        }
    }
}

/// A regular file as written.
pub(crate) struct Written {
    /// Bytes of data written.
    pub(crate) size: u64,
    /// Whether something this layer had at that path was removed first.
    pub(crate) replaced: bool,
}

/// Writes a regular file from the entry's data, then its metadata.
pub(crate) fn regular(
    place: &Place<'_>,
    data: &mut impl Read,
    buffer: &mut [u8],
    metadata: &Metadata,
) -> Result<Written, LayerError> {
    let (mut file, replaced) = create_regular(place, metadata)?;
    let size = copy(data, &mut file, buffer, place)?;
    finish_regular(&file, size, place, metadata)?;
    Ok(Written { size, replaced })
}

/// Writes a regular file whose data was read beforehand, then its metadata.
/// Returns whether something this layer had at that path was removed first.
pub(crate) fn regular_from(
    place: &Place<'_>,
    data: &[u8],
    metadata: &Metadata,
) -> Result<bool, LayerError> {
    let (mut file, replaced) = create_regular(place, metadata)?;
    file.write_all(data)
        .map_err(place.create_error("regular file"))?;
    finish_regular(&file, data.len() as u64, place, metadata)?;
    Ok(replaced)
}

/// Creates the file with its permission bits, which then rarely need a
/// chmod; the setuid, setgid and sticky bits wait until the owner is set.
fn create_regular(place: &Place<'_>, metadata: &Metadata) -> Result<(File, bool), LayerError> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mode = Mode::from_raw_mode(metadata.mode & 0o777);
    let (fd, replaced) = replacing(place.parent, place.name, || {
        openat(place.parent, place.name, flags, mode)
    })
    .map_err(place.create_error("regular file"))?;
    Ok((File::from(fd), replaced))
}

fn finish_regular(
    file: &File,
    size: u64,
    place: &Place<'_>,
    metadata: &Metadata,
) -> Result<(), LayerError> {
    if size >= WRITEBACK_MIN {
        start_writeback(file);
    }
    metadata
        .apply_to_fd(file.as_fd(), true)
        .map_err(|failure| failure.into_error(place.path))
}

/// Files from this size on start their writeback as soon as they are written.
/// They hold most of a layer's bytes (in the python image, 13% of the files
/// hold 82% of the data); for the many small ones the call costs more CPU than
/// it saves waiting.
const WRITEBACK_MIN: u64 = 32 << 10;

/// Asks the kernel to start writing the file's data to disk now, without waiting.
/// Whoever applies a layer syncs the filesystem once at the end (see the store's
/// commit); by then most of the data is on disk, rather than all of it still to
/// write while nothing else is left to do. A failure only loses the head start.
fn start_writeback(file: &File) {
    // SAFETY: the descriptor is open for the call; no memory is passed.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

fn copy(
    data: &mut impl Read,
    file: &mut File,
    buffer: &mut [u8],
    place: &Place<'_>,
) -> Result<u64, LayerError> {
    let mut size = 0;
    loop {
        let read = match data.read(buffer) {
            Ok(0) => return Ok(size),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(LayerError::ReadEntry {
                    entry: lossy(place.path),
                    source,
                });
            }
        };
        file.write_all(&buffer[..read])
            .map_err(place.create_error("regular file"))?;
        size += read as u64;
    }
}

/// Creates a directory, or keeps the one this layer already has there, and
/// sets its metadata except the times. Returns it, and whether something
/// else had to be removed first.
pub(crate) fn directory(
    place: &Place<'_>,
    metadata: &Metadata,
) -> Result<(OwnedFd, bool), LayerError> {
    let mode = Mode::from_raw_mode(metadata.mode & 0o777);
    let (dir, replaced) = make_or_reuse_directory(place.parent, place.name, mode)
        .map_err(place.create_error("directory"))?;
    metadata
        .apply_to_fd(dir.as_fd(), false)
        .map_err(|failure| failure.into_error(place.path))?;
    Ok((dir, replaced))
}

fn make_or_reuse_directory(
    parent: BorrowedFd<'_>,
    name: &[u8],
    mode: Mode,
) -> io::Result<(OwnedFd, bool)> {
    match mkdirat(parent, name, mode) {
        Ok(()) => return Ok((open_dir(parent, name)?, false)),
        Err(Errno::EXIST) => {}
        Err(errno) => return Err(errno.into()),
    }

    let stat = statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(stat.st_mode) == FileType::Directory {
        return Ok((open_dir(parent, name)?, false));
    }
    remove_all(parent, name)?;
    mkdirat(parent, name, mode)?;
    let dir = open_dir(parent, name)?;
    // This layer deleted the directory below, then made a new one: the old
    // contents must stay hidden, as overlayfs does for `rm -r d; mkdir d`.
    if is_whiteout(&stat) {
        mark_opaque(dir.as_fd())?;
    }
    Ok((dir, true))
}

/// Creates a symlink whose target is kept verbatim: it is only ever resolved
/// inside a root, by this crate or by the container.
pub(crate) fn symlink(
    place: &Place<'_>,
    target: &[u8],
    metadata: &Metadata,
) -> Result<bool, LayerError> {
    let ((), replaced) = replacing(place.parent, place.name, || {
        symlinkat(target, place.parent, place.name)
    })
    .map_err(place.create_error("symlink"))?;
    metadata
        .apply_at(place.parent, place.name, true)
        .map_err(|failure| failure.into_error(place.path))?;
    Ok(replaced)
}

/// Creates a character or block device or a fifo.
pub(crate) fn node(
    place: &Place<'_>,
    file_type: FileType,
    device: Dev,
    metadata: &Metadata,
) -> Result<bool, LayerError> {
    let mode = Mode::from_raw_mode(0o600);
    let ((), replaced) = replacing(place.parent, place.name, || {
        mknodat(place.parent, place.name, file_type, mode, device)
    })
    .map_err(place.create_error("device or fifo"))?;
    metadata
        .apply_at(place.parent, place.name, false)
        .map_err(|failure| failure.into_error(place.path))?;
    Ok(replaced)
}

/// Links `place` to an existing file. The link itself carries no metadata of
/// its own: it shares the target's inode.
pub(crate) fn hard_link(
    place: &Place<'_>,
    target_dir: BorrowedFd<'_>,
    target_name: &[u8],
) -> Result<bool, LayerError> {
    link_replacing(place, target_dir, target_name).map_err(place.create_error("hard link"))
}

fn link_replacing(
    place: &Place<'_>,
    target_dir: BorrowedFd<'_>,
    target_name: &[u8],
) -> io::Result<bool> {
    let link = || {
        linkat(
            target_dir,
            target_name,
            place.parent,
            place.name,
            AtFlags::empty(),
        )
    };
    match link() {
        Ok(()) => return Ok(false),
        Err(Errno::EXIST) => {}
        Err(errno) => return Err(errno.into()),
    }

    // A tar may link a name to itself: removing it first would lose the target.
    let target = statat(target_dir, target_name, AtFlags::SYMLINK_NOFOLLOW)?;
    let existing = statat(place.parent, place.name, AtFlags::SYMLINK_NOFOLLOW)?;
    if identity(&target) == identity(&existing) {
        return Ok(false);
    }
    remove_all(place.parent, place.name)?;
    link()?;
    Ok(true)
}

/// Runs `create`, and if the name is taken, removes what is there and runs
/// it again. Returns whether something was removed.
fn replacing<T>(
    parent: BorrowedFd<'_>,
    name: &[u8],
    mut create: impl FnMut() -> rustix::io::Result<T>,
) -> io::Result<(T, bool)> {
    match create() {
        Ok(created) => Ok((created, false)),
        Err(Errno::EXIST) => {
            remove_all(parent, name)?;
            Ok((create()?, true))
        }
        Err(errno) => Err(errno.into()),
    }
}

/// Removes `name` from `parent`, with everything under it if it is a
/// directory; a missing name is fine. Symlinks are removed, not followed.
pub(crate) fn remove_all(parent: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    match unlinkat(parent, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => return Ok(()),
        // unlink(2) on a directory is EISDIR on Linux.
        Err(Errno::ISDIR) => {}
        Err(errno) => return Err(errno.into()),
    }

    let dir = open_dir(parent, name)?;
    let mut listing = Dir::new(dir)?;
    let mut names = Vec::new();
    for child in &mut listing {
        let child = child?;
        let child = child.file_name();
        if child != c"." && child != c".." {
            names.push(CString::from(child));
        }
    }

    let dir = listing.fd()?;
    for child in names {
        remove_all(dir, child.as_bytes())?;
    }
    unlinkat(parent, name, AtFlags::REMOVEDIR)?;
    Ok(())
}
