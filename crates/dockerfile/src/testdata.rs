//! The Dockerfiles in `testdata/`: each parses, and what a build would
//! compute from it (bases, expanded steps, Env, RUN's environment) holds.

use std::path::Path;

use crate::*;

fn read(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A build's view of one stage, without running anything.
struct Walk {
    file: Dockerfile,
    bases: Vec<String>,
    steps: Vec<Instruction>,
    run_envs: Vec<Vec<String>>,
    scope: StageScope,
}

fn walk(name: &str, stage: usize, flags: &[&str], host: &dyn Fn(&str) -> Option<String>) -> Walk {
    let file = parse(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let build_args = BuildArgs::from_flags(flags, host);
    let globals = GlobalScope::new(
        &file,
        &build_args,
        &platform_args("linux/amd64", "linux/amd64"),
    )
    .unwrap();
    let bases = file
        .stages
        .iter()
        .map(|s| globals.base(s).unwrap())
        .collect();
    let image_env =
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()];
    let mut scope = StageScope::new(file.directives.escape, &image_env, &build_args);
    let (mut steps, mut run_envs) = (Vec::new(), Vec::new());
    for instruction in &file.stages[stage].instructions {
        let step = scope
            .expand_instruction(instruction)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let InstructionKind::Run(_) = step.kind {
            run_envs.push(scope.run_env());
        }
        scope.apply(&step, &globals, &build_args);
        steps.push(step);
    }
    Walk {
        file,
        bases,
        steps,
        run_envs,
        scope,
    }
}

fn no_host(_: &str) -> Option<String> {
    None
}

/// The Env after the base image's PATH.
fn env(walk: &Walk) -> Vec<String> {
    walk.scope.config_env().into_iter().skip(1).collect()
}

fn run_commands(walk: &Walk) -> Vec<String> {
    let runs = walk.steps.iter().filter_map(|s| match &s.kind {
        InstructionKind::Run(run) => Some(run.program(&DEFAULT_SHELL.map(String::from))),
        _ => None,
    });
    runs.map(|program| match program {
        RunProgram::Argv(argv) => argv.last().cloned().unwrap_or_default(),
        RunProgram::Script { content, .. } => content,
    })
    .collect()
}

#[test]
fn every_instruction() {
    let walk = walk(
        "every-instruction.Dockerfile",
        0,
        &["BASE=127.0.0.1:5000/busybox:1.35"],
        &no_host,
    );
    assert_eq!(
        walk.file.directives.syntax.as_deref(),
        Some("docker/dockerfile:1")
    );
    assert_eq!(walk.bases, ["127.0.0.1:5000/busybox:1.35"]);
    assert_eq!(
        env(&walk),
        [
            "APP_HOME=/srv/app",
            "GREETING=hello world",
            "LEGACY=legacy value"
        ]
    );
    let keywords: Vec<_> = walk.steps.iter().map(|s| s.keyword()).collect();
    for keyword in [
        "LABEL",
        "MAINTAINER",
        "ENV",
        "ARG",
        "WORKDIR",
        "RUN",
        "COPY",
        "ADD",
        "USER",
        "EXPOSE",
        "VOLUME",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
        "ONBUILD",
        "ENTRYPOINT",
        "CMD",
    ] {
        assert!(keywords.contains(&keyword), "{keyword}");
    }
    let find = |keyword: &'static str| {
        walk.steps
            .iter()
            .filter(move |s| s.keyword() == keyword)
            .map(|s| &s.kind)
    };
    let labels: Vec<_> = find("LABEL").collect();
    let pair = |k: &str, v: &str| KeyValue {
        key: k.into(),
        value: v.into(),
    };
    assert_eq!(
        labels[0],
        &InstructionKind::Label(vec![
            pair("org.example.kind", "every instruction"),
            pair("org.example.empty", "")
        ])
    );
    assert_eq!(
        labels[1],
        &InstructionKind::Label(vec![pair("legacy", "value with spaces")])
    );
    let workdirs: Vec<_> = find("WORKDIR").collect();
    assert_eq!(
        workdirs,
        [
            &InstructionKind::Workdir("/srv/app".into()),
            &InstructionKind::Workdir("sub".into())
        ]
    );
    let commands = run_commands(&walk);
    assert_eq!(commands[0], "echo \"$GREETING $VERSION\" > greeting.txt");
    assert_eq!(
        commands[2],
        "echo heredoc one > heredoc.txt\necho heredoc two >> heredoc.txt\n"
    );
    assert_eq!(
        commands[3],
        "cat <<'RAW' > raw.txt\n$GREETING stays literal\nRAW"
    );
    assert!(walk.run_envs[0].contains(&"VERSION=1.0".to_string()));
    assert!(!walk.run_envs[0].iter().any(|e| e.starts_with("UNSET")));
    let copies: Vec<_> = find("COPY").collect();
    let InstructionKind::Copy(script) = copies[0] else {
        panic!()
    };
    let [Source::Heredoc(body)] = script.sources.as_slice() else {
        panic!()
    };
    assert_eq!(
        body.content,
        "#!/bin/sh\necho \"hello world from a script\"\n"
    );
    assert_eq!(
        (script.chmod.as_deref(), script.dest.as_str()),
        (Some("0755"), "/usr/local/bin/hello")
    );
    let InstructionKind::Copy(note) = copies[1] else {
        panic!()
    };
    let [Source::Heredoc(body)] = note.sources.as_slice() else {
        panic!()
    };
    assert_eq!(
        (body.body().as_str(), note.chown.as_deref()),
        ("tabs stripped\n", Some("1000:1000"))
    );
    let ports: Vec<String> = find("EXPOSE")
        .flat_map(|k| match k {
            InstructionKind::Expose(words) => words.clone(),
            _ => vec![],
        })
        .flat_map(|w| exposed_ports(&w).unwrap())
        .collect();
    assert_eq!(ports, ["8000/tcp", "53/udp", "7000/tcp", "7001/tcp"]);
    let Some(InstructionKind::Healthcheck(check)) = find("HEALTHCHECK").next() else {
        panic!()
    };
    assert_eq!(check.test(), ["CMD", "/bin/true"]);
    let Some(InstructionKind::Onbuild(onbuild)) = find("ONBUILD").next() else {
        panic!()
    };
    assert_eq!(onbuild.trigger, "RUN echo child build");
}

