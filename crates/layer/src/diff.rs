//! Turning a directory in overlay form (a container's upper directory, or a
//! directory a build step filled) into an OCI layer blob.
//!
//! The walk is the reverse of [`apply`](crate::apply):
//!
//! - a character device 0/0 is a whiteout, written as an empty `.wh.NAME`;
//! - a directory with `trusted.overlay.opaque=y` is written, then the marker
//!   `NAME/.wh..wh..opq` right after it;
//! - other `trusted.overlay.*` attributes are overlayfs bookkeeping and are
//!   left out; every other extended attribute goes in a PAX
//!   `SCHILY.xattr.` record, as GNU tar and Docker write them;
//! - files with several links in the directory become one file and hard
//!   links to it; sockets cannot be held by a tar and are skipped, as Docker
//!   skips them.
//!
//! Entries come in byte order of their names, each directory before its
//! contents, and headers hold only what the files say (no user or group
//! names, no access times), so the same directory always gives the same
//! tar, and so the same diff ID. The tar is gzip-compressed as it is
//! written; the diff ID (of the tar) and the digest (of the blob) are both
//! computed in that one pass.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::error::LayerError;
use crate::metadata::OVERLAY_XATTR;

/// The attribute overlayfs marks opaque directories with.
const OPAQUE_XATTR: &[u8] = b"trusted.overlay.opaque";
/// The longest name or link target a plain ustar header holds.
const USTAR_NAME_MAX: usize = 100;

/// What writing a layer blob produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diffed {
    /// `sha256:<hex>` of the uncompressed tar: the layer's diff ID.
    pub diff_id: String,
    /// `sha256:<hex>` of the compressed blob.
    pub digest: String,
    /// Bytes of the compressed blob.
    pub size: u64,
    /// Bytes of regular file data in the layer.
    pub unpacked_size: u64,
}

/// Writes the directory `dir`, in overlay form, as a gzip-compressed layer tar
/// to `out`. See the module docs for how whiteouts and opaque directories are
/// spelled and how entries are ordered.
#[tracing::instrument(skip_all, fields(dir = %dir.display()))]
pub fn diff_directory(dir: &Path, out: impl Write) -> Result<Diffed, LayerError> {
    let blob = Hashing::new(out);
    let gzip = flate2::write::GzEncoder::new(blob, flate2::Compression::fast());
    let mut walker = Walker {
        builder: tar::Builder::new(Hashing::new(gzip)),
        links: HashMap::new(),
        unpacked_size: 0,
    };
    walker.directory_contents(dir, b"")?;

    let tar = walker.builder.into_inner().map_err(write_failed)?;
    let (gzip, diff_id, _) = tar.finish();
    let blob = gzip.finish().map_err(write_failed)?;
    let (mut out, digest, size) = blob.finish();
    out.flush().map_err(write_failed)?;
    tracing::debug!(%diff_id, %digest, size, "layer written");
    Ok(Diffed {
        diff_id,
        digest,
        size,
        unpacked_size: walker.unpacked_size,
    })
}

/// Writes the directory `dir` as a plain tar to `out`, by the same rules as
/// [`diff_directory`] (for exporting a root filesystem, which has no whiteouts).
pub fn tar_directory(dir: &Path, out: impl Write) -> Result<(), LayerError> {
    let mut walker = Walker {
        builder: tar::Builder::new(out),
        links: HashMap::new(),
        unpacked_size: 0,
    };
    walker.directory_contents(dir, b"")?;
    let mut out = walker.builder.into_inner().map_err(write_failed)?;
    out.flush().map_err(write_failed)
}

struct Walker<W: Write> {
    builder: tar::Builder<W>,
    /// The first path seen of each (device, inode) with several links.
    links: HashMap<(u64, u64), Vec<u8>>,
    unpacked_size: u64,
}

