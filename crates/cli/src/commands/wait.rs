//! `container wait`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::WaitArgs;
use crate::context::Context;

pub fn run(context: &Context, args: WaitArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    super::each(&args.names, |name| {
        let code = runtime
            .wait(name)
            .with_context(|| format!("waiting for `{name}`"))?;
        writeln!(std::io::stdout(), "{code}")?;
        Ok(())
    })
}
