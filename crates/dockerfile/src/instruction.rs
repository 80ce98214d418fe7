//! The parsed Dockerfile: stages of typed instructions.
//!
//! Words are kept as written (quotes, escapes and `$VAR` still in them) for
//! every instruction the builder expands; [`Instruction::expand`] gives the
//! expanded form. The types are `Serialize` so the builder can turn an
//! expanded instruction into a stable cache key with `serde_json`.

use std::time::Duration;

use serde::Serialize;

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dockerfile {
    /// The parser directives at the top of the file.
    pub directives: Directives,
    /// The ARG instructions before the first FROM, in order; each is an
    /// [`InstructionKind::Arg`]. Their values are usable only in FROM lines
    /// unless a stage declares them again (see [`crate::GlobalScope`]).
    pub global_args: Vec<Instruction>,
    /// The stages in file order; at least one.
    pub stages: Vec<Stage>,
    /// Things Docker warns about but builds: empty continuation lines,
    /// MAINTAINER. The CLI prints them as `warning: ...`.
    pub warnings: Vec<Warning>,
}

/// The `# syntax=`, `# escape=` and `# check=` directives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directives {
    /// `# syntax=...`: the frontend image BuildKit would use; we parse the
    /// Dockerfile ourselves whatever it says.
    pub syntax: Option<String>,
    /// The escape character: `\` unless `# escape=` made it a backtick.
    pub escape: char,
    /// `# check=...`: BuildKit's lint settings, kept as written.
    pub check: Option<String>,
}

impl Default for Directives {
    fn default() -> Self {
        Self {
            syntax: None,
            escape: '\\',
            check: None,
        }
    }
}

/// A warning about a Dockerfile that still builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The 1-based line it concerns.
    pub line: usize,
    /// What is wrong, in a sentence.
    pub message: String,
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// The stage's position, 0 first (`COPY --from=0`).
    pub index: usize,
    /// The FROM line.
    pub from: From,
    /// The 1-based line of the FROM.
    pub line: usize,
    /// The FROM line as written, continuations joined.
    pub original: String,
    /// The instructions after the FROM.
    pub instructions: Vec<Instruction>,
}

impl Stage {
    /// The stage's name (`AS name`, lower-cased), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.from.name.as_deref()
    }
}

/// `FROM [--platform=P] image [AS name]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct From {
    /// The base as written: an image reference, `scratch` or an earlier
    /// stage's name, possibly with `$VAR`s that only global ARGs fill in
    /// ([`crate::GlobalScope::expand`]).
    pub image: String,
    /// `AS name`, lower-cased as BuildKit does.
    pub name: Option<String>,
    /// `--platform=...` as written (may hold `$BUILDPLATFORM`).
    pub platform: Option<String>,
}

/// One instruction of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instruction {
    /// The 1-based line it starts on.
    pub line: usize,
    /// The 1-based line it ends on (continuations and heredocs included).
    pub end_line: usize,
    /// Its text with continuations joined and heredoc bodies left out, as
    /// progress lines show it: `RUN apt-get update && apt-get install -y x`.
    pub original: String,
    /// What it says.
    pub kind: InstructionKind,
}

impl Instruction {
    /// The keyword in upper case: `RUN`, `COPY`, ...
    pub fn keyword(&self) -> &'static str {
        self.kind.keyword()
    }
}

/// The instructions and their typed arguments, unexpanded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum InstructionKind {
    /// `RUN`: not expanded by the builder (the shell does it).
    Run(Run),
    /// `COPY`.
    Copy(CopyFiles),
    /// `ADD`: the same fields as COPY, with ADD's own flags.
    Add(CopyFiles),
    /// `WORKDIR path`.
    Workdir(String),
    /// `ENV k=v ...` or `ENV k v`: pairs in order.
    Env(Vec<KeyValue>),
    /// `ARG name[=default] ...`.
    Arg(Vec<ArgDecl>),
    /// `LABEL k=v ...`.
    Label(Vec<KeyValue>),
    /// `EXPOSE 80 443/tcp ...`: words as written; after expansion, see
    /// [`crate::exposed_ports`].
    Expose(Vec<String>),
    /// `USER user[:group]`.
    User(String),
    /// `VOLUME ["/a"]` or `VOLUME /a /b`.
    Volume(Vec<String>),
    /// `CMD`.
    Cmd(Command),
    /// `ENTRYPOINT`.
    Entrypoint(Command),
    /// `SHELL ["executable", "param"...]`: JSON form only.
    Shell(Vec<String>),
    /// `HEALTHCHECK`.
    Healthcheck(Healthcheck),
    /// `STOPSIGNAL signal`.
    StopSignal(String),
    /// `ONBUILD INSTRUCTION`: stored in the image, run by its children.
    Onbuild(Onbuild),
    /// `MAINTAINER name` (deprecated; sets the config's Author).
    Maintainer(String),
}

