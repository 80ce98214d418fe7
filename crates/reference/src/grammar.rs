//! Hand-written matchers for the pieces of the reference grammar.
//!
//! Each function matches one production of the grammar documented in
//! <https://github.com/distribution/reference/blob/main/reference.go>,
//! anchored at both ends.

/// Longest tag the grammar allows.
const TAG_MAX: usize = 128;

/// `domain := host [':' port]`, where `host` is a domain name, an IPv4
/// address (which is also a domain name) or an IPv6 literal in brackets.
pub(crate) fn is_domain(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        return is_ipv6_body(inside) && is_optional_port(after);
    }

    match s.split_once(':') {
        Some((host, port)) => is_domain_name(host) && is_port(port),
        None => is_domain_name(s),
    }
}

/// The inside of `[...]`: the grammar only asks for hex digits and colons.
fn is_ipv6_body(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
}

/// What follows a bracketed IPv6 host: nothing, or `:` and a port.
fn is_optional_port(s: &str) -> bool {
    s.is_empty() || s.strip_prefix(':').is_some_and(is_port)
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Components joined by `.`.
fn is_domain_name(s: &str) -> bool {
    s.split('.').all(is_domain_component)
}

/// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`: no `-` at either end.
fn is_domain_component(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };

    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// `path := component ['/' component]*`.
pub(crate) fn is_path(s: &str) -> bool {
    s.split('/').all(is_path_component)
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`: runs of lowercase letters and
/// digits, joined by exactly one of `.`, `_`, `__` or any number of `-`.
fn is_path_component(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut index = 0;

    loop {
        let run = alphanumeric_run(&bytes[index..]);
        if run == 0 {
            return false;
        }
        index += run;
        if index == bytes.len() {
            return true;
        }

        let separator = separator_run(&bytes[index..]);
        if !is_separator(&bytes[index..index + separator]) {
            return false;
        }
        index += separator;
    }
}

fn alphanumeric_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        .count()
}

fn separator_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| matches!(b, b'.' | b'_' | b'-'))
        .count()
}

fn is_separator(run: &[u8]) -> bool {
    match run {
        b"." | b"_" | b"__" => true,
        _ => !run.is_empty() && run.iter().all(|b| *b == b'-'),
    }
}

/// `[\w][\w.-]{0,127}`, where `\w` is ASCII letters, digits and `_`.
pub(crate) fn is_tag(s: &str) -> bool {
    let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let Some(first) = s.as_bytes().first() else {
        return false;
    };

    s.len() <= TAG_MAX && is_word(first) && s.bytes().all(|b| is_word(&b) || b == b'.' || b == b'-')
}

/// Lowercase hex only, which is how digests and image IDs are written.
pub(crate) fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        let valid = [
            "docker.io",
            "localhost",
            "localhost:5000",
            "192.168.1.1:5000",
            "xn--n3h.com",
            "Foo",
            "a-b.c",
            "[::1]",
            "[fe80::1]:5000",
            "1.2.3.4",
        ];
        for domain in valid {
            assert!(is_domain(domain), "{domain} should be a valid domain");
        }

        let invalid = [
            "", "-a", "a-", "a..b", ".a", "a.", "a:", "a:b", "a:5000:1", "[]", "[::1", "[::1]x",
            "[::1]:", "[g::1]", "a_b", "a b",
        ];
        for domain in invalid {
            assert!(!is_domain(domain), "{domain} should be an invalid domain");
        }
    }

    #[test]
    fn paths() {
        let valid = [
            "a",
            "library/alpine",
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a1/b2/c3",
            "test_com/foo",
            "0",
        ];
        for path in valid {
            assert!(is_path(path), "{path} should be a valid path");
        }

        let invalid = [
            "", "/", "a/", "/a", "a//b", "A", "a_", "_a", "a.", "a___b", "a._b", "a-.b", "a..b",
            "a b", "a:b", "a@b",
        ];
        for path in invalid {
            assert!(!is_path(path), "{path} should be an invalid path");
        }
    }

    #[test]
    fn tags() {
        let longest = "a".repeat(128);
        for tag in ["latest", "3.19", "_x", "V1", "a-b.c_d", longest.as_str()] {
            assert!(is_tag(tag), "{tag} should be a valid tag");
        }

        let too_long = "a".repeat(129);
        for tag in ["", ".a", "-a", "a b", "a/b", "a:b", "é", too_long.as_str()] {
            assert!(!is_tag(tag), "{tag} should be an invalid tag");
        }
    }
}
