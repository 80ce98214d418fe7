//! Variable expansion and word splitting, by the rules of BuildKit's
//! `frontend/dockerfile/shell/lex.go` (see C10 in CASES.md):
//!
//! - `$VAR` and `${VAR}`; an unset variable is empty. `$1`, `$@` and the
//!   other positional and special parameters are always empty.
//! - `${VAR:-word}` / `${VAR-word}`: `word` when VAR is unset (or, with
//!   `:`, empty); `${VAR:+word}` / `${VAR+word}`: `word` when VAR is set
//!   (and, with `:`, not empty); `${VAR:?msg}` / `${VAR?msg}`: an error when
//!   unset (or empty). `word` is itself expanded, and the first unescaped
//!   `}` ends it: `${NOPE:-\${A}:}` is `${A` followed by `:}`.
//! - `${VAR#pattern}`, `${VAR##pattern}`, `${VAR%pattern}`,
//!   `${VAR%%pattern}` remove the shortest/longest matching prefix/suffix;
//!   `${VAR/pattern/text}` and `${VAR//pattern/text}` replace the first/every
//!   match. Patterns take `*`, `?` and `[...]`.
//! - Single quotes take everything literally; double quotes allow `$`
//!   expansion and escape only `"`, `$` and the escape character; outside
//!   quotes the escape character takes the next character literally. Quotes
//!   and escapes are removed from the result.
//! - Anything else after `${VAR` (`${A:=x}`, `${A:x}`) and `${}`, `${A`,
//!   `${:-x}` are errors.
//!
//! Word splitting ([`Lexer::expand_words`]) splits on unquoted whitespace,
//! including whitespace that an unquoted expansion produced.

/// A variable expansion that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpandError {
    /// `'` without its closing quote.
    #[error("unexpected end of statement while looking for matching single-quote")]
    SingleQuote,
    /// `"` without its closing quote.
    #[error("unexpected end of statement while looking for matching double-quote")]
    DoubleQuote,
    /// `${` without its `}`.
    #[error("syntax error: missing '}}'")]
    MissingBrace,
    /// `${}`, `${:...}`, `${{`.
    #[error("syntax error: bad substitution")]
    BadSubstitution,
    /// `${A:=x}`, `${A:x}`, `${A!x}`...
    #[error("unsupported modifier ({modifier}) in substitution")]
    Modifier {
        /// The modifier as written.
        modifier: String,
    },
    /// `${VAR?message}` with VAR unset, or `${VAR:?message}` with it empty.
    #[error("{name}: {message}")]
    Required {
        /// The variable.
        name: String,
        /// The message given, or the standard one.
        message: String,
    },
}

/// Expands `word` with `\` as the escape character.
///
/// ```
/// use container_dockerfile::expand;
/// let vars = |name: &str| (name == "A").then(|| "ABC".to_string());
/// assert_eq!(expand("${A:-x}/${B:-def}", &vars).unwrap(), "ABC/def");
/// assert_eq!(expand(r#"'$A' "$A" \$A"#, &vars).unwrap(), "$A ABC $A");
/// ```
pub fn expand(word: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    Lexer::default().expand(word, lookup)
}

/// Expands `word` and splits the result into words (`\` escapes).
pub fn expand_words(
    word: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, ExpandError> {
    Lexer::default().expand_words(word, lookup)
}

/// Expansion with a chosen escape character (`# escape=` sets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lexer {
    /// `\` or a backtick.
    pub escape: char,
}

impl Default for Lexer {
    fn default() -> Self {
        Self { escape: '\\' }
    }
}

impl Lexer {
    /// A lexer with this escape character.
    pub fn new(escape: char) -> Self {
        Self { escape }
    }

