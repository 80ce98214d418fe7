//! Unmounting what a test left mounted under its scratch dirs, before they are removed
//! (removing a tree through a leftover bind mount would delete the mount's source).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Lazily unmounts every mount point at or below `dir` in this mount namespace, deepest
/// first. Errors are ignored: without privileges there is nothing we could have mounted.
pub(crate) fn unmount_under(dir: &Path) {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut points: Vec<PathBuf> = mount_points(&mountinfo)
        .into_iter()
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for point in points {
        if let Ok(path) = CString::new(point.as_os_str().as_bytes()) {
            // SAFETY: `path` is a valid NUL-terminated string that outlives the call.
            unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
        }
    }
}

/// Mount points (field 5) of a mountinfo text, with octal escapes (`\040`) decoded.
fn mount_points(mountinfo: &str) -> Vec<PathBuf> {
    mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape(field)))
        .collect()
}

fn unescape(field: &str) -> String {
    let mut out = String::new();
    let mut rest = field;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let code = rest
            .get(at + 1..at + 4)
            .and_then(|oct| u8::from_str_radix(oct, 8).ok());
        match code {
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
    fn mount_points_decode_spaces() {
        let info = "36 35 98:0 /x /tmp/a\\040b rw,noatime master:1 - ext3 /dev/root rw\n";
        assert_eq!(mount_points(info), [PathBuf::from("/tmp/a b")]);
    }
}
