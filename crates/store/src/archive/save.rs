//! `save`: images of the store written as one tar stream.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;

use container_reference::Reference;
use sha2::{Digest as _, Sha256};

use super::{ArchiveFormat, DockerEntry, decompressed};
use crate::error::{Result, StoreError};
use crate::image::Image;
use crate::layout::REF_NAME;
use crate::{Store, fsutil};

/// The annotation containerd and Docker name images by in an OCI archive.
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// An image to save, with the tags asked for.
struct Chosen {
    image: Image,
    tags: Vec<Reference>,
}

impl Store {
    /// Writes the images `names` (tags, digests or IDs) to `out` as a tar archive of
    /// `format`. An image named by a tag carries that tag; one named by ID, none.
    #[tracing::instrument(skip_all, fields(images = names.len()))]
    pub fn save(&self, names: &[String], format: ArchiveFormat, out: impl Write) -> Result<()> {
        let chosen = self.choose(names)?;
        let mut builder = tar::Builder::new(out);
        match format {
            ArchiveFormat::DockerArchive => self.save_docker(&mut builder, &chosen)?,
            ArchiveFormat::OciArchive => self.save_oci(&mut builder, &chosen)?,
        }
        let mut out = builder
            .into_inner()
            .map_err(StoreError::io("writing", "the archive"))?;
        out.flush()
            .map_err(StoreError::io("writing", "the archive"))
    }

    fn choose(&self, names: &[String]) -> Result<Vec<Chosen>> {
        let mut chosen: Vec<Chosen> = Vec::new();
        for name in names {
            let image = self.resolve(name)?;
            let tag = Reference::parse_with_default_tag(name)
                .ok()
                .filter(|r| image.tags.contains(r));
            let slot = match chosen.iter_mut().find(|c| c.image.id == image.id) {
                Some(slot) => slot,
                None => {
                    chosen.push(Chosen {
                        image,
                        tags: Vec::new(),
                    });
                    chosen.last_mut().expect("just pushed")
                }
            };
            if let Some(tag) = tag.filter(|t| !slot.tags.contains(t)) {
                slot.tags.push(tag);
            }
        }
        Ok(chosen)
    }

    fn save_docker<W: Write>(&self, tar: &mut tar::Builder<W>, chosen: &[Chosen]) -> Result<()> {
        let mut entries = Vec::new();
        let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut written = BTreeSet::new();
        for Chosen { image, tags } in chosen {
            let config_name = format!("{}.json", hex_of(&image.id));
            append_bytes(tar, &config_name, &self.layout.read_blob(&image.id)?)?;

            let mut layer_names = Vec::new();
            let layers = image.manifest.layers().iter();
            for (layer, diff_id) in layers.zip(&image.config.rootfs.diff_ids) {
                let name = format!("{}/layer.tar", hex_of(diff_id));
                if written.insert(name.clone()) {
                    self.append_uncompressed(tar, &name, layer.digest().as_ref(), diff_id)?;
                }
                layer_names.push(name);
            }
            let top = image
                .config
                .rootfs
                .diff_ids
                .last()
                .map(|d| hex_of(d).to_owned());
            for tag in tags {
                let tag_name = tag.tag().unwrap_or("latest").to_owned();
                repositories
                    .entry(tag.familiar_name())
                    .or_default()
                    .insert(tag_name, top.clone().unwrap_or_default());
            }
            entries.push(DockerEntry {
                config: config_name,
                repo_tags: Some(tags.iter().map(Reference::familiar).collect()),
                layers: layer_names,
            });
        }
        let manifest = serde_json::to_vec(&entries).expect("plain data serialises");
        append_bytes(tar, "manifest.json", &manifest)?;
        let repositories = serde_json::to_vec(&repositories).expect("plain data serialises");
        append_bytes(tar, "repositories", &repositories)
    }

