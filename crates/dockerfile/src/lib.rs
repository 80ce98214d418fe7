//! Dockerfiles as Docker's BuildKit frontend reads them: parsing, variable
//! expansion, and `.dockerignore` matching. Pure: no I/O.
//!
//! The rules follow the [Dockerfile reference] and, where it is silent,
//! BuildKit's parser (`moby/buildkit/frontend/dockerfile`).
//!
//! [Dockerfile reference]: https://docs.docker.com/reference/dockerfile/
//!
//! # Parsing
//!
//! [`parse`] turns the text into a [`Dockerfile`]: its [`Directives`], the
//! ARGs before the first FROM ([`Dockerfile::global_args`]) and the
//! [`Stage`]s, each a [`From`] and its [`Instruction`]s. Every instruction
//! has its line, its text for progress lines ([`Instruction::original`],
//! continuations joined) and typed arguments ([`InstructionKind`]).
//!
//! - **Directives**: `# syntax=`, `# escape=` (`\` or a backtick) and
//!   `# check=` count only before any other line; a blank line, another
//!   comment or an instruction ends them.
//! - **Lines**: the escape character at the end of a line continues it
//!   (blanks after it allowed, `\\` is no continuation); comment lines and
//!   blank lines inside a continuation are dropped; a continuation at the
//!   end of the file ends the instruction (C13).
//! - **Heredocs**: RUN, COPY and ADD in shell form read `<<EOF` ... `EOF`
//!   bodies after the line ([`Heredoc`]); `<<-EOF` strips leading tabs,
//!   a quoted delimiter turns expansion off. [`Run::program`] says what a
//!   RUN with heredocs runs.
//! - **Forms**: RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD are exec form when
//!   their arguments parse as a JSON array of strings and shell form
//!   otherwise, with no error for broken JSON (C14), as Docker does;
//!   a JSON array holding non-strings is an error. SHELL must be JSON.
//! - **Errors** carry the line, the instruction and what is wrong
//!   ([`Error`]); an unknown instruction names the nearest real one:
//!   `unknown instruction: FROMM (did you mean FROM?)`.
//!
//! Words are kept as written, quotes and `$VAR`s still in them.
//!
//! # Expansion
//!
//! [`expand`], [`expand_words`] and [`Lexer`] implement BuildKit's
//! variable expansion (C10): `$VAR`, `${VAR}`, `${VAR:-word}`,
//! `${VAR:+word}`, `${VAR-word}`, `${VAR+word}`, `${VAR?msg}`, pattern
//! trimming and replacement, quotes and escapes.
//!
//! # Example
//!
//! ```
//! use container_dockerfile::{parse, InstructionKind, Command};
//!
//! let file = parse("FROM python:3.12-slim\nWORKDIR /app\nCMD [\"python\", \"app.py\"]\n").unwrap();
//! let stage = &file.stages[0];
//! assert_eq!(stage.from.image, "python:3.12-slim");
//! assert_eq!(stage.instructions[0].original, "WORKDIR /app");
//! assert_eq!(stage.instructions[0].line, 2);
//! let InstructionKind::Cmd(Command::Exec(argv)) = &stage.instructions[1].kind else { panic!() };
//! assert_eq!(argv, &["python", "app.py"]);
//! ```

#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod duration;
mod error;
mod expand;
mod flags;
mod instruction;
mod lines;
mod mount;
mod parse;
mod words;

#[cfg(test)]
mod tests;

pub use error::{Error, ErrorKind};
pub use expand::{ExpandError, Lexer, expand, expand_words};
pub use instruction::{
    ArgDecl, Command, CopyFiles, DEFAULT_SHELL, Directives, Dockerfile, From, Healthcheck,
    HealthcheckCmd, Heredoc, Instruction, InstructionKind, KeyValue, Network, Onbuild, Run,
    RunProgram, Security, Source, Stage, Warning,
};
pub use mount::{CacheSharing, Mount, MountKind};
pub use parse::{parse, parse_trigger};