    /// Expands one word; whitespace in it is kept.
    pub fn expand(
        &self,
        word: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, ExpandError> {
        let mut scanner = Scanner::new(word, self.escape, lookup);
        Ok(scanner.process(&[], false)?.text)
    }

    /// Expands and splits into words.
    pub fn expand_words(
        &self,
        word: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<String>, ExpandError> {
        let mut scanner = Scanner::new(word, self.escape, lookup);
        Ok(scanner.process(&[], false)?.words.finish())
    }

    /// Expands a heredoc body as a shell expands an unquoted heredoc:
    /// `$VAR` and `${...}` are expanded, the escape character escapes only
    /// `$` and itself, and quotes are ordinary characters.
    pub fn expand_heredoc(
        &self,
        body: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, ExpandError> {
        let mut scanner = Scanner::new(body, self.escape, lookup);
        let mut text = String::new();
        while let Some(c) = scanner.peek() {
            if c == '$' {
                text.push_str(&scanner.dollar()?);
                continue;
            }
            scanner.at += 1;
            match scanner.peek() {
                Some(next) if c == self.escape && (next == '$' || next == self.escape) => {
                    scanner.at += 1;
                    text.push(next);
                }
                _ => text.push(c),
            }
        }
        Ok(text)
    }
}

/// The words being built while scanning.
#[derive(Default)]
struct Words {
    done: Vec<String>,
    current: String,
    in_word: bool,
}

impl Words {
    /// A character that can never split (quoted or escaped).
    fn push_raw(&mut self, c: char) {
        self.current.push(c);
        self.in_word = true;
    }

    fn push_raw_str(&mut self, s: &str) {
        self.current.push_str(s);
        self.in_word = true;
    }

    /// An unquoted character: whitespace ends the word.
    fn push(&mut self, c: char) {
        if !c.is_whitespace() {
            self.push_raw(c);
        } else if self.in_word {
            self.done.push(std::mem::take(&mut self.current));
            self.in_word = false;
        }
    }

    fn push_str(&mut self, s: &str) {
        s.chars().for_each(|c| self.push(c));
    }

    fn finish(mut self) -> Vec<String> {
        if self.in_word {
            self.done.push(self.current);
        }
        self.done
    }
}

struct Processed {
    text: String,
    words: Words,
    /// The stop character that ended the scan, if one did.
    stopped_by: Option<char>,
}

struct Scanner<'a> {
    chars: Vec<char>,
    at: usize,
    escape: char,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Scanner<'a> {
    fn new(word: &str, escape: char, lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            chars: word.chars().collect(),
            at: 0,
            escape,
            lookup,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    /// Scans up to one of `stops` (or the end). With `raw_escapes` the
    /// escape characters stay in the text (for patterns).
    fn process(&mut self, stops: &[char], raw_escapes: bool) -> Result<Processed, ExpandError> {
        let mut text = String::new();
        let mut words = Words::default();
        while let Some(c) = self.peek() {
            if stops.contains(&c) {
                self.at += 1;
                return Ok(Processed {
                    text,
                    words,
                    stopped_by: Some(c),
                });
            }
            match c {
                '\'' | '"' => {
                    let quoted = if c == '\'' {
                        self.single_quoted()?
                    } else {
                        self.double_quoted()?
                    };
                    text.push_str(&quoted);
                    words.push_raw_str(&quoted);
                }
                '$' => {
                    let value = self.dollar()?;
                    text.push_str(&value);
                    words.push_str(&value);
                }
                _ => {
                    self.at += 1;
                    if c != self.escape {
                        text.push(c);
                        words.push(c);
                        continue;
                    }
                    if raw_escapes {
                        text.push(c);
                    }
                    let Some(escaped) = self.next() else { break };
                    text.push(escaped);
                    words.push_raw(escaped);
                }
            }
        }
        Ok(Processed {
            text,
            words,
            stopped_by: None,
        })
    }

    fn single_quoted(&mut self) -> Result<String, ExpandError> {
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.next() {
                None => return Err(ExpandError::SingleQuote),
                Some('\'') => return Ok(text),
                Some(c) => text.push(c),
            }
        }
    }

    fn double_quoted(&mut self) -> Result<String, ExpandError> {
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(ExpandError::DoubleQuote),
                Some('"') => {
                    self.at += 1;
                    return Ok(text);
                }
                Some('$') => text.push_str(&self.dollar()?),
                Some(c) => {
                    self.at += 1;
                    let escapable = |n: char| n == '"' || n == '$' || n == self.escape;
                    match self.peek() {
                        Some(next) if c == self.escape && escapable(next) => {
                            self.at += 1;
                            text.push(next);
                        }
                        _ => text.push(c),
                    }
                }
            }
        }
    }

