//! `container build`: real Dockerfiles built on the busybox fixture, the results
//! checked from inside containers and through `inspect`, the cache by what reruns.

mod common;
mod pty;

use std::path::Path;

use common::{busybox_env, container, inspect};
use container_test_support::TestEnv;

/// Writes `files` (path, content) under `dir`.
fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// A build context with `files`, in a directory removed with the value.
fn context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

fn build(env: &TestEnv, dir: &Path, args: &[&str]) -> container_test_support::Output {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    let path = dir.to_str().unwrap();
    all.push(path);
    container(env, &all)
}

/// `container run --rm IMAGE sh -c SCRIPT`, its stdout.
fn run_sh(env: &TestEnv, image: &str, script: &str) -> String {
    let output = container(env, &["run", "--rm", image, "sh", "-c", script]);
    output.success();
    output.stdout
}

#[test]
fn workdir_copy_run_cmd_build_an_image_that_runs() {
    let (_registry, env) = busybox_env();
    let dir = context(&[
        (
            "Dockerfile",
            "FROM busybox\nWORKDIR /app\nCOPY app.sh .\nRUN chmod 755 app.sh && echo built > /app/marker\nCMD [\"/app/app.sh\"]\n",
        ),
        ("app.sh", "#!/bin/sh\necho hello from app\n"),
    ]);
    let output = build(&env, dir.path(), &["-t", "app:1"]);
    output.success();
    assert!(output.stderr.contains("[2/4] WORKDIR /app"), "{output}");
    assert!(
        output.stderr.contains("Successfully tagged app:1"),
        "{output}"
    );
    let last = output.stderr.trim_end().lines().last().unwrap();
    assert_eq!(last, "Successfully tagged app:1");

    let run = container(&env, &["run", "--rm", "app:1"]);
    run.success();
    assert_eq!(run.stdout, "hello from app\n");
    assert_eq!(
        run_sh(&env, "app:1", "cat /app/marker; stat -c %a /app/app.sh"),
        "built\n755\n"
    );

    let image = inspect(&env, "app:1");
    assert_eq!(image["Config"]["WorkingDir"], "/app");
    assert_eq!(image["Config"]["Cmd"], serde_json::json!(["/app/app.sh"]));
    let history = image["History"].as_array().unwrap();
    let ours: Vec<(&str, bool)> = history
        .iter()
        .rev()
        .take(4)
        .map(|h| {
            (
                h["created_by"].as_str().unwrap(),
                h["empty_layer"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        ours,
        [
            ("CMD [\"/app/app.sh\"]", true),
            ("RUN chmod 755 app.sh && echo built > /app/marker", false),
            ("COPY app.sh .", false),
            ("WORKDIR /app", false),
        ]
    );
}

#[test]
fn an_unchanged_rebuild_runs_nothing_and_a_changed_file_reruns_from_its_copy() {
    let (_registry, env) = busybox_env();
    let dir = context(&[
        (
            "Dockerfile",
            "FROM busybox\nWORKDIR /app\nRUN echo first > /first\nCOPY app.txt .\nRUN echo ran-after-copy-$((40+2))\n",
        ),
        ("app.txt", "one"),
    ]);
    let first = build(&env, dir.path(), &["-t", "app:1", "-q"]);
    first.success();
    let first_id = first.stdout.trim().to_owned();

    let again = build(&env, dir.path(), &["-t", "app:2"]);
    again.success();
    // Every step, and FROM of a base the store has.
    assert_eq!(again.stderr.matches("CACHED").count(), 5, "{again}");
    assert!(again.stderr.contains("[1/5] CACHED"), "{again}");
    assert!(!again.stderr.contains("ran-after-copy-42"), "{again}");
    assert_eq!(inspect(&env, "app:2")["Id"], first_id);

    // Touching the file changes nothing: the cache follows content, not times.
    let file = std::fs::File::options()
        .write(true)
        .open(dir.path().join("app.txt"))
        .unwrap();
    file.set_modified(std::time::SystemTime::UNIX_EPOCH)
        .unwrap();
    let touched = build(&env, dir.path(), &["-q"]);
    assert_eq!(touched.stdout.trim(), first_id);

    std::fs::write(dir.path().join("app.txt"), "two").unwrap();
    let changed = build(&env, dir.path(), &["-t", "app:3"]);
    changed.success();
    assert!(changed.stderr.contains("[3/5] CACHED"), "{changed}");
    assert!(changed.stderr.contains("[4/5] DONE"), "{changed}");
    assert!(changed.stderr.contains("ran-after-copy-42"), "{changed}");
    assert_eq!(run_sh(&env, "app:3", "cat /app/app.txt"), "two");

    let no_cache = build(&env, dir.path(), &["--no-cache"]);
    no_cache.success();
    assert!(!no_cache.stderr.contains("] CACHED"), "{no_cache}");
}

/// Runs `container ARGS` with `stdin` fed to it.
fn container_with_stdin(
    env: &TestEnv,
    args: &[&str],
    stdin: &[u8],
) -> container_test_support::Output {
    use std::io::Write as _;
    let mut command = env.command(common::BIN);
    command
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0,
        "container {args:?} failed ({code}):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut out = container(env, &["version"]);
    out.stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    out.stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    out
}

fn config(env: &TestEnv, image: &str) -> serde_json::Value {
    inspect(env, image)["Config"].clone()
}

fn env_of(env: &TestEnv, image: &str) -> Vec<String> {
    let config = config(env, image);
    config["Env"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn c09_args_before_from_choose_the_base_and_are_empty_in_stages_unless_declared() {
    let (_registry, env) = busybox_env();
    container(&env, &["pull", "-q", "busybox:1.35"]).success();
    let dockerfile = "ARG TAG=latest\nARG MSG=hi\nARG IMG=\"busybox\"\nFROM ${IMG}:${TAG}\nARG TAG\nRUN echo \"tag=$TAG msg=$MSG\" > /out\nFROM ${IMG}:${TAG} AS second\nRUN true\n";
    let dir = context(&[("Dockerfile", dockerfile)]);
    let output = build(&env, dir.path(), &["-t", "c09:1", "--target", "second"]);
    output.success();
    assert!(
        output
            .stderr
            .contains("FROM docker.io/library/busybox:latest"),
        "{output}"
    );

    let dir = context(&[(
        "Dockerfile",
        &dockerfile.replace("FROM ${IMG}:${TAG} AS second\nRUN true\n", ""),
    )]);
    build(&env, dir.path(), &["-t", "c09:2"]).success();
    assert_eq!(run_sh(&env, "c09:2", "cat /out"), "tag=latest msg=\n");
    let output = build(
        &env,
        dir.path(),
        &["-t", "c09:3", "--build-arg", "TAG=1.35"],
    );
    output.success();
    assert!(
        output
            .stderr
            .contains("FROM docker.io/library/busybox:1.35"),
        "{output}"
    );
    assert_eq!(run_sh(&env, "c09:3", "cat /out"), "tag=1.35 msg=\n");
}

#[test]
fn c10_expansion_operators_and_escapes_in_env() {
    let (_registry, env) = busybox_env();
    let dockerfile = r#"FROM scratch
ENV A=ABC
ENV B1=${A:-DEF} B2=${NOPE:-DEF} B3=${NOPE:-${B2}xx} B4=${A:+ALT} B5=${NOPE:+ALT}
ENV B6=${NOPE:-\$A:} B7=${NOPE:-\${A}:}
ENV B3b=${NOPE:-${B2}xx}
ENV P=${P:+$P:}/one
ENV P=${P:+$P:}/two
ENV E=\$A U=$UNSET Q1='$A' Q2="$A"
"#;
    let dir = context(&[("Dockerfile", dockerfile)]);
    build(&env, dir.path(), &["-t", "c10:1"]).success();
    let found = env_of(&env, "c10:1");
    for expected in [
        // One ENV sees the values from before it (C11), so B3 cannot see the B2 of
        // its own line; a later line can.
        "B1=ABC",
        "B2=DEF",
        "B3=xx",
        "B3b=DEFxx",
        "B4=ALT",
        "B5=",
        "B6=$A:",
        "B7=${A:}",
        "P=/one:/two",
        "E=$A",
        "U=",
        "Q1=$A",
        "Q2=ABC",
    ] {
        assert!(
            found.contains(&expected.to_owned()),
            "{expected} not in {found:?}"
        );
    }
    let dir = context(&[("Dockerfile", "FROM scratch\nENV X=${A:=x}\n")]);
    let output = build(&env, dir.path(), &[]);
    output.code_is(1);
    assert!(output.stderr.contains("Dockerfile:2"), "{output}");
}

#[test]
fn c11_env_sees_old_values_env_beats_arg_and_build_arg_forms() {
    let (_registry, env) = busybox_env();
    let dir = context(&[(
        "Dockerfile",
        "FROM scratch\nENV x=hello\nENV x=bye y=$x\nENV z=$x\n",
    )]);
    build(&env, dir.path(), &["-t", "c11:1"]).success();
    let found = env_of(&env, "c11:1");
    for expected in ["x=bye", "y=hello", "z=bye"] {
        assert!(
            found.contains(&expected.to_owned()),
            "{expected} not in {found:?}"
        );
    }

    let dir = context(&[(
        "Dockerfile",
        "FROM busybox\nARG foo\nENV foo=fromenv\nRUN echo $foo > /foo\n",
    )]);
    build(
        &env,
        dir.path(),
        &["-t", "c11:2", "--build-arg", "foo=fromarg"],
    )
    .success();
    assert_eq!(run_sh(&env, "c11:2", "cat /foo"), "fromenv\n");
    // An ARG has a history entry of its own, as BuildKit writes it.
    let history = inspect(&env, "c11:2")["History"].clone();
    let arg = (history.as_array().unwrap().iter()).find(|h| h["created_by"] == "ARG foo");
    assert_eq!(
        arg.map(|h| h["empty_layer"].clone()),
        Some(serde_json::json!(true)),
        "{history}"
    );
    assert!(env_of(&env, "c11:2").contains(&"foo=fromenv".to_owned()));

    let dockerfile = "FROM busybox\nARG A1=file\nARG A2=file\nARG A3=file\nARG A4=file\nARG A5\nRUN env | grep '^A[0-9]=' | sort > /args\n";
    let dir = context(&[("Dockerfile", dockerfile)]);
    let path = dir.path().to_str().unwrap();
    let mut command = env.command(common::BIN);
    command.env("A3", "host").env_remove("A4").args([
        "build",
        "-t",
        "c11:3",
        "--build-arg",
        "A1=cli",
        "--build-arg",
        "A2=",
        "--build-arg",
        "A3",
        "--build-arg",
        "A4",
        "--build-arg",
        "UNDECLARED=x",
        path,
    ]);
    let output = container_test_support::run(&mut command);
    output.success();
    assert!(output.stderr.contains("UNDECLARED"), "{output}");
    assert_eq!(
        run_sh(&env, "c11:3", "cat /args"),
        "A1=cli\nA2=\nA3=host\nA4=file\n"
    );
    let image_env = env_of(&env, "c11:3");
    assert!(
        !image_env.iter().any(|e| e.starts_with("A1=")),
        "{image_env:?}"
    );
}

#[test]
fn c13_continuations_across_comments_and_blank_lines() {
    let (_registry, env) = busybox_env();
    let dockerfile = "FROM busybox\nRUN echo hello \\\n# a comment inside the continuation\n\n# another comment\n\nworld > /hello\nRUN echo a \\\n\nb \\\n\nc > /abc\nENV E hello\\\n\\\nworld\nENV F hello\\\n \\\nworld\nENV C trail\\\\\nENV D separate\nRUN echo last > /last \\\n";
    let dir = context(&[("Dockerfile", dockerfile)]);
    build(&env, dir.path(), &["-t", "c13:1"]).success();
    assert_eq!(
        run_sh(&env, "c13:1", "cat /hello /abc /last"),
        "hello world\na b c\nlast\n"
    );
    let found = env_of(&env, "c13:1");
    for expected in ["E=helloworld", "F=hello world", "C=trail\\", "D=separate"] {
        assert!(
            found.contains(&expected.to_owned()),
            "{expected} not in {found:?}"
        );
    }
}

#[test]
fn c14_exec_and_shell_forms_and_invalid_json_as_shell_form() {
    let (_registry, env) = busybox_env();
    let cases: [(&str, serde_json::Value); 6] = [
        ("CMD [\"echo\",\"cmd\"]", serde_json::json!(["echo", "cmd"])),
        (
            "CMD echo cmd",
            serde_json::json!(["/bin/sh", "-c", "echo cmd"]),
        ),
        (
            "CMD ['echo','hi']",
            serde_json::json!(["/bin/sh", "-c", "['echo','hi']"]),
        ),
        (
            "CMD [\"echo\", \"unterminated\"",
            serde_json::json!(["/bin/sh", "-c", "[\"echo\", \"unterminated\""]),
        ),
        (
            "CMD [ \"\\/usr\\\\\\\"/bin/znc\", \"-f\" ]",
            serde_json::json!(["/usr\\\"/bin/znc", "-f"]),
        ),
        (
            "SHELL [\"/bin/bash\",\"-c\"]\nCMD echo hi",
            serde_json::json!(["/bin/bash", "-c", "echo hi"]),
        ),
    ];
    for (i, (instruction, expected)) in cases.iter().enumerate() {
        let dir = context(&[("Dockerfile", &format!("FROM scratch\n{instruction}\n"))]);
        let tag = format!("c14:{i}");
        build(&env, dir.path(), &["-t", &tag]).success();
        assert_eq!(config(&env, &tag)["Cmd"], *expected, "{instruction}");
    }
}

#[test]
fn c15_entrypoint_and_cmd_interact_as_docker_has_them() {
    let (_registry, env) = busybox_env();
    let base = context(&[("Dockerfile", "FROM busybox\nCMD [\"echo\",\"base\"]\n")]);
    build(&env, base.path(), &["-t", "b:1"]).success();
    let cases: [(&str, serde_json::Value, serde_json::Value); 4] = [
        (
            "ENTRYPOINT [\"/entry.sh\"]",
            serde_json::json!(["/entry.sh"]),
            serde_json::Value::Null,
        ),
        (
            "CMD [\"x\"]\nENTRYPOINT [\"/entry.sh\"]",
            serde_json::json!(["/entry.sh"]),
            serde_json::json!(["x"]),
        ),
        (
            "ENTRYPOINT [\"/bin/bash\"]\nCMD []",
            serde_json::json!(["/bin/bash"]),
            serde_json::Value::Null,
        ),
        (
            "ENTRYPOINT echo hi",
            serde_json::json!(["/bin/sh", "-c", "echo hi"]),
            serde_json::Value::Null,
        ),
    ];
    for (i, (instructions, entrypoint, cmd)) in cases.iter().enumerate() {
        let dir = context(&[("Dockerfile", &format!("FROM b:1\n{instructions}\n"))]);
        let tag = format!("c15:{i}");
        build(&env, dir.path(), &["-t", &tag]).success();
        let config = config(&env, &tag);
        assert_eq!(config["Entrypoint"], *entrypoint, "{instructions}");
        assert_eq!(config["Cmd"], *cmd, "{instructions}");
    }
    let run = container(&env, &["run", "--rm", "c15:3", "extra"]);
    run.success();
    assert_eq!(run.stdout, "hi\n");
    let dir = context(&[("Dockerfile", "FROM c15:0\nENTRYPOINT []\n")]);
    build(&env, dir.path(), &["-t", "c15:cleared"]).success();
    assert!(config(&env, "c15:cleared")["Entrypoint"].is_null());
}

const C17_FILES: [(&str, &str); 5] = [
    ("file1.txt", "1"),
    ("file2.txt", "2"),
    ("dir/nested_file", "n"),
    ("dir/nested_dir/nest_nest_file", "nn"),
    ("dirt", "t"),
];

#[test]
fn c17_copy_sources_and_destinations() {
    let (_registry, env) = busybox_env();
    let dockerfile = "FROM busybox\nCOPY dir /dst\nCOPY file1.txt /new\nCOPY file1.txt /newdir/\nCOPY file*.txt /tmp/\nCOPY dir* /t1/\nWORKDIR /w\nCOPY file1.txt .\n";
    let mut files = C17_FILES.to_vec();
    files.push(("Dockerfile", dockerfile));
    let dir = context(&files);
    build(&env, dir.path(), &["-t", "c17:1"]).success();
    let listing = run_sh(
        &env,
        "c17:1",
        "cd / && find dst t1 newdir -type f | sort; test -f /new && echo new-is-file; ls /tmp; ls /w; test -e /dst/dir || echo no-dst-dir",
    );
    assert_eq!(
        listing,
        "dst/nested_dir/nest_nest_file\ndst/nested_file\nnewdir/file1.txt\nt1/dirt\nt1/nested_dir/nest_nest_file\nt1/nested_file\nnew-is-file\nfile1.txt\nfile2.txt\nfile1.txt\nno-dst-dir\n"
    );

    let errors = [
        (
            "COPY file1.txt file2.txt /test",
            "When using COPY with more than one source file, the destination must be a directory and end with a /",
        ),
        (
            "COPY file*.txt /test",
            "When using COPY with more than one source file, the destination must be a directory and end with a /",
        ),
        ("COPY nomatch*.txt /tmp/", "no source files were specified"),
        (
            "COPY https://example.com/x /",
            "source can't be a URL for COPY",
        ),
        ("COPY missing.txt /", "missing.txt"),
    ];
    for (instruction, message) in errors {
        let mut files = C17_FILES.to_vec();
        let dockerfile = format!("FROM busybox\n{instruction}\n");
        files.push(("Dockerfile", &dockerfile));
        let dir = context(&files);
        let output = build(&env, dir.path(), &["-t", "c17:1"]);
        output.code_is(1);
        assert!(output.stderr.contains(message), "{instruction}: {output}");
        assert!(
            output
                .stderr
                .contains(&format!("Dockerfile:2: {instruction}")),
            "{output}"
        );
    }
}

#[test]
fn c19_dockerignore_exceptions_double_stars_and_escapes() {
    let (_registry, env) = busybox_env();
    let ignore_a =
        ".git\npkg\n.gitignore\nsrc/_vendor\n*.md\ndir\n!dir/e*\n!dir/dir/foo\n**/*.cc\n!**/*.cc\n";
    let files_a = [
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
    let mut files: Vec<(&str, &str)> = files_a.iter().map(|f| (*f, "x")).collect();
    files.push((".dockerignore", ignore_a));
    files.push(("Dockerfile", "FROM busybox\nCOPY . /c\n"));
    let dir = context(&files);
    build(&env, dir.path(), &["-t", "c19:a"]).success();
    let listing = run_sh(&env, "c19:a", "cd /c && find . -type f | sort");
    assert_eq!(
        listing,
        "./.dockerignore\n./Dockerfile\n./Makefile\n./dir/a.cc\n./dir/dir/foo\n./dir/e\n./dir/e-dir/foo\n./src/x.go\n"
    );

    let ignore_b = "**/file0\n**/*file1\n**/dir1/file2\ndir1/**/file4\n**/dir2/file5\n**/dir1/dir2/file6\ndir1/dir3/**\n**/dir4/**\n**/file?A\n**/file\\?B\n**/dir5/file.\n";
    let files_b = [
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
    ];
    let mut files: Vec<(&str, &str)> = files_b.iter().map(|f| (*f, "x")).collect();
    files.push((".dockerignore", ignore_b));
    files.push(("Dockerfile", "FROM busybox\nCOPY . /c\n"));
    let dir = context(&files);
    build(&env, dir.path(), &["-t", "c19:b"]).success();
    let listing = run_sh(&env, "c19:b", "cd /c && find . | sort");
    assert_eq!(
        listing,
        ".\n./.dockerignore\n./Dockerfile\n./dir1\n./dir1/dir2\n./dir1/dir2/file2\n./dir1/dir3\n./dir1/dir4\n./dir1/dir5\n./dir1/dir5/fileAB\n./dir1/dir5/fileB\n"
    );
}

#[test]
fn config_instructions_and_history_flags() {
    let (_registry, env) = busybox_env();
    let dockerfile = "FROM busybox\nLABEL a=1 \"b c\"=\"two words\"\nEXPOSE 80 53/udp 8000-8001\nUSER 1000:1000\nVOLUME /data\nVOLUME [\"/other\"]\nSTOPSIGNAL SIGINT\nHEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost || exit 1\nONBUILD RUN echo triggered > /tmp/onbuild\nENV PATHX=/x\nMAINTAINER someone\n";
    let dir = context(&[("Dockerfile", dockerfile)]);
    build(&env, dir.path(), &["-t", "cfg:1", "--label", "from=flag"]).success();
    let image = inspect(&env, "cfg:1");
    let config = &image["Config"];
    assert_eq!(config["Labels"]["a"], "1");
    assert_eq!(config["Labels"]["b c"], "two words");
    assert_eq!(config["Labels"]["from"], "flag");
    let ports: Vec<&String> = config["ExposedPorts"].as_object().unwrap().keys().collect();
    assert_eq!(ports, ["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
    assert_eq!(config["User"], "1000:1000");
    assert!(config["Volumes"]["/data"].is_object() && config["Volumes"]["/other"].is_object());
    assert_eq!(config["StopSignal"], "SIGINT");
    assert_eq!(
        config["Healthcheck"]["Test"],
        serde_json::json!(["CMD-SHELL", "wget -q localhost || exit 1"])
    );
    assert_eq!(config["Healthcheck"]["Interval"], 5_000_000_000u64);
    assert_eq!(config["Healthcheck"]["Retries"], 2);
    assert_eq!(
        config["OnBuild"],
        serde_json::json!(["RUN echo triggered > /tmp/onbuild"])
    );
    assert_eq!(image["Author"], "someone");
    let history = image["History"].as_array().unwrap();
    assert!(
        history
            .iter()
            .rev()
            .take(10)
            .all(|h| h["empty_layer"] == true)
    );

    // WORKDIR makes its directory for the current USER.
    let dir = context(&[(
        "Dockerfile",
        "FROM busybox\nUSER nobody\nWORKDIR /home/nobody/work\n",
    )]);
    build(&env, dir.path(), &["-t", "cfg:workdir"]).success();
    let owner = container(
        &env,
        &[
            "run",
            "--rm",
            "-u",
            "root",
            "cfg:workdir",
            "stat",
            "-c",
            "%U",
            ".",
        ],
    );
    owner.success();
    assert_eq!(owner.stdout, "nobody\n");

    // A child runs the trigger right after FROM and does not inherit it.
    let child = context(&[("Dockerfile", "FROM cfg:1\nUSER root\n")]);
    build(&env, child.path(), &["-t", "cfg:child"]).success();
    assert_eq!(run_sh(&env, "cfg:child", "cat /tmp/onbuild"), "triggered\n");
    assert!(inspect(&env, "cfg:child")["Config"]["OnBuild"].is_null());
}

#[test]
fn copy_flags_owners_modes_links_and_stages() {
    let (_registry, env) = busybox_env();
    let dockerfile = "FROM busybox AS builder\nRUN mkdir -p /out && echo built > /out/result && ln -s result /out/link\n\
FROM busybox AS unused\nRUN exit 7\n\
FROM busybox\nCOPY --chown=1234:5678 --chmod=0640 a.txt /owned/\nCOPY --chown=nobody a.txt /named\nCOPY --link b.txt /linked/\n\
COPY --from=builder /out /from-stage\nCOPY --from=busybox /bin/busybox /from-image\nCOPY <<EOF /inline.txt\nvalue=$HOSTNAME-x\nEOF\n";
    let dockerfile = format!("{dockerfile}COPY pipe /pipe\n");
    let dir = context(&[("Dockerfile", &dockerfile), ("a.txt", "a"), ("b.txt", "b")]);
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let output = build(&env, dir.path(), &["-t", "copy:1"]);
    output.success();
    assert!(
        !output.stderr.contains("exit 7"),
        "an unneeded stage ran: {output}"
    );
    let listing = run_sh(
        &env,
        "copy:1",
        "stat -c '%u:%g %a' /owned/a.txt /named; cat /linked/b.txt /from-stage/result; readlink /from-stage/link; test -x /from-image && echo exe; cat /inline.txt; test -p /pipe && echo fifo",
    );
    assert_eq!(
        listing,
        "1234:5678 640\n65534:65534 644\nbbuilt\nresult\nexe\nvalue=-x\nfifo\n"
    );
}

#[test]
fn add_extracts_local_tars_and_downloads_urls() {
    let (_registry, env) = busybox_env();
    let dir = context(&[("Dockerfile", "")]);
    let tarball = dir.path().join("files.tar");
    {
        let mut builder = tar::Builder::new(std::fs::File::create(&tarball).unwrap());
        let mut header = tar::Header::new_ustar();
        header.set_size(5);
        header.set_mode(0o750);
        header.set_uid(42);
        header.set_gid(43);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, "sub/in-tar", &b"inner"[..])
            .unwrap();
        builder.finish().unwrap();
    }
    // The same tar compressed three ways, and a gzip file that is no tar.
    use std::io::Write as _;
    let tar_bytes = std::fs::read(&tarball).unwrap();
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&tar_bytes).unwrap();
    std::fs::write(dir.path().join("files.tar.xz"), xz.finish().unwrap()).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&tar_bytes).unwrap();
    std::fs::write(dir.path().join("files.tar.bz2"), bz.finish().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"just text\n").unwrap();
    std::fs::write(dir.path().join("note.gz"), gz.finish().unwrap()).unwrap();

    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in server.incoming().flatten().take(4) {
            use std::io::{Read as _, Write as _};
            let mut stream = stream;
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\ndownloaded",
            );
        }
    });
    let dockerfile = format!(
        "FROM busybox\nADD files.tar /x/\nADD files.tar.xz /xz/\nADD files.tar.bz2 /bz/\n\
ADD note.gz /gz/\nADD http://127.0.0.1:{port}/remote.txt /r/\n"
    );
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    build(&env, dir.path(), &["-t", "add:1"]).success();
    let listing = run_sh(
        &env,
        "add:1",
        "stat -c '%u:%g %a' /x/sub/in-tar; cat /x/sub/in-tar; echo; stat -c '%a' /r/remote.txt; cat /r/remote.txt; echo; \
cat /xz/sub/in-tar /bz/sub/in-tar; echo; ls /gz",
    );
    assert_eq!(
        listing,
        "42:43 750\ninner\n600\ndownloaded\ninnerinner\nnote.gz\n"
    );
}

#[test]
fn run_heredocs_mounts_secrets_and_network() {
    let (_registry, env) = busybox_env();
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "s3cret").unwrap();
    let dockerfile = "FROM busybox\n\
RUN <<EOF\necho from heredoc > /heredoc\nEOF\n\
RUN <<EOF\n#!/bin/sh\necho script $0 > /script\nEOF\n\
RUN --mount=type=cache,target=/cache echo run >> /cache/log && cat /cache/log | wc -l > /cache-count\n\
RUN --mount=type=bind,source=data,target=/mnt cat /mnt/file > /bound\n\
RUN --mount=type=bind,source=data,target=/mnt,rw echo changed > /mnt/file && cat /mnt/file > /rw-seen\n\
RUN --mount=type=bind,source=data/file,target=/one,rw echo too >> /one && cat /one > /rw-file\n\
RUN --mount=type=bind,source=data,target=/mnt cat /mnt/file > /rw-after\n\
RUN --mount=type=secret,id=token cat /run/secrets/token > /seen-secret-length && wc -c < /run/secrets/token > /seen-secret-length\n\
RUN --network=none cat /proc/net/dev | grep -c : > /interfaces\n";
    let dir = context(&[("Dockerfile", dockerfile), ("data/file", "bound-data")]);
    let secret_flag = format!("id=token,src={}", secret.path().display());
    build(&env, dir.path(), &["-t", "run:1", "--secret", &secret_flag]).success();
    let listing = run_sh(
        &env,
        "run:1",
        "cat /heredoc /script /cache-count /bound; echo; cat /seen-secret-length /interfaces; test -e /run/secrets/token || echo no-secret-in-image; \
cat /rw-seen /rw-file /rw-after",
    );
    // A `rw` bind mount takes the writes, which neither the context nor a later
    // step sees.
    assert_eq!(
        listing,
        "from heredoc\nscript /dev/pipes/EOF\n1\nbound-data\n6\n1\nno-secret-in-image\nchanged\nbound-datatoo\nbound-data"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data/file")).unwrap(),
        "bound-data"
    );
    // The cache mount keeps its content across builds.
    let dir2 = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN --mount=type=cache,target=/cache cat /cache/log | wc -l > /count\n",
    )]);
    build(&env, dir2.path(), &["-t", "run:2"]).success();
    assert_eq!(run_sh(&env, "run:2", "cat /count"), "1\n");
    // `builder prune` empties cache mounts too.
    container(&env, &["builder", "prune", "-f"]).success();
    build(&env, dir2.path(), &["-t", "run:3"]).success();
    assert_eq!(run_sh(&env, "run:3", "cat /count"), "0\n");
}

