//! The variables in scope, by Docker's rules (C09, C11):
//!
//! - **Global ARGs** (before the first FROM) are usable only in FROM lines
//!   ([`GlobalScope`]). Their value is the `--build-arg`, else the default
//!   (expanded with the global ARGs before it), else the predefined value
//!   (`ARG TARGETARCH` keeps it), else unset. The predefined
//!   platform args (`TARGETPLATFORM`, `TARGETOS`, `TARGETARCH`,
//!   `TARGETVARIANT` and the `BUILD*` ones) are global ARGs too.
//! - **In a stage** ([`StageScope`]) a global ARG is empty unless the
//!   stage declares it again (`ARG NAME`, which takes its global value).
//!   An ARG's value is the `--build-arg`, else its own default, else the
//!   global value, else it stays unset (absent from RUN's environment).
//! - **ENV beats ARG**: a name set by ENV (or in the base image's env) has
//!   the ENV value whatever the ARGs say. ARG values reach RUN's
//!   environment and the cache key but never the image's `Config.Env`.
//! - **Proxy args** (`HTTP_PROXY`, `https_proxy`, ...) given as build-args
//!   reach RUN's environment without an ARG, and stay out of the cache key
//!   and the image.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind};
use crate::expand::{ExpandError, Lexer};
use crate::instruction::{ArgDecl, Dockerfile, Instruction, InstructionKind, KeyValue, Stage};

/// The build args usable without an ARG instruction, in RUN only.
pub const PROXY_ARGS: [&str; 10] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The `--build-arg` values of a build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildArgs {
    values: BTreeMap<String, String>,
}

impl BuildArgs {
    /// No build args.
    pub fn new() -> Self {
        Self::default()
    }

    /// From `--build-arg` flags: `NAME=value` sets NAME (an empty value
    /// too); a bare `NAME` takes NAME's value from `host_env` and, when the
    /// host has none, is left out so the Dockerfile's default applies.
    ///
    /// ```
    /// use container_dockerfile::BuildArgs;
    /// let host = |name: &str| (name == "A3").then(|| "host".to_string());
    /// let args = BuildArgs::from_flags(["A1=cli", "A2=", "A3", "A4"], &host);
    /// assert_eq!(args.get("A1"), Some("cli"));
    /// assert_eq!(args.get("A2"), Some(""));
    /// assert_eq!(args.get("A3"), Some("host"));
    /// assert_eq!(args.get("A4"), None);
    /// ```
    pub fn from_flags<I, S>(flags: I, host_env: &dyn Fn(&str) -> Option<String>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut args = Self::new();
        for flag in flags {
            match flag.as_ref().split_once('=') {
                Some((name, value)) => args.insert(name, value),
                None => {
                    let name = flag.as_ref();
                    if let Some(value) = host_env(name) {
                        args.insert(name, &value);
                    }
                }
            }
        }
        args
    }

    /// Sets one build arg.
    pub fn insert(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_string(), value.to_string());
    }

    /// A build arg's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// All build args, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The build args no ARG of the file declares and that are not
    /// predefined: Docker builds anyway and warns
    /// `[Warning] One or more build-args [X] were not consumed`.
    pub fn unused(&self, dockerfile: &Dockerfile) -> Vec<String> {
        let declared = |name: &str| {
            let stage_args = dockerfile.stages.iter().flat_map(|s| &s.instructions);
            let mut all = dockerfile.global_args.iter().chain(stage_args);
            all.any(|i| declares(i, name))
        };
        // BuildKit's own settings (BUILDKIT_INLINE_CACHE, ...) and
        // SOURCE_DATE_EPOCH are read by the builder, not by ARGs.
        let predefined = |name: &str| {
            PROXY_ARGS.contains(&name)
                || PLATFORM_ARGS.contains(&name)
                || name.starts_with("BUILDKIT_")
                || name == "SOURCE_DATE_EPOCH"
        };
        let names = self
            .values
            .keys()
            .filter(|n| !declared(n) && !predefined(n));
        names.cloned().collect()
    }
}

