//! Filling an empty volume from the image, as Docker does when it mounts one: the
//! files under the mount's destination in the container's root are copied in, with
//! their owners, modes, times, extended attributes, symlinks, hard links and special
//! files, and the volume's top directory takes the owner and mode of the image's. A
//! volume that holds anything is left alone (so an emptied one is filled again).
//!
//! The image's directory is opened inside the root ([`RootDir`]), and everything below
//! it relative to open directories, never following a link, so a link in the image
//! cannot make the copy read or write outside the root and the volume.
//! <https://docs.docker.com/engine/storage/volumes/#populate-a-volume-using-a-container>

use std::collections::HashMap;
use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{
    AtFlags, FileType, Gid, Mode, OFlags, Stat, Timespec, Timestamps, Uid, XattrFlags,
};
use rustix::io::Errno;

use crate::error::{Result, RuntimeError};
use crate::inroot::RootDir;

/// Copies the image's `destination` into the volume at `data_dir` if the volume is
/// empty and the image has a directory there. Returns whether it copied.
pub(crate) fn seed(root: &RootDir, destination: &str, data_dir: &Path) -> Result<bool> {
    let is_empty = std::fs::read_dir(data_dir)
        .map_err(RuntimeError::io("reading", data_dir))?
        .next()
        .is_none();
    if !is_empty {
        return Ok(false);
    }
    let Some(source) = root.open_dir(destination)? else {
        return Ok(false);
    };
    let target = open_dir_at(rustix::fs::CWD, data_dir).map_err(io_error("opening", data_dir))?;
    let mut copy = Copy {
        source_root: root.host_path(destination),
        links: HashMap::new(),
        target_fd: target,
    };
    // `tree` borrows the copy mutably, so it gets a descriptor of its own for the top.
    let target = copy
        .target_fd
        .try_clone()
        .map_err(RuntimeError::io("opening", data_dir))?;
    copy.tree(&source, &target, Path::new(""))?;
    let stat = rustix::fs::fstat(&source).map_err(io_error("reading", &copy.source_root))?;
    set_owner_and_mode(&target, &stat).map_err(io_error("copying ownership to", data_dir))?;
    tracing::debug!(destination, volume = %data_dir.display(), "volume seeded from the image");
    Ok(true)
}

/// One copy in progress.
struct Copy {
    /// The image's directory, as the host sees it (for messages).
    source_root: PathBuf,
    /// The volume's directory, open (hard links are made relative to it).
    target_fd: OwnedFd,
    /// Files with several links: (device, inode) → path in the volume of the first copy.
    links: HashMap<(u64, u64), PathBuf>,
}

impl Copy {
    /// Copies the entries of directory `source` into directory `target`; `relative` is
    /// where they are below the volume's top.
    fn tree(&mut self, source: &OwnedFd, target: &OwnedFd, relative: &Path) -> Result<()> {
        let mut entries =
            rustix::fs::Dir::read_from(source).map_err(self.error("reading", relative))?;
        while let Some(entry) = entries.read() {
            let entry = entry.map_err(self.error("reading", relative))?;
            let name = entry.file_name();
            if matches!(name.to_bytes(), b"." | b"..") {
                continue;
            }
            let path = relative.join(OsStr::from_bytes(name.to_bytes()));
            self.entry(source, target, name, &path)?;
        }
        Ok(())
    }

    fn entry(
        &mut self,
        source: &OwnedFd,
        target: &OwnedFd,
        name: &CStr,
        path: &Path,
    ) -> Result<()> {
        let stat = rustix::fs::statat(source, name, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(self.error("reading", path))?;
        let file_type = FileType::from_raw_mode(stat.st_mode);
        if file_type != FileType::Directory && stat.st_nlink > 1 {
            let key = (stat.st_dev, stat.st_ino);
            if let Some(first) = self.links.get(&key) {
                return rustix::fs::linkat(
                    &self.target_fd,
                    first.as_path(),
                    target,
                    name,
                    AtFlags::empty(),
                )
                .map_err(self.error("linking", path));
            }
            self.links.insert(key, path.to_owned());
        }
        let copied = match file_type {
            FileType::Directory => return self.directory(source, target, name, path, &stat),
            FileType::RegularFile => copy_file(source, target, name, &stat),
            FileType::Symlink => copy_symlink(source, target, name, &stat),
            FileType::Fifo | FileType::CharacterDevice | FileType::BlockDevice => {
                copy_special(target, name, file_type, &stat)
            }
            // A socket belongs to the process that made it; Docker skips them too.
            _ => return Ok(()),
        };
        copied.map_err(self.error("copying", path))
    }

    /// Makes the directory (private until its contents are in), copies what it holds,
    /// then gives it its attributes; its times last, since filling it changed them.
    fn directory(
        &mut self,
        source: &OwnedFd,
        target: &OwnedFd,
        name: &CStr,
        path: &Path,
        stat: &Stat,
    ) -> Result<()> {
        let made = rustix::fs::mkdirat(target, name, Mode::from_raw_mode(0o700))
            .and_then(|()| Ok((open_dir_at(source, name)?, open_dir_at(target, name)?)));
        let (from, to) = made.map_err(self.error("copying", path))?;
        self.tree(&from, &to, path)?;
        copy_xattrs(&from, &to)
            .and_then(|()| set_owner_and_mode(&to, stat))
            .and_then(|()| rustix::fs::futimens(&to, &timestamps(stat)))
            .map_err(self.error("copying", path))
    }

    fn error(&self, action: &'static str, relative: &Path) -> impl FnOnce(Errno) -> RuntimeError {
        let path = match relative.as_os_str().is_empty() {
            true => self.source_root.clone(),
            false => self.source_root.join(relative),
        };
        io_error(action, path)
    }
}

fn copy_file(
    source: &OwnedFd,
    target: &OwnedFd,
    name: &CStr,
    stat: &Stat,
) -> std::result::Result<(), Errno> {
    let from = rustix::fs::openat(
        source,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let to = rustix::fs::openat(target, name, flags, Mode::from_raw_mode(0o600))?;
    let (mut reader, mut writer) = (File::from(from), File::from(to));
    std::io::copy(&mut reader, &mut writer)
        .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))?;
    copy_xattrs(&reader, &writer)?;
    // Ownership first: chown clears the set-user-ID and set-group-ID bits.
    set_owner_and_mode(&writer, stat)?;
    rustix::fs::futimens(&writer, &timestamps(stat))
}

