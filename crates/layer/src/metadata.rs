//! Owners, modes, times and extended attributes, from tar headers or from
//! the layers below.
//!
//! The order of the calls matters: `chown` clears the setuid and setgid bits
//! and drops `security.capability` (see chown(2) and capabilities(7)), so the
//! owner is set first, then the mode, then the extended attributes, and the
//! times last, since every other change can touch them.

use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use rustix::fs::{
    AtFlags, Gid, Mode, Stat, Timespec, Timestamps, Uid, XattrFlags, chmodat, chownat, fchmod,
    fchown, fstat, futimens, utimensat,
};
use rustix::io::Errno;

use crate::error::{LayerError, lossy};

/// The prefix of extended attributes in PAX headers, as GNU tar and Docker
/// write them.
const PAX_XATTR: &[u8] = b"SCHILY.xattr.";

/// The prefix of the PAX records of GNU's sparse file formats 0.1 and 1.0.
const PAX_SPARSE: &[u8] = b"GNU.sparse.";

/// Extended attributes that only overlayfs (and this crate) may write.
pub(crate) const OVERLAY_XATTR: &[u8] = b"trusted.overlay.";

/// Owner, permission bits, times and extended attributes of one file.
pub(crate) struct Metadata {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Permission bits, including setuid, setgid and sticky.
    pub(crate) mode: u32,
    pub(crate) times: Timestamps,
    pub(crate) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Which part of the metadata could not be set, and why.
pub(crate) struct Failure {
    pub(crate) what: &'static str,
    pub(crate) source: io::Error,
}

impl Failure {
    pub(crate) fn into_error(self, entry: &[u8]) -> LayerError {
        LayerError::SetMetadata {
            entry: lossy(entry),
            what: self.what,
            source: self.source,
        }
    }
}

fn failed(what: &'static str) -> impl FnOnce(Errno) -> Failure {
    move |errno| Failure {
        what,
        source: errno.into(),
    }
}

impl Metadata {
    /// Reads the metadata of an entry: its header, overridden by the PAX
    /// records `uid`, `gid`, `mtime` and `atime` (which carry nanoseconds),
    /// and extended attributes from `SCHILY.xattr.*` records.
    pub(crate) fn from_entry<R: Read>(
        entry: &mut tar::Entry<'_, R>,
        path: &[u8],
    ) -> Result<Metadata, LayerError> {
        let invalid = |source| LayerError::ReadHeader {
            entry: lossy(path),
            source,
        };
        let header = entry.header();
        let fields = header.as_old();
        let mtime = seconds(numeric(header.mtime(), &fields.mtime).map_err(invalid)?);
        let mut metadata = Metadata {
            uid: id(numeric(header.uid(), &fields.uid).map_err(invalid)?).map_err(invalid)?,
            gid: id(numeric(header.gid(), &fields.gid).map_err(invalid)?).map_err(invalid)?,
            mode: numeric(header.mode().map(u64::from), &fields.mode).map_err(invalid)? as u32
                & 0o7777,
            times: Timestamps {
                last_access: mtime,
                last_modification: mtime,
            },
            xattrs: Vec::new(),
        };

        let Some(extensions) = entry.pax_extensions().map_err(invalid)? else {
            return Ok(metadata);
        };
        let mut atime = None;
        for extension in extensions {
            let extension = extension.map_err(invalid)?;
            let (key, value) = (extension.key_bytes(), extension.value_bytes());
            match key {
                b"uid" => metadata.uid = id(decimal(value).map_err(invalid)?).map_err(invalid)?,
                b"gid" => metadata.gid = id(decimal(value).map_err(invalid)?).map_err(invalid)?,
                b"mtime" => metadata.times.last_modification = pax_time(value).map_err(invalid)?,
                b"atime" => atime = Some(pax_time(value).map_err(invalid)?),
                _ => metadata.add_pax_xattr(key, value, path)?,
            }
        }
        metadata.times.last_access = atime.unwrap_or(metadata.times.last_modification);
        Ok(metadata)
    }

