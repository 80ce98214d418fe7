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
