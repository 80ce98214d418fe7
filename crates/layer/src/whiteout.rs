//! Whiteouts and opaque directories, from OCI form to overlayfs form.
//!
//! In a layer tar, `dir/.wh.name` deletes `dir/name` of the layers below and
//! `dir/.wh..wh..opq` hides everything the layers below have in `dir`
//! ([OCI layer.md](https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts)).
//! overlayfs spells the same as a character device 0/0 named `name` and as
//! the `trusted.overlay.opaque=y` extended attribute on `dir`
//! ([overlayfs.rst](https://docs.kernel.org/filesystems/overlayfs.html#whiteouts-and-opaque-directories)).
//! Both only ever apply to lower layers, so the opaque marker never deletes
//! what this layer wrote, wherever it comes in the tar (image-spec PR#1215).

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::{FileType, Mode, Stat, XattrFlags, fgetxattr, fsetxattr, makedev, mknodat};

use crate::entry::remove_all;
use crate::resolve::open_dir;

/// The opaque marker, matched whole: reading it as `.wh.` followed by
/// `.wh..opq` was go-containerregistry's bug (PR#2372).
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";

const WHITEOUT_PREFIX: &[u8] = b".wh.";

/// AUFS kept its own bookkeeping under `.wh..wh.` names (`.wh..wh.plnk`,
/// `.wh..wh.aufs`); old Docker images still carry them, and Docker skips them.
const AUFS_METADATA_PREFIX: &[u8] = b".wh..wh.";

const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// What a `.wh.` name means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Marker<'a> {
    /// `.wh..wh..opq`: the parent directory is opaque.
    Opaque,
    /// `.wh.<name>`: `<name>` is deleted.
    Whiteout(&'a [u8]),
    /// AUFS bookkeeping, skipped.
    AufsMetadata,
    /// A whiteout of nothing (`.wh.`), of `.` or of `..`.
    Invalid,
}

/// Reads the last component of an entry's path; `None` for ordinary names.
pub(crate) fn classify(name: &[u8]) -> Option<Marker<'_>> {
    if name == OPAQUE_MARKER {
        return Some(Marker::Opaque);
    }
    if name.starts_with(AUFS_METADATA_PREFIX) {
        return Some(Marker::AufsMetadata);
    }
    match name.strip_prefix(WHITEOUT_PREFIX)? {
        b"" | b"." | b".." => Some(Marker::Invalid),
        target => Some(Marker::Whiteout(target)),
    }
}

/// Reads the directories of an entry's path: an entry inside an AUFS
/// bookkeeping directory is skipped, and one inside another `.wh.` directory
/// is invalid, since overlay form cannot hold a `.wh.` file.
pub(crate) fn classify_parent(parent: &[u8]) -> Option<Marker<'static>> {
    let mut marker = None;
    for name in crate::path::components(parent) {
        if name.starts_with(AUFS_METADATA_PREFIX) {
            return Some(Marker::AufsMetadata);
        }
        if name.starts_with(WHITEOUT_PREFIX) {
            marker = Some(Marker::Invalid);
        }
    }
    marker
}

/// Whether a file is an overlayfs whiteout: a character device 0/0.
pub(crate) fn is_whiteout(stat: &Stat) -> bool {
    FileType::from_raw_mode(stat.st_mode) == FileType::CharacterDevice && stat.st_rdev == 0
}

/// Deletes `name` for the layers below: whatever this layer put there goes,
/// and a whiteout takes its place (with mode 0, as overlayfs makes them).
pub(crate) fn whiteout(parent: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    remove_all(parent, name)?;
    mknodat(
        parent,
        name,
        FileType::CharacterDevice,
        Mode::empty(),
        makedev(0, 0),
    )?;
    Ok(())
}

/// Marks `dir` (a readable descriptor) opaque.
pub(crate) fn mark_opaque(dir: BorrowedFd<'_>) -> io::Result<()> {
    fsetxattr(dir, OPAQUE_XATTR, b"y", XattrFlags::empty())?;
    Ok(())
}

/// Marks the directory `parent` opaque; `parent` may be an `O_PATH`
/// descriptor, which cannot carry extended attributes itself.
pub(crate) fn mark_opaque_at(parent: BorrowedFd<'_>) -> io::Result<()> {
    let dir = open_dir(parent, b".")?;
    mark_opaque(dir.as_fd())
}

/// Whether `dir` (a readable descriptor) is opaque. Without the privilege
/// to read `trusted.*` attributes it reads as not opaque, as overlayfs would.
pub(crate) fn is_opaque(dir: BorrowedFd<'_>) -> bool {
    let mut value = [0; 2];
    matches!(fgetxattr(dir, OPAQUE_XATTR, &mut value[..]), Ok(1) if value[0] == b'y')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_names() {
        let cases: [(&[u8], Option<Marker<'_>>); 10] = [
            (b"passwd", None),
            (b".wh", None),
            (b"x.wh.y", None),
            (b".wh.hostname", Some(Marker::Whiteout(b"hostname"))),
            (b".wh..hidden", Some(Marker::Whiteout(b".hidden"))),
            // A literal file named `.opq`, not the opaque marker.
            (b".wh..opq", Some(Marker::Whiteout(b".opq"))),
            (b".wh..wh..opq", Some(Marker::Opaque)),
            (b".wh..wh.plnk", Some(Marker::AufsMetadata)),
            (b".wh.", Some(Marker::Invalid)),
            (b".wh...", Some(Marker::Invalid)),
        ];
        for (name, expected) in cases {
            assert_eq!(
                classify(name),
                expected,
                "{}",
                String::from_utf8_lossy(name)
            );
        }
    }

    #[test]
    fn opaque_marker_is_matched_exactly() {
        assert_eq!(classify(b".wh..wh..opqx"), Some(Marker::AufsMetadata));
        assert_eq!(classify(b"x.wh..wh..opq"), None);
    }

    #[test]
    fn classifies_parents() {
        assert_eq!(classify_parent(b"etc/apt"), None);
        assert_eq!(classify_parent(b""), None);
        assert_eq!(classify_parent(b".wh..wh.plnk"), Some(Marker::AufsMetadata));
        assert_eq!(classify_parent(b"a/.wh.b/c"), Some(Marker::Invalid));
    }
}
