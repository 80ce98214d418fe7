//! `container start`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use container_runtime::StartMode;

use crate::cli::StartArgs;
use crate::context::Context;

pub fn run(context: &Context, args: StartArgs) -> anyhow::Result<ExitCode> {
    if let Some(keys) = &args.detach_keys {
        crate::terminal::parse_detach_keys(keys)?;
    }
    let runtime = context.containers()?;
    if args.attach || args.interactive {
        let [name] = args.names.as_slice() else {
            anyhow::bail!("you cannot start and attach multiple containers at once");
        };
        let record = runtime
            .start(name, StartMode::Attached)
            .with_context(|| format!("starting `{name}`"))?;
        let code = super::attach::stream(
            &runtime,
            &record.id,
            args.interactive,
            true,
            args.detach_keys.as_deref(),
        )?;
        return Ok(ExitCode::from(code.clamp(0, 255) as u8));
    }
    super::each(&args.names, |name| {
        runtime
            .start(name, StartMode::Detached)
            .with_context(|| format!("starting `{name}`"))?;
        writeln!(std::io::stdout(), "{name}")?;
        Ok(())
    })
}
