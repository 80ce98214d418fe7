//! Arguments that may name an image either by ID or by reference (C05).

use crate::digest::Digest;
use crate::error::ReferenceError;
use crate::grammar::is_lower_hex;
use crate::reference::Reference;

/// Length of a full sha256 image ID in hex.
const ID_LENGTH: usize = 64;

/// What an argument of `run`, `inspect` or `rmi` names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnyReference {
    /// A full image ID, given as 64 hex characters or as a digest.
    Id(Digest),
    /// An image name, normalised but without a default tag.
    Named(Reference),
}

/// Parses an argument that may be an image ID or a name, as Docker's
/// `ParseAnyReference` does.
///
/// A full 64-hex ID and any valid digest are IDs; everything else must be a
/// name. A short hex prefix is an ordinary name here: the store tries it as
/// an ID prefix first (see [`is_hex_prefix`]).
///
/// ```
/// use container_reference::{parse_any, AnyReference};
///
/// let hex = "f".repeat(64);
/// let AnyReference::Id(id) = parse_any(&hex).unwrap() else { panic!() };
/// assert_eq!(id.to_string(), format!("sha256:{hex}"));
///
/// let AnyReference::Named(name) = parse_any("alpine").unwrap() else { panic!() };
/// assert_eq!(name.to_string(), "docker.io/library/alpine");
/// ```
pub fn parse_any(s: &str) -> Result<AnyReference, ReferenceError> {
    if is_image_id(s) {
        return Digest::sha256_hex(s).map(AnyReference::Id);
    }
    if let Ok(digest) = Digest::parse(s) {
        return Ok(AnyReference::Id(digest));
    }
    Reference::parse(s).map(AnyReference::Named)
}

/// Whether `s` could be the start of an image ID: 1 to 64 lowercase hex
/// characters.
///
/// ```
/// use container_reference::is_hex_prefix;
///
/// assert!(is_hex_prefix("0123abcd"));
/// assert!(!is_hex_prefix("alpine"));
/// assert!(!is_hex_prefix(""));
/// ```
pub fn is_hex_prefix(s: &str) -> bool {
    (1..=ID_LENGTH).contains(&s.len()) && is_lower_hex(s)
}

/// Whether `s` is a full image ID in bare hex form.
pub(crate) fn is_image_id(s: &str) -> bool {
    s.len() == ID_LENGTH && is_lower_hex(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_prefixes() {
        let full = "ab".repeat(32);
        for text in ["0", "abc123", "4f5d2a1b9c8e", full.as_str()] {
            assert!(is_hex_prefix(text), "{text}");
        }

        let too_long = format!("{full}a");
        for text in ["", "ABC", "abcg", "sha256:ab", "alpine", too_long.as_str()] {
            assert!(!is_hex_prefix(text), "{text}");
        }
    }

    #[test]
    fn ids_and_names() {
        let hex = "ab".repeat(32);
        let id = Digest::sha256_hex(&hex).unwrap();
        assert_eq!(parse_any(&hex).unwrap(), AnyReference::Id(id.clone()));
        assert_eq!(
            parse_any(&format!("sha256:{hex}")).unwrap(),
            AnyReference::Id(id)
        );

        let sha512 = format!("sha512:{}", "cd".repeat(64));
        assert!(matches!(parse_any(&sha512).unwrap(), AnyReference::Id(_)));

        // A short prefix is a name here; the store tries it as an ID first.
        let AnyReference::Named(name) = parse_any("4f5d2a1b9c8e").unwrap() else {
            panic!("a short hex prefix should parse as a name");
        };
        assert_eq!(name.path(), "library/4f5d2a1b9c8e");

        // Uppercase hex is neither an ID nor a valid name.
        let upper = "AB".repeat(32);
        assert!(matches!(
            parse_any(&upper).unwrap_err(),
            ReferenceError::UppercaseRepository { .. }
        ));
        assert_eq!(parse_any("").unwrap_err(), ReferenceError::Empty);
    }
}
