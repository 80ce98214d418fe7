//! `--output`: the built image's files in a directory or a tar, or the image as
//! an OCI layout tar.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use container_store::{Image, Store};
use serde_json::json;

use crate::error::{BuildError, Result};
use crate::inroot::Root;
use crate::mounted::Mounted;

/// Where `--output` sends the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// `type=local,dest=DIR`: the root filesystem, as files.
    Local(PathBuf),
    /// `type=tar,dest=FILE`: the root filesystem, as a tar (`-` for stdout).
    Tar(PathBuf),
    /// `type=oci,dest=FILE`: the image, as an OCI image layout in a tar.
    Oci(PathBuf),
}

impl Output {
    /// Parses `type=local,dest=out`; a bare path means `type=local`.
    pub fn parse(value: &str) -> Result<Output> {
        let invalid = |reason: &str| BuildError::InvalidOption {
            option: "--output",
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        // `-o -` is a tar on stdout, as with Docker.
        if value == "-" {
            return Ok(Output::Tar(PathBuf::from("-")));
        }
        if !value.contains('=') {
            return Ok(Output::Local(PathBuf::from(value)));
        }
        let mut kind = None;
        let mut dest = None;
        for part in value.split(',') {
            match part.split_once('=') {
                Some(("type", v)) => kind = Some(v.to_owned()),
                Some(("dest", v)) => dest = Some(PathBuf::from(v)),
                _ => return Err(invalid("expected `type=local|tar|oci,dest=PATH`")),
            }
        }
        let dest = dest.ok_or_else(|| invalid("`dest=` is missing"))?;
        match kind.as_deref() {
            Some("local") | None => Ok(Output::Local(dest)),
            Some("tar") => Ok(Output::Tar(dest)),
            Some("oci") => Ok(Output::Oci(dest)),
            Some(_) => Err(invalid("the type must be local, tar or oci")),
        }
    }
}

/// Writes `image` where `output` says.
pub fn export(store: &Store, image: &Image, output: &Output) -> Result<()> {
    match output {
        Output::Local(dest) => {
            let failed = |source| BuildError::Export {
                dest: dest.clone(),
                source,
            };
            std::fs::create_dir_all(dest).map_err(failed)?;
            let mounted = Mounted::new(store, Some(image))?;
            let root = Root::open(dest)?;
            crate::copy::copy_tree(&root, mounted.root(), "/").map_err(|e| BuildError::Export {
                dest: dest.clone(),
                source: std::io::Error::other(e.to_string()),
            })
        }
        Output::Tar(dest) => {
            let mounted = Mounted::new(store, Some(image))?;
            with_file(dest, |out| {
                container_layer::tar_directory(mounted.root(), out).map_err(std::io::Error::other)
            })
        }
        Output::Oci(dest) => with_file(dest, |out| oci_layout(store, image, out)),
    }
}

fn with_file(
    dest: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    let failed = |source| BuildError::Export {
        dest: dest.to_owned(),
        source,
    };
    if dest == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        write(&mut stdout).map_err(failed)?;
        return stdout.flush().map_err(failed);
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(dest).map_err(failed)?);
    write(&mut file).map_err(failed)?;
    file.flush().map_err(failed)
}

/// An OCI image layout holding `image`, as a tar.
fn oci_layout(store: &Store, image: &Image, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut tar = tar::Builder::new(out);
    let add = |tar: &mut tar::Builder<_>, name: &str, data: &[u8]| -> std::io::Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, data)
    };
    add(&mut tar, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let manifest = std::fs::read(store.blob_path(&image.manifest_digest))?;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": image.manifest.media_type().as_ref().map(|m| m.to_string())
                .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into()),
            "digest": image.manifest_digest,
            "size": manifest.len(),
        }],
    });
    add(&mut tar, "index.json", index.to_string().as_bytes())?;
    let mut digests = vec![image.manifest_digest.clone(), image.id.clone()];
    digests.extend(
        image
            .manifest
            .layers()
            .iter()
            .map(|l| l.digest().to_string()),
    );
    for digest in digests {
        let hex = digest.trim_start_matches("sha256:");
        let file = std::fs::File::open(store.blob_path(&digest))?;
        let mut header = tar::Header::new_ustar();
        header.set_size(file.metadata()?.len());
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("blobs/sha256/{hex}"), file)?;
    }
    tar.into_inner()?.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_parse_as_buildkit_spells_them() {
        assert_eq!(Output::parse("out").unwrap(), Output::Local("out".into()));
        assert_eq!(
            Output::parse("type=tar,dest=x.tar").unwrap(),
            Output::Tar("x.tar".into())
        );
        assert_eq!(
            Output::parse("type=oci,dest=x.tar").unwrap(),
            Output::Oci("x.tar".into())
        );
        assert!(Output::parse("type=docker,dest=x").is_err());
        assert!(Output::parse("type=tar").is_err());
    }
}
