//! From the file's text to logical lines: parser directives, comments, line
//! continuations and heredoc bodies, by the rules of BuildKit's parser
//! (`frontend/dockerfile/parser/parser.go`).

use crate::error::{Error, ErrorKind};
use crate::instruction::Directives;

const BYTE_ORDER_MARK: char = '\u{feff}';

/// One instruction's text with the continuations joined.
#[derive(Debug)]
pub(crate) struct LogicalLine {
    /// 1-based line where it starts.
    pub start: usize,
    /// The joined text: escape + newline removed, comment and blank lines
    /// inside the continuation dropped, the whitespace before the escape
    /// kept.
    pub text: String,
}

/// Hands out logical lines and, on request, the heredoc bodies after them.
pub(crate) struct Reader<'a> {
    /// Physical lines, each with its line ending.
    lines: Vec<&'a str>,
    /// Index of the next physical line to read.
    next: usize,
    escape: char,
    /// Lines that held only whitespace inside a continuation (BuildKit
    /// warns about them).
    pub empty_continuation_lines: Vec<usize>,
}

impl<'a> Reader<'a> {
    /// Reads the parser directives at the top of `text`.
    pub fn new(text: &'a str) -> Result<(Self, Directives), Error> {
        let text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let directives = read_directives(&lines)?;
        let reader = Self {
            lines,
            next: 0,
            escape: directives.escape,
            empty_continuation_lines: Vec::new(),
        };
        Ok((reader, directives))
    }

    /// The 1-based number of the last physical line read.
    pub fn current_line(&self) -> usize {
        self.next
    }

    /// The next instruction's line, or `None` at the end of the file.
    pub fn next_line(&mut self) -> Option<LogicalLine> {
        while let Some(raw) = self.take() {
            let first = trim_newline(raw).trim_start();
            if is_comment(first) {
                continue;
            }
            let (mut text, mut ended) = trim_continuation(first, self.escape);
            if ended && text.is_empty() {
                continue;
            }
            let start = self.next;
            while !ended {
                let Some(raw) = self.take() else { break };
                let line = trim_newline(raw);
                if is_comment(line.trim_start()) {
                    continue;
                }
                if line.trim_start().is_empty() {
                    self.empty_continuation_lines.push(self.next);
                    continue;
                }
                let (rest, rest_ended) = trim_continuation(line, self.escape);
                text.push_str(&rest);
                ended = rest_ended;
            }
            return Some(LogicalLine { start, text });
        }
        None
    }

    /// Reads a heredoc body up to the line that is exactly `name` (after
    /// leading tabs, for `<<-`). The body keeps its line endings.
    pub fn heredoc_body(&mut self, name: &str, chomp: bool) -> Result<String, ErrorKind> {
        let mut body = String::new();
        while let Some(raw) = self.take() {
            let mut candidate = trim_newline(raw);
            if chomp {
                candidate = candidate.trim_start_matches('\t');
            }
            if candidate == name {
                return Ok(body);
            }
            body.push_str(raw);
        }
        Err(ErrorKind::UnterminatedHeredoc {
            name: name.to_string(),
        })
    }

    fn take(&mut self) -> Option<&'a str> {
        let line = self.lines.get(self.next).copied()?;
        self.next += 1;
        Some(line)
    }
}

/// Parser directives are `# key=value` comments before anything else; the
/// first line that is not one (a blank line, another comment, an
/// instruction, an unknown key) ends them.
fn read_directives(lines: &[&str]) -> Result<Directives, Error> {
    let mut directives = Directives::default();
    let mut seen: Vec<String> = Vec::new();
    for (index, raw) in lines.iter().enumerate() {
        let Some((key, value)) = directive(trim_newline(raw).trim_start()) else {
            break;
        };
        if !matches!(key.as_str(), "syntax" | "escape" | "check") {
            break;
        }
        let fail = |message: String| Error::new(index + 1, None, ErrorKind::Directive(message));
        if seen.contains(&key) {
            return Err(fail(format!("only one {key} parser directive can be used")));
        }
        match key.as_str() {
            "escape" => {
                directives.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        let message =
                            format!("invalid escape token '{value}' does not match ` or \\");
                        return Err(fail(message));
                    }
                }
            }
            "syntax" => directives.syntax = Some(value.to_string()),
            _ => directives.check = Some(value.to_string()),
        }
        seen.push(key);
    }
    Ok(directives)
}

