//! Lexical cleaning of entry names and hard link targets.
//!
//! Tar names are cleaned the way Docker and containerd clean them
//! (`filepath.Clean` of the name joined to `/`): empty and `.` components go,
//! and `..` removes the component before it but never climbs above the root.
//! So `../../etc/passwd` names `etc/passwd` inside the layer. Symlinks met on
//! the way are resolved later, inside the root, by [`crate::resolve`].

/// Writes the cleaned form of `raw` into `out`: components joined by `/`,
/// with no leading or trailing `/`. The root itself cleans to an empty path.
pub(crate) fn clean(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    for component in raw.split(|&byte| byte == b'/') {
        match component {
            b"" | b"." => {}
            b".." => {
                let cut = out.iter().rposition(|&byte| byte == b'/').unwrap_or(0);
                out.truncate(cut);
            }
            name => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(name);
            }
        }
    }
}

/// Splits a cleaned, non-empty path into its parent directory and last name.
pub(crate) fn split(clean: &[u8]) -> (&[u8], &[u8]) {
    match clean.iter().rposition(|&byte| byte == b'/') {
        Some(slash) => (&clean[..slash], &clean[slash + 1..]),
        None => (&[], clean),
    }
}

/// Iterates over the components of a cleaned path.
pub(crate) fn components(clean: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    clean
        .split(|&byte| byte == b'/')
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(raw: &str) -> String {
        let mut out = Vec::new();
        clean(raw.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cleans_names_inside_the_root() {
        let cases = [
            ("etc/passwd", "etc/passwd"),
            ("./etc/passwd", "etc/passwd"),
            ("/etc//passwd/", "etc/passwd"),
            ("etc/", "etc"),
            ("./", ""),
            (".", ""),
            ("/", ""),
            ("..", ""),
            ("../../etc/passwd", "etc/passwd"),
            ("a/b/../../../c", "c"),
            ("a/./b/../c", "a/c"),
            ("a/..b/c..", "a/..b/c.."),
        ];
        for (raw, expected) in cases {
            assert_eq!(cleaned(raw), expected, "cleaning {raw:?}");
        }
    }

    #[test]
    fn splits_parent_and_name() {
        assert_eq!(split(b"etc/passwd"), (&b"etc"[..], &b"passwd"[..]));
        assert_eq!(split(b"a/b/c"), (&b"a/b"[..], &b"c"[..]));
        assert_eq!(split(b"top"), (&b""[..], &b"top"[..]));
    }

    #[test]
    fn lists_components() {
        let names: Vec<&[u8]> = components(b"a/b/c").collect();
        assert_eq!(names, [&b"a"[..], b"b", b"c"]);
        assert_eq!(components(b"").count(), 0);
    }
}
