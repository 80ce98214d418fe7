//! The container's root filesystem: an overlay of the image's unpacked layers.
//!
//! `lowerdir` lists the layers top-most first. The options of a classic `mount(2)`
//! must fit in one page, which images with many layers (or long store paths) exceed;
//! the new mount API takes lower layers one at a time (`lowerdir+`, Linux 6.8), so it
//! is used when the option string would not fit.
//! <https://docs.kernel.org/filesystems/overlayfs.html>

use std::path::{Path, PathBuf};

use rustix::fs::CWD;
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountFlags, MoveMountFlags, UnmountFlags,
};

use crate::error::{Result, RuntimeError};

/// The most bytes of options `mount(2)` copies (one page, with its terminating NUL).
const MOUNT_DATA_MAX: usize = 4095;

/// The directories of an overlay mount.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// Read-only layers, top-most first.
    pub lowers: Vec<PathBuf>,
    /// The writable layer.
    pub upper: PathBuf,
    /// The overlay's scratch directory, on the same filesystem as `upper`.
    pub work: PathBuf,
}

impl Overlay {
    /// Mounts the overlay on `target`.
    pub fn mount(&self, target: &Path) -> Result<()> {
        let options = self.options();
        let result = if options.len() <= MOUNT_DATA_MAX {
            tracing::debug!(target = %target.display(), layers = self.lowers.len(), "mounting overlay");
            let data = std::ffi::CString::new(options).expect("paths hold no NUL");
            rustix::mount::mount(
                "overlay",
                target,
                "overlay",
                MountFlags::empty(),
                data.as_c_str(),
            )
        } else {
            tracing::debug!(target = %target.display(), layers = self.lowers.len(), "mounting overlay layer by layer");
            self.mount_by_layer(target)
        };
        result.map_err(|e| RuntimeError::Mount {
            action: "mounting the root filesystem on",
            target: target.to_owned(),
            source: e.into(),
        })
    }

    /// `lowerdir=…,upperdir=…,workdir=…,index=off`. The index is off, as Docker has it,
    /// since lower layers are shared by many containers.
    pub fn options(&self) -> String {
        let lowers: Vec<String> = self.lowers.iter().map(|l| escape(l)).collect();
        format!(
            "lowerdir={},upperdir={},workdir={},index=off",
            lowers.join(":"),
            escape(&self.upper),
            escape(&self.work)
        )
    }

    fn mount_by_layer(&self, target: &Path) -> rustix::io::Result<()> {
        let fs = rustix::mount::fsopen("overlay", FsOpenFlags::FSOPEN_CLOEXEC)?;
        rustix::mount::fsconfig_set_string(&fs, "source", "overlay")?;
        for lower in &self.lowers {
            rustix::mount::fsconfig_set_string(&fs, "lowerdir+", lower.as_path())?;
        }
        rustix::mount::fsconfig_set_string(&fs, "upperdir", self.upper.as_path())?;
        rustix::mount::fsconfig_set_string(&fs, "workdir", self.work.as_path())?;
        rustix::mount::fsconfig_set_string(&fs, "index", "off")?;
        rustix::mount::fsconfig_create(&fs)?;
        let mount =
            rustix::mount::fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, MountAttrFlags::empty())?;
        rustix::mount::move_mount(
            &mount,
            "",
            CWD,
            target,
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )
    }
}

/// Unmounts `target`; nothing mounted there is fine. A busy mount is detached, so it
/// goes once its last user does.
pub fn unmount(target: &Path) -> Result<()> {
    let result = match rustix::mount::unmount(target, UnmountFlags::empty()) {
        Err(rustix::io::Errno::BUSY) => rustix::mount::unmount(target, UnmountFlags::DETACH),
        other => other,
    };
    match result {
        Ok(()) => {
            tracing::debug!(target = %target.display(), "unmounted");
            Ok(())
        }
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOENT) => Ok(()),
        Err(e) => Err(RuntimeError::Mount {
            action: "unmounting",
            target: target.to_owned(),
            source: e.into(),
        }),
    }
}

/// Whether something is mounted exactly at `target` (per /proc/self/mountinfo).
pub fn is_mounted(target: &Path) -> bool {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let wanted = target.to_string_lossy();
    mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .any(|point| unescape_mountinfo(point) == wanted)
}

/// Overlay options separate with `,` and `:`; a backslash escapes them.
fn escape(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, ',' | ':' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Mountinfo escapes space, tab, newline and backslash as octal (`\040`).
fn unescape_mountinfo(field: &str) -> String {
    let mut out = String::new();
    let mut rest = field;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        match rest
            .get(at + 1..at + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok())
        {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &rest[at + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_list_lowers_in_order_and_escape_separators() {
        let overlay = Overlay {
            lowers: vec!["/l/top".into(), "/l/a:b,c".into()],
            upper: "/c/upper".into(),
            work: "/c/work".into(),
        };
        assert_eq!(
            overlay.options(),
            "lowerdir=/l/top:/l/a\\:b\\,c,upperdir=/c/upper,workdir=/c/work,index=off"
        );
    }

    #[test]
    fn mountinfo_fields_are_unescaped() {
        assert_eq!(unescape_mountinfo("/a\\040b\\134c"), "/a b\\c");
    }
}
