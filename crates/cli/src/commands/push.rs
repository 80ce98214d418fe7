//! `container push`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use container_reference::Reference;

use crate::cli::{ProgressMode, PushArgs};
use crate::context::{Context, runtime};
use crate::push_progress::PushProgress;

pub fn run(context: &Context, args: PushArgs) -> anyhow::Result<ExitCode> {
    let reference = Reference::parse(&args.image)?;
    let store = context.store()?;
    let names = match args.all_tags {
        true => {
            let tags: Vec<Reference> = store
                .images()?
                .into_iter()
                .flat_map(|i| i.tags)
                .filter(|t| t.name() == reference.name())
                .collect();
            anyhow::ensure!(
                !tags.is_empty(),
                "no tag of `{}` is in the store",
                reference.familiar()
            );
            tags
        }
        false if reference.tag().is_none() && reference.digest().is_none() => {
            vec![reference.with_tag("latest")?]
        }
        false => vec![reference.clone()],
    };
    let mode = if args.quiet {
        ProgressMode::Quiet
    } else {
        args.progress
    };
    for name in &names {
        store
            .resolve(&name.to_string())
            .with_context(|| format!("pushing `{name}`"))?;
    }
    let access = context.registry_access(args.tls_verify)?;
    let runtime = runtime()?;
    let header = PushProgress::new(mode);
    header.line(&format!(
        "The push refers to repository [{}]",
        reference.name()
    ));
    for name in names {
        let (progress, events) = PushProgress::new(mode).callback();
        let pushed = runtime
            .block_on(store.push(&name, &access, events))
            .with_context(|| format!("pushing `{name}`"));
        progress.lock().expect("no panics while drawing").finish();
        let pushed = pushed?;
        let line = format!(
            "{}: digest: {} size: {}",
            pushed.tag, pushed.digest, pushed.size
        );
        match args.quiet {
            true => writeln!(std::io::stdout(), "{}", pushed.reference)?,
            false => writeln!(std::io::stdout(), "{line}")?,
        }
    }
    Ok(ExitCode::SUCCESS)
}
