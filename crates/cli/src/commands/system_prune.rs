//! `container system prune`: stopped containers, then (with `--volumes`) unused
//! anonymous volumes, then dangling images (every unused one with `-a`), as Docker
//! does, with what went and the space given back.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::SystemPruneArgs;
use crate::context::Context;
use crate::output::human_size;

pub fn run(context: &Context, args: SystemPruneArgs) -> anyhow::Result<ExitCode> {
    // TODO: the build cache is not pruned yet; its crate has no prune API
    let mut warning = String::from("This will remove:\n  - all stopped containers\n");
    if args.volumes {
        warning.push_str("  - all anonymous volumes not used by at least one container\n");
    }
    warning.push_str(match args.all {
        true => "  - all images without at least one container associated to them\n",
        false => "  - all dangling images\n",
    });
    let mut stdout = std::io::stdout().lock();
    if !args.force && !super::confirm(&warning)? {
        writeln!(stdout, "Total reclaimed space: 0B")?;
        return Ok(ExitCode::SUCCESS);
    }

    let runtime = context.containers()?;
    let mut reclaimed = 0;
    let mut deleted = Vec::new();
    for record in runtime.list()? {
        if record.is_running() || record.is_restarting() || record.is_orphaned() {
            continue;
        }
        let size = super::df::dir_size(&runtime.paths().upper(&record.id));
        runtime
            .remove(&record.id, false)
            .with_context(|| format!("removing container {}", record.short_id()))?;
        reclaimed += size;
        deleted.push(record.id);
    }
    if !deleted.is_empty() {
        writeln!(stdout, "Deleted Containers:")?;
        for id in &deleted {
            writeln!(stdout, "{id}")?;
        }
        writeln!(stdout)?;
    }

    if args.volumes {
        let report = runtime.prune_volumes(false)?;
        reclaimed += report.reclaimed;
        if !report.removed.is_empty() {
            writeln!(stdout, "Deleted Volumes:")?;
            for name in &report.removed {
                writeln!(stdout, "{name}")?;
            }
            writeln!(stdout)?;
        }
    }

    let report = runtime.store().prune(args.all)?;
    reclaimed += report.reclaimed;
    super::prune::print_deleted_images(&mut stdout, &report.removals)?;
    writeln!(stdout, "Total reclaimed space: {}", human_size(reclaimed))?;
    Ok(ExitCode::SUCCESS)
}
