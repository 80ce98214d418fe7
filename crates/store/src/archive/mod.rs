//! Image archives: `save` and `load`, in the two formats other tools read.
//!
//! - **docker-archive**, what `docker save` writes and `docker load` and `podman load`
//!   read: `manifest.json` (`[{Config, RepoTags, Layers}]`), `repositories`, the config
//!   as `<id>.json`, and each layer as an uncompressed `<diff-id>/layer.tar`.
//!   <https://github.com/moby/moby/blob/master/image/spec/v1.2.md>
//! - **oci-archive**, a tar of an [OCI image layout](https://github.com/opencontainers/image-spec/blob/main/image-layout.md):
//!   `oci-layout`, `index.json` naming each image by the
//!   `org.opencontainers.image.ref.name` annotation, and its blobs as stored.
//!
//! `load` reads either, plain, gzip or zstd compressed, checks every digest, and
//! unpacks the layers into `layers/` as a pull does.

mod load;
mod save;

use std::io::{BufReader, Read};

pub use load::Loaded;

/// The archive formats, as Podman names them for `save --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `docker save`'s format.
    DockerArchive,
    /// A tar of an OCI image layout.
    OciArchive,
}

/// `Config`, `RepoTags` and `Layers` of one `manifest.json` entry.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// `reader`, decompressed as its first bytes say (gzip, zstd, bzip2, xz).
fn decompressed<'a>(reader: impl Read + 'a) -> std::io::Result<Box<dyn Read + 'a>> {
    let buffered = BufReader::with_capacity(1 << 17, reader);
    let (_, decompressed) = container_layer::Decompressed::new(buffered)?;
    Ok(Box::new(decompressed))
}
