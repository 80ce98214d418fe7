//! Applying the entries of one layer tar, one after the other.
//!
//! Regular files are handed to [`Writers`] once their data is read, and
//! written while the next entries are applied. Every other entry is applied
//! here, in order, and waits for the files in flight (a drain) whenever it
//! could meet one of them:
//!
//! - whiteouts, opaque markers, hard links and the root entry, always;
//! - an entry whose name in its directory was handed over (a file written
//!   twice, through a symlink or not);
//! - an entry whose name is taken: replacing a directory removes what is in
//!   it, and a directory entry over one changes what new files inherit;
//! - a directory path that the kernel cannot resolve in this layer alone
//!   (`openat2`): the walk through the lower layers would see a file still
//!   being written as missing, or make a directory in its place. A path the
//!   kernel does resolve never goes through a file in flight, which either
//!   does not exist yet or is not a directory;
//! - the end of the layer, before the directories' times are set.

use std::io::{self, Read};
use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, makedev, statat, utimensat};
use rustix::io::Errno;
use tar::EntryType;

use crate::entry::{self, Place};
use crate::error::{LayerError, lossy};
use crate::link::find_target;
use crate::metadata::{DirTimes, Metadata, identity};
use crate::path::{clean, split};
use crate::resolve::{Lowers, Parent, Root};
use crate::whiteout::{self, Marker};
use crate::writers::{MAX_FILE, Writers};

/// Size of the buffer file data is copied through.
pub(crate) const BUFFER_SIZE: usize = 128 * 1024;

/// The state of one layer being applied.
pub(crate) struct Unpacker<'a> {
    root: Root<'a>,
    /// Directories whose times are set at the end.
    deferred: Vec<DirTimes>,
    buffer: Vec<u8>,
    /// The current entry's cleaned path.
    path: Vec<u8>,
    /// The current hard link's cleaned target.
    link: Vec<u8>,
    unpacked_size: u64,
    writers: Writers,
}

