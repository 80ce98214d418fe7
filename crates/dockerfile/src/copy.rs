//! The rules of COPY and ADD sources and destinations that need no
//! filesystem (C17); the builder matches the sources in the context and
//! asks [`CopyFiles::check_matched`].

use crate::error::ErrorKind;
use crate::instruction::{CopyFiles, Source};

/// Whether a source is a URL (`http://` or `https://`): ADD downloads it,
/// COPY refuses it.
pub fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Whether a source holds wildcards (`*`, `?`, `[`), which the builder
/// matches against the context with [`crate::ignore::Pattern::matches`].
pub fn has_wildcards(source: &str) -> bool {
    source.contains(['*', '?', '['])
}

impl CopyFiles {
    /// Whether the destination names a directory: it ends in `/`, or is
    /// `.` or ends in `/.` (the WORKDIR itself).
    pub fn dest_is_directory(&self) -> bool {
        self.dest.ends_with('/') || self.dest == "." || self.dest.ends_with("/.")
    }

    /// `--chmod` as a mode: octal (`755`, `0644`) up to `7777`. BuildKit's
    /// newer symbolic modes (`u+x`) are refused as unsupported.
    pub fn mode(&self) -> Result<Option<u32>, ErrorKind> {
        let Some(chmod) = &self.chmod else {
            return Ok(None);
        };
        match u32::from_str_radix(chmod, 8) {
            Ok(mode) if mode <= 0o7777 => Ok(Some(mode)),
            _ => Err(ErrorKind::InvalidFlagValue {
                flag: "chmod".to_string(),
                value: chmod.clone(),
                reason: "only octal modes such as 0755 are supported".to_string(),
            }),
        }
    }

    /// `--chown=user[:group]` split in two; each part a name or a number,
    /// which the builder looks up in the image's `/etc/passwd` and
    /// `/etc/group`.
    pub fn owner(&self) -> Option<(&str, Option<&str>)> {
        let chown = self.chown.as_deref()?;
        Some(match chown.split_once(':') {
            Some((user, group)) => (user, Some(group)),
            None => (chown, None),
        })
    }

    /// The path sources (not heredocs), expanded or not.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().filter_map(|source| match source {
            Source::Path(path) => Some(path.as_str()),
            Source::Heredoc(_) => None,
        })
    }

    /// After the builder matched the sources: `matched` is how many files
    /// and directories they named in all (wildcards expanded, heredocs
    /// counted). Several need a directory destination; none is an error.
    pub fn check_matched(&self, matched: usize) -> Result<(), ErrorKind> {
        if matched == 0 {
            return Err(ErrorKind::NoSourceFiles);
        }
        if matched > 1 && !self.dest_is_directory() {
            return Err(ErrorKind::DestinationNotDirectory);
        }
        Ok(())
    }

    /// The checks that hold before any file is read: COPY takes no URL, and
    /// several sources need a directory destination.
    pub(crate) fn check_sources(&self, is_add: bool) -> Result<(), ErrorKind> {
        if !is_add && self.paths().any(is_url) {
            return Err(ErrorKind::UrlSourceForCopy);
        }
        if self.sources.len() > 1 && !self.dest_is_directory() {
            return Err(ErrorKind::DestinationNotDirectory);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InstructionKind, parse};

    fn copy(line: &str) -> CopyFiles {
        let file = parse(&format!("FROM x\n{line}\n")).unwrap();
        match file.stages[0].instructions[0].kind.clone() {
            InstructionKind::Copy(copy) | InstructionKind::Add(copy) => copy,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn modes_and_owners() {
        assert_eq!(copy("COPY --chmod=755 a b").mode(), Ok(Some(0o755)));
        assert_eq!(copy("COPY --chmod=0644 a b").mode(), Ok(Some(0o644)));
        assert_eq!(copy("COPY a b").mode(), Ok(None));
        assert!(copy("COPY --chmod=u+x a b").mode().is_err());
        assert!(copy("COPY --chmod=99999 a b").mode().is_err());
        assert_eq!(
            copy("COPY --chown=app:staff a b").owner(),
            Some(("app", Some("staff")))
        );
        assert_eq!(copy("ADD --chown=1000 a b").owner(), Some(("1000", None)));
        assert_eq!(copy("COPY a b").owner(), None);
    }

    #[test]
    fn urls() {
        assert!(is_url("https://example.com/x.tar.gz") && is_url("HTTP://x"));
        assert!(!is_url("git@github.com:a/b.git") && !is_url("./http"));
    }
}
