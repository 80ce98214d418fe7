//! Which instructions the builder expands, and which of their words.
//!
//! As BuildKit does: ADD, COPY (sources, destination, `--from`, `--chown`,
//! `--chmod`, `--exclude`, `--checksum`, and heredoc bodies with an
//! unquoted delimiter), ENV and LABEL (keys and values), ARG (defaults),
//! EXPOSE (split into words), USER, VOLUME, WORKDIR, STOPSIGNAL, and RUN's
//! `--mount` options. RUN's command, CMD, ENTRYPOINT, SHELL, HEALTHCHECK,
//! ONBUILD and MAINTAINER are left as written: the shell in the container
//! expands them, or a child image's build does.
//!
//! Every word of one instruction sees the variables as they were before
//! it, so `ENV x=bye y=$x` gives `y` the old `x` (C11).

use crate::error::{Error, ErrorKind};
use crate::expand::{ExpandError, Lexer};
use crate::instruction::*;
use crate::mount::parse_mount;

impl Instruction {
    /// This instruction with its words expanded by `lookup`, which gives
    /// the variables in scope before it ([`crate::StageScope::get`]).
    ///
    /// ```
    /// use container_dockerfile::{parse, InstructionKind, Lexer};
    /// let file = parse("FROM x\nWORKDIR /src/${APP:-app}\n").unwrap();
    /// let workdir = &file.stages[0].instructions[0];
    /// let expanded = workdir.expand(Lexer::default(), &|_| None).unwrap();
    /// assert_eq!(expanded.kind, InstructionKind::Workdir("/src/app".into()));
    /// ```
    pub fn expand(
        &self,
        lexer: Lexer,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Instruction, Error> {
        let words = Words { lexer, lookup };
        let kind = words
            .kind(&self.kind)
            .map_err(|kind| Error::new(self.line, Some(self.keyword()), kind))?;
        Ok(Instruction {
            kind,
            ..self.clone()
        })
    }
}

struct Words<'a> {
    lexer: Lexer,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Words<'_> {
    fn one(&self, word: &str) -> Result<String, ErrorKind> {
        self.lexer
            .expand(word, self.lookup)
            .map_err(ErrorKind::Expand)
    }

    fn option(&self, word: &Option<String>) -> Result<Option<String>, ErrorKind> {
        word.as_deref().map(|w| self.one(w)).transpose()
    }

    fn all(&self, words: &[String]) -> Result<Vec<String>, ErrorKind> {
        words.iter().map(|w| self.one(w)).collect()
    }

    fn kind(&self, kind: &InstructionKind) -> Result<InstructionKind, ErrorKind> {
        Ok(match kind {
            InstructionKind::Run(run) => InstructionKind::Run(self.run(run)?),
            InstructionKind::Copy(copy) => {
                let copy = self.copy(copy)?;
                copy.check_sources(false)?;
                InstructionKind::Copy(copy)
            }
            InstructionKind::Add(add) => {
                let add = self.copy(add)?;
                add.check_sources(true)?;
                InstructionKind::Add(add)
            }
            InstructionKind::Workdir(path) => InstructionKind::Workdir(self.one(path)?),
            InstructionKind::User(user) => InstructionKind::User(self.one(user)?),
            InstructionKind::StopSignal(signal) => {
                let signal = self.one(signal)?;
                crate::paths::check_signal(&signal)?;
                InstructionKind::StopSignal(signal)
            }
            InstructionKind::Volume(paths) => InstructionKind::Volume(self.all(paths)?),
            InstructionKind::Env(pairs) => InstructionKind::Env(self.pairs(pairs)?),
            InstructionKind::Label(pairs) => InstructionKind::Label(self.pairs(pairs)?),
            InstructionKind::Arg(decls) => InstructionKind::Arg(self.args(decls)?),
            InstructionKind::Expose(ports) => InstructionKind::Expose(self.split(ports)?),
            other => other.clone(),
        })
    }

    fn run(&self, run: &Run) -> Result<Run, ErrorKind> {
        let expand = |word: &str| self.one(word);
        let mounts = run
            .mounts
            .iter()
            .map(|m| parse_mount(&m.spec, Some(&expand)));
        Ok(Run {
            mounts: mounts.collect::<Result<_, _>>()?,
            ..run.clone()
        })
    }

    fn copy(&self, copy: &CopyFiles) -> Result<CopyFiles, ErrorKind> {
        let sources = copy.sources.iter().map(|source| match source {
            Source::Path(path) => Ok(Source::Path(self.one(path)?)),
            Source::Heredoc(heredoc) if heredoc.expand => {
                let content = self.lexer.expand_heredoc(&heredoc.content, self.lookup);
                let content = content.map_err(ErrorKind::Expand)?;
                Ok(Source::Heredoc(Heredoc {
                    content,
                    ..heredoc.clone()
                }))
            }
            Source::Heredoc(heredoc) => Ok(Source::Heredoc(heredoc.clone())),
        });
        Ok(CopyFiles {
            sources: sources.collect::<Result<_, ErrorKind>>()?,
            dest: self.one(&copy.dest)?,
            from: self.option(&copy.from)?,
            chown: self.option(&copy.chown)?,
            chmod: self.option(&copy.chmod)?,
            exclude: self.all(&copy.exclude)?,
            checksum: self.option(&copy.checksum)?,
            ..copy.clone()
        })
    }

    fn pairs(&self, pairs: &[KeyValue]) -> Result<Vec<KeyValue>, ErrorKind> {
        let expand = |pair: &KeyValue| {
            Ok(KeyValue {
                key: self.one(&pair.key)?,
                value: self.one(&pair.value)?,
            })
        };
        pairs.iter().map(expand).collect()
    }

    fn args(&self, decls: &[ArgDecl]) -> Result<Vec<ArgDecl>, ErrorKind> {
        let expand = |decl: &ArgDecl| {
            Ok(ArgDecl {
                default: self.option(&decl.default)?,
                ..decl.clone()
            })
        };
        decls.iter().map(expand).collect()
    }

    fn split(&self, words: &[String]) -> Result<Vec<String>, ErrorKind> {
        let mut out = Vec::new();
        for word in words {
            let split: Result<Vec<String>, ExpandError> =
                self.lexer.expand_words(word, self.lookup);
            out.extend(split.map_err(ErrorKind::Expand)?);
        }
        Ok(out)
    }
}
