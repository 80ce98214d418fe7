//! `container volume prune`

use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::VolumePruneArgs;
use crate::context::Context;
use crate::output::human_size;

pub fn run(context: &Context, args: VolumePruneArgs) -> anyhow::Result<ExitCode> {
    let warning = match args.all {
        true => "This will remove all local volumes not used by at least one container.",
        false => "This will remove anonymous local volumes not used by at least one container.",
    };
    if !args.force && !crate::commands::confirm(warning)? {
        writeln!(std::io::stdout(), "Total reclaimed space: 0B")?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = context.containers()?.prune_volumes(args.all)?;
    let mut stdout = std::io::stdout().lock();
    if !report.removed.is_empty() {
        writeln!(stdout, "Deleted Volumes:")?;
        for name in &report.removed {
            writeln!(stdout, "{name}")?;
        }
        writeln!(stdout)?;
    }
    writeln!(
        stdout,
        "Total reclaimed space: {}",
        human_size(report.reclaimed)
    )?;
    Ok(ExitCode::SUCCESS)
}