    fn add_pax_xattr(&mut self, key: &[u8], value: &[u8], path: &[u8]) -> Result<(), LayerError> {
        // The tar crate reads GNU's old sparse headers but not the PAX forms,
        // whose data would be written as it is stored, map and all.
        if key.starts_with(PAX_SPARSE) {
            return Err(LayerError::Unsupported {
                entry: lossy(path),
                what: "a sparse file in PAX format".to_owned(),
            });
        }
        let Some(name) = key.strip_prefix(PAX_XATTR) else {
            return Ok(());
        };
        if name.starts_with(OVERLAY_XATTR) {
            return Err(LayerError::ForbiddenXattr {
                entry: lossy(path),
                name: String::from_utf8_lossy(name).into_owned(),
            });
        }
        self.xattrs.push((name.to_vec(), value.to_vec()));
        Ok(())
    }

    /// The metadata of a file in a lower layer, without extended attributes.
    pub(crate) fn from_stat(stat: &Stat) -> Metadata {
        Metadata {
            uid: stat.st_uid,
            gid: stat.st_gid,
            mode: stat.st_mode & 0o7777,
            times: Timestamps {
                last_access: timespec(stat.st_atime, stat.st_atime_nsec),
                last_modification: timespec(stat.st_mtime, stat.st_mtime_nsec),
            },
            xattrs: Vec::new(),
        }
    }

    /// The metadata of an open file or directory of a lower layer, including
    /// its extended attributes but not overlayfs' own: a copied-up directory
    /// must not inherit the opaque mark of the one it comes from.
    pub(crate) fn from_fd(fd: BorrowedFd<'_>) -> io::Result<Metadata> {
        let mut metadata = Metadata::from_stat(&fstat(fd)?);
        metadata.xattrs = read_xattrs(fd)?;
        Ok(metadata)
    }

    /// The metadata of a directory that is implied by an entry's path but
    /// exists in no layer, as Docker creates them.
    pub(crate) fn implied_directory() -> Metadata {
        let now = Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_NOW,
        };
        Metadata {
            uid: 0,
            gid: 0,
            mode: 0o755,
            times: Timestamps {
                last_access: now,
                last_modification: now,
            },
            xattrs: Vec::new(),
        }
    }

    /// Sets everything on an open regular file or directory; the times only
    /// when `with_times`, since a directory's are set after its children.
    ///
    /// The owner and the mode are only changed when they differ: a new file
    /// usually has both already (root's, or a setgid directory's group, and
    /// the mode it was created with, less the umask or a default ACL).
    pub(crate) fn apply_to_fd(&self, fd: BorrowedFd<'_>, with_times: bool) -> Result<(), Failure> {
        let stat = fstat(fd).map_err(failed("owner"))?;
        if (stat.st_uid, stat.st_gid) != (self.uid, self.gid) {
            let (uid, gid) = self.owner();
            fchown(fd, Some(uid), Some(gid)).map_err(failed("owner"))?;
        }
        // chown(2) may clear the setuid and setgid bits, so a mode with
        // special bits is always set again after it.
        let is_special = self.mode & 0o7000 != 0;
        if is_special || stat.st_mode & 0o7777 != self.mode {
            fchmod(fd, Mode::from_raw_mode(self.mode)).map_err(failed("mode"))?;
        }

        for (name, value) in &self.xattrs {
            let result = rustix::fs::fsetxattr(fd, name.as_slice(), value, XattrFlags::empty());
            tolerate_xattr(result, name)?;
        }

        if with_times {
            futimens(fd, &self.times).map_err(failed("times"))?;
        }
        Ok(())
    }

