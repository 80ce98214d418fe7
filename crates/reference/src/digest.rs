//! Content digests: `algorithm:hex`.

use std::fmt;
use std::str::FromStr;

use crate::error::ReferenceError;
use crate::grammar::is_lower_hex;

/// The algorithms we can verify, with the hex length of each.
///
/// The OCI image spec registers exactly these two:
/// <https://github.com/opencontainers/image-spec/blob/main/descriptor.md#registered-algorithms>.
const ALGORITHMS: [(&str, usize); 2] = [("sha256", 64), ("sha512", 128)];

/// A content digest such as `sha256:<64 lowercase hex>`.
///
/// Only `sha256` and `sha512` are accepted, and only in lowercase hex, as
/// the OCI image spec requires.
///
/// ```
/// use container_reference::Digest;
///
/// let hex = "a".repeat(64);
/// let digest = Digest::parse(&format!("sha256:{hex}")).unwrap();
/// assert_eq!(digest.algorithm(), "sha256");
/// assert_eq!(digest.hex(), hex);
/// assert_eq!(digest.to_string(), format!("sha256:{hex}"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: String,
    hex: String,
}

impl Digest {
    /// Parses `algorithm:hex`.
    pub fn parse(s: &str) -> Result<Digest, ReferenceError> {
        let invalid = || ReferenceError::InvalidDigest {
            input: s.to_owned(),
        };
        let (algorithm, hex) = s.split_once(':').ok_or_else(invalid)?;

        if !is_algorithm(algorithm) || !is_hex_value(hex) {
            return Err(invalid());
        }

        let Some(&(_, length)) = ALGORITHMS.iter().find(|(name, _)| *name == algorithm) else {
            return Err(ReferenceError::UnsupportedDigestAlgorithm {
                input: s.to_owned(),
                algorithm: algorithm.to_owned(),
            });
        };
        if hex.len() != length || !is_lower_hex(hex) {
            return Err(invalid());
        }

        Ok(Digest {
            algorithm: algorithm.to_owned(),
            hex: hex.to_owned(),
        })
    }

    /// Builds a `sha256` digest from its 64 lowercase hex characters.
    ///
    /// ```
    /// use container_reference::Digest;
    ///
    /// let digest = Digest::sha256_hex(&"0".repeat(64)).unwrap();
    /// assert_eq!(digest.algorithm(), "sha256");
    /// assert!(Digest::sha256_hex("abc").is_err());
    /// ```
    pub fn sha256_hex(hex: &str) -> Result<Digest, ReferenceError> {
        Digest::parse(&format!("sha256:{hex}"))
    }

    /// The algorithm, such as `sha256`.
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The hex-encoded value after the `:`.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The same as [`Digest::hex`], under the name the OCI spec uses.
    pub fn encoded(&self) -> &str {
        &self.hex
    }
}

/// `component ([+._-] component)*` with `component := [A-Za-z][A-Za-z0-9]*`.
///
/// Matching the general grammar first lets us tell "not a digest" apart from
/// "a digest we do not support".
fn is_algorithm(s: &str) -> bool {
    s.split(['+', '.', '_', '-']).all(|component| {
        let mut bytes = component.bytes();
        bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
            && bytes.all(|b| b.is_ascii_alphanumeric())
    })
}

/// `[0-9a-fA-F]{32,}`: the general grammar, before per-algorithm checks.
fn is_hex_value(s: &str) -> bool {
    s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl FromStr for Digest {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Digest, ReferenceError> {
        Digest::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_supported_digests() {
        for (algorithm, length) in ALGORITHMS {
            let text = format!("{algorithm}:{}", "0123456789abcdef".repeat(length / 16));
            let digest = Digest::parse(&text).unwrap();
            assert_eq!(digest.algorithm(), algorithm);
            assert_eq!(digest.encoded().len(), length);
            assert_eq!(digest.to_string(), text);
            assert_eq!(text.parse::<Digest>().unwrap(), digest);
        }
    }

    #[test]
    fn rejects_malformed_digests() {
        let h64 = "a".repeat(64);
        let cases = [
            String::new(),
            "sha256".to_owned(),
            "sha256:".to_owned(),
            "sha256:short".to_owned(),
            format!("sha256:{}", "a".repeat(63)),
            format!("sha256:{}", "a".repeat(65)),
            format!("sha256:{}", "A".repeat(64)),
            format!("sha512:{h64}"),
            format!(":{h64}"),
            format!("1sha:{h64}"),
            format!("sha256:{}g", "a".repeat(63)),
            h64.clone(),
        ];
        for text in cases {
            let error = Digest::parse(&text).unwrap_err();
            assert_eq!(
                error,
                ReferenceError::InvalidDigest {
                    input: text.clone()
                },
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_unknown_algorithms() {
        let text = format!("md5:{}", "a".repeat(32));
        let error = Digest::parse(&text).unwrap_err();
        assert!(matches!(
            error,
            ReferenceError::UnsupportedDigestAlgorithm { algorithm, .. } if algorithm == "md5"
        ));

        let text = format!("sha384:{}", "a".repeat(96));
        assert!(Digest::parse(&text).is_err());
    }
}
