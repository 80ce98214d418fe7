//! `container exec`: run a command in a running container.

use std::process::ExitCode;

use anyhow::Context as _;
use container_runtime::config::{parse_env_file, resolve_env};
use container_runtime::{ExecOptions, RuntimeError};

use super::attach::{Streaming, stream_with};
use crate::cli::ExecArgs;
use crate::context::Context;

pub fn run(context: &Context, args: ExecArgs) -> anyhow::Result<ExitCode> {
    match exec(context, &args) {
        Ok(code) => Ok(ExitCode::from(code.clamp(0, 255) as u8)),
        Err(error) => Ok(failed(&error)),
    }
}

fn exec(context: &Context, args: &ExecArgs) -> anyhow::Result<i32> {
    if !args.detach {
        crate::terminal::check_input_is_a_terminal(args.interactive && args.tty)?;
    }
    let runtime = context.containers()?;
    let (name, command) = args
        .args
        .split_first()
        .expect("clap requires two arguments");
    let options = ExecOptions {
        command: command.to_vec(),
        env: env(args)?,
        working_dir: args.workdir.clone(),
        user: args.user.clone(),
        tty: args.tty,
        detach: args.detach,
        privileged: args.privileged,
    };
    let session = runtime.exec(name, &options)?;
    if args.detach {
        return Ok(0);
    }
    // Docker proxies no signals to an exec'd process: ^C ends this command only.
    let how = Streaming {
        stdin: args.interactive,
        tty: args.tty,
        sig_proxy: false,
        detach_keys: args.detach_keys.as_deref(),
    };
    stream_with(how, |size| {
        runtime.attach_exec(&session, args.interactive, size)
    })
    .with_context(|| format!("running `{}` in `{name}`", command[0]))
}

/// `--env-file` entries first, then `-e`, later ones winning.
fn env(args: &ExecArgs) -> anyhow::Result<Vec<String>> {
    let mut entries = Vec::new();
    for path in &args.env_files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the env file `{}`", path.display()))?;
        entries.extend(parse_env_file(&text)?);
    }
    entries.extend(args.env.iter().cloned());
    Ok(resolve_env(&entries, |key| std::env::var(key).ok())?)
}

/// Reports an error of `exec`, and gives Docker's exit code for it: 127 when the
/// command is not found, 126 when it cannot be started, 1 for anything else (no
/// such container, not running).
fn failed(error: &anyhow::Error) -> ExitCode {
    crate::report_error(error);
    let code = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<RuntimeError>())
        .map_or(1, |error| match error {
            // The runtime fails these in Docker, which makes them 126.
            RuntimeError::Monitor { .. }
            | RuntimeError::Container { .. }
            | RuntimeError::UserNotFound { .. }
            | RuntimeError::GroupNotFound { .. } => 126,
            other if other.exit_code() != 125 => other.exit_code(),
            _ => 1,
        });
    ExitCode::from(code)
}
