//! `container __cp`: the half of `cp` that runs inside a container's filesystem
//! (see `container_runtime::copy`). It enters first, then works with plain paths,
//! which now resolve as they do for the container's processes.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use crate::cli::{CopyHelperAction, CopyHelperArgs};

pub fn run(args: CopyHelperArgs) -> anyhow::Result<ExitCode> {
    container_runtime::copy::enter(args.pid, args.chroot.as_deref())?;
    match args.action {
        CopyHelperAction::Stat { path, follow } => stat(&path, follow),
        CopyHelperAction::Pack { path, name, follow } => pack(&path, &name, follow),
        CopyHelperAction::Unpack { dir, archive } => unpack(&dir, archive),
    }
}

/// What a path is: `{"kind": "dir"|"file"|"missing", "parent": bool}`.
fn stat(path: &str, follow: bool) -> anyhow::Result<ExitCode> {
    let value = super::cp::describe(Path::new(path), follow);
    writeln!(std::io::stdout(), "{}", serde_json::to_string(&value)?)?;
    Ok(ExitCode::SUCCESS)
}

fn pack(path: &str, name: &str, follow: bool) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout().lock();
    super::cp::pack(Path::new(path), name, follow, stdout)
        .with_context(|| format!("reading `{path}`"))?;
    Ok(ExitCode::SUCCESS)
}

fn unpack(dir: &str, archive: bool) -> anyhow::Result<ExitCode> {
    if !Path::new(dir).is_dir() {
        bail!("`{dir}` is not a directory");
    }
    super::cp::unpack(std::io::stdin().lock(), Path::new(dir), archive)
        .with_context(|| format!("writing into `{dir}`"))?;
    Ok(ExitCode::SUCCESS)
}