impl<'a> Unpacker<'a> {
    pub(crate) fn open(dest: &Path, lowers: Lowers<'a>) -> Result<Unpacker<'a>, LayerError> {
        Ok(Unpacker {
            root: Root::open(dest, lowers)?,
            deferred: Vec::new(),
            buffer: vec![0; BUFFER_SIZE],
            path: Vec::new(),
            link: Vec::new(),
            unpacked_size: 0,
            writers: Writers::new(),
        })
    }

    /// Applies one entry.
    pub(crate) fn apply<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
    ) -> Result<(), LayerError> {
        let raw_path = entry.path_bytes();
        clean(&raw_path, &mut self.path);
        let kind = entry_type(entry.header(), &raw_path);
        drop(raw_path);
        tracing::trace!(entry = %lossy(&self.path), ?kind, "applying entry");
        if kind == EntryType::XGlobalHeader {
            tracing::debug!("pax global header ignored");
            return Ok(());
        }
        if self.path.is_empty() {
            return self.root_entry(entry, kind);
        }

        let (parent, name) = split(&self.path);
        if let Some(marker) = whiteout::classify_parent(parent).or_else(|| whiteout::classify(name))
        {
            settle(&mut self.writers, &mut self.root)?;
            return apply_marker(&mut self.root, &mut self.deferred, &self.path, marker);
        }

        let metadata = Metadata::from_entry(entry, &self.path)?;
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                self.regular(entry, metadata)
            }
            EntryType::Directory => self.directory(&metadata),
            EntryType::Symlink => self.symlink(entry, &metadata),
            EntryType::Link => self.hard_link(entry),
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                self.node(entry, kind, &metadata)
            }
            other => Err(LayerError::Unsupported {
                entry: lossy(&self.path),
                what: format!("a tar entry of type {:?}", other.as_byte() as char),
            }),
        }
    }

    /// The error to return for `error`, met while applying: the failure of
    /// a file handed over before it, if any, came first, and a walk that
    /// stopped because the lower layers could not be had reports why.
    pub(crate) fn fail(&mut self, error: LayerError) -> LayerError {
        let error = self.root.take_failure().unwrap_or(error);
        self.writers.fail(error)
    }

    /// Waits for the files in flight, then sets the times of the
    /// directories, now that nothing is written in them any more, and
    /// returns the bytes of regular files written.
    pub(crate) fn finish(mut self) -> Result<u64, LayerError> {
        settle(&mut self.writers, &mut self.root)?;
        for times in &self.deferred {
            set_directory_times(&self.root, times).map_err(|source| {
                self.root
                    .take_failure()
                    .unwrap_or_else(|| LayerError::SetMetadata {
                        entry: lossy(&times.path),
                        what: "times",
                        source,
                    })
            })?;
        }
        Ok(self.unpacked_size)
    }

    /// `./`: the layer root takes the entry's metadata.
    fn root_entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        kind: EntryType,
    ) -> Result<(), LayerError> {
        if kind != EntryType::Directory {
            return Err(LayerError::Unsupported {
                entry: lossy(b""),
                what: "a root entry that is not a directory".to_owned(),
            });
        }
        let metadata = Metadata::from_entry(entry, b"")?;
        // New files could inherit the root's new attributes, or not.
        settle(&mut self.writers, &mut self.root)?;
        let root = self.root.dest();
        metadata
            .apply_to_fd(root, false)
            .map_err(|failure| failure.into_error(b""))?;
        let times = DirTimes::new(root, b"", &metadata.times).map_err(|source| {
            LayerError::SetMetadata {
                entry: lossy(b""),
                what: "times",
                source,
            }
        })?;
        self.deferred.push(times);
        Ok(())
    }

    /// Hands a regular file over to the writers, or writes it here when it
    /// is large or replaces something.
    fn regular<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        metadata: Metadata,
    ) -> Result<(), LayerError> {
        let expected = entry.size();
        let is_sparse = entry.header().entry_type() == EntryType::GNUSparse;
        let (parent, is_free) = self.prepare()?;
        let size = usize::try_from(expected).unwrap_or(usize::MAX);
        if is_free && !is_sparse && size <= MAX_FILE {
            let data = read_data(entry, size, &self.path)?;
            self.unpacked_size += expected;
            return self.writers.submit(&parent, &self.path, data, metadata);
        }

        let (_, name) = split(&self.path);
        let place = Place {
            parent: parent.fd(),
            name,
            path: &self.path,
        };
        let written = entry::regular(&place, entry, &mut self.buffer, &metadata)?;

        // The tar crate ends an entry's data early, without an error, when
        // the stream is cut short.
        if !is_sparse && written.size != expected {
            return Err(truncated(&self.path));
        }
        if written.replaced {
            self.root.forget();
        }
        self.unpacked_size += written.size;
        Ok(())
    }

    /// Resolves the directory of the current entry, waiting for the files
    /// in flight first if the entry could meet one of them (see the module
    /// documentation). Returns it, and whether the entry's name is free in
    /// it.
    fn prepare(&mut self) -> Result<(Parent, bool), LayerError> {
        let (parent_path, name) = split(&self.path);
        let found = self
            .root
            .parent_in_dest(parent_path)
            .map_err(resolve_failed(&self.path))?;
        let parent = match found {
            Some(parent) => parent,
            None => {
                settle(&mut self.writers, &mut self.root)?;
                self.root
                    .parent(parent_path, &mut self.deferred)
                    .map_err(resolve_failed(&self.path))?
            }
        };
        if self.writers.is_dispatched(&parent, name) {
            settle(&mut self.writers, &mut self.root)?;
        }

        let is_free = matches!(
            statat(parent.fd(), name, AtFlags::SYMLINK_NOFOLLOW),
            Err(Errno::NOENT)
        );
        if !is_free {
            settle(&mut self.writers, &mut self.root)?;
        }
        Ok((parent, is_free))
    }

    fn directory(&mut self, metadata: &Metadata) -> Result<(), LayerError> {
        let (parent, _) = self.prepare()?;
        let (_, name) = split(&self.path);
        let place = Place {
            parent: parent.fd(),
            name,
            path: &self.path,
        };
        let (dir, replaced) = entry::directory(&place, metadata)?;

        let times = DirTimes::new(&dir, &self.path, &metadata.times).map_err(|source| {
            LayerError::SetMetadata {
                entry: lossy(&self.path),
                what: "times",
                source,
            }
        })?;
        self.deferred.push(times);
        if replaced {
            self.root.forget();
        }
        Ok(())
    }

    fn symlink<R: Read>(
        &mut self,
        entry: &tar::Entry<'_, R>,
        metadata: &Metadata,
    ) -> Result<(), LayerError> {
        let target = entry.link_name_bytes().unwrap_or_default();
        let (parent, _) = self.prepare()?;
        let (_, name) = split(&self.path);
        let place = Place {
            parent: parent.fd(),
            name,
            path: &self.path,
        };
        if entry::symlink(&place, &target, metadata)? {
            self.root.forget();
        }
        Ok(())
    }

    fn hard_link<R: Read>(&mut self, entry: &tar::Entry<'_, R>) -> Result<(), LayerError> {
        // The target may be a file in flight.
        settle(&mut self.writers, &mut self.root)?;
        clean(&entry.link_name_bytes().unwrap_or_default(), &mut self.link);
        if self.link.is_empty() {
            return Err(LayerError::LinkToDirectory {
                entry: lossy(&self.path),
                target: lossy(&self.link),
            });
        }
        let target_dir = find_target(&self.root, &self.link, &self.path, &mut self.deferred)?;

        let (parent, _) = self.prepare()?;
        let (_, target_name) = split(&self.link);
        let (_, name) = split(&self.path);
        let place = Place {
            parent: parent.fd(),
            name,
            path: &self.path,
        };
        if entry::hard_link(&place, target_dir.as_fd(), target_name)? {
            self.root.forget();
        }
        Ok(())
    }

    fn node<R: Read>(
        &mut self,
        entry: &tar::Entry<'_, R>,
        kind: EntryType,
        metadata: &Metadata,
    ) -> Result<(), LayerError> {
        let (file_type, device) =
            device(entry.header(), kind).map_err(|source| LayerError::ReadHeader {
                entry: lossy(&self.path),
                source,
            })?;
        let (parent, _) = self.prepare()?;
        let (_, name) = split(&self.path);
        let place = Place {
            parent: parent.fd(),
            name,
            path: &self.path,
        };
        if entry::node(&place, file_type, device, metadata)? {
            self.root.forget();
        }
        Ok(())
    }
}

