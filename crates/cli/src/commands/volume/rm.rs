//! `container volume rm`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::VolumeRmArgs;
use crate::context::Context;

pub fn run(context: &Context, args: VolumeRmArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    super::super::each(&args.names, |name| {
        runtime
            .remove_volume(name, args.force)
            .with_context(|| format!("removing volume `{name}`"))?;
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}