    fn dollar(&mut self) -> Result<String, ExpandError> {
        self.at += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(self.get(&name).unwrap_or_default());
        }
        self.at += 1;
        match self.peek() {
            None => return Err(ExpandError::MissingBrace),
            Some('{' | '}' | ':') => return Err(ExpandError::BadSubstitution),
            Some(_) => {}
        }
        let name = self.name();
        match self.next() {
            None => Err(ExpandError::MissingBrace),
            Some('}') => Ok(self.get(&name).unwrap_or_default()),
            Some(':') => match self.next() {
                Some(modifier @ ('-' | '+' | '?')) => self.modifier(&name, modifier, true),
                Some(other) => Err(ExpandError::Modifier {
                    modifier: format!(":{other}"),
                }),
                None => Err(ExpandError::MissingBrace),
            },
            Some(modifier @ ('-' | '+' | '?')) => self.modifier(&name, modifier, false),
            Some(side @ ('#' | '%')) => self.trim(&name, side),
            Some('/') => self.replace(&name),
            Some(other) => Err(ExpandError::Modifier {
                modifier: other.to_string(),
            }),
        }
    }

    /// `${NAME-word}`, `${NAME:+word}`, `${NAME?word}`...
    fn modifier(
        &mut self,
        name: &str,
        modifier: char,
        null_is_unset: bool,
    ) -> Result<String, ExpandError> {
        let word = self.process(&['}'], false)?;
        if word.stopped_by.is_none() {
            return Err(ExpandError::MissingBrace);
        }
        let word = word.text;
        let value = self.get(name);
        let missing = match &value {
            None => true,
            Some(v) => null_is_unset && v.is_empty(),
        };
        match modifier {
            '-' if missing => Ok(word),
            '-' => Ok(value.unwrap_or_default()),
            '+' if missing => Ok(String::new()),
            '+' => Ok(word),
            _ if !missing => Ok(value.unwrap_or_default()),
            _ => {
                let standard = if value.is_none() {
                    "is not allowed to be unset"
                } else {
                    "is not allowed to be empty"
                };
                let message = if word.is_empty() {
                    standard.to_string()
                } else {
                    word
                };
                Err(ExpandError::Required {
                    name: name.to_string(),
                    message,
                })
            }
        }
    }

    /// `${NAME#pat}`, `${NAME##pat}`, `${NAME%pat}`, `${NAME%%pat}`.
    fn trim(&mut self, name: &str, side: char) -> Result<String, ExpandError> {
        let longest = self.peek() == Some(side);
        if longest {
            self.at += 1;
        }
        let pattern = self.process(&['}'], true)?;
        if pattern.stopped_by.is_none() {
            return Err(ExpandError::MissingBrace);
        }
        let pattern: Vec<char> = pattern.text.chars().collect();
        let value: Vec<char> = self.get(name).unwrap_or_default().chars().collect();
        let mut cuts: Vec<usize> = (0..=value.len()).collect();
        if longest {
            cuts.reverse();
        }
        let found = if side == '#' {
            cuts.into_iter()
                .find(|&i| glob(&pattern, &value[..i], self.escape))
                .map(|i| &value[i..])
        } else {
            let from_end = cuts.into_iter().map(|i| value.len() - i);
            from_end
                .into_iter()
                .find(|&i| glob(&pattern, &value[i..], self.escape))
                .map(|i| &value[..i])
        };
        Ok(found.unwrap_or(&value).iter().collect())
    }

    /// `${NAME/pat/text}` and `${NAME//pat/text}`.
    fn replace(&mut self, name: &str) -> Result<String, ExpandError> {
        let every = self.peek() == Some('/');
        if every {
            self.at += 1;
        }
        let pattern = self.process(&['/', '}'], true)?;
        let replacement = match pattern.stopped_by {
            None => return Err(ExpandError::MissingBrace),
            Some('}') => String::new(),
            Some(_) => {
                let replacement = self.process(&['}'], false)?;
                if replacement.stopped_by.is_none() {
                    return Err(ExpandError::MissingBrace);
                }
                replacement.text
            }
        };
        let pattern: Vec<char> = pattern.text.chars().collect();
        let value: Vec<char> = self.get(name).unwrap_or_default().chars().collect();
        Ok(replace_matches(
            &value,
            &pattern,
            &replacement,
            every,
            self.escape,
        ))
    }

    /// A variable name: digits (positional), one special character, or
    /// letters, digits and `_`.
    fn name(&mut self) -> String {
        let mut name = String::new();
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    name.push(d);
                    self.at += 1;
                }
                return name;
            }
            Some(c @ ('@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')) => {
                self.at += 1;
                return c.to_string();
            }
            _ => {}
        }
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
            name.push(c);
            self.at += 1;
        }
        name
    }

    /// Positional and special parameters never have a value.
    fn get(&self, name: &str) -> Option<String> {
        let special = name.starts_with(|c: char| !(c.is_alphabetic() || c == '_'));
        if special { None } else { (self.lookup)(name) }
    }
}