/// Applies a whiteout or an opaque marker; `entry` is its cleaned path.
fn apply_marker(
    root: &mut Root<'_>,
    deferred: &mut Vec<DirTimes>,
    entry: &[u8],
    marker: Marker<'_>,
) -> Result<(), LayerError> {
    let failed = |source| LayerError::Whiteout {
        entry: lossy(entry),
        source,
    };
    let target = match marker {
        Marker::AufsMetadata => {
            tracing::debug!(entry = %lossy(entry), "aufs metadata skipped");
            return Ok(());
        }
        Marker::Invalid => {
            return Err(LayerError::InvalidWhiteout {
                entry: lossy(entry),
            });
        }
        Marker::Opaque => None,
        Marker::Whiteout(target) => Some(target),
    };

    let (parent, _) = split(entry);
    let dir = root.parent(parent, deferred).map_err(failed)?;
    match target {
        None => whiteout::mark_opaque_at(dir.fd()).map_err(failed),
        Some(target) => {
            whiteout::whiteout(dir.fd(), target).map_err(failed)?;
            root.forget();
            Ok(())
        }
    }
}

/// The entry's type. Pre-POSIX tars marked directories only by a trailing
/// `/` on a regular file's name (type `\0`), which Go's archive/tar, and so
/// Docker, still reads as a directory.
fn entry_type(header: &tar::Header, raw_path: &[u8]) -> EntryType {
    let is_old_directory = header.as_old().linkflag[0] == 0 && raw_path.ends_with(b"/");
    if is_old_directory {
        EntryType::Directory
    } else {
        header.entry_type()
    }
}

/// Waits for the files in flight; forgets the cached parent if writing them
/// removed something.
fn settle(writers: &mut Writers, root: &mut Root<'_>) -> Result<(), LayerError> {
    if writers.is_busy() && writers.drain()? {
        root.forget();
    }
    Ok(())
}

/// Reads the whole data of a regular file entry of `size` bytes.
fn read_data(entry: &mut impl Read, size: usize, path: &[u8]) -> Result<Vec<u8>, LayerError> {
    let mut data = Vec::with_capacity(size);
    entry
        .take(size as u64)
        .read_to_end(&mut data)
        .map_err(|source| LayerError::ReadEntry {
            entry: lossy(path),
            source,
        })?;
    // The tar crate ends an entry's data early, without an error, when the
    // stream is cut short.
    if data.len() != size {
        return Err(truncated(path));
    }
    Ok(data)
}

fn truncated(path: &[u8]) -> LayerError {
    LayerError::ReadEntry {
        entry: lossy(path),
        source: io::ErrorKind::UnexpectedEof.into(),
    }
}

fn resolve_failed(path: &[u8]) -> impl FnOnce(io::Error) -> LayerError + '_ {
    move |source| LayerError::ResolveParent {
        entry: lossy(path),
        source,
    }
}

fn device(header: &tar::Header, kind: EntryType) -> io::Result<(FileType, rustix::fs::Dev)> {
    let file_type = match kind {
        EntryType::Char => FileType::CharacterDevice,
        EntryType::Block => FileType::BlockDevice,
        _ => return Ok((FileType::Fifo, 0)),
    };
    let major = header.device_major()?.unwrap_or(0);
    let minor = header.device_minor()?.unwrap_or(0);
    Ok((file_type, makedev(major, minor)))
}

/// Sets a directory's times if its path still names the same directory:
/// a later entry may have replaced or removed it.
fn set_directory_times(root: &Root<'_>, times: &DirTimes) -> io::Result<()> {
    if times.path.is_empty() {
        return set_times_if_same(root.dest(), b".", times);
    }
    let (parent, name) = split(&times.path);
    match root.directory(parent, false, &mut Vec::new()) {
        Ok(dir) => set_times_if_same(dir.as_fd(), name, times),
        Err(error) if is_gone(&error) => Ok(()),
        Err(error) => Err(error),
    }
}

fn set_times_if_same(
    parent: std::os::fd::BorrowedFd<'_>,
    name: &[u8],
    times: &DirTimes,
) -> io::Result<()> {
    let stat = match statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => stat,
        Err(Errno::NOENT) => return Ok(()),
        Err(errno) => return Err(errno.into()),
    };
    if identity(&stat) != (times.device, times.inode) {
        return Ok(());
    }
    utimensat(parent, name, &times.times, AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(())
}

fn is_gone(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(code) if code == Errno::NOENT.raw_os_error() || code == Errno::NOTDIR.raw_os_error()
    )
}
