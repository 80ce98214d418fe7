//! The one error type of this crate.

/// Why a reference, tag or digest was rejected.
///
/// Each message names the rejected text in backticks. Messages about names
/// start with `invalid reference format`, the words Docker prints, since
/// scripts written for Docker look for them.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The input was the empty string.
    #[error("invalid reference format: the reference is empty")]
    Empty,

    /// The input does not follow the reference grammar.
    #[error("invalid reference format: `{input}`")]
    InvalidFormat {
        /// The rejected input.
        input: String,
    },

    /// The repository path holds an uppercase letter (only a registry host may).
    #[error("invalid reference format: repository name in `{input}` must be lowercase")]
    UppercaseRepository {
        /// The rejected input.
        input: String,
    },

    /// The full name, registry host included, is longer than 255 characters.
    #[error(
        "invalid reference format: repository name in `{input}` is {length} characters long, \
         more than the limit of 255"
    )]
    NameTooLong {
        /// The rejected input.
        input: String,
        /// Length of the normalised name (`domain/path`).
        length: usize,
    },

    /// The input is 64 hex characters, which would read as an image ID.
    #[error("invalid repository name `{input}`: cannot specify 64-byte hexadecimal strings")]
    HexRepository {
        /// The rejected input.
        input: String,
    },

    /// A name was expected, but the input is a digest such as `sha256:<hex>`.
    #[error("invalid repository name `{input}`: a digest names an image by ID, not by name")]
    DigestNotName {
        /// The rejected input.
        input: String,
    },

    /// The tag breaks the rule `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    #[error(
        "invalid tag `{tag}` in `{input}`: a tag has 1 to 128 letters, digits, `_`, `.` or `-` \
         and does not start with `.` or `-`"
    )]
    InvalidTag {
        /// The reference (or tag) being parsed.
        input: String,
        /// The rejected tag.
        tag: String,
    },

    /// The digest is not `sha256:` with 64, or `sha512:` with 128, lowercase hex characters.
    #[error(
        "invalid digest `{input}`: expected `sha256:` followed by 64 lowercase hex characters \
         (or `sha512:` followed by 128)"
    )]
    InvalidDigest {
        /// The rejected digest text.
        input: String,
    },

    /// The digest is well formed but uses an algorithm we cannot verify.
    #[error(
        "unsupported digest algorithm `{algorithm}` in `{input}`: only sha256 and sha512 \
         are supported"
    )]
    UnsupportedDigestAlgorithm {
        /// The rejected digest text.
        input: String,
        /// The algorithm named before the `:`.
        algorithm: String,
    },

    /// The input is valid but not in its fully qualified form.
    #[error("reference `{input}` is not fully qualified; expected `{canonical}`")]
    NameNotCanonical {
        /// The rejected input.
        input: String,
        /// The fully qualified form of the same reference.
        canonical: String,
    },
}
