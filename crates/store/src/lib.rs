//! The image store: content, tags, unpacked layers, and pulling images into it.
//!
//! On disk, under the root (`/var/lib/container`, or `--root DIR`):
//!
//! - `content/` is an [OCI image layout](https://github.com/opencontainers/image-spec/blob/main/image-layout.md):
//!   `index.json` has one entry per tag, named by the `org.opencontainers.image.ref.name`
//!   annotation with the full reference; blobs live in `blobs/sha256/`. A pulled index is
//!   kept whole, with the manifests of the platforms pulled. An image's ID is its config
//!   digest, as in Docker.
//! - `untagged.json` keeps images that lost their tag (`<none>` in listings) until pruned.
//! - `layers/<chain-id>/` is each layer unpacked once, in overlayfs form, ready to be a
//!   `lowerdir`; `layers/<chain-id>.json` records its diff ID and size. The directory
//!   appears (by rename) only once it is complete and synced.
//! - `build-cache/<key>.json` names the image each build step made, by the step's cache
//!   key; those images keep their layers from collection until the cache is pruned.
//! - `holds/<container-id>` names the manifest a container was created from: held
//!   images are never pruned or collected, and need force to lose their last name.
//! - `locks/` holds lock files: `store.lock` guards `index.json`, `untagged.json` and
//!   garbage collection; `layer-<chain-id>.lock` makes concurrent pulls of one layer
//!   download and unpack it once.
//!
//! Every metadata write is a temporary file, synced, then renamed; a blob is visible only
//! after its digest was checked. A crash leaves the store consistent, and temporaries of
//! dead processes are swept on the next write.

#![warn(missing_docs)]

mod archive;
mod build_cache;
mod catalog;
mod commit;
mod error;
mod follow;
mod fsutil;
mod holds;
mod image;
mod layers;
mod layout;
mod lock;
mod pull;
mod push;
mod sources;

use std::path::{Path, PathBuf};

pub use archive::{ArchiveFormat, Loaded};
pub use catalog::{DiskUsage, PruneReport, Removal};
pub use commit::NewLayer;
pub use error::{Result, StoreError};
pub use image::{History, Image, ImageConfig, RootFs, chain_ids, short_id};
pub use layout::REF_NAME;
pub use pull::{LayerStatus, PullEvent, PullOptions, Pulled, RegistryAccess};
pub use push::{PushEvent, PushStatus, Pushed};

/// The store format this release reads and writes.
pub const FORMAT_VERSION: &str = "1";

/// An image store on disk.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    layout: layout::Layout,
}

impl Store {
    /// Opens the store at `root`, creating it when missing.
    pub fn open(root: &Path) -> Result<Store> {
        fsutil::create_dir_all(root)?;
        check_version(root)?;
        for dir in ["layers", "locks"] {
            fsutil::create_dir_all(&root.join(dir))?;
        }
        let layout = layout::Layout::open(&root.join("content"))?;
        Ok(Store {
            root: root.to_owned(),
            layout,
        })
    }

    /// The store root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The OCI layout directory, which other OCI tools can read.
    pub fn content_dir(&self) -> PathBuf {
        self.root.join("content")
    }

    /// The file of a blob in `content/` (which may not exist).
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.layout.blob_path(digest)
    }

    /// Where unpacked layers live.
    pub fn layers_dir(&self) -> PathBuf {
        self.root.join("layers")
    }

    /// The unpacked directory of a layer, by chain ID.
    pub fn layer_path(&self, chain_id: &str) -> PathBuf {
        layers::layer_dir(&self.layers_dir(), chain_id)
    }

    fn locks_dir(&self) -> PathBuf {
        self.root.join("locks")
    }

    /// Takes the store-wide lock for metadata changes and sweeps leftovers of crashed
    /// commands while holding it.
    fn lock_metadata(&self) -> Result<lock::LockGuard> {
        let guard = lock::lock_exclusive(&self.locks_dir(), "store.lock")?;
        fsutil::sweep_temporaries(&self.root);
        fsutil::sweep_temporaries(&self.content_dir());
        fsutil::sweep_temporaries(&self.layout.temp_dir());
        fsutil::sweep_temporaries(&self.layers_dir());
        Ok(guard)
    }
}

fn check_version(root: &Path) -> Result<()> {
    let path = root.join("version");
    match std::fs::read_to_string(&path) {
        Ok(found) if found.trim() == FORMAT_VERSION => Ok(()),
        Ok(found) => Err(StoreError::Version {
            path: root.to_owned(),
            found: found.trim().to_owned(),
            expected: FORMAT_VERSION,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fsutil::write_atomic(&path, format!("{FORMAT_VERSION}\n").as_bytes())
        }
        Err(e) => Err(StoreError::io("reading", path)(e)),
    }
}
