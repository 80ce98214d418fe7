//! `.dockerignore`: which paths of the build context are left out, by the
//! rules of Docker's `moby/patternmatcher` (C19).
//!
//! - One pattern a line. A line starting with `#` is a comment; blank
//!   lines are skipped; surrounding whitespace is trimmed.
//! - A pattern is cleaned like a path: `./a/` is `a`, `a//b/../c` is
//!   `a/c`, and a leading `/` is dropped (patterns are relative to the
//!   context root).
//! - `*` matches any run of characters but `/`, `?` one character but `/`,
//!   `[a-z]` / `[^a-z]` a class, and `\x` a literal `x` (`\?` is a `?`).
//!   `**` matches any number of directories, none included: `**/*.go`
//!   matches `a.go` and `x/y/a.go`; `x/**` matches everything inside `x`
//!   but not `x` itself.
//! - A path is excluded when it, or one of its parent directories, matches
//!   a pattern. `!pattern` re-includes; the last pattern that matches wins,
//!   so a re-included directory brings its children back.
//!
//! ```
//! use container_dockerfile::ignore::Matcher;
//! let matcher = Matcher::parse("*.md\n!README.md\nbuild/\n");
//! assert!(matcher.is_excluded("CHANGES.md"));
//! assert!(!matcher.is_excluded("README.md"));
//! assert!(matcher.is_excluded("build/out/app"));
//! assert!(matcher.may_skip_dir("build"));
//! ```

/// The ignore file at the context root.
pub const FILE_NAME: &str = ".dockerignore";

/// The ignore file that belongs to one Dockerfile and, when it exists,
/// replaces the root `.dockerignore`: `<Dockerfile path>.dockerignore`,
/// next to the Dockerfile (`build/app.Dockerfile.dockerignore`).
pub fn file_for_dockerfile(dockerfile_path: &str) -> String {
    format!("{dockerfile_path}{FILE_NAME}")
}

/// One cleaned pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern as cleaned, without its `!`.
    pub text: String,
    /// `!pattern`: re-include what it matches.
    pub is_exception: bool,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `*`: any run without `/`.
    Star,
    /// `?`: one character but `/`.
    Question,
    /// `**/` (or `**` before more pattern): any run of whole directories.
    Directories,
    /// `**` at the end: anything.
    Rest,
    /// `[...]`: ranges, negated or not.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// The patterns of a `.dockerignore`, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    patterns: Vec<Pattern>,
}

impl Matcher {
    /// Reads a `.dockerignore` file's text.
    pub fn parse(text: &str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines = text.lines().filter(|line| !line.starts_with('#'));
        Self::new(lines)
    }

    /// From patterns such as `--exclude` gives (`!` allowed; blank ones
    /// are skipped).
    pub fn new<I, S>(patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns = patterns
            .into_iter()
            .filter_map(|p| Pattern::new(p.as_ref()));
        Self {
            patterns: patterns.collect(),
        }
    }

    /// The patterns, cleaned, in order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether there is no pattern at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether the context path `path` (relative, `/`-separated, e.g.
    /// `src/main.rs`) is left out.
    pub fn is_excluded(&self, path: &str) -> bool {
        let path: Vec<char> = clean(path.trim_start_matches('/')).chars().collect();
        // The path itself, then each parent directory, shortest first.
        let parents = path
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == '/')
            .map(|(i, _)| &path[..i]);
        let candidates: Vec<&[char]> = std::iter::once(path.as_slice()).chain(parents).collect();
        let mut excluded = false;
        for pattern in &self.patterns {
            // Only a pattern that can change the answer needs a look.
            if pattern.is_exception != excluded {
                continue;
            }
            if candidates
                .iter()
                .any(|candidate| matches(&pattern.tokens, candidate))
            {
                excluded = !pattern.is_exception;
            }
        }
        excluded
    }

    /// Whether the directory `dir` may be skipped whole when walking the
    /// context: it is excluded and no `!` pattern can match anything
    /// inside it.
    pub fn may_skip_dir(&self, dir: &str) -> bool {
        if !self.is_excluded(dir) {
            return false;
        }
        let dir = clean(dir.trim_start_matches('/'));
        let inside: Vec<char> = format!("{dir}/").chars().collect();
        let exceptions = self.patterns.iter().filter(|p| p.is_exception);
        !exceptions
            .into_iter()
            .any(|p| can_match_under(&p.tokens, &inside))
    }
}

impl Pattern {
    /// A pattern from a line; `None` for a blank one.
    pub fn new(line: &str) -> Option<Self> {
        let line = line.trim();
        let (is_exception, body) = match line.strip_prefix('!') {
            Some(body) => (true, body.trim()),
            None => (false, line),
        };
        if body.is_empty() {
            return None;
        }
        let mut text = clean(body);
        if text.len() > 1 && text.starts_with('/') {
            text.remove(0);
        }
        let tokens = tokens(&text);
        Some(Self {
            text,
            is_exception,
            tokens,
        })
    }