impl<W: Write> Walker<W> {
    /// Writes the entries under `dir`, whose path in the layer is `prefix`
    /// (empty, or ending in `/`).
    fn directory_contents(&mut self, dir: &Path, prefix: &[u8]) -> Result<(), LayerError> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .map_err(read_failed(dir))?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .map_err(read_failed(dir))?;
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));

        for name in names {
            let path = dir.join(&name);
            let mut entry_path = prefix.to_vec();
            entry_path.extend_from_slice(name.as_bytes());
            self.entry(&path, entry_path)?;
        }
        Ok(())
    }

    fn entry(&mut self, path: &Path, entry_path: Vec<u8>) -> Result<(), LayerError> {
        let metadata = fs::symlink_metadata(path).map_err(read_failed(path))?;
        let kind = metadata.file_type();
        let mut header = header_from(&metadata);

        if kind.is_char_device() && metadata.rdev() == 0 {
            return self.whiteout(&entry_path, &metadata);
        }
        if kind.is_socket() {
            tracing::debug!(path = %path.display(), "skipping a socket");
            return Ok(());
        }
        let xattrs = read_xattrs(path)?;
        let records = xattr_records(&xattrs);

        if kind.is_dir() {
            let mut dir_path = entry_path;
            dir_path.push(b'/');
            header.set_entry_type(tar::EntryType::Directory);
            self.append(header, &dir_path, None, records, io::empty())?;
            let is_opaque = xattrs
                .iter()
                .any(|(name, value)| name == OPAQUE_XATTR && value == b"y");
            if is_opaque {
                let mut marker = dir_path.clone();
                marker.extend_from_slice(b".wh..wh..opq");
                self.whiteout_file(&marker, &metadata)?;
            }
            return self.directory_contents(path, &dir_path);
        }
        if kind.is_symlink() {
            let target = fs::read_link(path).map_err(read_failed(path))?;
            header.set_entry_type(tar::EntryType::Symlink);
            let target = target.as_os_str().as_bytes().to_vec();
            return self.append(header, &entry_path, Some(&target), records, io::empty());
        }
        if kind.is_file() {
            return self.regular(path, header, entry_path, records, &metadata);
        }
        let entry_type = match () {
            _ if kind.is_char_device() => tar::EntryType::Char,
            _ if kind.is_block_device() => tar::EntryType::Block,
            _ => tar::EntryType::Fifo,
        };
        header.set_entry_type(entry_type);
        let device = metadata.rdev();
        header
            .set_device_major(rustix::fs::major(device))
            .and_then(|()| header.set_device_minor(rustix::fs::minor(device)))
            .map_err(read_failed(path))?;
        self.append(header, &entry_path, None, records, io::empty())
    }

    fn regular(
        &mut self,
        path: &Path,
        mut header: tar::Header,
        entry_path: Vec<u8>,
        records: Vec<(Vec<u8>, Vec<u8>)>,
        metadata: &fs::Metadata,
    ) -> Result<(), LayerError> {
        if metadata.nlink() > 1 {
            let key = (metadata.dev(), metadata.ino());
            if let Some(first) = self.links.get(&key).cloned() {
                header.set_entry_type(tar::EntryType::Link);
                return self.append(header, &entry_path, Some(&first), records, io::empty());
            }
            self.links.insert(key, entry_path.clone());
        }
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(metadata.len());
        self.unpacked_size += metadata.len();
        let file = File::open(path).map_err(read_failed(path))?;
        self.append(header, &entry_path, None, records, file)
    }

    /// A whiteout device `dir/name` becomes `dir/.wh.name`.
    fn whiteout(&mut self, entry_path: &[u8], metadata: &fs::Metadata) -> Result<(), LayerError> {
        let split = entry_path
            .iter()
            .rposition(|&b| b == b'/')
            .map_or(0, |i| i + 1);
        let mut marker = entry_path[..split].to_vec();
        marker.extend_from_slice(b".wh.");
        marker.extend_from_slice(&entry_path[split..]);
        self.whiteout_file(&marker, metadata)
    }

    fn whiteout_file(&mut self, path: &[u8], metadata: &fs::Metadata) -> Result<(), LayerError> {
        let mut header = header_from(metadata);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(0);
        self.append(header, path, None, Vec::new(), io::empty())
    }

    /// Appends one entry, with a PAX header first for long names and for
    /// extended attributes.
    fn append(
        &mut self,
        mut header: tar::Header,
        path: &[u8],
        link: Option<&[u8]>,
        mut records: Vec<(Vec<u8>, Vec<u8>)>,
        data: impl io::Read,
    ) -> Result<(), LayerError> {
        if path.len() > USTAR_NAME_MAX {
            records.push((b"path".to_vec(), path.to_vec()));
        }
        if let Some(link) = link.filter(|l| l.len() > USTAR_NAME_MAX) {
            records.push((b"linkpath".to_vec(), link.to_vec()));
        }
        if !records.is_empty() {
            self.pax(path, &records)?;
        }
        let fields = header.as_old_mut();
        copy_truncated(&mut fields.name, path);
        if let Some(link) = link {
            copy_truncated(&mut fields.linkname, link);
        }
        header.set_cksum();
        self.builder.append(&header, data).map_err(write_failed)
    }

    fn pax(&mut self, path: &[u8], records: &[(Vec<u8>, Vec<u8>)]) -> Result<(), LayerError> {
        let mut data = Vec::new();
        for (key, value) in records {
            data.extend_from_slice(&pax_record(key, value));
        }
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::XHeader);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        let mut name = b"PaxHeaders/".to_vec();
        let base = path.rsplit(|&b| b == b'/').find(|s| !s.is_empty());
        name.extend_from_slice(base.unwrap_or(b"entry"));
        copy_truncated(&mut header.as_old_mut().name, &name);
        header.set_cksum();
        self.builder
            .append(&header, data.as_slice())
            .map_err(write_failed)
    }
}