#[test]
fn multi_stage() {
    let file = parse(&read("multi-stage.Dockerfile")).unwrap();
    let build_args = BuildArgs::new();
    let globals = GlobalScope::new(&file, &build_args, &[]).unwrap();
    let plan = file.plan(None, &globals, &build_args).unwrap();
    let order: Vec<_> = plan.stages.iter().map(|s| s.index).collect();
    assert_eq!(order, [0, 2, 3], "the unused stage is not built");
    assert_eq!(plan.stages[1].base, Base::Stage(0));
    assert_eq!(plan.stages[2].needs, [0, 2]);
    let test = file.plan(Some("test"), &globals, &build_args).unwrap();
    assert_eq!(
        test.stages.iter().map(|s| s.index).collect::<Vec<_>>(),
        [0, 2]
    );
}

#[test]
fn c09_global_args() {
    let walk = walk("c09-global-args.Dockerfile", 0, &[], &no_host);
    assert_eq!(walk.bases, ["busybox"]);
    assert!(walk.run_envs[0].contains(&"TAG=3.19".to_string()));
    assert!(!walk.run_envs[0].iter().any(|e| e.starts_with("MSG=")));
    let walk = self::walk(
        "c09-global-args.Dockerfile",
        0,
        &["TAG=3.20", "IMG=local/busybox"],
        &no_host,
    );
    assert_eq!(walk.bases, ["local/busybox"]);
    assert!(walk.run_envs[0].contains(&"TAG=3.20".to_string()));
}

#[test]
fn c10_env() {
    let walk = walk("c10-env.Dockerfile", 0, &[], &no_host);
    assert_eq!(
        env(&walk),
        [
            "A=ABC",
            "B1=ABC",
            "B2=DEF",
            "B4=ALT",
            "B5=",
            "B3=DEFxx",
            "B6=$A:",
            "B7=${A:}",
            "P=/one:/two",
            "E=$A",
            "U=",
            "Q1=$A",
            "Q2=ABC",
        ]
    );
}

#[test]
fn c11_args() {
    let flags = ["foo=fromarg", "A1=cli", "A2=", "A3", "A4", "UNDECLARED=x"];
    let host = |name: &str| (name == "A3").then(|| "host".to_string());
    let walk = walk("c11-args.Dockerfile", 0, &flags, &host);
    assert_eq!(env(&walk), ["x=bye", "y=hello", "z=bye", "foo=fromenv"]);
    let run_env = &walk.run_envs[0];
    for entry in ["foo=fromenv", "A1=cli", "A2=", "A3=host", "A4=file"] {
        assert!(
            run_env.contains(&entry.to_string()),
            "{entry} in {run_env:?}"
        );
    }
    assert!(!run_env.iter().any(|e| e.starts_with("A5")));
    assert_eq!(
        BuildArgs::from_flags(flags, &host).unused(&walk.file),
        ["UNDECLARED"]
    );
}

#[test]
fn c13_continuations() {
    let walk = walk("c13-continuations.Dockerfile", 0, &[], &no_host);
    let commands = run_commands(&walk);
    assert_eq!(
        commands,
        [
            "echo hello world > /c13",
            "echo a b c >> /c13",
            "echo x  y >> /c13",
            "last() { :; }; last"
        ]
    );
    assert_eq!(
        env(&walk),
        ["E=helloworld", "F=hello world", "C=trail\\", "D=separate"]
    );
}

#[test]
fn c14_and_c15_forms() {
    let sh = DEFAULT_SHELL.map(String::from);
    let walk = walk("c14-json.Dockerfile", 0, &[], &no_host);
    let InstructionKind::Cmd(cmd) = &walk.steps[0].kind else {
        panic!()
    };
    assert_eq!(cmd.argv(&sh), ["/bin/sh", "-c", "['echo','hi']"]);
    let walk = self::walk("c15-entrypoint.Dockerfile", 0, &[], &no_host);
    let InstructionKind::Entrypoint(entrypoint) = &walk.steps[0].kind else {
        panic!()
    };
    assert_eq!(entrypoint.argv(&sh), ["/bin/sh", "-c", "echo hi"]);
}

