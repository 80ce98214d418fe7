//! Case tables for [`Reference`](super::Reference): C01, C02, C03 and C05.

use super::*;
use crate::{AnyReference, parse_any};

const H64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Input, then domain, path, tag and the full form once `latest` is added.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

/// C01, C02 and C03, row by row.
const VALID: &[Row] = &[
    // C01: Docker Hub short names.
    (
        "alpine",
        "docker.io",
        "library/alpine",
        None,
        "docker.io/library/alpine:latest",
    ),
    (
        "library/alpine",
        "docker.io",
        "library/alpine",
        None,
        "docker.io/library/alpine:latest",
    ),
    (
        "docker.io/alpine",
        "docker.io",
        "library/alpine",
        None,
        "docker.io/library/alpine:latest",
    ),
    (
        "index.docker.io/library/alpine:3.19",
        "docker.io",
        "library/alpine",
        Some("3.19"),
        "docker.io/library/alpine:3.19",
    ),
    (
        "someuser/app",
        "docker.io",
        "someuser/app",
        None,
        "docker.io/someuser/app:latest",
    ),
    (
        "docker.io/library/foo/bar",
        "docker.io",
        "library/foo/bar",
        None,
        "docker.io/library/foo/bar:latest",
    ),
    // C02: what counts as a registry host.
    (
        "localhost/myimg",
        "localhost",
        "myimg",
        None,
        "localhost/myimg:latest",
    ),
    (
        "test_com/foo",
        "docker.io",
        "test_com/foo",
        None,
        "docker.io/test_com/foo:latest",
    ),
    (
        "test-com:8080/foo",
        "test-com:8080",
        "foo",
        None,
        "test-com:8080/foo:latest",
    ),
    (
        "xn--n3h.com/foo",
        "xn--n3h.com",
        "foo",
        None,
        "xn--n3h.com/foo:latest",
    ),
    ("Foo/bar", "Foo", "bar", None, "Foo/bar:latest"),
    ("UPPER/a", "UPPER", "a", None, "UPPER/a:latest"),
    (
        "myregistry/app",
        "docker.io",
        "myregistry/app",
        None,
        "docker.io/myregistry/app:latest",
    ),
    // C03: port colon against tag colon.
    (
        "localhost:5000/redis",
        "localhost:5000",
        "redis",
        None,
        "localhost:5000/redis:latest",
    ),
    (
        "localhost:5000/redis:7",
        "localhost:5000",
        "redis",
        Some("7"),
        "localhost:5000/redis:7",
    ),
    (
        "192.168.1.1:5000/repo:5050",
        "192.168.1.1:5000",
        "repo",
        Some("5050"),
        "192.168.1.1:5000/repo:5050",
    ),
    (
        "test.com:5000",
        "docker.io",
        "library/test.com",
        Some("5000"),
        "docker.io/library/test.com:5000",
    ),
    (
        "localhost:5000",
        "docker.io",
        "library/localhost",
        Some("5000"),
        "docker.io/library/localhost:5000",
    ),
    // Other hosts and separators the grammar allows.
    (
        "[::1]:5000/a/b:c",
        "[::1]:5000",
        "a/b",
        Some("c"),
        "[::1]:5000/a/b:c",
    ),
    (
        "a.b/c__d/e---f/g.h_i",
        "a.b",
        "c__d/e---f/g.h_i",
        None,
        "a.b/c__d/e---f/g.h_i:latest",
    ),
    (
        "alpine:_x.y-z",
        "docker.io",
        "library/alpine",
        Some("_x.y-z"),
        "docker.io/library/alpine:_x.y-z",
    ),
];

#[test]
fn parses_and_normalises_every_case_row() {
    for &(input, domain, path, tag, full) in VALID {
        let reference = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(reference.domain(), domain, "domain of {input}");
        assert_eq!(reference.path(), path, "path of {input}");
        assert_eq!(reference.tag(), tag, "tag of {input}");
        assert_eq!(reference.digest(), None, "digest of {input}");

        let defaulted = Reference::parse_with_default_tag(input).unwrap();
        assert_eq!(defaulted.to_string(), full, "full form of {input}");
        assert_eq!(input.parse::<Reference>().unwrap(), reference);
    }
}