#[test]
fn errors_name_the_file_line_and_instruction_and_move_no_tag() {
    let (_registry, env) = busybox_env();
    let good = context(&[("Dockerfile", "FROM busybox\nRUN echo good > /good\n")]);
    let id = build(&env, good.path(), &["-t", "keep:1", "-q"]);
    id.success();
    let id = id.stdout.trim().to_owned();

    let cases = [
        ("FROMM busybox\n", "Dockerfile:1", "did you mean FROM?"),
        (
            "FROM busybox\nCOPY --fromm=x a /b\n",
            "Dockerfile:2",
            "unknown flag: --fromm",
        ),
        (
            "FROM busybox\nCOPY missing.txt /\n",
            "Dockerfile:2: COPY missing.txt /",
            "missing.txt",
        ),
        (
            "FROM busybox\nCMD [\"a\", 1]\n",
            "Dockerfile:2",
            "arrays must be comprised of strings only",
        ),
        (
            "FROM busybox\nCOPY --parents a /x/\n",
            "Dockerfile:2",
            "`COPY --parents` is not supported",
        ),
        (
            "FROM nothing-here:1\n",
            "Dockerfile:1: FROM nothing-here:1",
            "resolving the base image",
        ),
        (
            "FROM busybox\n\nRUN echo first line; echo on-stderr >&2; exit 3\n",
            "Dockerfile:3: RUN echo first line",
            "returned a non-zero code: 3",
        ),
    ];
    for (dockerfile, place, message) in cases {
        let dir = context(&[("Dockerfile", dockerfile)]);
        let output = build(&env, dir.path(), &["-t", "keep:1"]);
        output.code_is(1);
        assert!(output.stderr.contains(place), "{dockerfile}: {output}");
        assert!(output.stderr.contains(message), "{dockerfile}: {output}");
        assert_eq!(
            inspect(&env, "keep:1")["Id"],
            id,
            "a failed build moved the tag"
        );
    }
    let dir = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo first line; echo on-stderr >&2; exit 3\n",
    )]);
    let output = build(&env, dir.path(), &[]);
    assert!(
        output.stderr.contains("on-stderr"),
        "the last lines are shown: {output}"
    );
    let leftover = container(&env, &["ps", "-aq"]);
    assert_eq!(leftover.stdout, "", "a failed RUN left its container");
}