#[test]
fn escape_backtick() {
    let walk = walk("escape-backtick.Dockerfile", 0, &[], &no_host);
    assert_eq!(walk.file.directives.escape, '`');
    assert_eq!(env(&walk), ["P=C:\\dir"]);
    assert_eq!(
        run_commands(&walk),
        ["printf '%s' 'a\\b' > /e     && test -s /e"]
    );
}

#[test]
fn error_files_give_their_message_and_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/errors");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = text.lines().next().unwrap().trim_start_matches("# ");
        let (line, message) = expected.split_once(": ").unwrap();
        let error = parse(&text).expect_err(&path.display().to_string());
        assert_eq!(
            format!("{}: {error}", error.line),
            format!("{line}: {message}"),
            "{}",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 10);
}

#[test]
fn real_world_files_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/real-world");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = parse(&std::fs::read_to_string(&path).unwrap());
        let file = file.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!file.stages.is_empty());
        let build_args = BuildArgs::new();
        let globals = GlobalScope::new(
            &file,
            &build_args,
            &platform_args("linux/amd64", "linux/amd64"),
        )
        .unwrap();
        file.plan(None, &globals, &build_args).unwrap();
    }
}

#[test]
fn real_world_details() {
    let walk = walk("real-world/python-app.Dockerfile", 0, &[], &no_host);
    assert_eq!(walk.bases, ["python:3.12-slim"]);
    let InstructionKind::Run(install) = &walk.steps[4].kind else {
        panic!()
    };
    assert_eq!(install.mounts.len(), 2);
    assert_eq!(
        install.mounts[1].source.as_deref(),
        Some("requirements.txt")
    );
    assert_eq!(
        install.command,
        Command::Shell("python -m pip install -r requirements.txt".into())
    );

    let walk = self::walk("real-world/go-distroless.Dockerfile", 0, &[], &no_host);
    let InstructionKind::Arg(decls) = &walk.steps[0].kind else {
        panic!()
    };
    assert_eq!(
        decls.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["TARGETOS", "TARGETARCH"]
    );
    assert!(walk.run_envs[1].contains(&"TARGETARCH=amd64".to_string()));
    assert_eq!(
        walk.file.stages[0].from.platform.as_deref(),
        Some("$BUILDPLATFORM")
    );

    let walk = self::walk("real-world/debian-apt.Dockerfile", 0, &[], &no_host);
    let commands = run_commands(&walk);
    assert!(
        !commands[0].contains('#'),
        "the comment inside the continuation is dropped: {}",
        commands[0]
    );
    assert!(commands[0].contains("\t\tcurl \t\tgnupg"));

    let walk = self::walk("real-world/nginx-heredocs.Dockerfile", 0, &[], &no_host);
    let InstructionKind::Run(run) = &walk.steps[3].kind else {
        panic!()
    };
    assert!(matches!(run.program(&[]), RunProgram::Script { .. }));
    let InstructionKind::Copy(copy) = &walk.steps[2].kind else {
        panic!()
    };
    let [Source::Heredoc(html)] = copy.sources.as_slice() else {
        panic!()
    };
    assert_eq!(html.content, "<h1>${NOT_EXPANDED}</h1>\n");

    let walk = self::walk("real-world/node-multi-stage.Dockerfile", 2, &[], &no_host);
    assert!(env(&walk).contains(&"NODE_ENV=production".to_string()));
}

/// Every prefix of every test file either parses or gives an error: no
/// panic on truncated input, wherever it is cut.
#[test]
fn truncated_files_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let dirs = [root.clone(), root.join("real-world"), root.join("errors")];
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("Dockerfile") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (at, _) in text.char_indices() {
                let Ok(file) = parse(&text[..at]) else {
                    continue;
                };
                let build_args = BuildArgs::new();
                let Ok(globals) = GlobalScope::new(&file, &build_args, &[]) else {
                    continue;
                };
                let _ = file.plan(None, &globals, &build_args);
                let scope = StageScope::new(file.directives.escape, &[], &build_args);
                for instruction in file.stages.iter().flat_map(|s| &s.instructions) {
                    let _ = scope.expand_instruction(instruction);
                }
            }
        }
    }
}

#[test]
fn truncated_words_never_panic() {
    let table = read("expansion-cases.txt");
    let vars = |_: &str| Some("x y".to_string());
    for line in table.lines() {
        for (at, _) in line.char_indices() {
            let _ = expand(&line[..at], &vars);
            let _ = expand_words(&line[..at], &vars);
            let _ = Lexer::new('`').expand(&line[..at], &vars);
            let _ = Lexer::default().expand_heredoc(&line[..at], &vars);
            let _ = ignore::Matcher::parse(&line[..at]).is_excluded("a/b/c");
        }
    }
}
