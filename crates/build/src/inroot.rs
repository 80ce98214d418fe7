//! Writing files into an image's root filesystem without leaving it.
//!
//! A destination such as `/app/bin` may pass through the image's symlinks
//! (`/app -> /opt/app`, or an absolute `/bin -> /usr/bin`); they are followed
//! as the image's own processes would follow them, with `..` and absolute
//! targets ending at the image's root (`openat2(RESOLVE_IN_ROOT)`), never on the
//! host. The last component is never followed: a symlink there is replaced.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{
    AtFlags, Gid, Mode, OFlags, Timestamps, Uid, chownat, fchmod, fchown, futimens, mkdirat,
    openat, symlinkat, unlinkat,
};
use rustix::io::Errno;

use crate::error::{BuildError, Result};

/// Owner and mode given to what a step creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owner {
    /// User ID.
    pub uid: u32,
    /// Group ID.
    pub gid: u32,
}

/// An image's root filesystem, mounted or a plain directory, opened for writing.
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
}

fn failed(path: &str) -> impl Fn(Errno) -> BuildError + '_ {
    move |errno| BuildError::Write {
        path: path.to_owned(),
        source: errno.into(),
    }
}

impl Root {
    /// Opens the directory `path` as the root.
    pub fn open(path: &Path) -> Result<Root> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| BuildError::Write {
            path: path.display().to_string(),
            source: e.into(),
        })?;
        Ok(Root {
            fd,
            path: path.to_owned(),
        })
    }

    /// The directory on the host.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn resolve(&self, path: &str, flags: OFlags) -> std::result::Result<OwnedFd, Errno> {
        container_layer::open_in_root(&self.fd, path, flags | OFlags::CLOEXEC, Mode::empty())
    }

    /// What is at `path` (following symlinks inside the root), if anything.
    pub fn stat(&self, path: &str) -> Option<rustix::fs::Stat> {
        let fd = self.resolve(path, OFlags::PATH).ok()?;
        rustix::fs::fstat(&fd).ok()
    }

    /// Opens the directory `path` for reading, following symlinks inside the root.
    pub fn open_dir(&self, path: &str) -> Option<OwnedFd> {
        self.resolve(path, OFlags::RDONLY | OFlags::DIRECTORY).ok()
    }

    /// Whether `path` is a directory, following symlinks inside the root.
    pub fn is_dir(&self, path: &str) -> bool {
        self.resolve(path, OFlags::PATH | OFlags::DIRECTORY).is_ok()
    }

    /// Reads a small file of the image, such as `/etc/passwd`.
    pub fn read_to_string(&self, path: &str) -> Option<String> {
        let fd = self.resolve(path, OFlags::RDONLY).ok()?;
        io::read_to_string(File::from(fd)).ok()
    }

    /// Opens the directory `path`, creating it and its missing parents; the ones
    /// created get `owner` and mode 0755.
    pub fn create_dir_all(&self, path: &str, owner: Owner) -> Result<OwnedFd> {
        let clean = clean(path);
        match self.resolve(&clean, OFlags::PATH | OFlags::DIRECTORY) {
            Ok(fd) => return Ok(fd),
            Err(Errno::NOENT) => {}
            Err(e) => return Err(failed(&clean)(e)),
        }
        let (parent, name) = split(&clean);
        let parent_fd = self.create_dir_all(parent, owner)?;
        let parent_fd = self.reopen_dir(&parent_fd, parent)?;
        match mkdirat(&parent_fd, name, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(failed(&clean)(e)),
        }
        chownat(
            &parent_fd,
            name,
            Some(Uid::from_raw(owner.uid)),
            Some(Gid::from_raw(owner.gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(failed(&clean))?;
        self.resolve(&clean, OFlags::PATH | OFlags::DIRECTORY)
            .map_err(failed(&clean))
    }

    /// An `O_PATH` descriptor cannot create entries: reopen it for that.
    fn reopen_dir(&self, _fd: &OwnedFd, path: &str) -> Result<OwnedFd> {
        self.resolve(path, OFlags::RDONLY | OFlags::DIRECTORY)
            .map_err(failed(path))
    }

    /// The directory that holds `path` (created when missing) and the last name.
    fn parent_of(&self, path: &str, owner: Owner) -> Result<(OwnedFd, String)> {
        let clean = clean(path);
        let (parent, name) = split(&clean);
        let name = name.to_owned();
        self.create_dir_all(parent, owner)?;
        let fd = self
            .resolve(parent, OFlags::RDONLY | OFlags::DIRECTORY)
            .map_err(failed(parent))?;
        Ok((fd, name))
    }

    /// Makes `path` a directory with `mode` and `owner`, keeping an existing one as
    /// it is.
    pub fn make_dir(&self, path: &str, mode: u32, owner: Owner) -> Result<()> {
        let (parent, name) = self.parent_of(path, owner)?;
        if name.is_empty() {
            return Ok(());
        }
        match mkdirat(&parent, name.as_str(), Mode::from_raw_mode(mode & 0o7777)) {
            Ok(()) => {}
            Err(Errno::EXIST) if self.is_dir(path) => return Ok(()),
            Err(Errno::EXIST) => {
                unlinkat(&parent, name.as_str(), AtFlags::empty()).map_err(failed(path))?;
                mkdirat(&parent, name.as_str(), Mode::from_raw_mode(mode & 0o7777))
                    .map_err(failed(path))?;
            }
            Err(e) => return Err(failed(path)(e)),
        }
        let dir = openat(
            &parent,
            name.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(failed(path))?;
        set_owner_and_mode(&dir, owner, mode).map_err(failed(path))
    }

    /// Writes a regular file at `path` from `data`, replacing what was there (a
    /// directory there is an error).
    pub fn write_file(
        &self,
        path: &str,
        data: &mut dyn io::Read,
        mode: u32,
        owner: Owner,
        mtime: Option<rustix::fs::Timespec>,
    ) -> Result<()> {
        let (parent, name) = self.parent_of(path, owner)?;
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match openat(&parent, name.as_str(), flags, Mode::from_raw_mode(0o600)) {
            Err(Errno::LOOP) | Err(Errno::ISDIR) | Err(Errno::NXIO) | Err(Errno::TXTBSY) => {
                unlinkat(&parent, name.as_str(), AtFlags::empty()).map_err(failed(path))?;
                openat(&parent, name.as_str(), flags, Mode::from_raw_mode(0o600))
            }
            other => other,
        }
        .map_err(failed(path))?;
        let mut file = File::from(fd);
        io::copy(data, &mut file).map_err(|source| BuildError::Write {
            path: path.to_owned(),
            source,
        })?;
        set_owner_and_mode(&file, owner, mode).map_err(failed(path))?;
        if let Some(mtime) = mtime {
            let times = Timestamps {
                last_access: mtime,
                last_modification: mtime,
            };
            futimens(&file, &times).map_err(failed(path))?;
        }
        Ok(())
    }

    /// Makes `path` a FIFO or device node like the one `like` describes,
    /// replacing a file there.
    pub fn make_node(
        &self,
        path: &str,
        like: &std::fs::Metadata,
        mode: u32,
        owner: Owner,
    ) -> Result<()> {
        use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
        let (parent, name) = self.parent_of(path, owner)?;
        let kind = match like.file_type() {
            t if t.is_fifo() => rustix::fs::FileType::Fifo,
            t if t.is_char_device() => rustix::fs::FileType::CharacterDevice,
            _ => rustix::fs::FileType::BlockDevice,
        };
        let make = || {
            rustix::fs::mknodat(
                &parent,
                name.as_str(),
                kind,
                Mode::from_raw_mode(mode & 0o7777),
                like.rdev(),
            )
        };
        match make() {
            Err(Errno::EXIST) => {
                unlinkat(&parent, name.as_str(), AtFlags::empty()).map_err(failed(path))?;
                make().map_err(failed(path))?;
            }
            other => other.map_err(failed(path))?,
        }
        chownat(
            &parent,
            name.as_str(),
            Some(Uid::from_raw(owner.uid)),
            Some(Gid::from_raw(owner.gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(failed(path))?;
        rustix::fs::chmodat(
            &parent,
            name.as_str(),
            Mode::from_raw_mode(mode & 0o7777),
            AtFlags::empty(),
        )
        .map_err(failed(path))
    }

    /// Makes `path` a symlink to `target`, replacing a file there.
    pub fn symlink(&self, path: &str, target: &Path, owner: Owner) -> Result<()> {
        let (parent, name) = self.parent_of(path, owner)?;
        match symlinkat(target, &parent, name.as_str()) {
            Err(Errno::EXIST) => {
                unlinkat(&parent, name.as_str(), AtFlags::empty()).map_err(failed(path))?;
                symlinkat(target, &parent, name.as_str()).map_err(failed(path))?;
            }
            other => other.map_err(failed(path))?,
        }
        chownat(
            &parent,
            name.as_str(),
            Some(Uid::from_raw(owner.uid)),
            Some(Gid::from_raw(owner.gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(failed(path))
    }
}

fn set_owner_and_mode(fd: &impl AsFd, owner: Owner, mode: u32) -> std::result::Result<(), Errno> {
    // chown clears setuid and setgid bits: the mode goes after it.
    fchown(
        fd,
        Some(Uid::from_raw(owner.uid)),
        Some(Gid::from_raw(owner.gid)),
    )?;
    fchmod(fd, Mode::from_raw_mode(mode & 0o7777))
}

/// `path` made absolute and cleaned lexically (`..` stops at `/`).
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `/a/b/c` → (`/a/b`, `c`); `/` → (`/`, ``).
fn split(clean: &str) -> (&str, &str) {
    match clean.rfind('/') {
        Some(0) => ("/", &clean[1..]),
        Some(i) => (&clean[..i], &clean[i + 1..]),
        None => ("/", clean),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_inside_the_root() {
        assert_eq!(clean("a/../../b/./c/"), "/b/c");
        assert_eq!(clean("/"), "/");
        assert_eq!(split("/a/b"), ("/a", "b"));
        assert_eq!(split("/a"), ("/", "a"));
    }

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        let root_dir = dir.path().join("root");
        std::fs::create_dir_all(root_dir.join("real")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink("/real", root_dir.join("link")).unwrap();
        std::os::unix::fs::symlink(&outside, root_dir.join("escape")).unwrap();

        let root = Root::open(&root_dir).unwrap();
        let owner = Owner::default();
        root.write_file("/link/a", &mut "x".as_bytes(), 0o644, owner, None)
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(root_dir.join("real/a")).unwrap(),
            "x"
        );
        // The link leads to a path missing inside the root: an error, never the host.
        let _ = root.write_file("/escape/b", &mut "y".as_bytes(), 0o644, owner, None);
        assert!(!outside.join("b").exists());
    }
}
