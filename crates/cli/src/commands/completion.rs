//! `container completion bash|zsh|fish`

use std::process::ExitCode;

use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionArgs};

pub fn run(args: CompletionArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "container",
        &mut std::io::stdout(),
    );
    Ok(ExitCode::SUCCESS)
}
