//! What can go wrong in the store.

use std::path::PathBuf;

/// A failure reading or changing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory of the store could not be read or written.
    #[error("{action} {path}")]
    Io {
        /// What we were doing ("writing", "reading", …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The store was written by a newer release.
    #[error(
        "the store at {path} has format version {found}, this release reads version {expected}"
    )]
    Version {
        /// The store root.
        path: PathBuf,
        /// The version found on disk.
        found: String,
        /// The version we read.
        expected: &'static str,
    },
    /// A metadata file of the store is damaged.
    #[error("{path} is not valid")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// No image goes by that name or ID.
    #[error("no such image: `{name}`")]
    ImageNotFound {
        /// What the user typed.
        name: String,
    },
    /// A short ID matches several images.
    #[error("`{prefix}` matches more than one image")]
    AmbiguousId {
        /// The prefix typed.
        prefix: String,
    },
    /// An image has several tags and would lose them all.
    #[error("image {id} is referenced by several tags ({tags}); name one, or force removal")]
    ImageHasTags {
        /// The short image ID.
        id: String,
        /// Its tags.
        tags: String,
    },
    /// A container uses the image, and removing it needs force.
    #[error("{}", image_in_use(name, *is_id, image, container))]
    ImageInUse {
        /// What the user typed.
        name: String,
        /// Whether it was typed as an image ID.
        is_id: bool,
        /// The short image ID.
        image: String,
        /// The short ID of a container using it.
        container: String,
    },
    /// A hold names its holder with characters a file name cannot safely carry.
    #[error("invalid image holder `{holder}`")]
    InvalidHolder {
        /// The holder's name.
        holder: String,
    },
    /// The name typed is not a valid reference.
    #[error(transparent)]
    Reference(#[from] container_reference::ReferenceError),
    /// A registry failed us.
    #[error(transparent)]
    Registry(#[from] container_registry::RegistryError),
    /// A layer could not be applied.
    #[error("unpacking layer {digest}")]
    Layer {
        /// The layer's blob digest.
        digest: String,
        /// Why.
        #[source]
        source: container_layer::LayerError,
    },
    /// Downloaded content did not match the digest that names it.
    #[error("{what} {digest} does not match its digest (got {actual})")]
    DigestMismatch {
        /// "blob", "layer content", "manifest".
        what: &'static str,
        /// The expected digest.
        digest: String,
        /// What we computed.
        actual: String,
    },
    /// The manifest or config is not usable.
    #[error("invalid {what} {digest}: {reason}")]
    InvalidImage {
        /// "manifest", "config", "index".
        what: &'static str,
        /// Its digest.
        digest: String,
        /// What is wrong.
        reason: String,
    },
    /// A single-platform image is not of the platform asked for (Docker's message).
    #[error(
        "image with reference {reference} was found but does not match the specified platform: wanted {wanted}, actual: {actual}"
    )]
    PlatformMismatch {
        /// The image.
        reference: String,
        /// The platform asked for.
        wanted: String,
        /// The image's.
        actual: String,
    },
    /// An index has no entry for the platform asked for.
    #[error("no image for platform {platform} in `{reference}` (it has: {available})")]
    NoMatchingPlatform {
        /// The platform asked for.
        platform: String,
        /// The reference.
        reference: String,
        /// The platforms the index offers.
        available: String,
    },
    /// An archive given to `load` is not one we can read.
    #[error("not a valid image archive: {reason}")]
    InvalidArchive {
        /// What is wrong.
        reason: String,
    },
    /// A background task died.
    #[error("internal task failed")]
    Task(#[source] tokio::task::JoinError),
}

impl StoreError {
    /// An I/O error with the path it concerns.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// Whether the disk is full (or the quota spent).
    pub fn is_disk_full(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(error) = cause {
            if let Some(io) = error.downcast_ref::<std::io::Error>()
                && matches!(io.raw_os_error(), Some(libc_enospc) if libc_enospc == 28 || libc_enospc == 122)
            {
                return true;
            }
            cause = error.source();
        }
        false
    }
}

/// Docker's conflict messages, which scripts match.
fn image_in_use(name: &str, is_id: bool, image: &str, container: &str) -> String {
    if is_id {
        format!(
            "conflict: unable to delete {image} (must be forced) - image is being used by container {container}"
        )
    } else {
        format!(
            "conflict: unable to remove repository reference \"{name}\" (must force) - container {container} is using its referenced image {image}"
        )
    }
}

/// Results of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