    /// Sets everything on a symlink, device or fifo, by name in `parent`.
    pub(crate) fn apply_at(
        &self,
        parent: BorrowedFd<'_>,
        name: &[u8],
        is_symlink: bool,
    ) -> Result<(), Failure> {
        let (uid, gid) = self.owner();
        chownat(
            parent,
            name,
            Some(uid),
            Some(gid),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(failed("owner"))?;
        // Linux ignores a symlink's mode, and chmod would follow the link.
        if !is_symlink {
            let mode = Mode::from_raw_mode(self.mode);
            chmodat(parent, name, mode, AtFlags::empty()).map_err(failed("mode"))?;
        }

        if !self.xattrs.is_empty() {
            // There is no lsetxattrat(2): reach the name through the parent's
            // descriptor, which pins the directory, and do not follow `name`.
            let path = fd_path(parent, name);
            for (xattr, value) in &self.xattrs {
                let result =
                    rustix::fs::lsetxattr(&path, xattr.as_slice(), value, XattrFlags::empty());
                tolerate_xattr(result, xattr)?;
            }
        }

        utimensat(parent, name, &self.times, AtFlags::SYMLINK_NOFOLLOW).map_err(failed("times"))
    }

    fn owner(&self) -> (Uid, Gid) {
        (Uid::from_raw(self.uid), Gid::from_raw(self.gid))
    }
}

/// Extended attributes the host cannot store (a filesystem without them, a
/// `security.*` name an LSM refuses) are a limit of the host, not of the
/// image: skip them, as Docker does.
fn tolerate_xattr(result: rustix::io::Result<()>, name: &[u8]) -> Result<(), Failure> {
    match result {
        Err(Errno::NOTSUP | Errno::PERM) => {
            let name = String::from_utf8_lossy(name);
            tracing::debug!(%name, "extended attribute not supported here, skipped");
            Ok(())
        }
        other => other.map_err(failed("extended attributes")),
    }
}

/// `/proc/self/fd/<parent>/<name>`.
fn fd_path(parent: BorrowedFd<'_>, name: &[u8]) -> Vec<u8> {
    let mut path = format!("/proc/self/fd/{}/", parent.as_raw_fd()).into_bytes();
    path.extend_from_slice(name);
    path
}

/// Reads the extended attributes of an open file, leaving out overlayfs' own.
fn read_xattrs(fd: BorrowedFd<'_>) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut names = vec![0; rustix::fs::flistxattr_query(fd)?];
    let length = rustix::fs::flistxattr(fd, &mut names[..])?;
    names.truncate(length);

    let mut xattrs = Vec::new();
    for name in names.split(|&byte| byte == 0) {
        if name.is_empty() || name.starts_with(OVERLAY_XATTR) {
            continue;
        }
        let mut value = vec![0; rustix::fs::fgetxattr_query(fd, name)?];
        let length = rustix::fs::fgetxattr(fd, name, &mut value[..])?;
        value.truncate(length);
        xattrs.push((name.to_vec(), value));
    }
    Ok(xattrs)
}

/// A directory whose times are set once the whole layer is written, since
/// creating its children changes them. The device and inode make sure the
/// path still names the same directory then.
pub(crate) struct DirTimes {
    pub(crate) path: Vec<u8>,
    pub(crate) device: u64,
    pub(crate) inode: u64,
    pub(crate) times: Timestamps,
}

impl DirTimes {
    pub(crate) fn new(fd: impl AsFd, path: &[u8], times: &Timestamps) -> io::Result<DirTimes> {
        let (device, inode) = identity(&fstat(fd)?);
        Ok(DirTimes {
            path: path.to_vec(),
            device,
            inode,
            times: times.clone(),
        })
    }
}

/// The device and inode numbers of a file.
pub(crate) fn identity(stat: &Stat) -> (u64, u64) {
    (widen(stat.st_dev), widen(stat.st_ino))
}

fn widen(value: impl TryInto<u64>) -> u64 {
    value.try_into().unwrap_or(u64::MAX)
}

fn timespec(seconds: impl TryInto<i64>, nanoseconds: impl TryInto<i64>) -> Timespec {
    Timespec {
        tv_sec: seconds.try_into().unwrap_or(0),
        tv_nsec: nanoseconds.try_into().unwrap_or(0),
    }
}

fn seconds(value: u64) -> Timespec {
    timespec(value.min(i64::MAX as u64), 0)
}

/// A uid or gid: `-1` means "unchanged" to chown(2), so it is refused.
fn id(value: u64) -> io::Result<u32> {
    match u32::try_from(value) {
        Ok(id) if id != u32::MAX => Ok(id),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("invalid id {value}"),
        )),
    }
}

