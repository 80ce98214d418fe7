//! Running the binary with something on its stdin, and extra directories on PATH.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use container_test_support::{Output, TestEnv, run};

/// `container args...` in `env` with `input` on stdin.
pub fn with_input(env: &TestEnv, args: &[&str], input: &[u8]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stdin");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(input)
        .unwrap();
    from_file(env, args, &path)
}

/// `container args...` in `env` with the file `path` on stdin.
pub fn from_file(env: &TestEnv, args: &[&str], path: &Path) -> Output {
    let mut command = env.command(super::common::BIN);
    command.args(args);
    run_with_stdin(&mut command, path)
}

/// Runs `command` with `path` on its stdin, capturing its output.
pub fn run_with_stdin(command: &mut Command, path: &Path) -> Output {
    // `run` gives the command an empty stdin: hand the file over through a shell.
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("exec \"$@\" < \"$STDIN_FILE\"")
        .arg("sh")
        .arg(program)
        .args(args)
        .env("STDIN_FILE", path);
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    shell.stdin(Stdio::null());
    run(&mut shell)
}

/// `container args...` in `env` with `dir` first on PATH.
pub fn with_path(env: &TestEnv, args: &[&str], dir: &Path, input: Option<&[u8]>) -> Output {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![dir.to_owned()];
    dirs.extend(std::env::split_paths(&path));
    let mut command = env.command(super::common::BIN);
    command
        .args(args)
        .env("PATH", std::env::join_paths(dirs).unwrap());
    match input {
        Some(input) => {
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), input).unwrap();
            run_with_stdin(&mut command, file.path())
        }
        None => run(&mut command),
    }
}
