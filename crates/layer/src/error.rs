//! The error type of this crate.

use std::io;
use std::path::PathBuf;

/// Why a layer could not be applied.
///
/// `entry` fields hold the entry's path as cleaned inside the layer root (no
/// leading `/`, no `..`), shown lossily when it is not UTF-8.
#[derive(thiserror::Error, Debug)]
pub enum LayerError {
    /// The destination directory could not be opened.
    #[error("opening layer directory `{}`", path.display())]
    OpenDestination {
        /// The destination given to [`apply`](crate::apply).
        path: PathBuf,
        /// Why opening failed.
        #[source]
        source: io::Error,
    },

    /// A lower layer directory could not be opened.
    #[error("opening lower layer directory `{}`", path.display())]
    OpenLower {
        /// The lower layer directory.
        path: PathBuf,
        /// Why opening failed.
        #[source]
        source: io::Error,
    },

    /// The layers below were needed, to resolve a path through them, and
    /// [`LowerSource::wait`](crate::LowerSource::wait) failed.
    #[error("waiting for the layers below")]
    LowersUnavailable {
        /// Why the layers below could not be had.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The blob could not be read or decompressed, or a tar header is corrupt.
    #[error("reading layer stream")]
    ReadStream {
        /// The read, decompression or tar parsing failure.
        #[source]
        source: io::Error,
    },

    /// An entry's header carries a value that cannot be used.
    #[error("reading header of entry `{entry}`")]
    ReadHeader {
        /// The entry.
        entry: String,
        /// What is wrong with the header.
        #[source]
        source: io::Error,
    },

    /// The data of a regular file entry could not be read (a truncated stream).
    #[error("reading data of entry `{entry}`")]
    ReadEntry {
        /// The entry.
        entry: String,
        /// The read failure.
        #[source]
        source: io::Error,
    },

    /// The directory that holds an entry could not be found or created.
    #[error("resolving parent directory of entry `{entry}`")]
    ResolveParent {
        /// The entry.
        entry: String,
        /// The lookup or creation failure.
        #[source]
        source: io::Error,
    },

    /// An entry could not be created.
    #[error("creating {kind} `{entry}`")]
    Create {
        /// The entry.
        entry: String,
        /// What kind of file was being created.
        kind: &'static str,
        /// The creation failure.
        #[source]
        source: io::Error,
    },

    /// Owner, mode, extended attributes or times could not be set.
    #[error("setting {what} of `{entry}`")]
    SetMetadata {
        /// The entry (or the directory whose times were set last).
        entry: String,
        /// Which part of the metadata.
        what: &'static str,
        /// The failure.
        #[source]
        source: io::Error,
    },

    /// A whiteout or an opaque marker could not be applied.
    #[error("applying whiteout `{entry}`")]
    Whiteout {
        /// The whiteout entry.
        entry: String,
        /// The failure.
        #[source]
        source: io::Error,
    },

    /// A `.wh.` name that has no meaning: an empty, `.` or `..` target, or a
    /// whiteout prefix on a directory in the middle of a path.
    #[error("invalid whiteout name in entry `{entry}`")]
    InvalidWhiteout {
        /// The entry.
        entry: String,
    },

    /// An entry carries an overlayfs attribute: only this crate may mark
    /// whiteouts and opaque directories, or an image could hide files of the
    /// layers below in ways its tar does not show.
    #[error("entry `{entry}` carries the overlayfs attribute `{name}`")]
    ForbiddenXattr {
        /// The entry.
        entry: String,
        /// The attribute's name.
        name: String,
    },

    /// A hard link's target could not be resolved or copied up.
    #[error("resolving target `{target}` of hard link `{entry}`")]
    LinkTarget {
        /// The hard link entry.
        entry: String,
        /// The link target, cleaned inside the root.
        target: String,
        /// The failure.
        #[source]
        source: io::Error,
    },

    /// A hard link's target exists in neither this layer nor the ones below.
    #[error("target `{target}` of hard link `{entry}` does not exist")]
    LinkTargetMissing {
        /// The hard link entry.
        entry: String,
        /// The link target, cleaned inside the root.
        target: String,
    },

    /// A hard link points to a directory.
    #[error("hard link `{entry}` points to directory `{target}`")]
    LinkToDirectory {
        /// The hard link entry.
        entry: String,
        /// The link target, cleaned inside the root.
        target: String,
    },

    /// A file of the directory being turned into a layer could not be read.
    #[error("reading `{}` for a layer", path.display())]
    ReadSource {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: io::Error,
    },

    /// The layer blob could not be written.
    #[error("writing layer blob")]
    WriteBlob {
        /// The failure.
        #[source]
        source: io::Error,
    },

    /// An entry of a kind this crate does not apply.
    #[error("entry `{entry}` is {what}, which is not supported")]
    Unsupported {
        /// The entry.
        entry: String,
        /// What was found.
        what: String,
    },
}

/// Shows a cleaned entry path for an error message.
pub(crate) fn lossy(path: &[u8]) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    String::from_utf8_lossy(path).into_owned()
}
