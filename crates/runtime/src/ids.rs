//! Container IDs and names.
//!
//! An ID is 64 hex digits from the kernel's random source; its first 12 are the short
//! form, and, as in Docker, an ID whose short form is all digits is drawn again, so a
//! short ID never reads as a number. A name given by the user must match
//! `[a-zA-Z0-9][a-zA-Z0-9_.-]+`; otherwise one is made up as `adjective_noun`.

use crate::error::{Result, RuntimeError};

/// Characters of a short ID.
pub const SHORT_ID_LEN: usize = 12;

const ADJECTIVES: &[&str] = &[
    "agile",
    "amber",
    "ancient",
    "bold",
    "brave",
    "breezy",
    "bright",
    "calm",
    "clever",
    "cosmic",
    "crisp",
    "curious",
    "daring",
    "dazzling",
    "eager",
    "earnest",
    "electric",
    "elegant",
    "fearless",
    "fluffy",
    "frosty",
    "gentle",
    "gleaming",
    "golden",
    "happy",
    "hidden",
    "humble",
    "jolly",
    "keen",
    "kind",
    "lively",
    "lucky",
    "mellow",
    "mighty",
    "misty",
    "nimble",
    "noble",
    "patient",
    "placid",
    "plucky",
    "polished",
    "proud",
    "quiet",
    "rapid",
    "rustic",
    "serene",
    "sharp",
    "shiny",
    "silent",
    "sleepy",
    "snappy",
    "solid",
    "spry",
    "steady",
    "stoic",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "wandering",
    "witty",
    "zealous",
];

const NOUNS: &[&str] = &[
    "albatross",
    "anchor",
    "aurora",
    "badger",
    "beacon",
    "bison",
    "boulder",
    "canyon",
    "comet",
    "condor",
    "coral",
    "cypress",
    "delta",
    "dune",
    "ember",
    "falcon",
    "fjord",
    "forest",
    "galaxy",
    "geyser",
    "glacier",
    "harbor",
    "heron",
    "horizon",
    "island",
    "jaguar",
    "kestrel",
    "lagoon",
    "lantern",
    "lynx",
    "maple",
    "meadow",
    "meteor",
    "nebula",
    "oasis",
    "orchid",
    "otter",
    "panda",
    "pebble",
    "pelican",
    "pine",
    "prairie",
    "quasar",
    "raven",
    "reef",
    "river",
    "sequoia",
    "sparrow",
    "summit",
    "tundra",
    "valley",
    "walrus",
    "willow",
    "wombat",
    "zephyr",
];

/// A new random container ID.
pub fn new_id() -> Result<String> {
    loop {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes)?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if !id[..SHORT_ID_LEN].bytes().all(|b| b.is_ascii_digit()) {
            return Ok(id);
        }
    }
}

/// The short form of an ID.
pub fn short_id(id: &str) -> &str {
    &id[..id.len().min(SHORT_ID_LEN)]
}

/// A made-up name, `adjective_noun`, from a random number.
pub fn random_name() -> Result<String> {
    let mut bytes = [0u8; 4];
    fill_random(&mut bytes)?;
    Ok(name_from(u32::from_le_bytes(bytes)))
}

/// The name numbered `n`: every number gives a name, many numbers the same one.
pub fn name_from(n: u32) -> String {
    let adjective = ADJECTIVES[n as usize % ADJECTIVES.len()];
    let noun = NOUNS[(n as usize / ADJECTIVES.len()) % NOUNS.len()];
    format!("{adjective}_{noun}")
}

/// Checks a name the user gave (a leading `/`, as Docker shows names, is dropped).
pub fn validate_name(name: &str) -> Result<String> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    let mut bytes = bare.bytes();
    let is_valid = bare.len() >= 2
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if is_valid {
        Ok(bare.to_owned())
    } else {
        Err(RuntimeError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// Whether `text` could be (a prefix of) an ID.
pub fn is_id_prefix(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn fill_random(buffer: &mut [u8]) -> Result<()> {
    let mut filled = 0;
    while filled < buffer.len() {
        let n =
            rustix::rand::getrandom(&mut buffer[filled..], rustix::rand::GetRandomFlags::empty())
                .map_err(|e| RuntimeError::system("reading random bytes")(e.into()))?;
        filled += n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_hex_and_short_ids_are_not_numbers() {
        for _ in 0..50 {
            let id = new_id().unwrap();
            assert_eq!(id.len(), 64);
            assert!(is_id_prefix(&id));
            assert!(short_id(&id).parse::<u64>().is_err());
        }
    }

    #[test]
    fn names_are_checked_as_docker_does() {
        let cases = [
            ("web", Some("web")),
            ("/web", Some("web")),
            ("a.b-c_d", Some("a.b-c_d")),
            ("w", None),
            ("-web", None),
            ("we b", None),
            ("web/1", None),
            ("", None),
        ];
        for (name, expected) in cases {
            assert_eq!(validate_name(name).ok().as_deref(), expected, "{name}");
        }
    }

    #[test]
    fn made_up_names_are_valid() {
        for n in [0, 1, 61, 62, 1000, u32::MAX] {
            let name = name_from(n);
            assert_eq!(validate_name(&name).unwrap(), name);
        }
        assert_ne!(name_from(0), name_from(1));
        assert_ne!(name_from(0), name_from(ADJECTIVES.len() as u32));
    }
}