#[test]
fn contexts_from_stdin_dockerfiles_from_stdin_and_containerfiles() {
    let (_registry, env) = busybox_env();
    // `-f -`: the Dockerfile on stdin, the context a directory.
    let dir = context(&[("a.txt", "from-dir")]);
    let path = dir.path().to_str().unwrap();
    container_with_stdin(
        &env,
        &["build", "-t", "stdin:1", "-f", "-", path],
        b"FROM busybox\nCOPY a.txt /\n",
    );
    assert_eq!(run_sh(&env, "stdin:1", "cat /a.txt"), "from-dir");

    // `-`: the context is a tar on stdin, Dockerfile included.
    let mut tarball = Vec::new();
    {
        let mut builder = tar::Builder::new(&mut tarball);
        for (name, content) in [
            ("Dockerfile", "FROM busybox\nCOPY b.txt /\n"),
            ("b.txt", "from-tar"),
        ] {
            let mut header = tar::Header::new_ustar();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, name, content.as_bytes())
                .unwrap();
        }
        builder.finish().unwrap();
    }
    container_with_stdin(&env, &["build", "-t", "stdin:2", "-"], &tarball);
    assert_eq!(run_sh(&env, "stdin:2", "cat /b.txt"), "from-tar");

    // A Containerfile when there is no Dockerfile, and a per-Dockerfile ignore file.
    let dir = context(&[
        ("Containerfile", "FROM busybox\nCOPY . /c\n"),
        ("keep", "k"),
        ("drop", "d"),
        ("other.Dockerfile", "FROM busybox\nCOPY . /c\n"),
        ("other.Dockerfile.dockerignore", "keep\n"),
        (".dockerignore", "drop\n"),
    ]);
    build(&env, dir.path(), &["-t", "cf:1"]).success();
    assert!(run_sh(&env, "cf:1", "ls /c").contains("keep"));
    assert!(!run_sh(&env, "cf:1", "ls /c").contains("drop"));
    let file = dir.path().join("other.Dockerfile");
    build(
        &env,
        dir.path(),
        &["-t", "cf:2", "-f", file.to_str().unwrap()],
    )
    .success();
    let listing = run_sh(&env, "cf:2", "ls /c");
    assert!(
        listing.contains("drop") && !listing.contains("keep\n"),
        "{listing}"
    );
}

