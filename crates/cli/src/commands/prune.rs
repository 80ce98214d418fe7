//! `container image prune`

use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::PruneArgs;
use crate::context::Context;
use crate::output::human_size;

pub fn run(context: &Context, args: PruneArgs) -> anyhow::Result<ExitCode> {
    let warning = match args.all {
        true => "This will remove all images without at least one container associated to them.",
        false => "This will remove all dangling images.",
    };
    if !args.force && !super::confirm(warning)? {
        writeln!(std::io::stdout(), "Total reclaimed space: 0B")?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = context.store()?;
    let report = store.prune(args.all)?;
    let mut stdout = std::io::stdout().lock();
    if !report.removals.is_empty() {
        writeln!(stdout, "Deleted Images:")?;
        super::rmi::print_removals(&mut stdout, &report.removals)?;
        writeln!(stdout)?;
    }
    writeln!(
        stdout,
        "Total reclaimed space: {}",
        human_size(report.reclaimed)
    )?;
    Ok(ExitCode::SUCCESS)
}
