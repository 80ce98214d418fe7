//! `container kill`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use container_runtime::signal::parse_signal;

use crate::cli::KillArgs;
use crate::context::Context;

pub fn run(context: &Context, args: KillArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let signal = parse_signal(&args.signal)?;
    super::each(&args.names, |name| {
        runtime
            .kill(name, signal)
            .with_context(|| format!("cannot kill container `{name}`"))?;
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}
