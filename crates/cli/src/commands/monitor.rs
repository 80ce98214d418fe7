//! `container __monitor`: the hidden mode a container's monitor runs in, and with
//! `--exec` the monitor of one exec'd process.

use std::process::ExitCode;

use container_runtime::{Paths, run_exec_monitor, run_monitor};

use crate::cli::MonitorArgs;
use crate::context::Context;

pub fn run(context: &Context, args: MonitorArgs) -> anyhow::Result<ExitCode> {
    let paths = Paths::new(&context.root, &args.run_dir);
    match &args.exec {
        Some(exec_id) => run_exec_monitor(&paths, &args.id, exec_id, args.attach)?,
        None => run_monitor(&paths, &args.id, args.attach)?,
    }
    Ok(ExitCode::SUCCESS)
}