fn declares(instruction: &Instruction, name: &str) -> bool {
    match &instruction.kind {
        InstructionKind::Arg(decls) => decls.iter().any(|d| d.name == name),
        InstructionKind::Onbuild(onbuild) => declares(&onbuild.instruction, name),
        _ => false,
    }
}

/// The predefined platform args.
pub const PLATFORM_ARGS: [&str; 8] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// The predefined platform args for a build on `build` for `target`, each
/// an OCI platform `os/arch[/variant]` such as `linux/arm64/v8`.
///
/// ```
/// let args = container_dockerfile::platform_args("linux/amd64", "linux/arm/v7");
/// assert!(args.contains(&("TARGETARCH".to_string(), "arm".to_string())));
/// assert!(args.contains(&("TARGETVARIANT".to_string(), "v7".to_string())));
/// assert!(args.contains(&("BUILDPLATFORM".to_string(), "linux/amd64".to_string())));
/// ```
pub fn platform_args(build: &str, target: &str) -> Vec<(String, String)> {
    let mut args = Vec::new();
    for (prefix, platform) in [("TARGET", target), ("BUILD", build)] {
        let mut parts = platform.splitn(3, '/');
        let os = parts.next().unwrap_or_default();
        let arch = parts.next().unwrap_or_default();
        let variant = parts.next().unwrap_or_default();
        for (suffix, value) in [
            ("PLATFORM", platform),
            ("OS", os),
            ("ARCH", arch),
            ("VARIANT", variant),
        ] {
            args.push((format!("{prefix}{suffix}"), value.to_string()));
        }
    }
    args
}

/// The global ARGs' values, for FROM lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalScope {
    lexer: Lexer,
    /// Declared names with their values; `None` = declared but unset.
    values: Vec<(String, Option<String>)>,
}

impl GlobalScope {
    /// Resolves the global ARGs of `dockerfile` in order, with `predefined`
    /// (from [`platform_args`]) declared first.
    pub fn new(
        dockerfile: &Dockerfile,
        build_args: &BuildArgs,
        predefined: &[(String, String)],
    ) -> Result<Self, Error> {
        let lexer = Lexer::new(dockerfile.directives.escape);
        let mut scope = Self {
            lexer,
            values: Vec::new(),
        };
        for (name, value) in predefined {
            let value = build_args.get(name).unwrap_or(value);
            scope.values.push((name.clone(), Some(value.to_string())));
        }
        for instruction in &dockerfile.global_args {
            let expanded = instruction.expand(lexer, &|name| scope.get(name).map(String::from))?;
            let InstructionKind::Arg(decls) = expanded.kind else {
                continue;
            };
            for decl in decls {
                // `ARG TARGETARCH` before FROM keeps the predefined value.
                let earlier = scope.get(&decl.name).map(String::from);
                let given = build_args.get(&decl.name).map(String::from);
                let value = given.or(decl.default).or(earlier);
                scope.values.retain(|(n, _)| *n != decl.name);
                scope.values.push((decl.name, value));
            }
        }
        Ok(scope)
    }

