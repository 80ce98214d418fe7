//! Applying OCI and Docker layer blobs into directories in overlayfs form.
//!
//! An image is a stack of layers, each a tar (plain, gzip or zstd) of the
//! changes it makes to the one below, as the
//! [OCI image spec](https://github.com/opencontainers/image-spec/blob/main/layer.md)
//! describes. [`apply`] unpacks one layer into a directory of its own, so
//! that the directories of an image's layers can be stacked by an overlay
//! mount (`lowerdir=top:…:bottom`) into the container's root filesystem.
//!
//! # Overlay form
//!
//! A layer directory holds what the tar holds, with the deletions spelled as
//! [overlayfs](https://docs.kernel.org/filesystems/overlayfs.html) reads them:
//!
//! - a whiteout `dir/.wh.name` becomes a character device 0/0 named
//!   `dir/name`; whatever this same layer had at that path is removed first;
//! - the opaque marker `dir/.wh..wh..opq`, matched whole, becomes the
//!   extended attribute `trusted.overlay.opaque=y` on `dir`; it hides the
//!   lower layers' `dir` only, never what this layer wrote there, wherever the
//!   marker comes in the tar;
//! - no `.wh.` file is ever created, and AUFS bookkeeping (`.wh..wh.plnk`)
//!   is skipped, as Docker does;
//! - a directory that the tar implies (`a/b/c` without `a/b/`) takes its
//!   owner, mode, times and extended attributes from the layers below, as an
//!   overlayfs copy-up would, or is `0755 root:root` if no layer has it;
//! - a hard link to a file that exists only below is made to a copy of it.
//!
//! Since a layer's paths go through the symlinks of the layers below
//! (`var/run -> /run` in the base, `var/run/foo` above), paths are resolved
//! over the merged view of this layer and the `lowers`, which are only read.
//! Most entries resolve in the layer's own directory, whose tar lists their
//! parents, and never look below: [`apply_with_lowers`] takes the lower
//! layers through a [`LowerSource`] that is asked for them only when a path
//! first needs them, so that a layer can be applied while the layers below
//! it are still being applied.
//!
//! # Safety
//!
//! A layer is untrusted input and must write nothing outside its directory,
//! whatever it says: `..` in names and link targets, absolute symlinks,
//! symlink chains, hard links through symlinks. Entry names are cleaned
//! lexically (`..` stops at the root); every file is created by a descriptor
//! of its directory, which is resolved with the layer directory as root
//! (`openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`, or a walk with the
//! same rules through lower layers); and the last component is never
//! followed. Symlinks are stored verbatim: `localetc -> /etc` followed by
//! `localetc/unbroken` writes `<dest>/etc/unbroken`. An image may not carry
//! `trusted.overlay.*` attributes, which would forge whiteouts.
//!
//! The tar crate is used to read entries only: its `unpack` resolves links
//! against the host.
//!
//! # Integrity
//!
//! The whole blob is read, up to the end of the stream, so that a caller
//! hashing the compressed bytes sees all of them, and [`Applied::diff_id`]
//! is the digest of the uncompressed tar, to check against the image
//! config's `rootfs.diff_ids`.

#![warn(missing_docs)]

mod compression;
mod diff;
mod entry;
mod error;
mod gzip;
mod link;
mod metadata;
mod path;
mod resolve;
mod unpack;
mod whiteout;
mod writers;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use compression::TarStream;
pub use compression::{Compression, Decompressed};
pub use diff::{Diffed, diff_directory, tar_directory};
pub use error::LayerError;
use resolve::Lowers;
pub use resolve::open_in_root;
use unpack::{BUFFER_SIZE, Unpacker};

/// What applying a layer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// `sha256:<hex>` of the uncompressed tar stream: the layer's diff ID.
    pub diff_id: String,
    /// Bytes of the uncompressed tar stream.
    pub tar_size: u64,
    /// Bytes of regular file data written, for the size `images` shows.
    pub unpacked_size: u64,
}

/// The directories of the layers below the one being applied, handed over
/// when they are first needed.
pub trait LowerSource {
    /// Blocks until the layers below are complete, then returns their
    /// directories, top-most first, which are only read.
    ///
    /// [`apply_with_lowers`] calls it at most once, and only when resolving
    /// a path must look below this layer: a path missing from the layer's
    /// own directory, or a hard link to a file it does not hold. An error
    /// makes the apply fail with [`LayerError::LowersUnavailable`].
    fn wait(&self) -> Result<Vec<PathBuf>, Box<dyn std::error::Error + Send + Sync>>;
}

/// Applies the layer blob read from `blob` into `dest`.
///
/// The blob may be a plain tar, gzip or zstd, told apart by its first bytes.
/// `dest` is an existing empty directory that becomes this layer's directory
/// in overlay form; `lowers` are the directories of the layers below,
/// top-most first, which are only read. The blob is read to its end.
///
/// On error, `dest` holds part of the layer and should be removed.
#[tracing::instrument(skip_all, fields(dest = %dest.display(), lowers = lowers.len()))]
pub fn apply(blob: impl Read, dest: &Path, lowers: &[PathBuf]) -> Result<Applied, LayerError> {
    run(blob, Unpacker::open(dest, Lowers::Ready(lowers))?)
}

/// Applies the layer blob read from `blob` into `dest`, as [`apply`] does,
/// asking `lowers` for the directories of the layers below only when a path
/// first needs them, if ever.
///
/// The layer is the same as [`apply`] makes once the lower layers are
/// complete: until then, nothing of them is read.
#[tracing::instrument(skip_all, fields(dest = %dest.display()))]
pub fn apply_with_lowers(
    blob: impl Read,
    dest: &Path,
    lowers: &dyn LowerSource,
) -> Result<Applied, LayerError> {
    run(blob, Unpacker::open(dest, Lowers::Lazy(lowers))?)
}

fn run(blob: impl Read, mut unpacker: Unpacker<'_>) -> Result<Applied, LayerError> {
    let stream = TarStream::open(blob).map_err(read_failed)?;
    let mut archive = tar::Archive::new(BufReader::with_capacity(BUFFER_SIZE, stream));

    for entry in archive.entries().map_err(read_failed)? {
        let applied = entry
            .map_err(read_failed)
            .and_then(|mut entry| unpacker.apply(&mut entry));
        applied.map_err(|error| unpacker.fail(error))?;
    }

    let stream = archive.into_inner().into_inner();
    let finished = stream.finish().map_err(read_failed);
    let (diff_id, tar_size) = finished.map_err(|error| unpacker.fail(error))?;
    let unpacked_size = unpacker.finish()?;
    tracing::debug!(%diff_id, tar_size, unpacked_size, "layer applied");
    Ok(Applied {
        diff_id,
        tar_size,
        unpacked_size,
    })
}

/// Reads a layer blob (plain, gzip or zstd) to its end and returns its diff
/// ID, `sha256:<hex>` of the uncompressed tar, and the tar's size in bytes.
pub fn diff_id_of(blob: impl Read) -> Result<(String, u64), LayerError> {
    let stream = TarStream::open(blob).map_err(read_failed)?;
    stream.finish().map_err(read_failed)
}

fn read_failed(source: std::io::Error) -> LayerError {
    LayerError::ReadStream { source }
}