impl InstructionKind {
    /// The keyword in upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::Run(_) => "RUN",
            Self::Copy(_) => "COPY",
            Self::Add(_) => "ADD",
            Self::Workdir(_) => "WORKDIR",
            Self::Env(_) => "ENV",
            Self::Arg(_) => "ARG",
            Self::Label(_) => "LABEL",
            Self::Expose(_) => "EXPOSE",
            Self::User(_) => "USER",
            Self::Volume(_) => "VOLUME",
            Self::Cmd(_) => "CMD",
            Self::Entrypoint(_) => "ENTRYPOINT",
            Self::Shell(_) => "SHELL",
            Self::Healthcheck(_) => "HEALTHCHECK",
            Self::StopSignal(_) => "STOPSIGNAL",
            Self::Onbuild(_) => "ONBUILD",
            Self::Maintainer(_) => "MAINTAINER",
        }
    }

    /// Whether this instruction changes only the image config, so its
    /// history entry has `empty_layer: true` (everything but RUN, COPY, ADD).
    pub fn is_config_only(&self) -> bool {
        !matches!(self, Self::Run(_) | Self::Copy(_) | Self::Add(_))
    }
}

/// A `key=value` of ENV or LABEL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    /// The name (unexpanded until [`Instruction::expand`]).
    pub key: String,
    /// The value (unexpanded, quotes still in, until expanded).
    pub value: String,
}

/// One name of an ARG instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArgDecl {
    /// The argument's name.
    pub name: String,
    /// `=default`, unexpanded until [`Instruction::expand`]; `None` when
    /// the ARG has no `=` (`ARG NAME` takes the build-arg or the global
    /// value, or stays unset).
    pub default: Option<String>,
    /// The 1-based line of the ARG instruction.
    pub line: usize,
}

/// Shell or exec form of RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Command {
    /// Shell form: run as `SHELL + [text]` (`/bin/sh -c text` by default).
    /// A `[...]` that is not a valid JSON array of strings is shell form
    /// too, as Docker treats it (`CMD ['a']` is `/bin/sh -c "['a']"`).
    Shell(String),
    /// Exec form: a JSON array of strings, run as it stands. BuildKit
    /// stores `ENTRYPOINT []` as a null Entrypoint and `CMD []` as an
    /// empty Cmd.
    Exec(Vec<String>),
}

impl Command {
    /// The argv: exec form as it stands, shell form after `shell`
    /// (the current SHELL, `["/bin/sh", "-c"]` by default).
    pub fn argv(&self, shell: &[String]) -> Vec<String> {
        match self {
            Self::Exec(argv) => argv.clone(),
            Self::Shell(text) => shell.iter().cloned().chain([text.clone()]).collect(),
        }
    }
}

/// The shell a stage starts with.
pub const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// `RUN [--mount=...] [--network=...] [--security=...] command`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// The command; shell form keeps any `<<EOF` words in its text.
    pub command: Command,
    /// The heredocs the command line opened, in order (shell form only).
    pub heredocs: Vec<Heredoc>,
    /// `--mount=...`, parsed. Values may hold `$VAR`s until expanded.
    pub mounts: Vec<crate::Mount>,
    /// `--network=default|none|host`.
    pub network: Network,
    /// `--security=sandbox|insecure`.
    pub security: Security,
}

/// What RUN runs, after heredocs are taken into account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RunProgram {
    /// Run this argv.
    Argv(Vec<String>),
    /// `RUN <<EOF` whose body starts with `#!`: write `content` to a file
    /// named `name` with mode 0755 (BuildKit mounts it under
    /// `/dev/pipes/`) and run that file directly, so its shebang picks the
    /// interpreter.
    Script {
        /// The heredoc's delimiter word, the file's name.
        name: String,
        /// The script.
        content: String,
    },
}

impl Run {
    /// What to run, with `shell` the stage's current SHELL:
    /// - exec form: the array;
    /// - shell form without heredocs: `shell + [text]`;
    /// - a command that is only `<<EOF`: the body, as a script file if it
    ///   starts with `#!`, else `shell + [body]`;
    /// - otherwise (`RUN python3 <<EOF`, several heredocs): the shell gets
    ///   the command line followed by each body and its delimiter, as a
    ///   shell script with real heredocs would read.
    pub fn program(&self, shell: &[String]) -> RunProgram {
        let Command::Shell(text) = &self.command else {
            return RunProgram::Argv(self.command.argv(shell));
        };
        let with_shell = |script: String| RunProgram::Argv(Command::Shell(script).argv(shell));
        if let [heredoc] = self.heredocs.as_slice()
            && crate::parse::heredoc_word(text.trim()).is_some()
        {
            let content = heredoc.body();
            if content.starts_with("#!") {
                return RunProgram::Script {
                    name: heredoc.name.clone(),
                    content,
                };
            }
            return with_shell(content);
        }
        let mut script = text.clone();
        for heredoc in &self.heredocs {
            script.push('\n');
            script.push_str(&heredoc.content);
            script.push_str(&heredoc.name);
        }
        with_shell(script)
    }
}