    /// A global ARG's value; `None` when undeclared or unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        let found = self.values.iter().rev().find(|(n, _)| n == name);
        found.and_then(|(_, v)| v.as_deref())
    }

    /// Expands a word of a FROM line.
    pub fn expand(&self, word: &str) -> Result<String, ExpandError> {
        self.lexer
            .expand(word, &|name| self.get(name).map(String::from))
    }

    /// The stage's base after expansion (`FROM ${IMG}:${TAG}` →
    /// `alpine:3.19`); an empty result is an error, as in BuildKit.
    pub fn base(&self, stage: &Stage) -> Result<String, Error> {
        let fail = |kind| Error::new(stage.line, Some("FROM"), kind);
        let base = self
            .expand(&stage.from.image)
            .map_err(|e| fail(ErrorKind::Expand(e)))?;
        if base.is_empty() {
            return Err(fail(ErrorKind::BlankBase {
                written: stage.from.image.clone(),
            }));
        }
        Ok(base)
    }

    /// The stage's `--platform` after expansion, if it has one.
    pub fn platform(&self, stage: &Stage) -> Result<Option<String>, Error> {
        let Some(platform) = &stage.from.platform else {
            return Ok(None);
        };
        let expanded = self.expand(platform);
        let expanded =
            expanded.map_err(|e| Error::new(stage.line, Some("FROM"), ErrorKind::Expand(e)))?;
        Ok(Some(expanded))
    }
}

/// The variables of one stage as its instructions run.
///
/// The builder makes one per stage from the base image's `Config.Env`,
/// and for each instruction: `let step = scope.expand_instruction(&i)?`,
/// runs `step`, then `scope.apply(&step, &globals, &build_args)` so ENV
/// and ARG take effect for the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageScope {
    lexer: Lexer,
    env: Vec<(String, String)>,
    args: Vec<(String, Option<String>)>,
    proxies: Vec<(String, String)>,
}