/// `#[ \t]*key[ \t]*=[ \t]*value`, the key a letter then letters or digits.
fn directive(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let key_end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let key = &rest[..key_end];
    if !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = rest[key_end..].trim_start().strip_prefix('=')?.trim();
    if value.is_empty() {
        return None;
    }
    Some((key.to_ascii_lowercase(), value))
}

fn trim_newline(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

fn is_comment(left_trimmed: &str) -> bool {
    left_trimmed.starts_with('#')
}

/// A line continues when its last non-blank character is the escape token
/// and the one before it is not (`trail\\` is an escaped backslash, not a
/// continuation). Returns the line without the escape and the blanks after
/// it, and whether the instruction ends here.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    let Some(before) = trimmed.strip_suffix(escape) else {
        return (line.to_string(), true);
    };
    if before.ends_with(escape) {
        return (line.to_string(), true);
    }
    (before.to_string(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logical(text: &str) -> Vec<(usize, String)> {
        let (mut reader, _) = Reader::new(text).unwrap();
        std::iter::from_fn(|| reader.next_line())
            .map(|l| (l.start, l.text))
            .collect()
    }

    #[test]
    fn continuation_keeps_space_before_the_escape() {
        assert_eq!(
            trim_continuation("echo x  \\  ", '\\'),
            ("echo x  ".into(), false)
        );
        assert_eq!(
            trim_continuation("trail\\\\", '\\'),
            ("trail\\\\".into(), true)
        );
        assert_eq!(trim_continuation("\\", '\\'), ("".into(), false));
        assert_eq!(trim_continuation("a `", '`'), ("a ".into(), false));
        assert_eq!(trim_continuation("a \\", '`'), ("a \\".into(), true));
    }

    #[test]
    fn comments_and_blank_lines_inside_continuations_are_dropped() {
        let text = "FROM x\nRUN a \\\n  # c\n\nb \\\n   \nc\n";
        assert_eq!(
            logical(text),
            [(1, "FROM x".into()), (2, "RUN a b c".into())]
        );
    }

    #[test]
    fn a_continuation_at_the_end_of_the_file_ends_the_instruction() {
        assert_eq!(logical("RUN last \\"), [(1, "RUN last ".into())]);
        assert_eq!(logical("RUN last \\\n"), [(1, "RUN last ".into())]);
    }

    #[test]
    fn directives_stop_at_the_first_other_line() {
        let (_, d) = Reader::new("# syntax=docker/dockerfile:1\n#escape=`\nFROM x\n").unwrap();
        assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
        assert_eq!(d.escape, '`');
        let (_, d) = Reader::new("\n# escape=`\nFROM x\n").unwrap();
        assert_eq!(d.escape, '\\');
        let (_, d) = Reader::new("# a comment\n# escape=`\nFROM x\n").unwrap();
        assert_eq!(d.escape, '\\');
        let (_, d) = Reader::new("# unknown=x\n# escape=`\nFROM x\n").unwrap();
        assert_eq!(d.escape, '\\');
        let (_, d) = Reader::new("\u{feff}# escape = ` \nFROM x\n").unwrap();
        assert_eq!(d.escape, '`');
    }

    #[test]
    fn bad_directives_are_errors() {
        let error = Reader::new("# escape=x\nFROM x\n").err().unwrap();
        assert_eq!(error.line, 1);
        assert_eq!(
            error.to_string(),
            "invalid escape token 'x' does not match ` or \\"
        );
        let error = Reader::new("# escape=`\n# escape=`\nFROM x\n")
            .err()
            .unwrap();
        assert_eq!(error.line, 2);
        assert_eq!(
            error.to_string(),
            "only one escape parser directive can be used"
        );
    }
}
