//! The errors of parsing, expanding and planning a Dockerfile.

use std::fmt;

/// A Dockerfile that cannot be built, located at a line.
///
/// `Display` gives `INSTRUCTION: what is wrong` (or only what is wrong when
/// no instruction applies); the CLI prefixes the file and [`Error::line`],
/// as in `Dockerfile:3: COPY: unknown flag: --fromm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The 1-based line the instruction starts on; 0 when the error concerns
    /// the whole file (no FROM, unknown `--target`).
    pub line: usize,
    /// The instruction's keyword in upper case, when the error is in one.
    pub instruction: Option<String>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// An error of `kind` at `line`, in `instruction` (upper-cased).
    pub fn new(line: usize, instruction: Option<&str>, kind: ErrorKind) -> Self {
        Self {
            line,
            instruction: instruction.map(str::to_ascii_uppercase),
            kind,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.instruction {
            Some(instruction) => write!(f, "{instruction}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Expand(source) => Some(source),
            _ => None,
        }
    }
}

/// What is wrong with a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A line starts with a word that is no instruction (`FROMM python`).
    #[error("unknown instruction: {word}{}", suggestion_text(.suggestion))]
    UnknownInstruction {
        /// The word, upper-cased as BuildKit prints it.
        word: String,
        /// The nearest real instruction, if one is close.
        suggestion: Option<&'static str>,
    },
    /// The file holds no instruction at all.
    #[error("the Dockerfile has no instructions")]
    Empty,
    /// The file has instructions but no `FROM`.
    #[error("the Dockerfile has no FROM instruction")]
    NoStage,
    /// An instruction other than ARG comes before the first FROM.
    #[error("no build stage in current context: only ARG may come before the first FROM")]
    BeforeFrom,
    /// A parser directive (`# escape=...`) is wrong.
    #[error("{0}")]
    Directive(String),
    /// A here-document never meets its terminator line.
    #[error("unterminated heredoc {name} (no line `{name}` ends it)")]
    UnterminatedHeredoc {
        /// The heredoc's delimiter word.
        name: String,
    },
    /// Too few or too many arguments.
    #[error("requires {expected}")]
    Arguments {
        /// What the instruction needs: `exactly one argument`, ...
        expected: &'static str,
    },
    /// A `--flag` the instruction does not know.
    #[error("unknown flag: --{flag}")]
    UnknownFlag {
        /// The flag's name, without dashes.
        flag: String,
    },
    /// A flag given twice where it takes one value.
    #[error("duplicate flag specified: --{flag}")]
    DuplicateFlag {
        /// The flag's name, without dashes.
        flag: String,
    },
    /// A flag that takes a value has none (`--from` instead of `--from=x`).
    #[error("missing a value on flag: --{flag}")]
    MissingFlagValue {
        /// The flag's name, without dashes.
        flag: String,
    },
    /// A word among the flags that does not start with `--`.
    #[error("flag should start with --: {word}")]
    BadFlag {
        /// The word as written.
        word: String,
    },
    /// A flag's value is not one it accepts.
    #[error("invalid value {value:?} for --{flag}: {reason}")]
    InvalidFlagValue {
        /// The flag's name, without dashes.
        flag: String,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A JSON array holds something other than strings (`CMD [1, 2]`).
    #[error("when using JSON array syntax, arrays must be comprised of strings only")]
    NotStringArray,
    /// SHELL was not given a JSON array.
    #[error("requires the arguments to be in JSON form")]
    RequiresJson,
    /// `KEY=value` expected but a word has no `=`.
    #[error("syntax error - can't find = in {word:?}. Must be of the form: name=value")]
    MissingEquals {
        /// The word as written.
        word: String,
    },
    /// An ENV, LABEL or ARG with an empty name.
    #[error("names can not be blank")]
    BlankName,
    /// A stage name that is not `[a-z][a-z0-9-_.]*`.
    #[error(
        "invalid name for build stage: {name:?}, name can't start with a number or contain symbols"
    )]
    StageName {
        /// The name as written.
        name: String,
    },
    /// Two stages with one name.
    #[error("duplicate stage name {name:?}")]
    DuplicateStageName {
        /// The name, lower-cased.
        name: String,
    },
    /// An ONBUILD trigger Docker refuses (ONBUILD, FROM, MAINTAINER).
    #[error("{trigger} isn't allowed as an ONBUILD trigger")]
    OnbuildTrigger {
        /// The refused keyword.
        trigger: String,
    },
    /// A heredoc used where a heredoc cannot go (COPY's destination).
    #[error("cannot accept a heredoc as {place}")]
    Heredoc {
        /// Where it was used.
        place: &'static str,
    },
    /// HEALTHCHECK's first word is neither CMD nor NONE.
    #[error("unknown type {word:?} in HEALTHCHECK (try CMD)")]
    HealthcheckType {
        /// The word as written.
        word: String,
    },
    /// `HEALTHCHECK NONE` followed by something.
    #[error("HEALTHCHECK NONE takes no arguments")]
    HealthcheckNoneArguments,
    /// `HEALTHCHECK CMD` with nothing after it.
    #[error("missing command after HEALTHCHECK CMD")]
    HealthcheckMissingCommand,
    /// A `RUN --mount=...` that cannot be used.
    #[error("invalid --mount {spec:?}: {reason}")]
    Mount {
        /// The mount's text.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// An EXPOSE port that is no port.
    #[error("invalid port {spec:?}: {reason}")]
    Port {
        /// The port's text.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// FROM names an empty base once expanded (`FROM ${UNSET}`).
    #[error("base name ({written}) should not be blank")]
    BlankBase {
        /// The base as written.
        written: String,
    },
    /// `COPY https://...`: only ADD downloads.
    #[error("source can't be a URL for COPY")]
    UrlSourceForCopy,
    /// Several sources (or a wildcard matching several) and a destination
    /// that does not end in `/`.
    #[error(
        "When using COPY with more than one source file, the destination must be a directory and end with a /"
    )]
    DestinationNotDirectory,
    /// The sources matched nothing in the context.
    #[error("no source files were specified")]
    NoSourceFiles,
    /// STOPSIGNAL names no signal.
    #[error("invalid signal: {signal}")]
    Signal {
        /// The value given.
        signal: String,
    },
    /// Variable expansion failed.
    #[error("{0}")]
    Expand(#[source] crate::ExpandError),
    /// `--target` names no stage.
    #[error("target stage {name:?} could not be found")]
    UnknownTarget {
        /// The name asked for.
        name: String,
    },
    /// Stages that need each other.
    #[error("circular dependency detected on stage: {stage}")]
    Cycle {
        /// The stage where the cycle closes.
        stage: String,
    },
}

fn suggestion_text(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(word) => format!(" (did you mean {word}?)"),
        None => String::new(),
    }
}