#[test]
fn iidfile_outputs_and_prune() {
    let (_registry, env) = busybox_env();
    let dir = context(&[("Dockerfile", "FROM busybox\nRUN echo out > /out-file\n")]);
    let iid = dir.path().join("iid");
    let local = tempfile::tempdir().unwrap();
    let tar_out = local.path().join("rootfs.tar");
    let oci_out = local.path().join("oci.tar");
    let local_dest = local.path().join("rootfs");
    let outputs = [
        format!("type=local,dest={}", local_dest.display()),
        format!("type=tar,dest={}", tar_out.display()),
        format!("type=oci,dest={}", oci_out.display()),
    ];
    let iid_path = iid.to_str().unwrap();
    build(
        &env,
        dir.path(),
        &[
            "-t",
            "out:1",
            "--iidfile",
            iid_path,
            "-o",
            &outputs[0],
            "-o",
            &outputs[1],
            "-o",
            &outputs[2],
        ],
    )
    .success();
    let id = std::fs::read_to_string(&iid).unwrap();
    assert_eq!(inspect(&env, "out:1")["Id"], id);
    assert_eq!(
        std::fs::read_to_string(local_dest.join("out-file")).unwrap(),
        "out\n"
    );
    assert!(local_dest.join("bin/busybox").is_file());
    let mut archive = tar::Archive::new(std::fs::File::open(&tar_out).unwrap());
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(names.contains(&"out-file".to_owned()), "{names:?}");
    let mut archive = tar::Archive::new(std::fs::File::open(&oci_out).unwrap());
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(names.contains(&"index.json".to_owned()) && names.contains(&"oci-layout".to_owned()));
    assert!(names.contains(&format!(
        "blobs/sha256/{}",
        id.trim_start_matches("sha256:")
    )));

    // Removing the image keeps the cache usable; pruning the cache reruns the steps.
    container(&env, &["rmi", "out:1"]).success();
    let again = build(&env, dir.path(), &["-t", "out:2"]);
    again.success();
    assert!(again.stderr.contains("[2/2] CACHED"), "{again}");
    container(&env, &["run", "--rm", "out:2", "cat", "/out-file"]).success();
    let pruned = container(&env, &["builder", "prune", "-f"]);
    pruned.success();
    assert!(
        pruned.stdout.starts_with("Total reclaimed space:"),
        "{pruned}"
    );
    let rerun = build(&env, dir.path(), &["-t", "out:3"]);
    rerun.success();
    assert!(rerun.stderr.contains("[2/2] DONE"), "{rerun}");
    container(&env, &["run", "--rm", "out:2", "cat", "/out-file"]).success();
    container(&env, &["image", "prune", "-f"]).success();
    let after_image_prune = build(&env, dir.path(), &["-t", "out:4"]);
    assert!(
        after_image_prune.stderr.contains("[2/2] DONE"),
        "{after_image_prune}"
    );
    container(
        &env,
        &["image", "build", "-q", dir.path().to_str().unwrap()],
    )
    .success();
    container(
        &env,
        &["builder", "build", "-q", dir.path().to_str().unwrap()],
    )
    .success();
}

