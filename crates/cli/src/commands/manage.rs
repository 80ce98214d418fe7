//! `container restart`, `rename`, `pause` and `unpause`.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use container_runtime::signal::parse_signal;

use crate::cli::{PauseArgs, RenameArgs, RestartArgs};
use crate::context::Context;

pub fn restart(context: &Context, args: RestartArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let signal = args.signal.as_deref().map(parse_signal).transpose()?;
    let timeout = args.time.map(Duration::from_secs);
    super::each(&args.names, |name| {
        runtime
            .restart(name, timeout, signal)
            .with_context(|| format!("restarting `{name}`"))?;
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}

pub fn rename(context: &Context, args: RenameArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    runtime
        .rename(&args.name, &args.new_name)
        .with_context(|| format!("renaming `{}` to `{}`", args.name, args.new_name))?;
    Ok(ExitCode::SUCCESS)
}

pub fn pause(context: &Context, args: PauseArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    super::each(&args.names, |name| {
        runtime
            .pause(name)
            .with_context(|| format!("pausing `{name}`"))?;
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}

pub fn unpause(context: &Context, args: PauseArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    super::each(&args.names, |name| {
        runtime
            .unpause(name)
            .with_context(|| format!("unpausing `{name}`"))?;
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}
