//! `container rmi`

use std::io::Write;
use std::process::ExitCode;

use container_store::{Removal, StoreError};

use crate::cli::RmiArgs;
use crate::context::Context;

/// Removes each image in turn; a failure is reported and the rest still go, as Docker does.
pub fn run(context: &Context, args: RmiArgs) -> anyhow::Result<ExitCode> {
    let store = context.store()?;
    let mut stdout = std::io::stdout().lock();
    let mut failed = false;
    for name in &args.names {
        match store.remove(name, args.force) {
            Ok(removals) => print_removals(&mut stdout, &removals)?,
            Err(StoreError::ImageNotFound { .. }) if args.force => {}
            Err(error) => {
                failed = true;
                let error = anyhow::Error::new(error).context(format!("removing `{name}`"));
                crate::report_error(&error);
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `Untagged: alpine:latest` and `Deleted: sha256:…` lines.
pub fn print_removals(out: &mut impl Write, removals: &[Removal]) -> std::io::Result<()> {
    for removal in removals {
        match removal {
            Removal::Untagged(name) => writeln!(out, "Untagged: {name}")?,
            Removal::Deleted(id) => writeln!(out, "Deleted: {id}")?,
        }
    }
    Ok(())
}
