//! `container __monitor`: the hidden mode a container's monitor runs in.

use std::process::ExitCode;

use container_runtime::{Paths, run_monitor};

use crate::cli::MonitorArgs;
use crate::context::Context;

pub fn run(context: &Context, args: MonitorArgs) -> anyhow::Result<ExitCode> {
    let paths = Paths::new(&context.root, &args.run_dir);
    run_monitor(&paths, &args.id, args.attach)?;
    Ok(ExitCode::SUCCESS)
}