/// Replaces the longest non-empty match at the leftmost place (or every
/// place, left to right).
fn replace_matches(
    value: &[char],
    pattern: &[char],
    replacement: &str,
    every: bool,
    escape: char,
) -> String {
    let mut out = String::new();
    let mut start = 0;
    let mut done = false;
    while start < value.len() {
        let ends = (start + 1..=value.len()).rev();
        let found = ends
            .into_iter()
            .find(|&end| !done && glob(pattern, &value[start..end], escape));
        if let Some(end) = found {
            out.push_str(replacement);
            start = end;
            done = !every;
            continue;
        }
        out.push(value[start]);
        start += 1;
    }
    out
}

/// Shell pattern matching of the whole `text`: `*`, `?`, `[...]` (with `!`
/// or `^` to negate) and `escape` + character for a literal.
pub(crate) fn glob(pattern: &[char], text: &[char], escape: char) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return text.is_empty();
    };
    match first {
        '*' => (0..=text.len()).any(|skip| glob(rest, &text[skip..], escape)),
        '?' => !text.is_empty() && glob(rest, &text[1..], escape),
        '[' => match class(rest, text.first().copied()) {
            Some((true, after)) => glob(after, &text[1..], escape),
            Some((false, _)) => false,
            None => text.first() == Some(&'[') && glob(rest, &text[1..], escape),
        },
        c if c == escape && !rest.is_empty() => {
            text.first() == Some(&rest[0]) && glob(&rest[1..], &text[1..], escape)
        }
        c => text.first() == Some(&c) && glob(rest, &text[1..], escape),
    }
}

