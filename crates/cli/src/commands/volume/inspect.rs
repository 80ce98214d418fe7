//! `container volume inspect`

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::VolumeInspectArgs;
use crate::context::Context;
use crate::output::Format;

pub fn run(context: &Context, args: VolumeInspectArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    // A bad template fails before anything is looked up.
    Format::parse(args.format.as_deref())?;
    let mut found = Vec::new();
    let mut failed = false;
    for name in &args.names {
        match runtime
            .volume(name)
            .with_context(|| format!("inspecting volume `{name}`"))
        {
            Ok(volume) => found.push(super::inspect_json(&volume)),
            Err(error) => {
                failed = true;
                crate::report_error(&error);
            }
        }
    }

    let mut out = std::io::stdout().lock();
    crate::output::write_inspected(&mut out, args.format.as_deref(), &found)?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