    /// Whether the pattern matches the whole of `path`.
    pub fn matches(&self, path: &str) -> bool {
        let path: Vec<char> = path.chars().collect();
        matches(&self.tokens, &path)
    }
}

/// Go's `filepath.Clean` for `/`-separated paths.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn tokens(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        at += 1;
        match c {
            '*' if chars.get(at) == Some(&'*') => {
                at += 1;
                if chars.get(at) == Some(&'/') {
                    at += 1;
                }
                tokens.push(if at == chars.len() {
                    Token::Rest
                } else {
                    Token::Directories
                });
            }
            '*' => tokens.push(Token::Star),
            '?' => tokens.push(Token::Question),
            '\\' if at < chars.len() => {
                tokens.push(Token::Literal(chars[at]));
                at += 1;
            }
            '[' => match class(&chars[at..]) {
                Some((token, used)) => {
                    tokens.push(token);
                    at += used;
                }
                None => tokens.push(Token::Literal('[')),
            },
            _ => tokens.push(Token::Literal(c)),
        }
    }
    tokens
}

/// A class after its `[`: the token and how many characters it used
/// (the `]` included).
fn class(chars: &[char]) -> Option<(Token, usize)> {
    let negated = chars.first() == Some(&'^');
    let mut at = usize::from(negated);
    let mut ranges = Vec::new();
    while at < chars.len() {
        let mut start = chars[at];
        if start == ']' && !ranges.is_empty() {
            return Some((Token::Class { negated, ranges }, at + 1));
        }
        if start == '\\' && at + 1 < chars.len() {
            at += 1;
            start = chars[at];
        }
        if chars.get(at + 1) == Some(&'-') && chars.get(at + 2).is_some_and(|e| *e != ']') {
            ranges.push((start, chars[at + 2]));
            at += 3;
        } else {
            ranges.push((start, start));
            at += 1;
        }
    }
    None
}

fn one(token: &Token, c: char) -> bool {
    match token {
        Token::Literal(l) => *l == c,
        Token::Question => c != '/',
        Token::Class { negated, ranges } => {
            c != '/' && ranges.iter().any(|(a, b)| *a <= c && c <= *b) != *negated
        }
        _ => false,
    }
}

/// Whether `tokens` match all of `text`. Backtracking over `*` and `**`
/// is bounded by remembering the (token, position) pairs that failed.
fn matches(tokens: &[Token], text: &[char]) -> bool {
    let mut failed = vec![false; (tokens.len() + 1) * (text.len() + 1)];
    matches_from(tokens, text, 0, 0, &mut failed)
}

fn matches_from(tokens: &[Token], text: &[char], t: usize, at: usize, failed: &mut [bool]) -> bool {
    let key = t * (text.len() + 1) + at;
    if failed[key] {
        return false;
    }
    let rest = &text[at..];
    let found = match tokens.get(t) {
        None => rest.is_empty(),
        Some(Token::Rest) => true,
        Some(Token::Star) => {
            let run = rest.iter().take_while(|c| **c != '/').count();
            (0..=run).any(|n| matches_from(tokens, text, t + 1, at + n, failed))
        }
        Some(Token::Directories) => {
            let slashes = rest
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == '/')
                .map(|(i, _)| i + 1);
            let mut cuts = std::iter::once(0).chain(slashes);
            cuts.any(|n| matches_from(tokens, text, t + 1, at + n, failed))
        }
        Some(token) => {
            !rest.is_empty()
                && one(token, rest[0])
                && matches_from(tokens, text, t + 1, at + 1, failed)
        }
    };
    if !found {
        failed[key] = true;
    }
    found
}

