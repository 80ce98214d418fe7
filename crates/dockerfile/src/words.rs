//! Splitting an instruction's text into words, flags and JSON arrays, as
//! BuildKit's line parsers do before any variable is expanded.

use crate::error::ErrorKind;

/// The keyword, the `--flags` and the rest of a logical line.
pub(crate) struct Split<'a> {
    /// The instruction word as written.
    pub keyword: &'a str,
    /// Each `--name[=value]` before the arguments, without the dashes'
    /// meaning applied (quotes removed, `\x` unescaped).
    pub flags: Vec<String>,
    /// The arguments, trimmed.
    pub rest: &'a str,
}

/// Splits `keyword [--flag...] rest`. Flags are the leading words that
/// start with `--`; a lone `--` ends them.
pub(crate) fn split_command(line: &str) -> Split<'_> {
    let line = line.trim();
    let (keyword, after) = match line.find(char::is_whitespace) {
        Some(at) => (&line[..at], line[at..].trim_start()),
        None => (line, ""),
    };
    let (flags, rest) = extract_flags(after);
    Split {
        keyword,
        flags,
        rest: rest.trim(),
    }
}

fn extract_flags(mut line: &str) -> (Vec<String>, &str) {
    let mut flags = Vec::new();
    loop {
        line = line.trim_start();
        if !line.starts_with("--") {
            return (flags, line);
        }
        let (word, rest) = flag_word(line);
        if word == "--" {
            return (flags, rest);
        }
        flags.push(word);
        line = rest;
    }
}

/// One flag word: up to unquoted whitespace, quotes removed, a backslash
/// taking the next character literally.
fn flag_word(line: &str) -> (String, &str) {
    let mut word = String::new();
    let mut quote = None;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match quote {
            None if c.is_whitespace() => return (word, &line[at..]),
            None if c == '\'' || c == '"' => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ if c == '\\' => {
                if let Some((_, next)) = chars.next() {
                    word.push(next);
                }
            }
            _ => word.push(c),
        }
    }
    (word, "")
}

/// Words separated by unquoted whitespace, with the quotes and escapes
/// kept in them (they are removed when the word is expanded). This is how
/// ENV, LABEL and ARG are split.
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A quoted empty string is still a word.
    let mut has_word = false;
    let mut quote: Option<char> = None;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == escape && q != '\'' {
                // The escape keeps its character, quote or not, in the word.
                let Some(next) = chars.next() else { break };
                word.push(c);
                word.push(next);
                continue;
            }
            word.push(c);
            continue;
        }
        if c.is_whitespace() {
            if has_word || !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            has_word = false;
            continue;
        }
        if c == escape {
            let Some(next) = chars.next() else { break };
            word.push(c);
            word.push(next);
            continue;
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
            has_word = true;
        }
        word.push(c);
    }
    if has_word || !word.is_empty() {
        words.push(word);
    }
    words
}

/// Words separated by runs of blanks, nothing else interpreted (FROM,
/// EXPOSE and the shell form of COPY, ADD and VOLUME).
pub(crate) fn whitespace_words(rest: &str) -> Vec<String> {
    rest.split([' ', '\t', '\u{b}', '\u{c}', '\r'])
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// A JSON array of strings, if `rest` starts with one. Like Go's
/// `json.Decoder`, only the first JSON value is read and anything after it
/// is ignored. Invalid JSON is `Ok(None)` (the caller falls back to shell
/// form); valid JSON that is not an array of strings is an error.
pub(crate) fn json_array(rest: &str) -> Result<Option<Vec<String>>, ErrorKind> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(None);
    }
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    let Some(Ok(serde_json::Value::Array(items))) = values.next() else {
        return Ok(None);
    };
    let strings = items.into_iter().map(|item| match item {
        serde_json::Value::String(s) => Ok(s),
        _ => Err(ErrorKind::NotStringArray),
    });
    strings.collect::<Result<Vec<_>, _>>().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_the_leading_double_dash_words() {
        let split = split_command("COPY --from=build --chown=\"a b\" src dst");
        assert_eq!(split.keyword, "COPY");
        assert_eq!(split.flags, ["--from=build", "--chown=a b"]);
        assert_eq!(split.rest, "src dst");
        let split = split_command("RUN -- --not-a-flag");
        assert_eq!(split.flags, Vec::<String>::new());
        assert_eq!(split.rest, "--not-a-flag");
        let split = split_command("  run  ");
        assert_eq!((split.keyword, split.rest), ("run", ""));
        let split = split_command("RUN --mount=type=cache,target=/x   echo -n --x");
        assert_eq!(split.flags, ["--mount=type=cache,target=/x"]);
        assert_eq!(split.rest, "echo -n --x");
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        assert_eq!(
            parse_words(r#"A="x y" B=z\ w C='$a b'"#, '\\'),
            [r#"A="x y""#, r"B=z\ w", "C='$a b'"]
        );
        assert_eq!(parse_words(r#"a "" b"#, '\\'), ["a", r#""""#, "b"]);
        assert_eq!(parse_words("a`  b", '`'), ["a` ", "b"]);
        assert_eq!(parse_words(r#"K="a\"b""#, '\\'), [r#"K="a\"b""#]);
    }

    #[test]
    fn json_arrays_and_the_shell_form_fallback() {
        assert_eq!(
            json_array(r#"["a", "b"]"#).unwrap(),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            json_array(r#"[ "\/usr\\\"/bin/znc", "-f" ]"#)
                .unwrap()
                .unwrap()[0],
            "/usr\\\"/bin/znc"
        );
        assert_eq!(json_array("['a']").unwrap(), None);
        assert_eq!(json_array(r#"["a", "b""#).unwrap(), None);
        assert_eq!(json_array("echo [a]").unwrap(), None);
        assert_eq!(json_array("[]").unwrap(), Some(vec![]));
        assert_eq!(
            json_array(r#"["a"] trailing"#).unwrap(),
            Some(vec!["a".into()])
        );
        assert_eq!(json_array("[1, 2]"), Err(ErrorKind::NotStringArray));
    }
}
