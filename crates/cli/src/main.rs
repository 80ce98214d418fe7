//! `container`: pull, list, inspect and manage OCI images; build and run containers.

mod build_progress;
mod cli;
mod commands;
mod context;
mod hint;
mod output;
mod progress;
mod push_progress;
mod terminal;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

/// Docker's exit code for a usage error, which scripts test for.
const USAGE_ERROR: u8 = 125;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            report_error(&error);
            ExitCode::FAILURE
        }
    }
}

fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    // An unknown flag, said as Docker says it: clap's tip to pass it after `--` reads
    // as advice to do so, which for `run` would hand it to the container.
    let unknown = match (error.kind(), error.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) if arg.starts_with('-') => {
            Some(arg.clone())
        }
        _ => None,
    };
    match unknown {
        Some(flag) => {
            let usage = error
                .get(ContextKind::Usage)
                .map(|usage| format!("\n{usage}\n"))
                .unwrap_or_default();
            let _ = writeln!(
                std::io::stderr(),
                "error: unknown flag: {flag}\n{usage}\nFor more information, try '--help'."
            );
        }
        None => {
            let _ = error.print();
        }
    }
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => ExitCode::from(USAGE_ERROR),
        _ => ExitCode::from(USAGE_ERROR),
    }
}

/// `error: …`, each cause on its own line, then a hint when we have one.
pub fn report_error(error: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {error}");
    for cause in error.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
    if let Some(hint) = hint::for_error(error) {
        let _ = writeln!(stderr, "\nhint: {hint}");
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Logs go to stderr: nothing by default, debug for our crates with `-D`, trace with
/// `-DD`; `RUST_LOG` overrides both.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "off",
        1 => {
            "container=debug,container_store=debug,container_registry=debug,container_layer=debug,\
             container_runtime=debug,libcontainer=warn,libcgroups=warn"
        }
        _ => {
            "container=trace,container_store=trace,container_registry=trace,container_layer=trace,\
             container_runtime=trace,libcontainer=debug,libcgroups=debug"
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none())
        .init();
}
