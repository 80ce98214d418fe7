//! gzip decompression through ISA-L's inflate (Debian's `libisal`).
//!
//! Inflating a layer is most of a pull's work, and gzip cannot be split across
//! cores. ISA-L inflates the python image's layers in about two thirds of
//! zlib-rs's time on this machine (77 MB: 180 ms against 270 ms), so a pull
//! spends about 90 ms less on its largest layer.
//!
//! [`GzipDecoder`] is a [`Read`] over ISA-L's streaming inflate: it feeds the
//! compressed stream in through a buffer of its own and inflates straight into
//! the caller's buffer. ISA-L parses the gzip header and checks the trailer's
//! CRC and length; concatenated members are read one after the other, as
//! `gzip -d` and Go's `gzip.Reader` do.
//!
//! The bindings come from `isal-sys`, generated from ISA-L's header at a 2.31
//! commit; its `inflate_state` is the same as in Debian 12's 2.30 header, which
//! is what we link against (a test below holds the size to that header's).

use std::io::{self, Read};
use std::ptr;

use isal_sys::igzip_lib as isal;

/// Compressed bytes read from the source at a time.
const INPUT_SIZE: usize = 128 << 10;

/// A gzip stream (one or more members), decompressed as it is read.
pub(crate) struct GzipDecoder<R: Read> {
    source: R,
    /// Boxed: it is about 85 KiB, and its pointers into `input` must stay put.
    state: Box<isal::inflate_state>,
    /// Holds `state.avail_in` bytes at `state.next_in`.
    input: Box<[u8]>,
    /// Whether `source` has reached its end.
    is_source_done: bool,
}

// SAFETY: the state's only pointers point into `input`, which moves with the
// decoder (its output pointer is cleared after every call).
unsafe impl<R: Read + Send> Send for GzipDecoder<R> {}

impl<R: Read> GzipDecoder<R> {
    pub(crate) fn new(source: R) -> GzipDecoder<R> {
        // SAFETY: every field of the state is an integer, an array of
        // integers or a raw pointer, for all of which zero is a valid value.
        let mut state: Box<isal::inflate_state> = unsafe { Box::new_zeroed().assume_init() };
        // SAFETY: the state is valid memory of the right type.
        unsafe { isal::isal_inflate_init(&mut *state) };
        state.crc_flag = isal::ISAL_GZIP;
        GzipDecoder {
            source,
            state,
            input: vec![0; INPUT_SIZE].into_boxed_slice(),
            is_source_done: false,
        }
    }

    /// Reads more compressed bytes once ISA-L has taken all it was given.
    fn refill(&mut self) -> io::Result<()> {
        let read = loop {
            match self.source.read(&mut self.input) {
                Ok(read) => break read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        };
        self.state.next_in = self.input.as_mut_ptr();
        self.state.avail_in = read as u32;
        self.is_source_done = read == 0;
        Ok(())
    }

    fn is_member_done(&self) -> bool {
        self.state.block_state == isal::isal_block_state_ISAL_BLOCK_FINISH
    }

    /// Inflates into `out`; returns how many bytes it wrote there.
    fn inflate(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let capacity = out.len().min(u32::MAX as usize);
        self.state.next_out = out.as_mut_ptr();
        self.state.avail_out = capacity as u32;
        // SAFETY: the state was initialised by `isal_inflate_init`; its input
        // pointer covers `avail_in` bytes of `input`, its output pointer
        // `capacity` bytes of `out`, both alive for the call.
        let status = unsafe { isal::isal_inflate(&mut *self.state) };
        let written = capacity - self.state.avail_out as usize;
        self.state.next_out = ptr::null_mut();
        self.state.avail_out = 0;
        match status {
            0 => Ok(written),
            failure => Err(inflate_error(failure)),
        }
    }
}

impl<R: Read> Read for GzipDecoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.state.avail_in == 0 && !self.is_source_done {
                self.refill()?;
            }
            if self.is_member_done() {
                if self.state.avail_in == 0 {
                    // Nothing after this member: the stream is over.
                    return Ok(0);
                }
                // Another member follows.
                // SAFETY: as in `new`; reset keeps the input pointers.
                unsafe { isal::isal_inflate_reset(&mut *self.state) };
                self.state.crc_flag = isal::ISAL_GZIP;
            }
            let offered = self.state.avail_in;
            let written = self.inflate(out)?;
            if written > 0 {
                return Ok(written);
            }
            if self.is_member_done() {
                continue;
            }
            if self.is_source_done && self.state.avail_in == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the gzip stream ends before its last block",
                ));
            }
            if offered > 0 && self.state.avail_in == offered {
                // ISA-L always takes input it has room for; guard the loop anyway.
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "gzip data that inflate makes no progress on",
                ));
            }
        }
    }
}