impl StageScope {
    /// A stage on a base image whose `Config.Env` is `image_env`
    /// (`KEY=value` strings), in a file with escape character `escape`.
    pub fn new(escape: char, image_env: &[String], build_args: &BuildArgs) -> Self {
        let env = image_env.iter().map(|entry| match entry.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (entry.clone(), String::new()),
        });
        let proxies = PROXY_ARGS
            .iter()
            .filter_map(|name| Some((name.to_string(), build_args.get(name)?.to_string())));
        Self {
            lexer: Lexer::new(escape),
            env: env.collect(),
            args: Vec::new(),
            proxies: proxies.collect(),
        }
    }

    /// A variable's value: ENV first, then a declared ARG with a value.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some((_, value)) = self.env.iter().find(|(k, _)| k == name) {
            return Some(value.clone());
        }
        let arg = self.args.iter().find(|(k, _)| k == name);
        arg.and_then(|(_, v)| v.clone())
    }

    /// The lexer for this file's escape character.
    pub fn lexer(&self) -> Lexer {
        self.lexer
    }

    /// Expands one word.
    pub fn expand(&self, word: &str) -> Result<String, ExpandError> {
        self.lexer.expand(word, &|name| self.get(name))
    }

    /// `instruction` with its words expanded by this scope.
    pub fn expand_instruction(&self, instruction: &Instruction) -> Result<Instruction, Error> {
        instruction.expand(self.lexer, &|name| self.get(name))
    }

    /// Lets an expanded ENV or ARG take effect (anything else is ignored).
    pub fn apply(&mut self, expanded: &Instruction, globals: &GlobalScope, build_args: &BuildArgs) {
        match &expanded.kind {
            InstructionKind::Env(pairs) => pairs.iter().for_each(|pair| self.set_env(pair)),
            InstructionKind::Arg(decls) => {
                decls
                    .iter()
                    .for_each(|decl| self.declare_arg(decl, globals, build_args));
            }
            _ => {}
        }
    }

    /// Sets an ENV variable (replacing an earlier value in place).
    pub fn set_env(&mut self, pair: &KeyValue) {
        match self.env.iter_mut().find(|(k, _)| *k == pair.key) {
            Some(entry) => entry.1.clone_from(&pair.value),
            None => self.env.push((pair.key.clone(), pair.value.clone())),
        }
    }

    /// Declares an ARG whose default is already expanded: its value is the
    /// build-arg, else the default, else the global value, else unset.
    pub fn declare_arg(&mut self, decl: &ArgDecl, globals: &GlobalScope, build_args: &BuildArgs) {
        let value = build_args.get(&decl.name).map(String::from);
        let value = value.or_else(|| decl.default.clone());
        let value = value.or_else(|| globals.get(&decl.name).map(String::from));
        self.args.retain(|(name, _)| *name != decl.name);
        self.args.push((decl.name.clone(), value));
    }

    /// The ENV variables, in order: the image config's `Env`.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The image config's `Env` as `KEY=value` strings.
    pub fn config_env(&self) -> Vec<String> {
        self.env.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    /// The ARGs declared in this stage that have a value, in order: they
    /// belong in the cache key of every later step.
    pub fn args(&self) -> Vec<(String, String)> {
        let with_value = self
            .args
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)));
        with_value.collect()
    }

    /// RUN's environment: the ENV variables, then the ARGs with a value
    /// that ENV does not shadow, then the proxy build args.
    pub fn run_env(&self) -> Vec<String> {
        let mut env = self.env.clone();
        for (name, value) in self.args().into_iter().chain(self.proxies.iter().cloned()) {
            if !env.iter().any(|(k, _)| *k == name) {
                env.push((name, value));
            }
        }
        env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    /// What a build of the last stage would see: its base, the expanded
    /// steps, RUN's environment at each RUN, and the final scope.
    struct Walk {
        bases: Vec<String>,
        steps: Vec<Instruction>,
        run_envs: Vec<Vec<String>>,
        scope: StageScope,
    }

    fn walk(text: &str, flags: &[&str], host: &dyn Fn(&str) -> Option<String>) -> Walk {
        let file = parse(text).unwrap();
        let build_args = BuildArgs::from_flags(flags, host);
        let globals = GlobalScope::new(
            &file,
            &build_args,
            &platform_args("linux/amd64", "linux/arm64"),
        )
        .unwrap();
        let bases = file
            .stages
            .iter()
            .map(|s| globals.base(s).unwrap())
            .collect();
        let stage = file.stages.last().unwrap();
        let mut scope = StageScope::new(
            file.directives.escape,
            &["PATH=/usr/bin".to_string()],
            &build_args,
        );
        let (mut steps, mut run_envs) = (Vec::new(), Vec::new());
        for instruction in &stage.instructions {
            let step = scope.expand_instruction(instruction).unwrap();
            if let InstructionKind::Run(_) = step.kind {
                run_envs.push(scope.run_env());
            }
            scope.apply(&step, &globals, &build_args);
            steps.push(step);
        }
        Walk {
            bases,
            steps,
            run_envs,
            scope,
        }
    }

    fn no_host(_: &str) -> Option<String> {
        None
    }

    fn env_of(walk: &Walk) -> Vec<String> {
        walk.scope.config_env()
    }

    #[test]
    fn c09_global_args_only_in_from() {
        let text = "ARG TAG=3.19\nARG MSG=hi\nARG IMG=\"alpine\"\nFROM ${IMG}:${TAG}\nARG TAG\n\
                    RUN echo \"tag=$TAG msg=$MSG\" > /out\nFROM ${IMG}:${TAG}\n";
        let walk = walk(text, &[], &no_host);
        assert_eq!(walk.bases, ["alpine:3.19", "alpine:3.19"]);
        let file = parse(text).unwrap();
        let build_args = BuildArgs::new();
        let globals = GlobalScope::new(&file, &build_args, &[]).unwrap();
        let mut scope = StageScope::new('\\', &[], &build_args);
        for instruction in &file.stages[0].instructions[..1] {
            let step = scope.expand_instruction(instruction).unwrap();
            scope.apply(&step, &globals, &build_args);
        }
        assert_eq!(scope.get("TAG").as_deref(), Some("3.19"));
        assert_eq!(
            scope.get("MSG"),
            None,
            "a global ARG is empty in a stage unless declared"
        );
        assert_eq!(scope.expand("tag=$TAG msg=$MSG").unwrap(), "tag=3.19 msg=");
        assert!(scope.run_env().contains(&"TAG=3.19".to_string()));
        assert!(!scope.run_env().iter().any(|e| e.starts_with("MSG=")));

        let walk = self::walk(text, &["TAG=3.20"], &no_host);
        assert_eq!(walk.bases, ["alpine:3.20", "alpine:3.20"]);
    }

    #[test]
    fn c09_global_defaults_expand_earlier_globals_and_predefined_args() {
        let text = "ARG REG=docker.io\nARG IMG=$REG/library/alpine\nARG ARCH=$TARGETARCH\nFROM $IMG:$ARCH\n\
                    FROM --platform=$BUILDPLATFORM busybox\nARG TARGETOS\nRUN echo $TARGETOS $BUILDOS\n";
        let walk = walk(text, &[], &no_host);
        assert_eq!(walk.bases[0], "docker.io/library/alpine:arm64");
        let redeclared = self::walk("ARG TARGETARCH\nFROM alpine:$TARGETARCH\n", &[], &no_host);
        assert_eq!(redeclared.bases, ["alpine:arm64"]);
        let run_env = &walk.run_envs[0];
        assert!(run_env.contains(&"TARGETOS=linux".to_string()));
        assert!(
            !run_env.iter().any(|e| e.starts_with("BUILDOS=")),
            "{run_env:?}"
        );
        let file = parse(text).unwrap();
        let globals = GlobalScope::new(
            &file,
            &BuildArgs::new(),
            &platform_args("linux/amd64", "linux/arm64"),
        )
        .unwrap();
        assert_eq!(
            globals.platform(&file.stages[1]).unwrap().as_deref(),
            Some("linux/amd64")
        );
    }

    #[test]
    fn c10_env_values() {
        let text = "FROM scratch\nENV A=ABC\n\
                    ENV B1=${A:-DEF} B2=${NOPE:-DEF} B3=${NOPE:-${B2}xx} B4=${A:+ALT} B5=${NOPE:+ALT}\n\
                    ENV B6=${NOPE:-\\$A:} B7=${NOPE:-\\${A}:}\nENV P=${P:+$P:}/one\nENV P=${P:+$P:}/two\n\
                    ENV E=\\$A U=$UNSET Q1='$A' Q2=\"$A\"\n";
        let walk = walk(text, &[], &no_host);
        // CASES.md says B3=DEFxx, but B2 is set by the same ENV, and Docker
        // documents (and C11 asserts) that one instruction sees the values
        // from before it; B3 is DEFxx only once B2 is set earlier (below).
        let expected = [
            "PATH=/usr/bin",
            "A=ABC",
            "B1=ABC",
            "B2=DEF",
            "B3=xx",
            "B4=ALT",
            "B5=",
            "B6=$A:",
            "B7=${A:}",
            "P=/one:/two",
            "E=$A",
            "U=",
            "Q1=$A",
            "Q2=ABC",
        ];
        assert_eq!(env_of(&walk), expected);
        let walk = self::walk(
            "FROM x\nENV B2=${NOPE:-DEF}\nENV B3=${NOPE:-${B2}xx}\n",
            &[],
            &no_host,
        );
        assert_eq!(env_of(&walk), ["PATH=/usr/bin", "B2=DEF", "B3=DEFxx"]);
    }

    #[test]
    fn c11_env_sees_old_values_within_one_instruction() {
        let walk = walk(
            "FROM x\nENV x=hello\nENV x=bye y=$x\nENV z=$x\n",
            &[],
            &no_host,
        );
        assert_eq!(
            env_of(&walk),
            ["PATH=/usr/bin", "x=bye", "y=hello", "z=bye"]
        );
    }

    #[test]
    fn c11_env_beats_arg_and_args_stay_out_of_the_image() {
        let walk = walk(
            "FROM x\nARG foo\nENV foo=fromenv\nRUN echo $foo\n",
            &["foo=fromarg"],
            &no_host,
        );
        assert_eq!(walk.run_envs[0], ["PATH=/usr/bin", "foo=fromenv"]);
        assert_eq!(env_of(&walk), ["PATH=/usr/bin", "foo=fromenv"]);
        let walk = self::walk(
            "FROM x\nENV foo=fromenv\nARG foo=x\nRUN echo\n",
            &["foo=fromarg"],
            &no_host,
        );
        assert_eq!(walk.scope.get("foo").as_deref(), Some("fromenv"));
    }

    #[test]
    fn c11_build_arg_forms() {
        let text = "FROM x\nARG A1=file\nARG A2=file\nARG A3=file\nARG A4=file\nARG A5\nRUN env\n";
        let host = |name: &str| (name == "A3").then(|| "host".to_string());
        let flags = ["A1=cli", "A2=", "A3", "A4", "UNDECLARED=x"];
        let walk = walk(text, &flags, &host);
        let run_env = &walk.run_envs[0];
        assert_eq!(
            run_env,
            &["PATH=/usr/bin", "A1=cli", "A2=", "A3=host", "A4=file"]
        );
        assert_eq!(
            env_of(&walk),
            ["PATH=/usr/bin"],
            "ARG values never reach Config.Env"
        );
        let args = walk.scope.args();
        assert_eq!(args.len(), 4);
        let file = parse(text).unwrap();
        let build_args = BuildArgs::from_flags(flags, &host);
        assert_eq!(build_args.unused(&file), ["UNDECLARED"]);
    }

    #[test]
    fn proxy_args_reach_run_only() {
        let walk = walk(
            "FROM x\nRUN env\n",
            &["HTTP_PROXY=http://p:3128", "no_proxy=localhost"],
            &no_host,
        );
        assert_eq!(
            walk.run_envs[0],
            [
                "PATH=/usr/bin",
                "HTTP_PROXY=http://p:3128",
                "no_proxy=localhost"
            ]
        );
        assert!(walk.scope.args().is_empty());
        let file = parse("FROM x\n").unwrap();
        assert!(
            BuildArgs::from_flags(["HTTP_PROXY=x"], &no_host)
                .unused(&file)
                .is_empty()
        );
    }

    #[test]
    fn expanded_instructions() {
        let text = "FROM x\nARG V=1.2\nARG PORTS=\"80 443/udp\"\nENV APP=/srv/app\nWORKDIR $APP/v$V\n\
                    COPY --chown=${USER:-app} --from=build-$V src/$V/* $APP/\nEXPOSE $PORTS 8080\n\
                    LABEL version=$V \"$APP\"=yes\nUSER ${USER:-nobody}\nVOLUME [\"$APP/data\"]\nSTOPSIGNAL SIG${SIG:-TERM}\n\
                    RUN --mount=type=cache,target=$APP/.cache echo $V\nCMD echo $V\n";
        let walk = walk(text, &[], &no_host);
        let kinds: Vec<_> = walk.steps.iter().map(|s| s.kind.clone()).collect();
        assert_eq!(kinds[3], InstructionKind::Workdir("/srv/app/v1.2".into()));
        let InstructionKind::Copy(copy) = &kinds[4] else {
            panic!()
        };
        assert_eq!(copy.chown.as_deref(), Some("app"));
        assert_eq!(copy.from.as_deref(), Some("build-1.2"));
        assert_eq!(copy.paths().collect::<Vec<_>>(), ["src/1.2/*"]);
        assert_eq!(copy.dest, "/srv/app/");
        assert_eq!(
            kinds[5],
            InstructionKind::Expose(vec!["80".into(), "443/udp".into(), "8080".into()])
        );
        let label = |k: &str, v: &str| KeyValue {
            key: k.into(),
            value: v.into(),
        };
        assert_eq!(
            kinds[6],
            InstructionKind::Label(vec![label("version", "1.2"), label("/srv/app", "yes")])
        );
        assert_eq!(kinds[7], InstructionKind::User("nobody".into()));
        assert_eq!(
            kinds[8],
            InstructionKind::Volume(vec!["/srv/app/data".into()])
        );
        assert_eq!(kinds[9], InstructionKind::StopSignal("SIGTERM".into()));
        let InstructionKind::Run(run) = &kinds[10] else {
            panic!()
        };
        assert_eq!(run.mounts[0].target.as_deref(), Some("/srv/app/.cache"));
        assert_eq!(
            run.command,
            crate::Command::Shell("echo $V".into()),
            "RUN is left to the shell"
        );
        assert_eq!(
            kinds[11],
            InstructionKind::Cmd(crate::Command::Shell("echo $V".into()))
        );
    }

    #[test]
    fn copy_heredoc_bodies_expand_unless_quoted() {
        let text = "FROM x\nARG NAME=world\nCOPY <<A <<'B' /\nhello $NAME \"q\"\nA\nraw $NAME\nB\n";
        let walk = walk(text, &[], &no_host);
        let InstructionKind::Copy(copy) = &walk.steps[1].kind else {
            panic!()
        };
        let bodies: Vec<_> = copy
            .sources
            .iter()
            .map(|s| match s {
                crate::Source::Heredoc(h) => h.content.clone(),
                crate::Source::Path(p) => p.clone(),
            })
            .collect();
        assert_eq!(bodies, ["hello world \"q\"\n", "raw $NAME\n"]);
    }

    #[test]
    fn expansion_errors_carry_line_and_instruction() {
        let file = parse("FROM x\n\nWORKDIR ${A:?need A}\n").unwrap();
        let scope = StageScope::new('\\', &[], &BuildArgs::new());
        let error = scope
            .expand_instruction(&file.stages[0].instructions[0])
            .unwrap_err();
        assert_eq!(error.line, 3);
        assert_eq!(error.to_string(), "WORKDIR: A: need A");
        let file = parse("FROM ${NOPE}\n").unwrap();
        let globals = GlobalScope::new(&file, &BuildArgs::new(), &[]).unwrap();
        assert_eq!(
            globals.base(&file.stages[0]).unwrap_err().to_string(),
            "FROM: base name (${NOPE}) should not be blank"
        );
    }

    #[test]
    fn c17_copy_checks_that_need_no_files() {
        let scope = StageScope::new('\\', &[], &BuildArgs::new());
        let check = |line: &str| {
            let file = parse(&format!("FROM x\nWORKDIR /w\n{line}\n")).unwrap();
            scope
                .expand_instruction(&file.stages[0].instructions[1])
                .map(|i| i.kind)
        };
        let error = check("COPY file1.txt file2.txt /test").unwrap_err();
        assert_eq!(
            error.to_string(),
            "COPY: When using COPY with more than one source file, the destination must be a directory and end with a /"
        );
        assert_eq!(
            check("COPY https://example.com/x /")
                .unwrap_err()
                .to_string(),
            "COPY: source can't be a URL for COPY"
        );
        assert!(check("ADD https://example.com/x /").is_ok());
        let Ok(InstructionKind::Copy(copy)) = check("COPY file*.txt /test") else {
            panic!()
        };
        assert_eq!(
            copy.check_matched(2).unwrap_err(),
            ErrorKind::DestinationNotDirectory
        );
        assert_eq!(copy.check_matched(1), Ok(()));
        assert_eq!(
            copy.check_matched(0).unwrap_err().to_string(),
            "no source files were specified"
        );
        let Ok(InstructionKind::Copy(copy)) = check("COPY file1.txt .") else {
            panic!()
        };
        assert!(copy.dest_is_directory());
        let Ok(InstructionKind::Copy(copy)) = check("COPY file1.txt /new") else {
            panic!()
        };
        assert!(!copy.dest_is_directory());
        assert!(crate::has_wildcards("dir*") && !crate::has_wildcards("dir"));
    }
}
