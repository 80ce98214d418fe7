//! `content/`: an [OCI image layout](https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
//! that skopeo, umoci and other OCI tools can read as it stands.
//!
//! Tags are entries of `index.json` named by the `org.opencontainers.image.ref.name`
//! annotation, holding the full normalised reference (`docker.io/library/alpine:latest`).

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageIndex, MediaType};
use sha2::{Digest as _, Sha256};

use crate::error::{Result, StoreError};
use crate::fsutil;

/// The annotation that names an `index.json` entry.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// The OCI layout under `content/`.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    dir: PathBuf,
}

impl Layout {
    /// Opens the layout at `dir`, creating its skeleton when missing.
    pub fn open(dir: &Path) -> Result<Layout> {
        let layout = Layout {
            dir: dir.to_owned(),
        };
        fsutil::create_dir_all(&dir.join("blobs/sha256"))?;
        let marker = dir.join("oci-layout");
        if !marker.exists() {
            fsutil::write_atomic(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        if !layout.index_path().exists() {
            layout.write_index(&empty_index())?;
        }
        Ok(layout)
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// Where the blob `digest` (`sha256:…`) lives.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let (algorithm, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
        self.dir.join("blobs").join(algorithm).join(hex)
    }

    /// A directory for temporary blobs, on the same filesystem as the blobs.
    pub fn temp_dir(&self) -> PathBuf {
        self.dir.join("blobs/sha256")
    }

    pub fn has_blob(&self, digest: &str) -> bool {
        self.blob_path(digest).exists()
    }

    pub fn read_blob(&self, digest: &str) -> Result<Vec<u8>> {
        let path = self.blob_path(digest);
        std::fs::read(&path).map_err(StoreError::io("reading", path))
    }

    /// Size of a stored blob, 0 when missing.
    pub fn blob_size(&self, digest: &str) -> u64 {
        std::fs::metadata(self.blob_path(digest))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Stores a small blob held in memory, after checking it against `digest`.
    pub fn write_blob(&self, digest: &str, bytes: &[u8]) -> Result<()> {
        let actual = sha256_of(bytes);
        if actual != digest {
            let digest = digest.to_owned();
            return Err(StoreError::DigestMismatch {
                what: "blob",
                digest,
                actual,
            });
        }
        let path = self.blob_path(digest);
        if path.exists() {
            return Ok(());
        }
        fsutil::write_atomic(&path, bytes)
    }

    /// Deletes a blob; a missing one is fine.
    pub fn remove_blob(&self, digest: &str) -> Result<()> {
        let path = self.blob_path(digest);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(StoreError::io("removing", path)(e))
            }
            _ => Ok(()),
        }
    }

    /// Every blob digest present.
    pub fn blob_digests(&self) -> Result<Vec<String>> {
        let dir = self.dir.join("blobs/sha256");
        let entries = std::fs::read_dir(&dir).map_err(StoreError::io("listing", &dir))?;
        let names = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok());
        Ok(names
            .filter(|n| !n.starts_with(fsutil::TEMP_PREFIX))
            .map(|n| format!("sha256:{n}"))
            .collect())
    }

    pub fn read_index(&self) -> Result<ImageIndex> {
        let path = self.index_path();
        // Read whole: the parser reads a byte at a time, a system call each unbuffered.
        let bytes = std::fs::read(&path).map_err(StoreError::io("reading", &path))?;
        ImageIndex::from_reader(&bytes[..]).map_err(|e| StoreError::Corrupt {
            path,
            source: serde_json::Error::io(std::io::Error::other(e)),
        })
    }

    pub fn write_index(&self, index: &ImageIndex) -> Result<()> {
        fsutil::write_json(&self.index_path(), index)
    }
}

/// `index.json` with no entries.
fn empty_index() -> ImageIndex {
    let mut index = ImageIndex::default();
    index.set_manifests(Vec::new());
    index.set_media_type(Some(MediaType::ImageIndex));
    index
}

/// The reference an `index.json` entry is tagged with.
pub fn ref_name(descriptor: &Descriptor) -> Option<&str> {
    descriptor
        .annotations()
        .as_ref()?
        .get(REF_NAME)
        .map(String::as_str)
}

/// A descriptor tagged `name`.
pub fn tagged(mut descriptor: Descriptor, name: &str) -> Descriptor {
    let mut annotations = descriptor.annotations().clone().unwrap_or_default();
    annotations.insert(REF_NAME.to_owned(), name.to_owned());
    descriptor.set_annotations(Some(annotations));
    descriptor
}

/// A descriptor of `bytes` with `media_type`.
pub fn descriptor_of(media_type: &str, digest: &str, size: u64) -> Descriptor {
    let digest: oci_spec::image::Digest = digest.parse().expect("digests in the store are valid");
    let mut descriptor = Descriptor::new(MediaType::from(media_type), size, digest);
    descriptor.set_annotations(None::<HashMap<String, String>>);
    descriptor
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A blob being written: hashed as it is written, visible only after the hash matched.
pub(crate) struct BlobWriter {
    file: std::fs::File,
    temp: PathBuf,
    hasher: Sha256,
    written: u64,
}

impl BlobWriter {
    pub fn create(layout: &Layout, digest: &str) -> Result<BlobWriter> {
        let temp = fsutil::temp_path_for(&layout.blob_path(digest));
        let file = std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(StoreError::io("creating", &temp))?;
        Ok(BlobWriter {
            file,
            temp,
            hasher: Sha256::new(),
            written: 0,
        })
    }

    /// The temporary file, for a reader that follows the download.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.hasher.update(chunk);
        self.written += chunk.len() as u64;
        self.file
            .write_all(chunk)
            .map_err(StoreError::io("writing", &self.temp))
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Checks the digest, syncs, and moves the blob into place.
    pub fn commit(self, layout: &Layout, digest: &str) -> Result<()> {
        let actual = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        if actual != digest {
            let _ = std::fs::remove_file(&self.temp);
            let digest = digest.to_owned();
            return Err(StoreError::DigestMismatch {
                what: "blob",
                digest,
                actual,
            });
        }
        self.file
            .sync_all()
            .map_err(StoreError::io("syncing", &self.temp))?;
        let path = layout.blob_path(digest);
        std::fs::rename(&self.temp, &path).map_err(StoreError::io("renaming", &path))?;
        fsutil::sync_parent(&path)
    }

    /// Gives up: removes the temporary file.
    pub fn abort(self) {
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// Hashes a stored file (used when checking a blob already on disk).
#[allow(dead_code)]
pub fn sha256_of_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(StoreError::io("reading", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 17];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(StoreError::io("reading", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
}