#[test]
fn the_tutorial_app_builds_on_python_and_a_changed_app_reruns_from_its_copy() {
    container_test_support::fixture_layout_with_debian();
    let registry = container_test_support::Registry::start();
    registry.load("python-3.11-slim", "library/python:3.11-slim");
    let env = common::mirrored_env(&registry);
    let app = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tutorial-app");
    for name in ["Dockerfile", "app.py"] {
        std::fs::copy(fixture.join(name), app.path().join(name)).unwrap();
    }
    let first = build(&env, app.path(), &["-t", "my-python-app:1.0"]);
    first.success();
    assert!(
        first
            .stderr
            .contains("[1/3] FROM docker.io/library/python:3.11-slim"),
        "{first}"
    );
    let config = config(&env, "my-python-app:1.0");
    assert_eq!(config["Cmd"], serde_json::json!(["python", "app.py"]));
    assert_eq!(config["WorkingDir"], "/app");
    assert!(config["ExposedPorts"]["8000/tcp"].is_object());
    let printed = container(
        &env,
        &[
            "run",
            "--rm",
            "my-python-app:1.0",
            "python",
            "-c",
            "print(open('app.py').read().count('Hello'))",
        ],
    );
    printed.success();
    assert_eq!(printed.stdout, "1\n");

    let mut text = std::fs::read_to_string(app.path().join("app.py")).unwrap();
    text.push_str("# changed\n");
    std::fs::write(app.path().join("app.py"), text).unwrap();
    let second = build(&env, app.path(), &["-t", "my-python-app:2.0"]);
    second.success();
    assert!(second.stderr.contains("[2/3] CACHED"), "{second}");
    assert!(second.stderr.contains("[3/3] DONE"), "{second}");
    assert_ne!(
        inspect(&env, "my-python-app:1.0")["Id"],
        inspect(&env, "my-python-app:2.0")["Id"]
    );
}

