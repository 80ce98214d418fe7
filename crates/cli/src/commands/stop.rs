//! `container stop`

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use container_runtime::signal::parse_signal;

use crate::cli::StopArgs;
use crate::context::Context;

pub fn run(context: &Context, args: StopArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let signal = args.signal.as_deref().map(parse_signal).transpose()?;
    let timeout = args.time.map(Duration::from_secs);
    super::each(&args.names, |name| {
        runtime
            .stop(name, timeout, signal)
            .with_context(|| format!("stopping `{name}`"))?;
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}