    /// A layer blob, decompressed into a temporary file (a tar entry needs its size
    /// first) and checked against its diff ID, then appended.
    fn append_uncompressed<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        name: &str,
        digest: &str,
        diff_id: &str,
    ) -> Result<()> {
        let blob = self.layout.blob_path(digest);
        let temp = fsutil::temp_path_for(&self.root.join("save-layer.tar"));
        let result = (|| {
            let file = std::fs::File::open(&blob).map_err(StoreError::io("reading", &blob))?;
            let mut reader = decompressed(file).map_err(StoreError::io("reading", &blob))?;
            let actual = copy_hashing(&mut reader, &temp)?;
            if actual != diff_id {
                return Err(StoreError::DigestMismatch {
                    what: "layer content",
                    digest: diff_id.to_owned(),
                    actual,
                });
            }
            append_file(tar, name, &temp)
        })();
        let _ = std::fs::remove_file(&temp);
        result
    }

    fn save_oci<W: Write>(&self, tar: &mut tar::Builder<W>, chosen: &[Chosen]) -> Result<()> {
        append_bytes(tar, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let mut manifests = Vec::new();
        let mut written = BTreeSet::new();
        for Chosen { image, tags } in chosen {
            let manifest = self.layout.read_blob(&image.manifest_digest)?;
            let mut blobs = vec![image.manifest_digest.clone(), image.id.clone()];
            blobs.extend(
                image
                    .manifest
                    .layers()
                    .iter()
                    .map(|l| l.digest().to_string()),
            );
            for digest in blobs {
                if written.insert(digest.clone()) {
                    let name = format!("blobs/sha256/{}", hex_of(&digest));
                    append_file(tar, &name, &self.layout.blob_path(&digest))?;
                }
            }
            let media_type = manifest_media_type(&manifest);
            let descriptor = serde_json::json!({
                "mediaType": media_type,
                "digest": image.manifest_digest,
                "size": manifest.len(),
            });
            if tags.is_empty() {
                manifests.push(descriptor.clone());
            }
            for tag in tags {
                let mut named = descriptor.clone();
                named["annotations"] = serde_json::json!({
                    REF_NAME: tag.to_string(),
                    CONTAINERD_NAME: tag.to_string(),
                });
                manifests.push(named);
            }
        }
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": container_registry::media_types::OCI_INDEX,
            "manifests": manifests,
        });
        let index = serde_json::to_vec(&index).expect("plain data serialises");
        append_bytes(tar, "index.json", &index)
    }
}

/// The media type a manifest declares, else OCI's.
pub(super) fn manifest_media_type(bytes: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    value["mediaType"]
        .as_str()
        .unwrap_or(container_registry::media_types::OCI_MANIFEST)
        .to_owned()
}

fn hex_of(digest: &str) -> &str {
    digest.split_once(':').map_or(digest, |(_, hex)| hex)
}

fn header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header
}

fn append_bytes<W: Write>(tar: &mut tar::Builder<W>, name: &str, bytes: &[u8]) -> Result<()> {
    tar.append_data(&mut header(bytes.len() as u64), name, bytes)
        .map_err(StoreError::io("writing", "the archive"))
}

fn append_file<W: Write>(tar: &mut tar::Builder<W>, name: &str, path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(StoreError::io("reading", path))?;
    let size = file
        .metadata()
        .map_err(StoreError::io("reading", path))?
        .len();
    tar.append_data(&mut header(size), name, file)
        .map_err(StoreError::io("writing", "the archive"))
}

/// Copies `reader` into a new file at `path`; the `sha256:` digest of what was copied.
fn copy_hashing(reader: &mut dyn Read, path: &Path) -> Result<String> {
    let mut file = std::fs::File::create(path).map_err(StoreError::io("creating", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 17];
    loop {
        let n = reader
            .read(&mut buffer)
            .map_err(StoreError::io("decompressing", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n])
            .map_err(StoreError::io("writing", path))?;
    }
    Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
}