#[test]
fn run_layers_keep_deletions_opaque_directories_hard_links_and_owners() {
    let (_registry, env) = busybox_env();
    let dockerfile = "FROM busybox\n\
RUN mkdir -p /tree/sub && echo old > /tree/sub/old && echo keep > /kept && echo gone > /gone\n\
RUN rm /gone && rm -rf /tree && mkdir -p /tree && echo new > /tree/new && echo x > /a && ln /a /b && chown 7:8 /a && chmod 4711 /a && ln -s /a /sym\n";
    let dir = context(&[("Dockerfile", dockerfile)]);
    build(&env, dir.path(), &["-t", "layers:1"]).success();
    let listing = run_sh(
        &env,
        "layers:1",
        "test -e /gone || echo no-gone; find /tree | sort; stat -c '%u:%g %a %h' /a; readlink /sym; cat /kept",
    );
    assert_eq!(listing, "no-gone\n/tree\n/tree/new\n7:8 4711 2\n/a\nkeep\n");
}

#[test]
fn independent_stages_are_built_and_the_target_takes_what_it_needs() {
    let (_registry, env) = busybox_env();
    let dockerfile = "FROM busybox AS one\nRUN echo one > /one\n\
FROM busybox AS two\nRUN echo two > /two\n\
FROM busybox AS final\nCOPY --from=one /one /\nCOPY --from=two /two /\n\
FROM final AS test\nRUN cat /one /two > /both\n";
    let dir = context(&[("Dockerfile", dockerfile)]);
    let output = build(
        &env,
        dir.path(),
        &["-t", "stages:final", "--target", "final"],
    );
    output.success();
    assert!(
        output.stderr.contains("[one 2/2]") && output.stderr.contains("[two 2/2]"),
        "{output}"
    );
    assert!(!output.stderr.contains("[test "), "{output}");
    build(&env, dir.path(), &["-t", "stages:test"]).success();
    assert_eq!(run_sh(&env, "stages:test", "cat /both"), "one\ntwo\n");
    let output = build(&env, dir.path(), &["--target", "nope"]);
    output.code_is(1);
    assert!(
        output
            .stderr
            .contains("target stage `nope` could not be found"),
        "{output}"
    );
}

