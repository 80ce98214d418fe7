//! Looking at the container's root filesystem from the host, without letting its
//! symlinks lead outside: every path is resolved with `openat2(RESOLVE_IN_ROOT)`, so
//! `..` and absolute links stop at the container's root, as they would inside it.

use std::fs::File;
use std::io::Read as _;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

use crate::error::{Result, RuntimeError};
use crate::user::ResolvedUser;

/// An open root directory.
pub(crate) struct RootDir {
    fd: OwnedFd,
    path: PathBuf,
}

impl RootDir {
    pub(crate) fn open(path: &Path) -> Result<RootDir> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| RuntimeError::io("opening", path)(e.into()))?;
        Ok(RootDir {
            fd,
            path: path.to_owned(),
        })
    }

    fn open_in(&self, path: &str, flags: OFlags) -> rustix::io::Result<OwnedFd> {
        let relative = path.trim_start_matches('/');
        let relative = if relative.is_empty() { "." } else { relative };
        container_layer::open_in_root(&self.fd, relative, flags | OFlags::CLOEXEC, Mode::empty())
    }

    /// The contents of a text file inside the root; `None` if it does not exist.
    pub(crate) fn read_to_string(&self, path: &str) -> Result<Option<String>> {
        let fd = match self.open_in(path, OFlags::RDONLY) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => return Ok(None),
            Err(e) => return Err(self.error("opening", path, e)),
        };
        let mut text = String::new();
        File::from(fd)
            .read_to_string(&mut text)
            .map_err(RuntimeError::io("reading", self.host_path(path)))?;
        Ok(Some(text))
    }

    /// Creates `path` and its missing parents (mode 0755, owned by root), as Docker
    /// creates a missing working directory.
    pub(crate) fn create_dir_all(&self, path: &str) -> Result<()> {
        let mut done = String::new();
        for component in Path::new(path).components() {
            let Component::Normal(name) = component else {
                continue;
            };
            let parent = self
                .open_in(&done, OFlags::PATH | OFlags::DIRECTORY)
                .map_err(|e| self.error("opening", &done, e))?;
            done = format!("{done}/{}", name.to_string_lossy());
            match rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(self.error("creating", &done, e)),
            }
            // A component that exists as a symlink is followed (inside the root); one
            // that is not a directory fails here.
            self.open_in(&done, OFlags::PATH | OFlags::DIRECTORY)
                .map_err(|e| self.error("opening", &done, e))?;
        }
        Ok(())
    }

    /// Opens the directory at `path` for reading; `None` if there is none.
    pub(crate) fn open_dir(&self, path: &str) -> Result<Option<OwnedFd>> {
        match self.open_in(path, OFlags::RDONLY | OFlags::DIRECTORY) {
            Ok(fd) => Ok(Some(fd)),
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => Ok(None),
            Err(e) => Err(self.error("opening", path, e)),
        }
    }

    /// Whether something is at `path` (following links inside the root).
    pub(crate) fn exists(&self, path: &str) -> bool {
        self.stat(path).is_ok()
    }

    /// Whether `path` is a directory (following links inside the root).
    pub(crate) fn is_dir(&self, path: &str) -> bool {
        self.stat(path)
            .is_ok_and(|s| FileType::from_raw_mode(s.st_mode) == FileType::Directory)
    }

    /// Creates an empty file at `path` (mode 0644, its parents as [`Self::create_dir_all`]
    /// does) unless something is there, for a bind mount of a file.
    pub(crate) fn create_file(&self, path: &str) -> Result<()> {
        let parent = Path::new(path)
            .parent()
            .map_or("/".into(), |p| p.to_string_lossy().into_owned());
        self.create_dir_all(&parent)?;
        let relative = path.trim_start_matches('/');
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        match container_layer::open_in_root(&self.fd, relative, flags, Mode::from_raw_mode(0o644)) {
            Ok(_) | Err(rustix::io::Errno::EXIST) => Ok(()),
            Err(e) => Err(self.error("creating", path, e)),
        }
    }

    /// What is at `path`, following links inside the root.
    fn stat(&self, path: &str) -> rustix::io::Result<rustix::fs::Stat> {
        let fd = self.open_in(path, OFlags::PATH)?;
        rustix::fs::fstat(&fd)
    }

    /// Checks that the process's `argv[0]` can be run, searching `path_env` when it has
    /// no slash, relative to `cwd` otherwise, as `execvp` will.
    pub(crate) fn check_command(
        &self,
        command: &str,
        path_env: &str,
        cwd: &str,
        user: &ResolvedUser,
    ) -> Result<()> {
        let candidates: Vec<String> = if command.contains('/') {
            vec![join(cwd, command)]
        } else {
            path_env
                .split(':')
                .map(|dir| {
                    join(
                        cwd,
                        &format!("{}/{command}", if dir.is_empty() { "." } else { dir }),
                    )
                })
                .collect()
        };
        let mut refusal = None;
        for candidate in candidates {
            match self.stat(&candidate) {
                Ok(stat) => match executable(&stat, user) {
                    Ok(()) => return Ok(()),
                    Err(reason) => refusal = refusal.or(Some(reason)),
                },
                Err(_) => continue,
            }
        }
        Err(match refusal {
            Some(reason) => RuntimeError::CommandNotExecutable {
                command: command.to_owned(),
                reason,
            },
            // A path is looked at, not searched for: say so, as runc does.
            None if command.contains('/') => RuntimeError::CommandPathNotFound {
                command: command.to_owned(),
            },
            None => RuntimeError::CommandNotFound {
                command: command.to_owned(),
            },
        })
    }

    /// Where `path` is as the host sees it, without resolving links (for messages).
    pub(crate) fn host_path(&self, path: &str) -> PathBuf {
        self.path.join(path.trim_start_matches('/'))
    }

    fn error(&self, action: &'static str, path: &str, errno: rustix::io::Errno) -> RuntimeError {
        RuntimeError::io(action, self.host_path(path))(errno.into())
    }
}

