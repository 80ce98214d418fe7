//! `container image prune`

use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::PruneArgs;
use crate::context::Context;
use crate::output::human_size;

pub fn run(context: &Context, args: PruneArgs) -> anyhow::Result<ExitCode> {
    // Docker asks for confirmation on a terminal; we never prompt, since nothing here is
    // undoable by surprise: `-a` must be typed to remove tagged images.
    let _ = args.force;
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
