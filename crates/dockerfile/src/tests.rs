//! Parsing whole Dockerfiles: every instruction's forms, continuations,
//! heredocs, directives and the error messages.

use std::time::Duration;

use crate::*;

fn stage0(text: &str) -> Vec<Instruction> {
    parse(text)
        .unwrap_or_else(|e| panic!("{e}"))
        .stages
        .remove(0)
        .instructions
}

fn kinds(text: &str) -> Vec<InstructionKind> {
    stage0(text).into_iter().map(|i| i.kind).collect()
}

fn one(text: &str) -> InstructionKind {
    kinds(&format!("FROM scratch\n{text}\n")).remove(0)
}

fn error(text: &str) -> Error {
    parse(text).expect_err("should not parse")
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: value.into(),
    }
}

fn shell(text: &str) -> Command {
    Command::Shell(text.into())
}

fn exec(argv: &[&str]) -> Command {
    Command::Exec(argv.iter().map(|s| s.to_string()).collect())
}

#[test]
fn c13_continuations_across_comments_blank_lines_and_eof() {
    let text = "FROM scratch\nRUN echo hello \\\n# a comment inside the continuation\n\n\
                # another comment between blank lines\n\nworld\nRUN a \\\n\nb \\\n\nc\n\
                RUN echo x  \\  \ny\nENV E hello\\\n\\\nworld\nENV F hello\\\n \\\nworld\n\
                ENV C trail\\\\\nENV D separate\nRUN last \\";
    let file = parse(text).unwrap();
    let got = kinds(text);
    let run = |i: usize| match &got[i] {
        InstructionKind::Run(run) => run.command.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(run(0), shell("echo hello world"));
    assert_eq!(run(1), shell("a b c"));
    assert_eq!(run(2), shell("echo x  y"));
    assert_eq!(got[3], InstructionKind::Env(vec![kv("E", "helloworld")]));
    assert_eq!(got[4], InstructionKind::Env(vec![kv("F", "hello world")]));
    assert_eq!(got[5], InstructionKind::Env(vec![kv("C", "trail\\\\")]));
    assert_eq!(got[6], InstructionKind::Env(vec![kv("D", "separate")]));
    assert_eq!(run(7), shell("last"));
    assert_eq!(got.len(), 8);
    let lines: Vec<_> = file.stages[0]
        .instructions
        .iter()
        .map(|i| (i.line, i.end_line))
        .collect();
    assert_eq!(lines[0], (2, 7));
    assert_eq!(lines[7], (23, 23));
    assert!(
        file.warnings.iter().any(|w| w.line == 9),
        "{:?}",
        file.warnings
    );
}

#[test]
fn c14_exec_form_and_invalid_json_as_shell_form() {
    assert_eq!(
        one(r#"CMD ["echo","cmd"]"#),
        InstructionKind::Cmd(exec(&["echo", "cmd"]))
    );
    assert_eq!(one("CMD echo cmd"), InstructionKind::Cmd(shell("echo cmd")));
    assert_eq!(
        one("CMD ['echo','hi']"),
        InstructionKind::Cmd(shell("['echo','hi']"))
    );
    let unterminated = one(r#"CMD ["echo", "unterminated""#);
    assert_eq!(
        unterminated,
        InstructionKind::Cmd(shell(r#"["echo", "unterminated""#))
    );
    let quoted = one(r#"CMD '["echo","x"]'"#);
    assert_eq!(quoted, InstructionKind::Cmd(shell(r#"'["echo","x"]'"#)));
    let escapes = one(r#"CMD [ "\/usr\\\"/bin/znc", "-f" ]"#);
    assert_eq!(
        escapes,
        InstructionKind::Cmd(exec(&["/usr\\\"/bin/znc", "-f"]))
    );
    let InstructionKind::Cmd(cmd) = one("CMD echo hi") else {
        panic!()
    };
    let bash = ["/bin/bash".to_string(), "-c".to_string()];
    assert_eq!(cmd.argv(&bash), ["/bin/bash", "-c", "echo hi"]);
    assert_eq!(
        one("SHELL [\"/bin/bash\",\"-c\"]"),
        InstructionKind::Shell(bash.to_vec())
    );
    let file = parse("FROM x\nCMD ['echo','hi']\nCMD [\"ok\"]\n").unwrap();
    assert_eq!(file.warnings.len(), 1);
    assert_eq!(file.warnings[0].line, 2);
    assert!(
        file.warnings[0]
            .message
            .starts_with("CMD starts with [ but is not a JSON array")
    );
    let e = error("FROM x\nCMD [1, 2]\n");
    assert_eq!((e.line, e.kind), (2, ErrorKind::NotStringArray));
}

#[test]
fn c15_cmd_and_entrypoint_forms() {
    assert_eq!(
        one(r#"ENTRYPOINT ["/entry.sh"]"#),
        InstructionKind::Entrypoint(exec(&["/entry.sh"]))
    );
    assert_eq!(one("ENTRYPOINT []"), InstructionKind::Entrypoint(exec(&[])));
    assert_eq!(one("CMD []"), InstructionKind::Cmd(exec(&[])));
    let InstructionKind::Entrypoint(entry) = one("ENTRYPOINT echo hi") else {
        panic!()
    };
    let default_shell = DEFAULT_SHELL.map(String::from);
    assert_eq!(entry.argv(&default_shell), ["/bin/sh", "-c", "echo hi"]);
}

#[test]
fn from_forms() {
    let file =
        parse("ARG V=1\nfrom --platform=$BUILDPLATFORM golang:${V} as Build\nFROM scratch\n")
            .unwrap();
    assert_eq!(file.global_args.len(), 1);
    let from = &file.stages[0].from;
    assert_eq!(from.image, "golang:${V}");
    assert_eq!(from.name.as_deref(), Some("build"));
    assert_eq!(from.platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(file.stages[0].line, 2);
    assert_eq!(file.stages[1].index, 1);
    assert_eq!(file.stages[1].from.name, None);
}

#[test]
fn from_errors() {
    let e = error("FROM a b\n");
    assert_eq!(
        e.to_string(),
        "FROM: requires either one or three arguments (FROM image [AS name])"
    );
    assert!(matches!(
        error("FROM a AS 1x\n").kind,
        ErrorKind::StageName { .. }
    ));
    assert!(matches!(
        error("FROM a AS b\nFROM c AS B\n").kind,
        ErrorKind::DuplicateStageName { .. }
    ));
    assert_eq!(
        error("FROM --plat=x a\n").kind,
        ErrorKind::UnknownFlag {
            flag: "plat".into()
        }
    );
    assert_eq!(error("RUN x\n").kind, ErrorKind::BeforeFrom);
    assert_eq!(error("ARG A\n").kind, ErrorKind::NoStage);
    assert_eq!(error("# only a comment\n\n").kind, ErrorKind::Empty);
}

#[test]
fn unknown_instruction_names_the_nearest() {
    let e = error("FROMM python\n");
    assert_eq!(e.line, 1);
    assert_eq!(
        e.to_string(),
        "unknown instruction: FROMM (did you mean FROM?)"
    );
    let e = error("FROM x\n\nRUNN echo\n");
    assert_eq!(
        (e.line, e.to_string().as_str()),
        (3, "unknown instruction: RUNN (did you mean RUN?)")
    );
    assert_eq!(
        error("FROM x\ncopy2 a b\n").to_string(),
        "unknown instruction: COPY2 (did you mean COPY?)"
    );
    assert_eq!(
        error("FROM x\nENTRYPONT x\n").to_string(),
        "unknown instruction: ENTRYPONT (did you mean ENTRYPOINT?)"
    );
    assert_eq!(
        error("FROM x\nXYZZY a\n").to_string(),
        "unknown instruction: XYZZY"
    );
}

#[test]
fn run_forms_and_flags() {
    let InstructionKind::Run(run) =
        one("RUN --mount=type=cache,target=/root/.cache --network=none pip install x")
    else {
        panic!()
    };
    assert_eq!(run.command, shell("pip install x"));
    assert_eq!(run.network, Network::None);
    assert_eq!(run.mounts[0].kind, MountKind::Cache);
    assert_eq!(run.mounts[0].target.as_deref(), Some("/root/.cache"));
    let InstructionKind::Run(run) = one(r#"RUN ["/bin/echo", "a b"]"#) else {
        panic!()
    };
    assert_eq!(
        run.program(&[]),
        RunProgram::Argv(vec!["/bin/echo".into(), "a b".into()])
    );
    let InstructionKind::Run(run) = one("RUN --security=insecure --network=host id") else {
        panic!()
    };
    assert_eq!(
        (run.security, run.network),
        (Security::Insecure, Network::Host)
    );
    let e = error("FROM x\nRUN --network=bridge id\n");
    assert_eq!(
        e.to_string(),
        "RUN: invalid value \"bridge\" for --network: use default, none or host"
    );
    let e = error("FROM x\nRUN --mount=type=nfs,target=/x id\n");
    assert!(matches!(e.kind, ErrorKind::Mount { .. }), "{e}");
    assert_eq!(
        error("FROM x\nRUN\n").to_string(),
        "RUN: requires at least one argument"
    );
}

#[test]
fn run_heredocs() {
    let text = "FROM x\nRUN <<EOF\necho a\necho b\nEOF\nRUN <<-'END' bash\n\techo $HOME\n\tEND\nRUN echo\n";
    let got = stage0(text);
    let InstructionKind::Run(run) = &got[0].kind else {
        panic!()
    };
    assert_eq!((got[0].line, got[0].end_line), (2, 5));
    assert_eq!(got[0].original, "RUN <<EOF");
    assert_eq!(run.heredocs[0].name, "EOF");
    assert_eq!(run.heredocs[0].content, "echo a\necho b\n");
    assert!(run.heredocs[0].expand);
    let sh = DEFAULT_SHELL.map(String::from);
    let argv = |body: &str| RunProgram::Argv(vec!["/bin/sh".into(), "-c".into(), body.into()]);
    assert_eq!(run.program(&sh), argv("echo a\necho b\n"));
    let InstructionKind::Run(run) = &got[1].kind else {
        panic!()
    };
    let heredoc = &run.heredocs[0];
    assert_eq!(
        (heredoc.name.as_str(), heredoc.expand, heredoc.chomp),
        ("END", false, true)
    );
    assert_eq!(heredoc.body(), "echo $HOME\n");
    assert_eq!(run.program(&sh), argv("<<-'END' bash\n\techo $HOME\nEND"));
    assert!(matches!(&got[2].kind, InstructionKind::Run(r) if r.command == shell("echo")));
}

#[test]
fn run_heredoc_with_a_shebang_is_a_script() {
    let got = one("RUN <<EOF\n#!/usr/bin/env python3\nprint('hi')\nEOF");
    let InstructionKind::Run(run) = got else {
        panic!()
    };
    let script = RunProgram::Script {
        name: "EOF".into(),
        content: "#!/usr/bin/env python3\nprint('hi')\n".into(),
    };
    assert_eq!(run.program(&[]), script);
}

#[test]
fn several_heredocs_and_fds() {
    let text = "FROM x\nRUN cat /dev/stdin 3<<A <<\"B\"\none\nA\ntwo $X\nB\nCMD x\n";
    let got = stage0(text);
    let InstructionKind::Run(run) = &got[0].kind else {
        panic!()
    };
    let names: Vec<_> = run
        .heredocs
        .iter()
        .map(|h| (h.name.as_str(), h.fd, h.expand))
        .collect();
    assert_eq!(names, [("A", Some(3), true), ("B", None, false)]);
    assert_eq!(got[1].line, 7);
    let e = error("FROM x\nRUN <<EOF\necho\n");
    assert_eq!(
        (e.line, e.kind),
        (2, ErrorKind::UnterminatedHeredoc { name: "EOF".into() })
    );
}

#[test]
fn heredocs_only_where_docker_reads_them() {
    let got = kinds("FROM x\nRUN [\"echo\", \"<<EOF\"]\nCMD echo <<EOF\nRUN echo '<<EOF' a<<b\n");
    assert_eq!(got.len(), 3);
    let InstructionKind::Run(run) = &got[2] else {
        panic!()
    };
    assert!(run.heredocs.is_empty());
}

#[test]
fn copy_and_add_forms() {
    let InstructionKind::Copy(copy) =
        one("COPY --from=build --chown=app:app --chmod=0755 --link --exclude=*.md a b /dst/")
    else {
        panic!()
    };
    assert_eq!(
        copy.sources,
        [Source::Path("a".into()), Source::Path("b".into())]
    );
    assert_eq!(copy.dest, "/dst/");
    assert_eq!(copy.from.as_deref(), Some("build"));
    assert_eq!(
        (copy.chown.as_deref(), copy.chmod.as_deref()),
        (Some("app:app"), Some("0755"))
    );
    assert!(copy.link && !copy.is_json);
    assert_eq!(copy.exclude, ["*.md"]);
    let InstructionKind::Copy(copy) = one(r#"COPY ["a b", "/c d/"]"#) else {
        panic!()
    };
    assert_eq!(
        (copy.sources, copy.dest, copy.is_json),
        (vec![Source::Path("a b".into())], "/c d/".into(), true)
    );
    let InstructionKind::Add(add) =
        one("ADD --checksum=sha256:abc --unpack=false https://x/y.tar /y/")
    else {
        panic!()
    };
    assert_eq!(
        (add.checksum.as_deref(), add.unpack),
        (Some("sha256:abc"), Some(false))
    );
    let e = error("FROM x\nADD --from=a b c\n");
    assert_eq!(e.to_string(), "ADD: unknown flag: --from");
    let e = error("FROM x\nCOPY onlyone\n");
    assert_eq!(
        e.to_string(),
        "COPY: requires at least two arguments: the sources and a destination"
    );
    assert_eq!(
        error("FROM x\nCOPY --fromm=a b c\n").to_string(),
        "COPY: unknown flag: --fromm"
    );
    assert_eq!(
        error("FROM x\nCOPY --from a b\n").to_string(),
        "COPY: missing a value on flag: --from"
    );
}

#[test]
fn copy_heredocs() {
    let text = "FROM x\nCOPY <<one <<\"two\" /dst/\nhello $A\none\n\tbye\ntwo\nCOPY --chmod=755 <<-EOF /run.sh\n\t#!/bin/sh\nEOF\n";
    let got = kinds(text);
    let InstructionKind::Copy(copy) = &got[0] else {
        panic!()
    };
    let [Source::Heredoc(a), Source::Heredoc(b)] = copy.sources.as_slice() else {
        panic!("{copy:?}")
    };
    assert_eq!(
        (a.name.as_str(), a.content.as_str(), a.expand),
        ("one", "hello $A\n", true)
    );
    assert_eq!(
        (b.name.as_str(), b.content.as_str(), b.expand),
        ("two", "\tbye\n", false)
    );
    let InstructionKind::Copy(copy) = &got[1] else {
        panic!()
    };
    let [Source::Heredoc(script)] = copy.sources.as_slice() else {
        panic!()
    };
    assert_eq!(script.body(), "#!/bin/sh\n");
    assert_eq!(
        error("FROM x\nCOPY a <<EOF\nx\nEOF\n").kind,
        ErrorKind::Heredoc {
            place: "a destination"
        }
    );
}

#[test]
fn env_and_label_forms() {
    assert_eq!(
        one("ENV A=1 B=\"two words\" C=x\\ y"),
        InstructionKind::Env(vec![
            kv("A", "1"),
            kv("B", "\"two words\""),
            kv("C", "x\\ y")
        ])
    );
    assert_eq!(
        one("ENV PATH /usr/local/bin:$PATH  and more"),
        InstructionKind::Env(vec![kv("PATH", "/usr/local/bin:$PATH  and more")])
    );
    assert_eq!(
        one("ENV EMPTY="),
        InstructionKind::Env(vec![kv("EMPTY", "")])
    );
    assert_eq!(
        one("LABEL a=b \"c d\"=e"),
        InstructionKind::Label(vec![kv("a", "b"), kv("\"c d\"", "e")])
    );
    assert_eq!(
        one("LABEL maintainer someone@example.com"),
        InstructionKind::Label(vec![kv("maintainer", "someone@example.com")])
    );
    let file = parse("FROM x\nENV A=1\nENV B 2\nLABEL c d\n").unwrap();
    let warned: Vec<_> = file
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    assert_eq!(
        warned,
        [
            (
                3,
                "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format"
            ),
            (
                4,
                "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format"
            ),
        ]
    );
    let e = error("FROM x\nENV A=1 B\n");
    assert_eq!(
        e.to_string(),
        "ENV: syntax error - can't find = in \"B\". Must be of the form: name=value"
    );
    assert_eq!(
        error("FROM x\nENV ONLY\n").to_string(),
        "ENV: requires two arguments (KEY value) or KEY=value"
    );
    assert_eq!(error("FROM x\nENV =x\n").kind, ErrorKind::BlankName);
    assert_eq!(
        error("FROM x\nLABEL\n").to_string(),
        "LABEL: requires at least one argument"
    );
}

#[test]
fn arg_forms() {
    let decls = |text: &str| match one(text) {
        InstructionKind::Arg(decls) => decls
            .into_iter()
            .map(|d| (d.name, d.default))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(decls("ARG A"), [("A".into(), None)]);
    assert_eq!(
        decls("ARG A=1 B C=\"x y\" D="),
        [
            ("A".into(), Some("1".into())),
            ("B".into(), None),
            ("C".into(), Some("\"x y\"".into())),
            ("D".into(), Some(String::new())),
        ]
    );
    let InstructionKind::Arg(decls) = &stage0("FROM x\n\nARG Z\n")[0].kind else {
        panic!()
    };
    assert_eq!(decls[0].line, 3);
    assert_eq!(
        error("FROM x\nARG\n").to_string(),
        "ARG: requires at least one argument"
    );
}

#[test]
fn simple_instructions() {
    assert_eq!(one("WORKDIR /app"), InstructionKind::Workdir("/app".into()));
    assert_eq!(one("WORKDIR /a b"), InstructionKind::Workdir("/a b".into()));
    assert_eq!(one("USER app:app"), InstructionKind::User("app:app".into()));
    assert_eq!(
        one("STOPSIGNAL SIGTERM"),
        InstructionKind::StopSignal("SIGTERM".into())
    );
    assert_eq!(
        one("EXPOSE 80 443/tcp 53/udp"),
        InstructionKind::Expose(vec!["80".into(), "443/tcp".into(), "53/udp".into()])
    );
    assert_eq!(
        one("VOLUME /a /b"),
        InstructionKind::Volume(vec!["/a".into(), "/b".into()])
    );
    assert_eq!(
        one("VOLUME [\"/data\"]"),
        InstructionKind::Volume(vec!["/data".into()])
    );
    assert_eq!(
        one("MAINTAINER Jane <j@x>"),
        InstructionKind::Maintainer("Jane <j@x>".into())
    );
    for (text, message) in [
        ("WORKDIR", "WORKDIR: requires exactly one argument"),
        ("USER", "USER: requires exactly one argument"),
        ("EXPOSE", "EXPOSE: requires at least one argument"),
        ("VOLUME", "VOLUME: requires at least one argument"),
        ("VOLUME [\"\"]", "VOLUME: requires paths that are not empty"),
        (
            "SHELL /bin/sh -c",
            "SHELL: requires the arguments to be in JSON form",
        ),
        ("SHELL []", "SHELL: requires at least one argument"),
        ("STOPSIGNAL", "STOPSIGNAL: requires exactly one argument"),
        ("WORKDIR --x /a", "WORKDIR: unknown flag: --x"),
        ("CMD", "CMD: requires at least one argument"),
    ] {
        assert_eq!(
            error(&format!("FROM x\n{text}\n")).to_string(),
            message,
            "{text}"
        );
    }
    let file = parse("FROM x\nMAINTAINER me\n").unwrap();
    assert!(file.warnings[0].message.contains("deprecated"));
}

#[test]
fn healthcheck_forms() {
    assert_eq!(
        one("HEALTHCHECK NONE"),
        InstructionKind::Healthcheck(Healthcheck::None)
    );
    let InstructionKind::Healthcheck(check) = one(
        "HEALTHCHECK --interval=5s --timeout=1m30s --start-period=0s --start-interval=500ms --retries=4 CMD curl -f http://localhost/ || exit 1",
    ) else {
        panic!()
    };
    assert_eq!(
        check.test(),
        ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
    );
    let Healthcheck::Check(cmd) = check else {
        panic!()
    };
    assert_eq!(cmd.interval, Some(Duration::from_secs(5)));
    assert_eq!(cmd.timeout, Some(Duration::from_secs(90)));
    assert_eq!(cmd.start_period, None);
    assert_eq!(cmd.start_interval, Some(Duration::from_millis(500)));
    assert_eq!(cmd.retries, Some(4));
    let InstructionKind::Healthcheck(check) = one("HEALTHCHECK cmd [\"/bin/check\", \"-q\"]")
    else {
        panic!()
    };
    assert_eq!(check.test(), ["CMD", "/bin/check", "-q"]);
    for (text, message) in [
        ("HEALTHCHECK", "HEALTHCHECK: requires at least one argument"),
        (
            "HEALTHCHECK NONE x",
            "HEALTHCHECK: HEALTHCHECK NONE takes no arguments",
        ),
        (
            "HEALTHCHECK CMD",
            "HEALTHCHECK: missing command after HEALTHCHECK CMD",
        ),
        (
            "HEALTHCHECK RUN x",
            "HEALTHCHECK: unknown type \"RUN\" in HEALTHCHECK (try CMD)",
        ),
        (
            "HEALTHCHECK --retries=-1 CMD x",
            "HEALTHCHECK: invalid value \"-1\" for --retries: it cannot be negative",
        ),
        (
            "HEALTHCHECK --interval=1us CMD x",
            "HEALTHCHECK: invalid value \"1us\" for --interval: it cannot be less than 1ms",
        ),
        (
            "HEALTHCHECK --interval=5 CMD x",
            "HEALTHCHECK: invalid value \"5\" for --interval: \"5\" is not a duration (like 30s, 1m30s or 500ms)",
        ),
        (
            "HEALTHCHECK --bogus=1 CMD x",
            "HEALTHCHECK: unknown flag: --bogus",
        ),
    ] {
        assert_eq!(
            error(&format!("FROM x\n{text}\n")).to_string(),
            message,
            "{text}"
        );
    }
}

#[test]
fn onbuild() {
    let InstructionKind::Onbuild(onbuild) = one("ONBUILD RUN echo built") else {
        panic!()
    };
    assert_eq!(onbuild.trigger, "RUN echo built");
    assert_eq!(
        onbuild.instruction.kind,
        InstructionKind::Run(run_of("echo built"))
    );
    let InstructionKind::Onbuild(onbuild) = one("onbuild copy . /app/") else {
        panic!()
    };
    assert_eq!(onbuild.instruction.keyword(), "COPY");
    for trigger in ["ONBUILD", "FROM", "MAINTAINER"] {
        let e = error(&format!("FROM x\nONBUILD {trigger} y\n"));
        assert_eq!(
            e.to_string(),
            format!("ONBUILD: {trigger} isn't allowed as an ONBUILD trigger")
        );
    }
    assert_eq!(
        error("FROM x\nONBUILD\n").to_string(),
        "ONBUILD: requires at least one argument"
    );
    assert_eq!(
        error("FROM x\nONBUILD RUNN x\n").to_string(),
        "unknown instruction: RUNN (did you mean RUN?)"
    );
    let trigger = parse_trigger("ADD . /src").unwrap();
    assert_eq!(trigger.keyword(), "ADD");
}

fn run_of(text: &str) -> Run {
    Run {
        command: shell(text),
        heredocs: vec![],
        mounts: vec![],
        network: Network::Default,
        security: Security::Sandbox,
    }
}

#[test]
fn escape_directive_with_backtick() {
    let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nCOPY testfile.txt c:\\\nRUN dir c:\\ `\n  && echo done\nENV P=C:\\a`\n\n";
    let file = parse(text).unwrap();
    assert_eq!(file.directives.escape, '`');
    let got = &file.stages[0].instructions;
    let InstructionKind::Copy(copy) = &got[0].kind else {
        panic!()
    };
    assert_eq!(copy.dest, "c:\\");
    assert_eq!(
        got[1].kind,
        InstructionKind::Run(run_of("dir c:\\   && echo done"))
    );
    assert_eq!(got[2].kind, InstructionKind::Env(vec![kv("P", "C:\\a")]));
}

#[test]
fn syntax_directive_and_comments() {
    let text = "# syntax=docker/dockerfile:1.7\n# check=skip=all\n\n  # indented comment\n   FROM x\n\tRUN y # not a comment\n";
    let file = parse(text).unwrap();
    assert_eq!(
        file.directives.syntax.as_deref(),
        Some("docker/dockerfile:1.7")
    );
    assert_eq!(file.directives.check.as_deref(), Some("skip=all"));
    assert_eq!(file.stages[0].line, 5);
    assert_eq!(
        file.stages[0].instructions[0].kind,
        InstructionKind::Run(run_of("y # not a comment"))
    );
    assert_eq!(
        file.stages[0].instructions[0].original,
        "RUN y # not a comment"
    );
}

#[test]
fn crlf_and_byte_order_mark() {
    let text = "\u{feff}FROM x\r\nRUN a \\\r\n  b\r\nENV K=v\r\n";
    let got = kinds(text);
    assert_eq!(got[0], InstructionKind::Run(run_of("a   b")));
    assert_eq!(got[1], InstructionKind::Env(vec![kv("K", "v")]));
}

#[test]
fn original_text_for_progress_lines() {
    let text = "FROM python:3.12-slim\nRUN apt-get update \\\n    && apt-get install -y curl\nCOPY  app.py  /app/\n";
    let got = stage0(text);
    assert_eq!(
        got[0].original,
        "RUN apt-get update     && apt-get install -y curl"
    );
    assert_eq!(got[1].original, "COPY  app.py  /app/");
    assert!(got[1].kind.keyword() == "COPY" && !got[1].kind.is_config_only());
    assert!(InstructionKind::Workdir("/".into()).is_config_only());
}
