//! `container image prune`

use std::io::Write as _;
use std::process::ExitCode;

use container_store::Removal;

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
    print_deleted_images(&mut stdout, &report.removals)?;
    writeln!(
        stdout,
        "Total reclaimed space: {}",
        human_size(report.reclaimed)
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `Deleted Images:`, then `untagged: …` and `deleted: sha256:…` lines (lowercase,
/// as Docker's prune commands print them), then a blank line; nothing when empty.
pub fn print_deleted_images(
    out: &mut impl std::io::Write,
    removals: &[Removal],
) -> std::io::Result<()> {
    if removals.is_empty() {
        return Ok(());
    }
    writeln!(out, "Deleted Images:")?;
    for removal in removals {
        match removal {
            Removal::Untagged(name) => writeln!(out, "untagged: {name}")?,
            Removal::Deleted(id) => writeln!(out, "deleted: {id}")?,
        }
    }
    writeln!(out)
}