#[test]
fn familiar_forms_parse_back_to_the_same_reference() {
    for &(input, ..) in VALID {
        let reference = Reference::parse_with_default_tag(input).unwrap();
        let again = Reference::parse(&reference.familiar()).unwrap();
        assert_eq!(again, reference, "familiar form of {input}");
    }
}

#[test]
fn familiar_forms() {
    let cases = [
        // C01: the short form comes back for display.
        ("docker.io/library/alpine:latest", "alpine:latest"),
        ("docker.io/library/foo/bar", "library/foo/bar"),
        ("someuser/app:1", "someuser/app:1"),
        ("localhost:5000/redis", "localhost:5000/redis"),
        ("Foo/bar", "Foo/bar"),
        // Keeping `docker.io/` or `library/` here stops the familiar
        // form from reading back as another registry or as an image ID.
        ("docker.io/foo.com/app", "docker.io/foo.com/app"),
        ("docker.io/localhost/app", "docker.io/localhost/app"),
    ];
    for (input, familiar) in cases {
        assert_eq!(
            Reference::parse(input).unwrap().familiar(),
            familiar,
            "{input}"
        );
    }

    let hex_repository = Reference::parse(&format!("docker.io/{H64}")).unwrap();
    assert_eq!(hex_repository.familiar_name(), format!("library/{H64}"));
}

#[test]
fn hex_ids_are_not_names() {
    // C05: a bare 64-hex string is an ID, never a repository.
    assert_eq!(
        Reference::parse(H64).unwrap_err(),
        ReferenceError::HexRepository {
            input: H64.to_owned()
        }
    );
    let digest = Digest::sha256_hex(H64).unwrap();
    assert_eq!(parse_any(H64).unwrap(), AnyReference::Id(digest.clone()));

    // C05: `sha256:<H64>` MUST NOT become `docker.io/library/sha256:<H64>`.
    let text = format!("sha256:{H64}");
    assert_eq!(parse_any(&text).unwrap(), AnyReference::Id(digest));
    assert!(matches!(
        Reference::parse(&text).unwrap_err(),
        ReferenceError::DigestNotName { .. }
    ));

    // C05: 63 hex characters are an ordinary name.
    let h63 = &H64[..63];
    let short = Reference::parse(h63).unwrap();
    assert_eq!(short.name(), format!("docker.io/library/{h63}"));
    assert_eq!(parse_any(h63).unwrap(), AnyReference::Named(short));

    // C05: an explicit domain removes the ambiguity.
    let explicit = Reference::parse(&format!("docker.io/{H64}")).unwrap();
    assert_eq!(explicit.name(), format!("docker.io/library/{H64}"));
}

#[test]
fn rejects_invalid_references() {
    use ReferenceError as E;
    let invalid = |input: &str| E::InvalidFormat {
        input: input.to_owned(),
    };
    let uppercase = |input: &str| E::UppercaseRepository {
        input: input.to_owned(),
    };
    let bad_tag = |input: &str, tag: &str| E::InvalidTag {
        input: input.to_owned(),
        tag: tag.to_owned(),
    };
    let bad_digest = |input: &str| E::InvalidDigest {
        input: input.to_owned(),
    };

    let cases = [
        ("", E::Empty),
        (":tag", invalid(":tag")),
        ("a:", invalid("a:")),
        ("a@", invalid("a@")),
        ("/a", invalid("/a")),
        ("a/", invalid("a/")),
        ("a//b", invalid("a//b")),
        ("-a", invalid("-a")),
        ("a_", invalid("a_")),
        ("a b", invalid("a b")),
        ("https://host/a", invalid("https://host/a")),
        ("host:port/a", invalid("host:port/a")),
        ("-host.com/a", invalid("-host.com/a")),
        ("[::1/a", invalid("[::1/a")),
        (
            "docker.io/library/Alpine",
            uppercase("docker.io/library/Alpine"),
        ),
        ("foo/Bar", uppercase("foo/Bar")),
        ("Alpine", uppercase("Alpine")),
        ("alpine:bad tag", bad_tag("alpine:bad tag", "bad tag")),
        ("alpine:.x", bad_tag("alpine:.x", ".x")),
        ("a:b:c", bad_tag("a:b:c", "b:c")),
        ("a@sha256:short", bad_digest("sha256:short")),
        (
            "a@sha256:abc@sha256:def",
            bad_digest("sha256:abc@sha256:def"),
        ),
    ];
    for (input, error) in cases {
        assert_eq!(Reference::parse(input).unwrap_err(), error, "{input:?}");
    }
}

