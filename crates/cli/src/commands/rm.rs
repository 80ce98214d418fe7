//! `container rm`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::RmArgs;
use crate::context::Context;

pub fn run(context: &Context, args: RmArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    super::each(&args.names, |name| {
        let record = runtime
            .remove(name, args.force)
            .with_context(|| format!("removing `{name}`"))?;
        if args.volumes {
            runtime
                .remove_anonymous_volumes(&record)
                .with_context(|| format!("removing the anonymous volumes of `{name}`"))?;
        }
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}
