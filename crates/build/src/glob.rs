//! Wildcards in COPY and ADD sources, as Go's `filepath.Match` reads them (which
//! Docker uses): `*` is any run of characters but `/`, `?` one such character,
//! `[a-z]` and `[^a-z]` a class, `\` escapes the next character. A pattern is
//! matched against whole paths, component by component.

/// Whether `pattern` holds any wildcard.
pub fn has_wildcards(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Whether the one path component `name` matches the one component `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&pattern, &name)
}

fn match_from(pattern: &[char], name: &[char]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return name.is_empty();
    };
    match first {
        '*' => (0..=name.len()).any(|skip| match_from(rest, &name[skip..])),
        '?' => !name.is_empty() && match_from(rest, &name[1..]),
        '[' => match (name.first(), class(rest)) {
            (Some(&c), Some((is_match, after))) => is_match(c) && match_from(after, &name[1..]),
            _ => false,
        },
        '\\' => match rest.split_first() {
            Some((&literal, after)) => {
                name.first() == Some(&literal) && match_from(after, &name[1..])
            }
            None => false,
        },
        literal => name.first() == Some(&literal) && match_from(rest, &name[1..]),
    }
}

type ClassTest = Box<dyn Fn(char) -> bool>;

/// Parses a class after its `[`: a test, and the pattern after its `]`.
fn class(pattern: &[char]) -> Option<(ClassTest, &[char])> {
    let (negated, mut rest) = match pattern.first() {
        Some('^') => (true, &pattern[1..]),
        _ => (false, pattern),
    };
    let mut ranges: Vec<(char, char)> = Vec::new();
    let mut is_first = true;
    loop {
        let (&c, after) = rest.split_first()?;
        if c == ']' && !is_first {
            rest = after;
            break;
        }
        is_first = false;
        let (low, after) = literal(c, after)?;
        let (high, after) = match after {
            ['-', next, tail @ ..] if *next != ']' => literal(*next, tail)?,
            _ => (low, after),
        };
        ranges.push((low, high));
        rest = after;
    }
    let test = move |c: char| ranges.iter().any(|&(low, high)| low <= c && c <= high) != negated;
    Some((Box::new(test), rest))
}

fn literal(c: char, rest: &[char]) -> Option<(char, &[char])> {
    match c {
        '\\' => rest.split_first().map(|(&c, rest)| (c, rest)),
        c => Some((c, rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_rules() {
        let cases = [
            ("file*.txt", "file1.txt", true),
            ("file*.txt", "file.txt", true),
            ("file*.txt", "afile1.txt", false),
            ("dir*", "dirt", true),
            ("dir*", "dir", true),
            ("?.go", "x.go", true),
            ("?.go", "xy.go", false),
            ("[a-c]x", "bx", true),
            ("[^a-c]x", "bx", false),
            ("[^a-c]x", "dx", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("*", "", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(matches(pattern, name), expected, "{pattern} vs {name}");
        }
        assert!(has_wildcards("a/*.txt"));
        assert!(!has_wildcards("a/b.txt"));
    }
}