#[test]
fn platforms_in_from_and_on_the_command_line() {
    let (_registry, env) = busybox_env();
    let host = match std::env::consts::ARCH {
        "x86_64" => "linux/amd64",
        "aarch64" => "linux/arm64",
        other => panic!("no fixture for {other}"),
    };
    let dockerfile =
        format!("FROM --platform={host} busybox\nARG TARGETARCH\nRUN echo $TARGETARCH > /arch\n");
    let dir = context(&[("Dockerfile", &dockerfile)]);
    build(
        &env,
        dir.path(),
        &["-t", "plat:1", "--platform", host, "--pull"],
    )
    .success();
    let arch = host.rsplit('/').next().unwrap();
    assert_eq!(run_sh(&env, "plat:1", "cat /arch"), format!("{arch}\n"));
}

#[test]
fn an_interrupted_build_leaves_no_container_mount_or_tag() {
    use std::io::BufRead as _;
    let (_registry, env) = busybox_env();
    let dir = context(&[("Dockerfile", "FROM busybox\nRUN echo started && sleep 60\n")]);
    let mut child = env
        .command(common::BIN)
        .args(["build", "-t", "interrupted:1", dir.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap() == "started" {
            break;
        }
    }
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(container(&env, &["ps", "-aq"]).stdout, "");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let root = env.root.path().to_str().unwrap();
    assert!(!mounts.contains(root), "a mount is left under the store");
    container(&env, &["inspect", "interrupted:1"]).failure();
}

#[test]
fn run_steps_use_the_bridge_network_unless_told_otherwise() {
    let (_registry, env) = busybox_env();
    let dir = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN grep -c : /proc/net/dev > /interfaces && ip route | grep -c default > /routes\n",
    )]);
    build(&env, dir.path(), &["-t", "bridged:1"]).success();
    assert_eq!(
        run_sh(&env, "bridged:1", "cat /interfaces /routes"),
        "2\n1\n"
    );
    // With the host's network, RUN sees the host's interfaces, the bridge among them.
    let dir = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN cat /proc/net/dev > /dev-list\n",
    )]);
    build(&env, dir.path(), &["-t", "host:1", "--network", "host"]).success();
    let listed = run_sh(&env, "host:1", "cat /dev-list");
    let on_host = std::fs::read_to_string("/proc/net/dev").unwrap();
    let first_host_link = on_host
        .lines()
        .nth(3)
        .and_then(|l| l.split(':').next())
        .unwrap();
    assert!(listed.contains(first_host_link.trim()), "{listed}");
}