// TODO: extended attributes of symlinks are not copied (only files' and directories')
fn copy_symlink(
    source: &OwnedFd,
    target: &OwnedFd,
    name: &CStr,
    stat: &Stat,
) -> std::result::Result<(), Errno> {
    let link = rustix::fs::readlinkat(source, name, Vec::new())?;
    rustix::fs::symlinkat(link.as_c_str(), target, name)?;
    let (uid, gid) = owner(stat);
    rustix::fs::chownat(
        target,
        name,
        Some(uid),
        Some(gid),
        AtFlags::SYMLINK_NOFOLLOW,
    )?;
    rustix::fs::utimensat(target, name, &timestamps(stat), AtFlags::SYMLINK_NOFOLLOW)
}

fn copy_special(
    target: &OwnedFd,
    name: &CStr,
    file_type: FileType,
    stat: &Stat,
) -> std::result::Result<(), Errno> {
    rustix::fs::mknodat(target, name, file_type, permissions(stat), stat.st_rdev)?;
    let (uid, gid) = owner(stat);
    rustix::fs::chownat(
        target,
        name,
        Some(uid),
        Some(gid),
        AtFlags::SYMLINK_NOFOLLOW,
    )?;
    rustix::fs::chmodat(target, name, permissions(stat), AtFlags::empty())?;
    rustix::fs::utimensat(target, name, &timestamps(stat), AtFlags::SYMLINK_NOFOLLOW)
}

/// Copies every extended attribute; a filesystem without them is not an error.
fn copy_xattrs(from: &impl AsFd, to: &impl AsFd) -> std::result::Result<(), Errno> {
    let mut names = vec![0u8; 64 * 1024];
    let length = match rustix::fs::flistxattr(from, &mut names[..]) {
        Ok(length) => length,
        Err(Errno::NOTSUP) => return Ok(()),
        Err(error) => return Err(error),
    };
    let mut value = vec![0u8; 64 * 1024];
    for name in names[..length].split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = OsStr::from_bytes(name);
        let size = rustix::fs::fgetxattr(from, name, &mut value[..])?;
        match rustix::fs::fsetxattr(to, name, &value[..size], XattrFlags::empty()) {
            Ok(()) | Err(Errno::NOTSUP) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

fn set_owner_and_mode(fd: &impl AsFd, stat: &Stat) -> std::result::Result<(), Errno> {
    let (uid, gid) = owner(stat);
    rustix::fs::fchown(fd, Some(uid), Some(gid))?;
    rustix::fs::fchmod(fd, permissions(stat))
}

fn owner(stat: &Stat) -> (Uid, Gid) {
    (Uid::from_raw(stat.st_uid), Gid::from_raw(stat.st_gid))
}

fn permissions(stat: &Stat) -> Mode {
    Mode::from_raw_mode(stat.st_mode & 0o7777)
}

fn timestamps(stat: &Stat) -> Timestamps {
    Timestamps {
        last_access: Timespec {
            tv_sec: stat.st_atime,
            tv_nsec: stat.st_atime_nsec as _,
        },
        last_modification: Timespec {
            tv_sec: stat.st_mtime,
            tv_nsec: stat.st_mtime_nsec as _,
        },
    }
}

fn open_dir_at<P: rustix::path::Arg>(
    dir: impl AsFd,
    path: P,
) -> std::result::Result<OwnedFd, Errno> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(dir, path, flags, Mode::empty())
}

fn io_error(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(Errno) -> RuntimeError {
    let path = path.into();
    move |errno| RuntimeError::io(action, path)(errno.into())
}
