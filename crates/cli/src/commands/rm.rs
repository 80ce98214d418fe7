//! `container rm`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::RmArgs;
use crate::context::Context;

pub fn run(context: &Context, args: RmArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    // Containers have no anonymous volumes yet, so `-v` has nothing more to remove.
    let _ = args.volumes;
    super::each(&args.names, |name| {
        runtime
            .remove(name, args.force)
            .with_context(|| format!("removing `{name}`"))?;
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}