#[test]
fn a_bind_mount_from_a_stage_reruns_when_the_stage_changes() {
    let (_registry, env) = busybox_env();
    let dockerfile = |value: &str| {
        format!(
            "FROM busybox AS data\nRUN echo {value} > /v\n\
FROM busybox\nRUN --mount=type=bind,from=data,target=/d cat /d/v > /seen\n"
        )
    };
    let dir = context(&[("Dockerfile", &dockerfile("v1"))]);
    build(&env, dir.path(), &["-t", "bound:1"]).success();
    assert_eq!(
        run_sh(&env, "bound:1", "cat /seen; test -e /d/v || echo unmounted"),
        "v1\nunmounted\n"
    );
    std::fs::write(dir.path().join("Dockerfile"), dockerfile("v2")).unwrap();
    build(&env, dir.path(), &["-t", "bound:2"]).success();
    assert_eq!(run_sh(&env, "bound:2", "cat /seen"), "v2\n");
}

#[test]
fn proxy_args_heredoc_quotes_and_stage_args_in_from() {
    let (_registry, env) = busybox_env();
    // A proxy build arg reaches RUN without an ARG, and stays out of the
    // image's Env; a heredoc keeps its quotes while its `$X` expands; a
    // `--from=$SRC` with a stage ARG builds the stage it names.
    let dockerfile = "FROM busybox AS one\nRUN echo one > /which\n\
FROM busybox AS two\nRUN echo two > /which\n\
FROM busybox\nARG SRC=one\nARG X=ex\n\
RUN echo \"$HTTP_PROXY\" > /proxy\n\
COPY <<EOF /script\necho \"say $X\" 'and $X'\nEOF\n\
COPY --from=$SRC /which /which\n";
    let dir = context(&[("Dockerfile", dockerfile)]);
    let output = build(
        &env,
        dir.path(),
        &[
            "-t",
            "scope:1",
            "--build-arg",
            "HTTP_PROXY=http://proxy.invalid:3128",
            "--build-arg",
            "SRC=two",
        ],
    );
    output.success();
    assert!(!output.stderr.contains("not consumed"), "{output}");
    assert!(
        !output.stderr.contains("[one "),
        "stage one is not needed: {output}"
    );
    assert_eq!(
        run_sh(&env, "scope:1", "cat /proxy /script /which"),
        "http://proxy.invalid:3128\necho \"say ex\" 'and ex'\ntwo\n"
    );
    let image_env = env_of(&env, "scope:1");
    assert!(
        !image_env.iter().any(|e| e.starts_with("HTTP_PROXY=")),
        "{image_env:?}"
    );
}

#[test]
fn on_a_terminal_running_steps_show_their_output_and_finished_ones_fold() {
    let (_registry, env) = busybox_env();
    let dockerfile = "FROM busybox\nWORKDIR /app\n\
RUN echo first-line; echo second-line; sleep 1\nCMD [\"sh\"]\n";
    let dir = context(&[("Dockerfile", dockerfile)]);
    let path = dir.path().to_str().unwrap();
    let mut session = pty::PtySession::spawn(&env, &["build", "-t", "view:1", path], 24, 100);
    // While the RUN runs, its output shows under it.
    session.expect("    second-line");
    session.expect("=> [3/3] RUN echo first-line");
    session.expect("Successfully tagged view:1");
    assert_eq!(session.wait(), 0, "{}", session.screen());
    // Again: every step is CACHED, each a line of its own.
    let mut again = pty::PtySession::spawn(&env, &["build", "-t", "view:1", path], 24, 100);
    again.expect("Successfully tagged view:1");
    assert_eq!(again.wait(), 0, "{}", again.screen());
    let screen = again.screen();
    for line in [
        "=> CACHED [2/3] WORKDIR /app",
        "=> CACHED [3/3] RUN echo first-line",
    ] {
        assert!(screen.contains(line), "{line} in {screen:?}");
    }
    // `--progress plain` on a terminal: the lines of a log.
    let mut plain = pty::PtySession::spawn(
        &env,
        &["build", "--progress", "plain", "-t", "view:1", path],
        24,
        100,
    );
    plain.expect("[2/3] CACHED");
    assert_eq!(plain.wait(), 0, "{}", plain.screen());
}