/// Whether some path that starts with `prefix` (a directory and its `/`)
/// can match all of `tokens`.
fn can_match_under(tokens: &[Token], prefix: &[char]) -> bool {
    if prefix.is_empty() {
        return !tokens.is_empty();
    }
    let Some((token, rest)) = tokens.split_first() else {
        return false;
    };
    match token {
        Token::Rest | Token::Directories => true,
        Token::Star => {
            let run = prefix.iter().take_while(|c| **c != '/').count();
            (0..=run).any(|n| can_match_under(rest, &prefix[n..]))
        }
        _ => one(token, prefix[0]) && can_match_under(rest, &prefix[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept<'a>(ignore: &str, paths: &[&'a str]) -> Vec<&'a str> {
        let matcher = Matcher::parse(ignore);
        paths
            .iter()
            .copied()
            .filter(|p| !matcher.is_excluded(p))
            .collect()
    }

    #[test]
    fn c19_input_a_exceptions() {
        let ignore = ".git\npkg\n.gitignore\nsrc/_vendor\n*.md\ndir\n!dir/e*\n!dir/dir/foo\n**/*.cc\n!**/*.cc\n";
        let context = [
            "Makefile",
            ".git/HEAD",
            "src/x.go",
            "src/_vendor/v.go",
            "dir/foo",
            "dir/foo1",
            "dir/dir/f1",
            "dir/dir/foo",
            "dir/e",
            "dir/e-dir/foo",
            ".gitignore",
            "README.md",
            "dir/a.cc",
        ];
        let present = [
            "Makefile",
            "src/x.go",
            "dir/dir/foo",
            "dir/e",
            "dir/e-dir/foo",
            "dir/a.cc",
        ];
        assert_eq!(kept(ignore, &context), present);
        let matcher = Matcher::parse(ignore);
        assert!(matcher.is_excluded(".git") && matcher.is_excluded("src/_vendor"));
        assert!(
            !matcher.may_skip_dir(".git"),
            "!**/*.cc can match .git/x.cc"
        );
        assert!(matcher.is_excluded(".git/HEAD") && !matcher.is_excluded(".git/x.cc"));
        let without_cc = Matcher::parse(".git\nsrc/_vendor\n!dir/e*\n");
        assert!(without_cc.may_skip_dir(".git") && without_cc.may_skip_dir("src/_vendor"));
        assert!(
            !matcher.may_skip_dir("dir"),
            "!dir/e* and !**/*.cc can match inside dir"
        );
    }

    #[test]
    fn c19_input_b_double_star_and_escapes() {
        let ignore = "**/file0\n**/*file1\n**/dir1/file2\ndir1/**/file4\n**/dir2/file5\n**/dir1/dir2/file6\n\
                      dir1/dir3/**\n**/dir4/**\n**/file?A\n**/file\\?B\n**/dir5/file.\n";
        let context = [
            "dir1/file0",
            "dir1/dir2/file0",
            "file1",
            "dir1/file1",
            "dir1/dir2/file1",
            "dir1/file2",
            "dir1/dir2/file2",
            "dir1/dir2/file4",
            "dir1/dir2/file5",
            "dir1/dir2/file6",
            "dir1/dir3/file7",
            "dir1/dir3/file8",
            "dir1/dir4/file9",
            "dir1/dir5/fileAA",
            "dir1/dir5/fileAB",
            "dir1/dir5/fileB",
            "Dockerfile",
        ];
        let present = [
            "dir1/dir2/file2",
            "dir1/dir5/fileAB",
            "dir1/dir5/fileB",
            "Dockerfile",
        ];
        assert_eq!(kept(ignore, &context), present);
        let matcher = Matcher::parse(ignore);
        assert!(!matcher.is_excluded("dir1/dir3"), "x/** keeps x itself");
        assert!(!matcher.is_excluded("dir1/dir4"));
        assert!(matcher.is_excluded("dir1/dir5/file?B"));
    }

    #[test]
    fn per_dockerfile_ignore_file() {
        assert_eq!(file_for_dockerfile("Dockerfile"), "Dockerfile.dockerignore");
        assert_eq!(
            file_for_dockerfile("ci/test.Dockerfile"),
            "ci/test.Dockerfile.dockerignore"
        );
    }

    #[test]
    fn lines_are_cleaned() {
        let matcher =
            Matcher::parse("# comment\n\n  /abs  \n./rel/\n ! keep/x \na//b/../c\n#!not\n");
        let texts: Vec<_> = matcher
            .patterns()
            .iter()
            .map(|p| (p.text.as_str(), p.is_exception))
            .collect();
        assert_eq!(
            texts,
            [
                ("abs", false),
                ("rel", false),
                ("keep/x", true),
                ("a/c", false)
            ]
        );
        assert!(matcher.is_excluded("abs/file"));
        assert!(matcher.is_excluded("/abs/file") && matcher.is_excluded("./abs"));
        assert!(matcher.is_excluded("rel"));
        assert!(!matcher.is_excluded("absx"));
        assert!(Matcher::parse("").is_empty());
    }

    #[test]
    fn last_match_wins_and_reincluded_directories_bring_children() {
        let matcher = Matcher::parse("docs\n!docs\ndocs/private\n");
        assert!(!matcher.is_excluded("docs/a.md"));
        assert!(matcher.is_excluded("docs/private/key"));
        let matcher = Matcher::parse("*\n!src\n");
        assert!(matcher.is_excluded("target/debug/x"));
        assert!(!matcher.is_excluded("src/lib.rs"));
        assert!(matcher.may_skip_dir("target"));
        assert!(!matcher.may_skip_dir("src"));
    }

    #[test]
    fn wildcards_stay_within_a_component() {
        let matcher = Matcher::parse("*.pyc\nbuild-[0-9]\n");
        assert!(matcher.is_excluded("a.pyc"));
        assert!(
            !matcher.is_excluded("pkg/a.pyc"),
            "*.pyc only at the top, as in Docker"
        );
        assert!(matcher.is_excluded("build-7/x"));
        assert!(!matcher.is_excluded("build-x"));
        let matcher = Matcher::parse("**/__pycache__\n[^a]*.log\n");
        assert!(matcher.is_excluded("a/b/__pycache__/m.pyc"));
        assert!(matcher.is_excluded("b.log") && !matcher.is_excluded("a.log"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let matcher = Matcher::parse("*a*a*a*a*a*a*a*a*a*a*b\n");
        let long = "a".repeat(200);
        assert!(!matcher.is_excluded(&long));
        assert!(matcher.is_excluded(&format!("{long}b")));
    }

    #[test]
    fn skipping_directories_is_safe() {
        let matcher =
            Matcher::parse("node_modules\n!node_modules/keep/*.js\nlogs\n!*/important.log\n");
        assert!(!matcher.may_skip_dir("node_modules"));
        assert!(
            !matcher.may_skip_dir("logs"),
            "*/important.log can match logs/important.log"
        );
        assert!(!matcher.is_excluded("logs/important.log"));
        assert!(matcher.is_excluded("logs/other.log"));
        assert!(!matcher.may_skip_dir("src"), "not excluded");
        let matcher = Matcher::parse("vendor\n!other/**\n");
        assert!(matcher.may_skip_dir("vendor"));
    }
}

#[cfg(test)]
mod walk_tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Walks a context given as its file paths the way a builder would,
    /// skipping whole directories when the matcher allows, and returns the
    /// files kept.
    fn walk(matcher: &Matcher, files: &[&str]) -> BTreeSet<String> {
        fn visit(matcher: &Matcher, files: &[&str], dir: &str, kept: &mut BTreeSet<String>) {
            let prefix = if dir.is_empty() {
                String::new()
            } else {
                format!("{dir}/")
            };
            let children: BTreeSet<&str> = files
                .iter()
                .filter_map(|f| f.strip_prefix(prefix.as_str()))
                .map(|rest| rest.split('/').next().unwrap_or_default())
                .collect();
            for child in children {
                let path = format!("{prefix}{child}");
                if files.contains(&path.as_str()) {
                    if !matcher.is_excluded(&path) {
                        kept.insert(path);
                    }
                } else if !matcher.may_skip_dir(&path) {
                    visit(matcher, files, &path, kept);
                }
            }
        }
        let mut kept = BTreeSet::new();
        visit(matcher, files, "", &mut kept);
        kept
    }

    fn filtered(matcher: &Matcher, files: &[&str]) -> BTreeSet<String> {
        files
            .iter()
            .filter(|f| !matcher.is_excluded(f))
            .map(|f| f.to_string())
            .collect()
    }

    #[test]
    fn skipping_directories_never_loses_a_file() {
        let files = [
            "Makefile",
            ".git/HEAD",
            ".git/x.cc",
            "src/x.go",
            "src/_vendor/v.go",
            "src/_vendor/keep.cc",
            "dir/foo",
            "dir/foo1",
            "dir/dir/f1",
            "dir/dir/foo",
            "dir/e",
            "dir/e-dir/foo",
            ".gitignore",
            "README.md",
            "dir/a.cc",
            "node_modules/a/b.js",
            "node_modules/keep/x.js",
            "logs/a.log",
            "logs/important.log",
            "deep/a/b/c/d.txt",
            "deep/a/b/keep.txt",
        ];
        let ignores = [
            ".git\npkg\n.gitignore\nsrc/_vendor\n*.md\ndir\n!dir/e*\n!dir/dir/foo\n**/*.cc\n!**/*.cc\n",
            "node_modules\n!node_modules/keep/*.js\nlogs\n!*/important.log\n",
            "*\n!src\n!deep/a/b/keep.txt\n",
            "deep/**\n!deep/a/b/c\n",
            "**\n!**/*.go\n",
            "deep\n!deep/a\ndeep/a/b\n!deep/a/b/keep.txt\n",
        ];
        for ignore in ignores {
            let matcher = Matcher::parse(ignore);
            assert_eq!(
                walk(&matcher, &files),
                filtered(&matcher, &files),
                "{ignore}"
            );
        }
        let matcher = Matcher::parse(ignores[2]);
        assert!(matcher.may_skip_dir("node_modules") && matcher.may_skip_dir("logs"));
        assert!(!matcher.may_skip_dir("deep") && !matcher.may_skip_dir("deep/a/b"));
        assert!(matcher.may_skip_dir("deep/a/b/c"));
    }
}
