//! Decompression picked from the blob's first bytes, and the diff ID hash.
//!
//! The media type of a layer is not trusted (containerd#10134: layers labelled
//! uncompressed that were gzip; buildah#1589: the reverse), so the magic
//! numbers decide: gzip is `1f 8b` (RFC 1952), zstd is `28 b5 2f fd`
//! (RFC 8878), anything else is read as a plain tar. bzip2 (`BZh`) and xz
//! (`fd 37 7a 58 5a 00`) are no layer formats of the OCI spec, but Docker
//! reads them in archives and in ADD's tars, and so do we.

use std::io::{self, Cursor, Read};

use sha2::{Digest, Sha256};

use crate::gzip::GzipDecoder;

/// How many bytes [`Compression::detect`] needs to tell the formats apart.
pub(crate) const MAGIC_LEN: usize = 6;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const BZIP2_MAGIC: [u8; 3] = *b"BZh";
const XZ_MAGIC: [u8; 6] = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/// Compression of a layer blob, detected from its first bytes (never from its
/// media type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar stream.
    None,
    /// gzip, possibly several concatenated members.
    Gzip,
    /// zstd, possibly several concatenated frames.
    Zstd,
    /// bzip2, possibly several concatenated streams.
    Bzip2,
    /// xz, possibly several concatenated streams.
    Xz,
}

impl Compression {
    /// Detects the compression from the first bytes of a blob; six bytes are
    /// enough, fewer give [`Compression::None`] unless they hold a shorter magic.
    ///
    /// ```
    /// use container_layer::Compression;
    ///
    /// assert_eq!(Compression::detect(&[0x1f, 0x8b, 0x08, 0x00]), Compression::Gzip);
    /// assert_eq!(Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd]), Compression::Zstd);
    /// assert_eq!(Compression::detect(b"etc/"), Compression::None);
    /// ```
    pub fn detect(prefix: &[u8]) -> Compression {
        if prefix.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if prefix.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else if prefix.starts_with(&BZIP2_MAGIC) {
            Compression::Bzip2
        } else if prefix.starts_with(&XZ_MAGIC) {
            Compression::Xz
        } else {
            Compression::None
        }
    }
}

/// The blob with the bytes read for detection put back in front.
type Prefixed<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// A blob, decompressed as its first bytes say.
pub struct Decompressed<R: Read>(Decoder<R>);

impl<R: Read> Decompressed<R> {
    /// Peeks at the blob's magic and sets up the matching decompressor.
    pub fn new(mut blob: R) -> io::Result<(Compression, Decompressed<R>)> {
        let prefix = read_prefix(&mut blob)?;
        let compression = Compression::detect(&prefix);
        let prefixed = Cursor::new(prefix).chain(blob);
        let decoder = match compression {
            Compression::None => Decoder::Plain(prefixed),
            Compression::Gzip => Decoder::Gzip(GzipDecoder::new(prefixed)),
            Compression::Zstd => Decoder::Zstd(zstd::stream::read::Decoder::new(prefixed)?),
            Compression::Bzip2 => {
                Decoder::Bzip2(Box::new(bzip2::read::MultiBzDecoder::new(prefixed)))
            }
            Compression::Xz => Decoder::Xz(Box::new(liblzma::read::XzDecoder::new_multi_decoder(
                prefixed,
            ))),
        };
        Ok((compression, Decompressed(decoder)))
    }
}

impl<R: Read> Read for Decompressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

enum Decoder<R: Read> {
    Plain(Prefixed<R>),
    Gzip(GzipDecoder<Prefixed<R>>),
    Zstd(zstd::stream::read::Decoder<'static, io::BufReader<Prefixed<R>>>),
    Bzip2(Box<bzip2::read::MultiBzDecoder<Prefixed<R>>>),
    Xz(Box<liblzma::read::XzDecoder<Prefixed<R>>>),
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(reader) => reader.read(buf),
            Decoder::Gzip(reader) => reader.read(buf),
            Decoder::Zstd(reader) => reader.read(buf),
            Decoder::Bzip2(reader) => reader.read(buf),
            Decoder::Xz(reader) => reader.read(buf),
        }
    }
}

/// The uncompressed tar stream of a blob, hashed and counted as it is read.
pub(crate) struct TarStream<R: Read> {
    decoder: Decompressed<R>,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> TarStream<R> {
    /// Peeks at the blob's magic and sets up the matching decompressor.
    pub(crate) fn open(blob: R) -> io::Result<TarStream<R>> {
        let (compression, decoder) = Decompressed::new(blob)?;
        tracing::debug!(?compression, "detected layer compression");
        Ok(TarStream {
            decoder,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// Reads what is left of the stream (tar padding after the end blocks,
    /// trailing compressed frames) so that every byte is hashed, and returns
    /// the diff ID and the size of the uncompressed stream.
    pub(crate) fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        Ok((digest, self.size))
    }
}

impl<R: Read> Read for TarStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.decoder.read(buf)?;
        self.hasher.update(&buf[..read]);
        self.size += read as u64;
        Ok(read)
    }
}

/// Reads up to [`MAGIC_LEN`] bytes, fewer only at the end of the blob: a
/// network stream may hand them over one at a time.
fn read_prefix(blob: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut prefix = vec![0; MAGIC_LEN];
    let mut filled = 0;
    while filled < MAGIC_LEN {
        match blob.read(&mut prefix[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    prefix.truncate(filled);
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out one byte per read, like a slow network stream.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((&first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn detects_by_magic() {
        let cases: [(&[u8], Compression); 9] = [
            (&[0x1f, 0x8b, 0x08, 0x00, 0x00], Compression::Gzip),
            (b"BZh91AY&SY", Compression::Bzip2),
            (&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00], Compression::Xz),
            (&[0xfd, 0x37, 0x7a, 0x58, 0x5a], Compression::None),
            (&[0x1f, 0x8b], Compression::Gzip),
            (&[0x28, 0xb5, 0x2f, 0xfd, 0x04], Compression::Zstd),
            (&[0x28, 0xb5, 0x2f], Compression::None),
            (b"etc/passwd", Compression::None),
            (&[], Compression::None),
        ];
        for (prefix, expected) in cases {
            assert_eq!(Compression::detect(prefix), expected, "{prefix:x?}");
        }
    }

    #[test]
    fn prefix_is_read_across_short_reads() {
        let blob = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00];
        let prefix = read_prefix(&mut Trickle(&blob)).unwrap();
        assert_eq!(prefix, &blob[..MAGIC_LEN]);
    }

    #[test]
    fn hashes_and_counts_the_plain_stream() {
        let stream = TarStream::open(Trickle(b"abc")).unwrap();
        let (diff_id, size) = stream.finish().unwrap();
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(diff_id, format!("sha256:{expected}"));
        assert_eq!(size, 3);
    }
}
