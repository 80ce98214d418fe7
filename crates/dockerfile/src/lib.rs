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
//! The line layer is ours rather than the `parse-dockerfile` crate's:
//! its 0.1.9 takes `trail\\` at the end of a line for a continuation (and
//! swallows the next instruction), keeps the `\` of a continuation at the
//! end of the file, returns RUN's text with the continuations and comment
//! lines still in it, leaves ENV, ARG and LABEL unsplit, and reports errors
//! as text only.
//!
//! # Expansion
//!
//! [`expand`], [`expand_words`] and [`Lexer`] implement BuildKit's
//! variable expansion (C10): `$VAR`, `${VAR}`, `${VAR:-word}`,
//! `${VAR:+word}`, `${VAR-word}`, `${VAR+word}`, `${VAR?msg}`, pattern
//! trimming and replacement, quotes and escapes.
//!
//! Which words each instruction expands is BuildKit's choice
//! ([`Instruction::expand`]): COPY/ADD (sources, destination and flags),
//! ENV, LABEL, ARG defaults, EXPOSE, USER, VOLUME, WORKDIR, STOPSIGNAL and
//! RUN's `--mount` options. RUN's command, CMD, ENTRYPOINT, SHELL,
//! HEALTHCHECK and ONBUILD are not expanded by the builder. One
//! instruction sees the values from before it (`ENV x=bye y=$x` gives `y`
//! the old `x`, C11).
//!
//! # Scopes
//!
//! [`BuildArgs`] holds `--build-arg` values ([`BuildArgs::from_flags`]
//! takes bare names from the host env). [`GlobalScope`] resolves the ARGs
//! before the first FROM, plus the predefined [`platform_args`]; they
//! expand FROM lines only ([`GlobalScope::base`]). [`StageScope`] follows
//! one stage: build it from the base image's `Config.Env`, and per
//! instruction call [`StageScope::expand_instruction`], run the step, then
//! [`StageScope::apply`]. It gives the image's `Env`
//! ([`StageScope::config_env`], never ARG values), RUN's environment
//! ([`StageScope::run_env`]: ENV, then ARGs ENV does not shadow, then proxy
//! build args) and the ARGs for the cache key ([`StageScope::args`]).
//!
//! # Stages
//!
//! [`Dockerfile::plan`] lists the stages a target needs (by FROM of an
//! earlier stage, `COPY --from`, `RUN --mount=...,from=`), dependencies
//! first, each with its [`Base`]; stages that do not need each other may
//! run at once. [`Dockerfile::target`] finds `--target`,
//! [`Dockerfile::resolve_from`] says whether a `--from` is a stage or an
//! image. Unknown targets and cycles are errors.
//!
//! # Context
//!
//! [`ignore::Matcher`] reads `.dockerignore` (C19) and answers "is this
//! path excluded" and "may this directory be skipped whole".
//! [`CopyFiles::check_matched`] gives C17's errors once the builder has
//! matched the sources; [`exposed_ports`] normalises EXPOSE;
//! [`join_workdir`] and [`copy_destination`] resolve WORKDIR and COPY
//! destinations; [`check_signal`] checks STOPSIGNAL (done by
//! [`Instruction::expand`]).
//!
//! # For the builder
//!
//! ```text
//! file     = parse(text)?                       // Error: line, instruction, kind
//! args     = BuildArgs::from_flags(flags, host_env)
//! globals  = GlobalScope::new(&file, &args, &platform_args(build, target))?
//! plan     = file.plan(target, &globals, &args)?  // stages in build order
//! for each planned stage (independent ones may run at once):
//!     base  = planned.base                        // Scratch | Image(ref) | Stage(i)
//!     scope = StageScope::new(file.directives.escape, &base_config_env, &args)
//!     run the base image's ONBUILD triggers (parse_trigger) first
//!     for instruction in stage.instructions:
//!         step = scope.expand_instruction(instruction)?
//!         cache key: parent + serde_json::to_string(&step.kind) + scope.args()
//!         execute step.kind (RUN: Run::program(shell), env scope.run_env())
//!         scope.apply(&step, &globals, &args)
//!     Config.Env = scope.config_env()
//! ```
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

mod copy;
mod duration;
mod error;
mod expand;
mod flags;
mod graph;
pub mod ignore;
mod instruction;
mod lines;
mod mount;
mod parse;
mod paths;
mod port;
mod scope;
mod substitute;
mod words;

#[cfg(test)]
mod testdata;
#[cfg(test)]
mod tests;

pub use copy::{has_wildcards, is_url};
pub use error::{Error, ErrorKind};
pub use expand::{ExpandError, Lexer, expand, expand_words};
pub use graph::{Base, FromRef, Plan, PlannedStage};
pub use instruction::{
    ArgDecl, Command, CopyFiles, DEFAULT_SHELL, Directives, Dockerfile, From, Healthcheck,
    HealthcheckCmd, Heredoc, Instruction, InstructionKind, KeyValue, Network, Onbuild, Run,
    RunProgram, Security, Source, Stage, Warning,
};
pub use mount::{CacheSharing, Mount, MountKind};
pub use parse::{parse, parse_trigger};
pub use paths::{check_signal, copy_destination, join_workdir};
pub use port::exposed_ports;
pub use scope::{BuildArgs, GlobalScope, PLATFORM_ARGS, PROXY_ARGS, StageScope, platform_args};