/// Matches `c` against a `[...]` class whose text follows the `[`; returns
/// whether it matched and the pattern after the `]`, or `None` when the
/// class is not closed (the `[` is then literal).
fn class(pattern: &[char], c: Option<char>) -> Option<(bool, &[char])> {
    let (negated, mut at) = match pattern.first() {
        Some('!' | '^') => (true, 1),
        _ => (false, 0),
    };
    let mut matched = false;
    let mut first = true;
    while at < pattern.len() {
        let start = pattern[at];
        if start == ']' && !first {
            let hit = c.is_some() && matched != negated;
            return Some((hit, &pattern[at + 1..]));
        }
        first = false;
        if pattern.get(at + 1) == Some(&'-') && pattern.get(at + 2).is_some_and(|e| *e != ']') {
            let end = pattern[at + 2];
            matched |= c.is_some_and(|c| start <= c && c <= end);
            at += 3;
        } else {
            matched |= c == Some(start);
            at += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BuildKit's `envVarTest` environment: `PWD=/home`, `SHELL=bash`,
    /// `NULL=` set but empty.
    fn env(name: &str) -> Option<String> {
        match name {
            "PWD" => Some("/home".into()),
            "SHELL" => Some("bash".into()),
            "NULL" | "EMPTY" => Some(String::new()),
            "A" => Some("ABC".into()),
            "B2" => Some("DEF".into()),
            "PATHS" => Some("/usr/local/bin:/usr/bin".into()),
            "TWO" => Some("a  b".into()),
            _ => None,
        }
    }

    fn ok(word: &str) -> String {
        expand(word, &env).unwrap_or_else(|e| panic!("{word}: {e}"))
    }

    #[test]
    fn c10_operators() {
        assert_eq!(ok("${A:-DEF}"), "ABC");
        assert_eq!(ok("${NOPE:-DEF}"), "DEF");
        assert_eq!(ok("${NOPE:-${B2}xx}"), "DEFxx");
        assert_eq!(ok("${A:+ALT}"), "ALT");
        assert_eq!(ok("${NOPE:+ALT}"), "");
        assert_eq!(ok(r"${NOPE:-\$A:}"), "$A:");
        assert_eq!(ok(r"${NOPE:-\${A}:}"), "${A:}");
        assert_eq!(ok(r"\$A"), "$A");
        assert_eq!(ok("$UNSET"), "");
        assert_eq!(ok("'$A'"), "$A");
        assert_eq!(ok("\"$A\""), "ABC");
        assert_eq!(ok("${X:-bbb}}"), "bbb}");
        assert_eq!(ok("$1"), "");
        assert_eq!(ok("${1:-d}"), "d");
    }

    #[test]
    fn c10_errors() {
        for word in [
            "${A:=x}",
            "${A:x}",
            "${}",
            "${A",
            "${:-x}",
            "${NOPE?}",
            "${EMPTY:?}",
            "'a",
            "\"a",
        ] {
            assert!(expand(word, &env).is_err(), "{word}");
        }
        assert_eq!(ok("${EMPTY?}"), "");
        let error = expand("${NOPE?need it}", &env).unwrap_err();
        assert_eq!(error.to_string(), "NOPE: need it");
    }

    #[test]
    fn set_but_empty_and_dash_without_colon() {
        assert_eq!(ok("${NULL-x}"), "");
        assert_eq!(ok("${NULL:-x}"), "x");
        assert_eq!(ok("${NULL+x}"), "x");
        assert_eq!(ok("${NULL:+x}"), "");
        assert_eq!(ok("${NOPE-x}"), "x");
        assert_eq!(ok("${PWD+x}"), "x");
    }

    #[test]
    fn plain_forms_and_quotes() {
        assert_eq!(ok("$PWD/x"), "/home/x");
        assert_eq!(ok("${PWD}x"), "/homex");
        assert_eq!(ok("a$"), "a$");
        assert_eq!(ok("$ a"), "$ a");
        assert_eq!(ok(r#""a\"b" "c\d""#), r#"a"b c\d"#);
        assert_eq!(ok(r"a\ b\\c"), r"a b\c");
        assert_eq!(ok("x\\"), "x");
        assert_eq!(ok("'a\\b'"), "a\\b");
        assert_eq!(ok("\"'$SHELL'\""), "'bash'");
        assert_eq!(ok("$SHELL$PWD"), "bash/home");
    }

    #[test]
    fn patterns() {
        assert_eq!(ok("${PATHS#*/}"), "usr/local/bin:/usr/bin");
        assert_eq!(ok("${PATHS##*/}"), "bin");
        assert_eq!(ok("${PATHS%:*}"), "/usr/local/bin");
        assert_eq!(ok("${PATHS%%/*}"), "");
        assert_eq!(ok("${PATHS/usr/opt}"), "/opt/local/bin:/usr/bin");
        assert_eq!(ok("${PATHS//usr/opt}"), "/opt/local/bin:/opt/bin");
        assert_eq!(ok("${PATHS//[ol]/_}"), "/usr/__ca_/bin:/usr/bin");
        assert_eq!(ok("${NOPE#x}"), "");
        assert_eq!(ok("${A/B}"), "AC");
    }

    #[test]
    fn word_splitting() {
        let words = |w: &str| expand_words(w, &env).unwrap();
        assert_eq!(words("a b  c"), ["a", "b", "c"]);
        assert_eq!(words("$TWO c"), ["a", "b", "c"]);
        assert_eq!(words("\"$TWO\" c"), ["a  b", "c"]);
        assert_eq!(words(r"a\ b c"), ["a b", "c"]);
        assert_eq!(words("x'' y"), ["x", "y"]);
        assert_eq!(words("'' y"), ["", "y"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn buildkit_lexer_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/expansion-cases.txt");
        let table = std::fs::read_to_string(path).unwrap();
        let vars = |name: &str| match name {
            "PWD" => Some("/home".to_string()),
            "SHELL" => Some("bash".to_string()),
            "KOREAN" => Some("한국어".to_string()),
            "NULL" => Some(String::new()),
            _ => None,
        };
        let mut checked = 0;
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (input, expected) = line.rsplit_once('|').unwrap();
            match (expand(input, &vars), expected) {
                (Err(_), "error") => {}
                (Ok(got), expected) => assert_eq!(got, expected, "{input}"),
                (Err(e), expected) => panic!("{input}: {e}, expected {expected}"),
            }
            checked += 1;
        }
        assert!(checked > 80);
    }

    #[test]
    fn buildkit_words_table() {
        let vars = |name: &str| match name {
            "hi" => Some("hi".to_string()),
            "space" => Some("abc  def".to_string()),
            "leading" => Some("  ab c".to_string()),
            "trailing" => Some("ab c   ".to_string()),
            _ => None,
        };
        for (input, expected) in [
            ("hello${hi}bye", vec!["hellohibye"]),
            ("hello${space}bye", vec!["helloabc", "defbye"]),
            ("hello\"${space}\"bye", vec!["helloabc  defbye"]),
            ("hello \"${space}\"bye", vec!["hello", "abc  defbye"]),
            ("hello${leading}def", vec!["hello", "ab", "cdef"]),
            ("hello\"${leading}\" def", vec!["hello  ab c", "def"]),
            ("hello${leading}", vec!["hello", "ab", "c"]),
            ("hello${trailing}", vec!["helloab", "c"]),
            ("hello${trailing}d", vec!["helloab", "c", "d"]),
            ("hello\"${trailing}\"d", vec!["helloab c   d"]),
            ("hel\"lo${trailing}\"", vec!["helloab c   "]),
            ("hello\" there  \"", vec!["hello there  "]),
            ("hello there     ", vec!["hello", "there"]),
            ("hello\\ there", vec!["hello there"]),
            ("hello\\\" there", vec!["hello\"", "there"]),
            ("hello\"\\\\there\"", vec!["hello\\there"]),
            ("hello'\\\\there'", vec!["hello\\\\there"]),
            ("hello'$there'", vec!["hello$there"]),
        ] {
            assert_eq!(expand_words(input, &vars).unwrap(), expected, "{input}");
        }
        assert!(expand_words("hello\" there", &vars).is_err());
    }

    #[test]
    fn heredoc_bodies_keep_quotes() {
        let body = "echo \"$A\" '${B2}' \\$A \\\\ \\n\n";
        let got = Lexer::default().expand_heredoc(body, &env).unwrap();
        assert_eq!(got, "echo \"ABC\" 'DEF' $A \\ \\n\n");
    }

    #[test]
    fn backtick_escape() {
        let lexer = Lexer::new('`');
        assert_eq!(lexer.expand(r"C:\path`$A", &env).unwrap(), r"C:\path$A");
        assert_eq!(lexer.expand("\"a`\"b\"", &env).unwrap(), "a\"b");
    }
}
