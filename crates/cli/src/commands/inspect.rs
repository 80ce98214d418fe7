//! `container inspect` / `container image inspect`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use container_store::Image;
use serde_json::{Value, json};

use crate::cli::InspectArgs;
use crate::context::Context;
use crate::output::Format;

pub fn run(context: &Context, args: InspectArgs) -> anyhow::Result<ExitCode> {
    if let Some(kind) = args.kind.as_deref().filter(|k| *k != "image") {
        anyhow::bail!("unsupported object type `{kind}`: only images exist so far");
    }
    let store = context.store()?;
    let mut found = Vec::new();
    let mut failed = false;
    for name in &args.names {
        match store
            .resolve(name)
            .with_context(|| format!("inspecting `{name}`"))
        {
            Ok(image) => found.push(to_json(&image)),
            Err(error) => {
                failed = true;
                crate::report_error(&error);
            }
        }
    }

    let mut out = std::io::stdout().lock();
    match Format::parse(args.format.as_deref())? {
        Format::Table | Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&found)?)?,
        format => format.write_rows(&mut out, &found)?,
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Docker's image inspect shape, with full names, plus the history.
fn to_json(image: &Image) -> Value {
    let config = &image.config;
    let mut value = json!({
        "Id": image.id,
        "RepoTags": image.tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        "RepoDigests": image.repo_digests,
        "Parent": "",
        "Comment": image.raw_config.get("comment").cloned().unwrap_or(Value::String(String::new())),
        "Created": config.created,
        "Author": config.author.clone().unwrap_or_default(),
        "Config": config.config,
        "Architecture": config.architecture,
        "Os": config.os,
        "Size": image.size,
        "RootFS": { "Type": "layers", "Layers": config.rootfs.diff_ids },
        "History": image.raw_config.get("history").cloned().unwrap_or(Value::Array(Vec::new())),
        "Descriptor": {
            "mediaType": image.manifest.media_type().as_ref().map(|m| m.to_string()),
            "digest": image.manifest_digest,
        },
    });
    if let Some(variant) = &config.variant {
        value["Variant"] = json!(variant);
    }
    value
}
