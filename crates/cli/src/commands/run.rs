//! `container run`: create, start, and (unless `-d`) attach until the container exits.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use container_runtime::{RuntimeError, StartMode};

use crate::cli::RunArgs;
use crate::context::Context;

pub fn run(context: &Context, args: RunArgs) -> anyhow::Result<ExitCode> {
    match run_container(context, &args) {
        Ok(code) => Ok(code),
        Err(error) => Ok(super::create::failed(&error)),
    }
}

fn run_container(context: &Context, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let options = &args.options;
    // Checked before anything is created: a session that cannot start must not
    // leave a container waiting to run unattended.
    if let Some(keys) = &args.detach_keys {
        crate::terminal::parse_detach_keys(keys)?;
    }
    if !args.detach {
        crate::terminal::check_input_is_a_terminal(options.interactive && options.tty)?;
    }
    let runtime = context.containers()?;
    let record = super::create::create(context, &runtime, &args.options)?;
    let starting = || format!("starting container {}", record.short_id());
    // The monitor's message is the cause as it stands: its error would name the
    // container a second time, by its full ID.
    let start_failed = |error: RuntimeError| match error {
        RuntimeError::Monitor { message, .. } => anyhow::anyhow!(message).context(starting()),
        other => anyhow::Error::from(other).context(starting()),
    };
    if args.detach {
        runtime
            .start(&record.id, StartMode::Detached)
            .map_err(start_failed)?;
        writeln!(std::io::stdout(), "{}", record.id)?;
        return Ok(ExitCode::SUCCESS);
    }
    runtime
        .start(&record.id, StartMode::Attached)
        .map_err(start_failed)?;
    let code = super::attach::stream(
        &runtime,
        &record.id,
        args.options.interactive,
        args.sig_proxy,
        args.detach_keys.as_deref(),
    )
    .with_context(starting)?;
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}
