//! `container tag`

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::TagArgs;
use crate::context::Context;

pub fn run(context: &Context, args: TagArgs) -> anyhow::Result<ExitCode> {
    let store = context.store()?;
    store
        .tag(&args.source, &args.target)
        .with_context(|| format!("tagging `{}` as `{}`", args.source, args.target))?;
    Ok(ExitCode::SUCCESS)
}
