//! The decompressor is picked from the blob's magic bytes, never from the
//! media type, and the diff ID is the digest of the plain tar (CASES.md C31).

mod common;

use std::fs;
use std::io::{self, Read, Write};

use common::Layer;
use container_layer::{Compression, LayerError, apply, diff_id_of};
use sha2::{Digest, Sha256};

fn plain_tar() -> Vec<u8> {
    Layer::new()
        .dir("etc/")
        .file("etc/os-release", b"ID=test\n")
        .bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Counts the bytes a reader hands out, as a caller hashing the compressed
/// blob would see them.
struct Counting<'a> {
    data: &'a [u8],
    read: usize,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = (&self.data[self.read..]).read(buf)?;
        self.read += read;
        Ok(read)
    }
}

#[test]
fn each_compression_is_detected_and_gives_the_plain_diff_id() {
    let tar = plain_tar();
    let blobs = [
        (Compression::None, tar.clone()),
        (Compression::Gzip, gzip(&tar)),
        (Compression::Zstd, zstd(&tar)),
    ];
    for (compression, blob) in blobs {
        assert_eq!(Compression::detect(&blob), compression);
        let dest = tempfile::tempdir().unwrap();
        let mut reader = Counting {
            data: &blob,
            read: 0,
        };
        let applied = apply(&mut reader, dest.path(), &[]).unwrap();

        assert_eq!(applied.diff_id, sha256(&tar), "{compression:?}");
        assert_eq!(applied.tar_size, tar.len() as u64, "{compression:?}");
        assert_eq!(
            reader.read,
            blob.len(),
            "{compression:?}: the whole blob is read"
        );
        assert_eq!(
            fs::read(dest.path().join("etc/os-release")).unwrap(),
            b"ID=test\n"
        );
        assert_eq!(
            diff_id_of(&blob[..]).unwrap(),
            (sha256(&tar), tar.len() as u64)
        );
    }
}

#[test]
fn padding_after_the_end_blocks_is_read_and_hashed() {
    let mut tar = plain_tar();
    tar.extend_from_slice(&[0; 8192]);
    let blob = gzip(&tar);
    let dest = tempfile::tempdir().unwrap();
    let mut reader = Counting {
        data: &blob,
        read: 0,
    };
    let applied = apply(&mut reader, dest.path(), &[]).unwrap();

    assert_eq!(applied.diff_id, sha256(&tar));
    assert_eq!(applied.tar_size, tar.len() as u64);
    assert_eq!(reader.read, blob.len());
}

#[test]
fn concatenated_gzip_members_and_zstd_frames_are_one_stream() {
    let tar = plain_tar();
    let (head, tail) = tar.split_at(700);
    for blob in [
        [gzip(head), gzip(tail)].concat(),
        [zstd(head), zstd(tail)].concat(),
    ] {
        let dest = tempfile::tempdir().unwrap();
        let applied = apply(&blob[..], dest.path(), &[]).unwrap();
        assert_eq!(applied.diff_id, sha256(&tar));
    }
}

#[test]
fn truncated_compressed_blobs_are_errors() {
    let tar = Layer::new().file("data", &[42; 100_000]).bytes();
    for blob in [gzip(&tar), zstd(&tar)] {
        let cut = &blob[..blob.len() / 2];
        let dest = tempfile::tempdir().unwrap();
        let error = apply(cut, dest.path(), &[]).unwrap_err();
        assert!(
            matches!(
                error,
                LayerError::ReadStream { .. } | LayerError::ReadEntry { .. }
            ),
            "{error:?}"
        );
        assert!(diff_id_of(cut).is_err());
    }
}

#[test]
fn garbage_is_an_error() {
    let dest = tempfile::tempdir().unwrap();
    let error = apply(&[0x1f, 0x8b, 0xff, 0xff, 0xff][..], dest.path(), &[]).unwrap_err();
    assert!(matches!(error, LayerError::ReadStream { .. }), "{error:?}");

    let error = apply(&[b'x'; 1024][..], dest.path(), &[]).unwrap_err();
    assert!(matches!(error, LayerError::ReadStream { .. }), "{error:?}");
}

#[test]
fn an_empty_blob_is_an_empty_layer() {
    let dest = tempfile::tempdir().unwrap();
    let applied = apply(&[][..], dest.path(), &[]).unwrap();
    assert_eq!(applied.diff_id, sha256(b""));
    assert_eq!((applied.tar_size, applied.unpacked_size), (0, 0));
}
