//! One file per command: parse, call one library function, render.

mod archive;
mod attach;
pub mod build;
mod completion;
mod copy_helper;
mod cp;
mod create;
mod df;
mod exec;
mod history;
mod host_config;
mod images;
mod inspect;
mod kill;
mod login;
mod logs;
mod manage;
mod monitor;
mod mounts;
pub mod network;
pub mod port;
mod prune;
mod ps;
mod pull;
mod push;
mod rm;
mod rmi;
mod run;
mod start;
mod stats;
mod stop;
mod system;
mod system_prune;
mod tag;
mod top;
mod volume;
mod wait;

use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::{Cli, Command, ImageCommand};
use crate::context::Context;

/// Runs the command the user typed.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let context = Context::new(&cli);
    match cli.command {
        Command::Run(args) => run::run(&context, args),
        Command::Create(args) => create::run(&context, args),
        Command::Start(args) => start::run(&context, args),
        Command::Stop(args) => stop::run(&context, args),
        Command::Kill(args) => kill::run(&context, args),
        Command::Rm(args) => rm::run(&context, args),
        Command::Ps(args) => ps::run(&context, args),
        Command::Logs(args) => logs::run(&context, args),
        Command::Wait(args) => wait::run(&context, args),
        Command::Restart(args) => manage::restart(&context, args),
        Command::Rename(args) => manage::rename(&context, args),
        Command::Pause(args) => manage::pause(&context, args),
        Command::Unpause(args) => manage::unpause(&context, args),
        Command::Top(args) => top::run(&context, args),
        Command::Stats(args) => stats::run(&context, args),
        Command::Cp(args) => cp::run(&context, args),
        Command::CopyHelper(args) => copy_helper::run(args),
        Command::Exec(args) => exec::run(&context, args),
        Command::Attach(args) => attach::run(&context, args),
        Command::Monitor(args) => monitor::run(&context, args),
        Command::Build(args) | Command::Image(ImageCommand::Build(args)) => {
            build::run(&context, args)
        }
        Command::Builder(command) => build::builder(&context, command),
        Command::Pull(args) | Command::Image(ImageCommand::Pull(args)) => pull::run(&context, args),
        Command::Push(args) | Command::Image(ImageCommand::Push(args)) => push::run(&context, args),
        Command::Save(args) | Command::Image(ImageCommand::Save(args)) => {
            archive::save(&context, args)
        }
        Command::Load(args) | Command::Image(ImageCommand::Load(args)) => {
            archive::load(&context, args)
        }
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
        Command::Login(args) => login::login(&context, args),
        Command::Logout(args) => login::logout(args),
        Command::Registry(command) => login::registry(&context, command),
        Command::System(command) => system::run(&context, command),
        Command::Volume(command) => volume::run(&context, command),
        Command::Network(command) => network::run(&context, command),
        Command::Port(args) => port::run(&context, args),
        Command::Completion(args) => completion::run(args),
        Command::Info(args) => system::info(&context, args),
        Command::Version(args) => system::version(args),
    }
}

/// Runs `action` for each name; a failure is reported and the rest still run, as
/// Docker does. Exits 1 if any failed.
pub fn each(
    names: &[String],
    mut action: impl FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    for name in names {
        if let Err(error) = action(name) {
            if is_broken_pipe(&error) {
                return Err(error);
            }
            failed = true;
            crate::report_error(&error);
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Docker's prompt before a removal that cannot be undone: `WARNING! …`, then
/// `[y/N]` read from stdin. Anything but `y` or `yes` (an empty line, the end of
/// input) declines.
pub fn confirm(warning: &str) -> anyhow::Result<bool> {
    let mut stderr = std::io::stderr().lock();
    write!(
        stderr,
        "WARNING! {warning}\nAre you sure you want to continue? [y/N] "
    )?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