/// `path` if absolute, else `cwd/path`.
fn join(cwd: &str, path: &str) -> String {
    match path.starts_with('/') {
        true => path.to_owned(),
        false => format!("{}/{path}", cwd.trim_end_matches('/')),
    }
}

/// Whether `user` may execute the file, as the kernel decides: a regular file, with an
/// execute bit for root (which has CAP_DAC_OVERRIDE), or the owner, group or other bit
/// that applies otherwise.
fn executable(stat: &rustix::fs::Stat, user: &ResolvedUser) -> Result<(), &'static str> {
    let file_type = FileType::from_raw_mode(stat.st_mode);
    if file_type == FileType::Directory {
        return Err("is a directory");
    }
    if file_type != FileType::RegularFile {
        return Err("permission denied");
    }
    let mode = stat.st_mode;
    let allowed = if user.uid == 0 {
        mode & 0o111 != 0
    } else if stat.st_uid == user.uid {
        mode & 0o100 != 0
    } else if stat.st_gid == user.gid || user.additional_gids.contains(&stat.st_gid) {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    };
    allowed.then_some(()).ok_or("permission denied")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn root_user() -> ResolvedUser {
        ResolvedUser {
            uid: 0,
            gid: 0,
            additional_gids: vec![],
            home: "/root".into(),
        }
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("busybox"), "x").unwrap();
        std::fs::set_permissions(bin.join("busybox"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        symlink("busybox", bin.join("sh")).unwrap();
        std::fs::write(bin.join("data"), "x").unwrap();
        std::fs::set_permissions(bin.join("data"), std::fs::Permissions::from_mode(0o644)).unwrap();
        symlink("/etc/passwd", dir.path().join("escape")).unwrap();
        dir
    }

    #[test]
    fn commands_are_found_on_path_or_refused_with_docker_codes() {
        let dir = tree();
        let root = RootDir::open(dir.path()).unwrap();
        let check = |cmd: &str| root.check_command(cmd, "/usr/bin:/bin", "/", &root_user());
        assert!(check("sh").is_ok());
        assert!(check("/bin/sh").is_ok());
        assert_eq!(check("nosuchcmd").unwrap_err().exit_code(), 127);
        assert_eq!(check("/nosuch").unwrap_err().exit_code(), 127);
        assert_eq!(check("/bin").unwrap_err().exit_code(), 126);
        assert_eq!(check("data").unwrap_err().exit_code(), 126);
    }

    #[test]
    fn links_cannot_lead_out_of_the_root() {
        let dir = tree();
        let root = RootDir::open(dir.path()).unwrap();
        // `/escape` points at `/etc/passwd`, which is resolved inside the root.
        assert_eq!(root.read_to_string("/escape").unwrap(), None);
        root.create_dir_all("/work/dir").unwrap();
        assert!(dir.path().join("work/dir").is_dir());
    }
}