#[test]
fn limits_names_to_255_characters() {
    // `docker.io/library/` takes 18 of the 255 characters.
    let longest = "a".repeat(255 - 18);
    assert_eq!(Reference::parse(&longest).unwrap().name().len(), 255);

    let too_long = format!("{longest}a");
    assert_eq!(
        Reference::parse(&too_long).unwrap_err(),
        ReferenceError::NameTooLong {
            input: too_long.clone(),
            length: 256
        }
    );

    let with_domain = format!("example.com/{}", "b".repeat(244));
    assert!(matches!(
        Reference::parse(&with_domain).unwrap_err(),
        ReferenceError::NameTooLong { length: 256, .. }
    ));

    let long_tag = format!("{longest}:{}", "t".repeat(128));
    assert!(
        Reference::parse(&long_tag).is_ok(),
        "the tag does not count"
    );
}

#[test]
fn tags_and_digests() {
    let digest = Digest::sha256_hex(H64).unwrap();
    let both = format!("alpine:3@sha256:{H64}");
    let reference = Reference::parse(&both).unwrap();
    assert_eq!(reference.tag(), Some("3"));
    assert_eq!(reference.digest(), Some(&digest));
    assert_eq!(
        reference.to_string(),
        format!("docker.io/library/alpine:3@sha256:{H64}")
    );
    assert_eq!(reference.familiar(), both);

    let pinned = Reference::parse_with_default_tag(&format!("alpine@sha256:{H64}")).unwrap();
    assert_eq!(pinned.tag(), None, "a digest needs no default tag");
    assert_eq!(
        pinned.to_string(),
        format!("docker.io/library/alpine@sha256:{H64}")
    );

    assert_eq!(
        reference.without_tag().familiar(),
        format!("alpine@sha256:{H64}")
    );
    assert_eq!(reference.without_digest().familiar(), "alpine:3");
    let bare = reference.without_tag_and_digest();
    assert_eq!(bare.to_string(), "docker.io/library/alpine");
    assert_eq!(bare.with_digest(digest.clone()).digest(), Some(&digest));
    assert_eq!(
        reference.with_tag("edge").unwrap().to_string(),
        format!("docker.io/library/alpine:edge@sha256:{H64}")
    );
    assert!(matches!(
        bare.with_tag("no good").unwrap_err(),
        ReferenceError::InvalidTag { tag, .. } if tag == "no good"
    ));
}

#[test]
fn canonical_parsing() {
    let canonical = "docker.io/library/alpine:latest";
    assert_eq!(
        Reference::parse_canonical(canonical).unwrap().familiar(),
        "alpine:latest"
    );

    for input in [
        "alpine",
        "index.docker.io/library/alpine",
        "docker.io/alpine:3",
    ] {
        assert!(matches!(
            Reference::parse_canonical(input).unwrap_err(),
            ReferenceError::NameNotCanonical { .. }
        ));
    }
}

#[test]
fn loopback_registries() {
    let is_loopback = |s: &str| Reference::parse(s).unwrap().is_loopback();
    for input in [
        "localhost/a",
        "localhost:5000/a",
        "127.0.0.1/a",
        "127.1.2.3:80/a",
        "[::1]:5000/a",
    ] {
        assert!(is_loopback(input), "{input}");
    }
    for input in [
        "alpine",
        "localhost.com/a",
        "127.0.0.1.com/a",
        "[::2]/a",
        "10.0.0.1:5000/a",
    ] {
        assert!(!is_loopback(input), "{input}");
    }
}

#[test]
fn error_messages_name_the_input() {
    let error = Reference::parse("docker.io/library/Alpine").unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid reference format: repository name in `docker.io/library/Alpine` must be \
         lowercase"
    );

    let error = Reference::parse(H64).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("invalid repository name `{H64}`: cannot specify 64-byte hexadecimal strings")
    );
}
