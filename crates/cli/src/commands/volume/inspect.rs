//! `container volume inspect`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::VolumeInspectArgs;
use crate::context::Context;
use crate::output::Format;

pub fn run(context: &Context, args: VolumeInspectArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let format = Format::parse(args.format.as_deref())?;
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
    match format {
        Format::Table | Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&found)?)?,
        format => format.write_rows(&mut out, &found)?,
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