/// A ustar header with the owner, mode and modification time of a file.
fn header_from(metadata: &fs::Metadata) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_mode(metadata.mode() & 0o7777);
    header.set_uid(u64::from(metadata.uid()));
    header.set_gid(u64::from(metadata.gid()));
    header.set_mtime(metadata.mtime().max(0) as u64);
    header.set_size(0);
    header
}

fn copy_truncated(field: &mut [u8], value: &[u8]) {
    field.fill(0);
    let length = value.len().min(field.len());
    field[..length].copy_from_slice(&value[..length]);
}

/// One PAX record: `LENGTH KEY=VALUE\n`, where LENGTH counts itself too.
fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3;
    let mut length = rest + rest.to_string().len();
    if length.to_string().len() + rest > length {
        length += 1;
    }
    let mut record = format!("{length} ").into_bytes();
    record.extend_from_slice(key);
    record.push(b'=');
    record.extend_from_slice(value);
    record.push(b'\n');
    record
}

/// The extended attributes of a file (not following a symlink), by name.
/// Extended attributes or PAX records: (name, value) pairs.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn read_xattrs(path: &Path) -> Result<Pairs, LayerError> {
    let failed = |e: rustix::io::Errno| LayerError::ReadSource {
        path: path.to_owned(),
        source: e.into(),
    };
    let mut names = vec![0u8; 1024];
    let length = loop {
        match rustix::fs::llistxattr(path, &mut names) {
            Ok(length) => break length,
            Err(rustix::io::Errno::RANGE) => names.resize(names.len() * 4, 0),
            Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
            Err(e) => return Err(failed(e)),
        }
    };
    let mut xattrs = Vec::new();
    for name in names[..length].split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let mut value = vec![0u8; 256];
        let size = loop {
            match rustix::fs::lgetxattr(path, name, &mut value) {
                Ok(size) => break size,
                Err(rustix::io::Errno::RANGE) => value.resize(value.len() * 16, 0),
                Err(rustix::io::Errno::NODATA) => break usize::MAX,
                Err(e) => return Err(failed(e)),
            }
        };
        if size != usize::MAX {
            value.truncate(size);
            xattrs.push((name.to_vec(), value));
        }
    }
    xattrs.sort();
    Ok(xattrs)
}