fn inflate_error(status: i32) -> io::Error {
    let reason = match status {
        isal::ISAL_INVALID_BLOCK => "an invalid deflate block",
        isal::ISAL_INVALID_SYMBOL => "an invalid Huffman code",
        isal::ISAL_INVALID_LOOKBACK => "a back-reference before the start of the data",
        isal::ISAL_INVALID_WRAPPER => "no valid gzip header",
        isal::ISAL_UNSUPPORTED_METHOD => "a compression method other than deflate",
        isal::ISAL_INCORRECT_CHECKSUM => "a CRC or length that does not match its data",
        _ => "data that ISA-L's inflate refuses",
    };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("corrupt gzip stream: {reason} (ISA-L status {status})"),
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    /// Data that compresses, but not to nothing.
    fn sample(len: usize) -> Vec<u8> {
        let mut seed = 0x2545_f491_u32;
        (0..len)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                if i % 7 < 4 {
                    b"layer"[i % 5]
                } else {
                    seed as u8
                }
            })
            .collect()
    }

    fn inflate_all(source: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        GzipDecoder::new(source).read_to_end(&mut out)?;
        Ok(out)
    }

    /// Hands out at most `n` bytes per read, like a slow network stream.
    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_state_has_the_size_debians_header_gives() {
        // `sizeof(struct inflate_state)` from /usr/include/isa-l/igzip_lib.h.
        assert_eq!(std::mem::size_of::<isal::inflate_state>(), 87368);
    }

    #[test]
    fn inflates_what_flate2_compressed() {
        let data = sample(3 << 20);
        assert_eq!(inflate_all(&gzip(&data)[..]).unwrap(), data);
    }

    #[test]
    fn inflates_a_stream_that_arrives_a_few_bytes_at_a_time() {
        let data = sample(200 << 10);
        let compressed = gzip(&data);
        for chunk in [1, 3, 4096] {
            assert_eq!(inflate_all(Chunks(&compressed, chunk)).unwrap(), data);
        }
    }

    #[test]
    fn reads_concatenated_members_in_turn() {
        let (first, second) = (sample(70_000), b"and a second member".to_vec());
        let mut both = gzip(&first);
        both.extend(gzip(&second));
        let expected = [first, second].concat();
        assert_eq!(inflate_all(&both[..]).unwrap(), expected);
        assert_eq!(inflate_all(Chunks(&both, 5)).unwrap(), expected);
    }

    #[test]
    fn an_empty_member_is_no_data() {
        assert_eq!(inflate_all(&gzip(b"")[..]).unwrap(), b"");
    }

    #[test]
    fn a_truncated_stream_is_an_error() {
        let compressed = gzip(&sample(100_000));
        for cut in [10, compressed.len() / 2, compressed.len() - 4] {
            let error = inflate_all(&compressed[..cut]).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}");
        }
    }

    #[test]
    fn a_wrong_crc_is_an_error() {
        let mut compressed = gzip(&sample(10_000));
        let crc = compressed.len() - 8;
        compressed[crc] ^= 0xff;
        let error = inflate_all(&compressed[..]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("CRC"), "{error}");
    }

    #[test]
    fn garbage_after_a_member_is_an_error() {
        let mut compressed = gzip(b"data");
        compressed.extend_from_slice(b"not gzip at all");
        let error = inflate_all(&compressed[..]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{error}");
    }

    #[test]
    fn corrupt_deflate_data_is_an_error_not_a_hang() {
        let mut compressed = gzip(&sample(50_000));
        for byte in &mut compressed[20..200] {
            *byte = 0xff;
        }
        assert!(inflate_all(&compressed[..]).is_err());
    }
}
