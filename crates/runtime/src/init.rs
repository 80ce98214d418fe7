//! `--init`: a small init process as the container's PID 1, as Docker runs tini.
//!
//! Ours is `init/main.rs`, built as a static executable by the build script and
//! carried inside this binary. It is written once per run directory and bind-mounted
//! read-only at `/sbin/docker-init`, Docker's path, and the container's command runs
//! as `/sbin/docker-init -- COMMAND...`. This binary itself cannot serve: it links the
//! host's C library, which images such as busybox lack.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use crate::error::{Result, RuntimeError};
use crate::fsutil;

/// Where the init is mounted in the container (Docker's path).
pub const PATH_IN_CONTAINER: &str = "/sbin/docker-init";

const BINARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/container-init"));

/// The argv with the init in front.
pub fn wrap(argv: Vec<String>) -> Vec<String> {
    [PATH_IN_CONTAINER.to_owned(), "--".to_owned()]
        .into_iter()
        .chain(argv)
        .collect()
}

/// Writes the init under `run_root` unless it is there already; its path.
pub(crate) fn install(run_root: &Path) -> Result<PathBuf> {
    let path = run_root.join("container-init");
    if std::fs::read(&path).is_ok_and(|bytes| bytes == BINARY) {
        return Ok(path);
    }
    fsutil::create_dir_all(run_root)?;
    // Executable before it is renamed into place, so a concurrent start that finds
    // it never finds it half-made.
    let temp = run_root.join(format!(".tmp-{}-container-init", std::process::id()));
    let written = std::fs::write(&temp, BINARY)
        .and_then(|()| std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o755)))
        .and_then(|()| std::fs::rename(&temp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(RuntimeError::io("writing", &path))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_init_is_a_static_executable() {
        assert_eq!(&BINARY[..5], b"\x7fELF\x02", "a 64-bit ELF executable");
        // No PT_INTERP program header: nothing to load it, so it needs no libc.
        let u16_at = |at: usize| u16::from_le_bytes([BINARY[at], BINARY[at + 1]]) as usize;
        let offset = u64::from_le_bytes(BINARY[0x20..0x28].try_into().unwrap()) as usize;
        let (size, count) = (u16_at(0x36), u16_at(0x38));
        let types = (0..count).map(|i| {
            let at = offset + i * size;
            u32::from_le_bytes(BINARY[at..at + 4].try_into().unwrap())
        });
        assert!(types.clone().count() > 0);
        assert!(
            !types.into_iter().any(|kind| kind == 3),
            "has an interpreter"
        );
    }

    #[test]
    fn the_command_follows_the_init() {
        assert_eq!(wrap(vec!["sh".into()]), ["/sbin/docker-init", "--", "sh"]);
    }
}
