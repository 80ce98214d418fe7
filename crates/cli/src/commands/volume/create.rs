//! `container volume create`

use std::io::Write as _;
use std::process::ExitCode;

use container_runtime::RuntimeError;

use crate::cli::VolumeCreateArgs;
use crate::context::Context;

pub fn run(context: &Context, args: VolumeCreateArgs) -> anyhow::Result<ExitCode> {
    if args.driver != "local" {
        return Err(unsupported(format!(
            "volume driver `{}` (only `local`)",
            args.driver
        )));
    }
    if !args.options.is_empty() {
        return Err(unsupported("driver options (`--opt`)".into()));
    }
    let labels = args
        .labels
        .iter()
        .map(|label| match label.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (label.clone(), String::new()),
        })
        .collect();
    let volume = context
        .containers()?
        .create_volume(args.name.as_deref(), &labels)?;
    writeln!(std::io::stdout(), "{}", volume.name)?;
    Ok(ExitCode::SUCCESS)
}

fn unsupported(what: String) -> anyhow::Error {
    RuntimeError::Unsupported { what }.into()
}