/// A numeric header field; an empty one reads as 0, as Go's archive/tar
/// (which wrote many layers) reads and writes them.
fn numeric(parsed: io::Result<u64>, field: &[u8]) -> io::Result<u64> {
    match parsed {
        Err(_) if field.iter().all(|&byte| byte == 0 || byte == b' ') => Ok(0),
        other => other,
    }
}

fn decimal(value: &[u8]) -> io::Result<u64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| invalid_pax("number", value))
}

/// Parses a PAX time, `<seconds>[.<fraction>]`, possibly negative.
fn pax_time(value: &[u8]) -> io::Result<Timespec> {
    let (negative, digits) = match value.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (whole, fraction) = match digits.iter().position(|&byte| byte == b'.') {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, &b""[..]),
    };
    if whole.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
        return Err(invalid_pax("time", value));
    }
    let seconds = i64::try_from(decimal(whole)?).map_err(|_| invalid_pax("time", value))?;
    let nanoseconds = fraction
        .iter()
        .chain(std::iter::repeat(&b'0'))
        .take(9)
        .fold(0_i64, |total, digit| total * 10 + i64::from(digit - b'0'));

    Ok(match (negative, nanoseconds) {
        (false, _) => timespec(seconds, nanoseconds),
        (true, 0) => timespec(-seconds, 0),
        (true, _) => timespec(-seconds - 1, 1_000_000_000 - nanoseconds),
    })
}

fn invalid_pax(what: &str, value: &[u8]) -> io::Error {
    let value = String::from_utf8_lossy(value);
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("invalid pax {what} {value:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(value: &str) -> (i64, i64) {
        let parsed = pax_time(value.as_bytes()).unwrap();
        (parsed.tv_sec, parsed.tv_nsec)
    }

    #[test]
    fn parses_pax_times() {
        assert_eq!(time("1700000000"), (1_700_000_000, 0));
        assert_eq!(time("1700000000.5"), (1_700_000_000, 500_000_000));
        assert_eq!(time("1700000000.123456789"), (1_700_000_000, 123_456_789));
        assert_eq!(time("1700000000.1234567891"), (1_700_000_000, 123_456_789));
        assert_eq!(time("-1.25"), (-2, 750_000_000));
        assert_eq!(time("-3"), (-3, 0));
        for invalid in ["", ".5", "1.x", "abc", "1e5", "-"] {
            assert!(pax_time(invalid.as_bytes()).is_err(), "{invalid:?}");
        }
    }

    #[test]
    fn empty_numeric_fields_read_as_zero() {
        let unparsable = || Err(io::Error::other("not a number"));
        assert_eq!(numeric(unparsable(), b"\0\0\0\0").unwrap(), 0);
        assert_eq!(numeric(unparsable(), b"   \0").unwrap(), 0);
        assert!(numeric(unparsable(), b"12x\0").is_err());
        assert_eq!(numeric(Ok(7), b"0000007\0").unwrap(), 7);
    }

    #[test]
    fn refuses_unusable_ids() {
        assert_eq!(id(1000).unwrap(), 1000);
        assert!(id(u64::from(u32::MAX)).is_err());
        assert!(id(1 << 40).is_err());
    }
}
