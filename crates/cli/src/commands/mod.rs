//! One file per command: parse, call one library function, render.

mod completion;
mod history;
mod images;
mod inspect;
mod prune;
mod pull;
mod rmi;
mod system;
mod tag;

use std::process::ExitCode;

use crate::cli::{Cli, Command, ImageCommand};
use crate::context::Context;

/// Runs the command the user typed.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let context = Context::new(&cli);
    match cli.command {
        Command::Pull(args) | Command::Image(ImageCommand::Pull(args)) => pull::run(&context, args),
        Command::Images(args) | Command::Image(ImageCommand::Images(args)) => {
            images::run(&context, args)
        }
        Command::Inspect(args) | Command::Image(ImageCommand::Inspect(args)) => {
            inspect::run(&context, args)
        }
        Command::Tag(args) | Command::Image(ImageCommand::Tag(args)) => tag::run(&context, args),
        Command::Rmi(args) | Command::Image(ImageCommand::Rm(args)) => rmi::run(&context, args),
        Command::History(args) | Command::Image(ImageCommand::History(args)) => {
            history::run(&context, args)
        }
        Command::Image(ImageCommand::Prune(args)) => prune::run(&context, args),
        Command::System(command) => system::run(&context, command),
        Command::Completion(args) => completion::run(args),
    }
}