/// `RUN --network=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Network {
    /// The build's default network.
    #[default]
    Default,
    /// No network: only a loopback interface.
    None,
    /// The host's network namespace.
    Host,
}

/// `RUN --security=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Security {
    /// The normal, confined container.
    #[default]
    Sandbox,
    /// All capabilities; BuildKit requires the `security.insecure`
    /// entitlement for it.
    Insecure,
}

/// A here-document: `<<EOF` ... `EOF`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    /// The delimiter word, quotes removed; also the file name a COPY
    /// heredoc source gets.
    pub name: String,
    /// The body as written, each line with its newline.
    pub content: String,
    /// `false` when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): the
    /// body is then taken literally; otherwise COPY/ADD expand variables in
    /// it (RUN leaves that to the shell).
    pub expand: bool,
    /// `<<-EOF`: leading tabs are stripped from the body's lines.
    pub chomp: bool,
    /// `3<<EOF`: the file descriptor the body goes to, if one was given.
    pub fd: Option<u32>,
}

impl Heredoc {
    /// The body with leading tabs stripped for `<<-`.
    pub fn body(&self) -> String {
        if !self.chomp {
            return self.content.clone();
        }
        let lines = self.content.split_inclusive('\n');
        lines.map(|line| line.trim_start_matches('\t')).collect()
    }
}

/// COPY and ADD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyFiles {
    /// The sources, at least one.
    pub sources: Vec<Source>,
    /// The destination: a directory when it ends in `/` (required with
    /// several sources or a wildcard matching several files), relative to
    /// WORKDIR unless absolute.
    pub dest: String,
    /// Whether the arguments were a JSON array (`COPY ["a b", "/c/"]`).
    pub is_json: bool,
    /// `--from=stage|index|image` (COPY only).
    pub from: Option<String>,
    /// `--chown=user[:group]`.
    pub chown: Option<String>,
    /// `--chmod=0755` (octal; BuildKit also takes `u+x` style with a
    /// labs frontend, which we do not).
    pub chmod: Option<String>,
    /// `--link`: the files form an independent layer.
    pub link: bool,
    /// `--parents` (COPY only): keep the sources' parent directories.
    pub parents: bool,
    /// `--exclude=pattern`, repeatable: `.dockerignore` patterns applied
    /// to the sources ([`crate::ignore::Matcher::new`]).
    pub exclude: Vec<String>,
    /// `--checksum=sha256:...` (ADD only): the expected digest of a URL
    /// source.
    pub checksum: Option<String>,
    /// `--keep-git-dir` (ADD only), for git sources.
    pub keep_git_dir: bool,
    /// `--unpack=true|false` (ADD only): whether a local tar is extracted;
    /// `None` is ADD's default (local archives are, URLs are not).
    pub unpack: Option<bool>,
}

/// One source of COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Source {
    /// A path in the context (or the `--from` stage/image), possibly with
    /// wildcards; for ADD also a URL or a git address.
    Path(String),
    /// `COPY <<EOF /dest`: a file named after the heredoc
    /// ([`Heredoc::name`]) holding [`Heredoc::body`] (tabs stripped for
    /// `<<-`; variables already expanded by [`Instruction::expand`] unless
    /// the delimiter was quoted).
    Heredoc(Heredoc),
}

/// `HEALTHCHECK`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`: disable any inherited check.
    None,
    /// `HEALTHCHECK [options] CMD command`.
    Check(HealthcheckCmd),
}

impl Healthcheck {
    /// The config's `Healthcheck.Test`: `["NONE"]`, `["CMD", argv...]` or
    /// `["CMD-SHELL", text]`.
    pub fn test(&self) -> Vec<String> {
        match self {
            Self::None => vec!["NONE".to_string()],
            Self::Check(check) => match &check.command {
                Command::Exec(argv) => ["CMD".to_string()]
                    .into_iter()
                    .chain(argv.clone())
                    .collect(),
                Command::Shell(text) => vec!["CMD-SHELL".to_string(), text.clone()],
            },
        }
    }
}

/// `HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D]
/// [--start-interval=D] [--retries=N] CMD command`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthcheckCmd {
    /// What to run.
    pub command: Command,
    /// `--interval`; `None` leaves Docker's default (30s).
    pub interval: Option<Duration>,
    /// `--timeout`; `None` leaves the default (30s).
    pub timeout: Option<Duration>,
    /// `--start-period`; `None` leaves the default (0s).
    pub start_period: Option<Duration>,
    /// `--start-interval`; `None` leaves the default (5s).
    pub start_interval: Option<Duration>,
    /// `--retries`; `None` leaves the default (3).
    pub retries: Option<u32>,
}

/// `ONBUILD INSTRUCTION`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Onbuild {
    /// The trigger's text as the image config's `OnBuild` stores it
    /// (`RUN echo hi`); a child build parses it back with
    /// [`crate::parse_trigger`].
    pub trigger: String,
    /// The trigger, parsed.
    pub instruction: Box<Instruction>,
}