/// The PAX records of the attributes a layer carries: all but overlayfs's.
fn xattr_records(xattrs: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    xattrs
        .iter()
        .filter(|(name, _)| !name.starts_with(OVERLAY_XATTR))
        .map(|(name, value)| {
            let mut key = b"SCHILY.xattr.".to_vec();
            key.extend_from_slice(name);
            (key, value.clone())
        })
        .collect()
}

fn read_failed(path: &Path) -> impl Fn(io::Error) -> LayerError + '_ {
    move |source| LayerError::ReadSource {
        path: PathBuf::from(path),
        source,
    }
}

fn write_failed(source: io::Error) -> LayerError {
    LayerError::WriteBlob { source }
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    fn finish(self) -> (W, String, u64) {
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        (self.inner, digest, self.count)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.count += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt as _, symlink};

    use super::*;

    fn entries(blob: &[u8]) -> Vec<(String, tar::EntryType, u64)> {
        let decoder = flate2::read::GzDecoder::new(blob);
        let mut archive = tar::Archive::new(decoder);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                (
                    path,
                    e.header().entry_type(),
                    e.header().mode().unwrap() as u64,
                )
            })
            .collect()
    }

    #[test]
    fn pax_records_count_their_own_length() {
        assert_eq!(pax_record(b"path", b"x"), b"9 path=x\n");
        let record = pax_record(b"k", &[b'v'; 94]);
        assert_eq!(record.len(), 101);
        assert!(record.starts_with(b"101 "));
    }

    #[test]
    fn whiteouts_opaque_dirs_and_links_are_spelled_as_oci_layers() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("etc/opaque")).unwrap();
        fs::write(root.join("etc/b"), "b").unwrap();
        fs::write(root.join("etc/a"), "a").unwrap();
        fs::set_permissions(root.join("etc/a"), fs::Permissions::from_mode(0o4750)).unwrap();
        fs::hard_link(root.join("etc/a"), root.join("etc/c")).unwrap();
        symlink("/etc/a", root.join("link")).unwrap();
        let device = rustix::fs::makedev(0, 0);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("etc/gone"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::empty(),
            device,
        )
        .unwrap();
        rustix::fs::setxattr(
            root.join("etc/opaque"),
            OPAQUE_XATTR,
            b"y",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();

        let mut blob = Vec::new();
        let diffed = diff_directory(root, &mut blob).unwrap();
        let listed = entries(&blob);
        let names: Vec<&str> = listed.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "etc/",
                "etc/a",
                "etc/b",
                "etc/c",
                "etc/.wh.gone",
                "etc/opaque/",
                "etc/opaque/.wh..wh..opq",
                "link"
            ]
        );
        assert_eq!(listed[1].2, 0o4750);
        assert_eq!(listed[3].1, tar::EntryType::Link);
        assert_eq!(listed[7].1, tar::EntryType::Symlink);
        assert_eq!(diffed.size, blob.len() as u64);
        assert_eq!(
            diffed.digest,
            format!("sha256:{}", hex::encode(Sha256::digest(&blob)))
        );
        let (diff_id, _) = crate::diff_id_of(blob.as_slice()).unwrap();
        assert_eq!(diffed.diff_id, diff_id);

        let again = diff_directory(root, io::sink()).unwrap();
        assert_eq!(again.diff_id, diffed.diff_id);
    }

    #[test]
    fn a_diffed_layer_applies_back_to_the_same_tree() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        let long = "d".repeat(120);
        fs::create_dir_all(source.join(&long)).unwrap();
        fs::write(source.join(&long).join("file"), "data").unwrap();
        let mut blob = Vec::new();
        diff_directory(&source, &mut blob).unwrap();

        let dest = dir.path().join("dest");
        fs::create_dir(&dest).unwrap();
        crate::apply(blob.as_slice(), &dest, &[]).unwrap();
        assert_eq!(
            fs::read_to_string(dest.join(&long).join("file")).unwrap(),
            "data"
        );
    }
}
