//! `container pull`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use container_reference::Reference;
use container_registry::Platform;
use container_store::{PullOptions, Pulled};

use crate::cli::{ProgressMode, PullArgs};
use crate::context::{Context, runtime};
use crate::progress::PullProgress;

pub fn run(context: &Context, args: PullArgs) -> anyhow::Result<ExitCode> {
    let reference = Reference::parse(&args.image)?;
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let mode = if args.quiet {
        ProgressMode::Quiet
    } else {
        args.progress
    };
    let pulled = pull(context, &reference, platform, mode, args.tls_verify)?;
    writeln!(std::io::stdout(), "{}", pulled.reference)?;
    Ok(ExitCode::SUCCESS)
}

/// Pulls `reference` into the store, drawing progress on stderr as `mode` says. Shared
/// by `pull`, and by `run` and `create` for a missing image.
pub fn pull(
    context: &Context,
    reference: &Reference,
    platform: Option<Platform>,
    mode: ProgressMode,
    tls_verify: bool,
) -> anyhow::Result<Pulled> {
    let store = context.store()?;
    let access = context.registry_access(tls_verify)?;
    let shown = display_name(reference);
    let progress = PullProgress::new(mode);
    progress.line(&format!(
        "{}: Pulling from {}",
        reference.tag().unwrap_or("latest"),
        reference.path()
    ));
    let (progress, events) = progress.callback();
    let options = PullOptions { platform };
    let pulled = runtime()?
        .block_on(store.pull(reference, &access, &options, events))
        .with_context(|| format!("pulling `{shown}`"));
    let mut progress = progress.lock().expect("no panics while drawing");
    progress.finish();
    let pulled = pulled?;

    progress.line(&format!("Digest: {}", pulled.digest));
    let status = match pulled.is_updated {
        true => "Downloaded newer image for",
        false => "Image is up to date for",
    };
    progress.line(&format!("Status: {status} {}", pulled.reference.familiar()));
    Ok(pulled)
}

/// The full name, with `:latest` when nothing else was given.
fn display_name(reference: &Reference) -> String {
    match (reference.tag(), reference.digest()) {
        (None, None) => format!("{reference}:latest"),
        _ => reference.to_string(),
    }
}
