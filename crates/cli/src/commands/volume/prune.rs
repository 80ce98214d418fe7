//! `container volume prune`

use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::VolumePruneArgs;
use crate::context::Context;
use crate::output::human_size;

pub fn run(context: &Context, args: VolumePruneArgs) -> anyhow::Result<ExitCode> {
    // Never a prompt, as for `image prune`: only unused volumes go, and named ones only
    // with `--all`.
    let _ = args.force;
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
