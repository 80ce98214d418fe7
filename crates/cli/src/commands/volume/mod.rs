//! `container volume …`: one file per subcommand, and the JSON they share.

mod create;
mod inspect;
mod ls;
mod prune;
mod rm;

use std::process::ExitCode;

use container_runtime::Volume;
use serde_json::{Value, json};

use crate::cli::VolumeCommand;
use crate::context::Context;

pub fn run(context: &Context, command: VolumeCommand) -> anyhow::Result<ExitCode> {
    match command {
        VolumeCommand::Create(args) => create::run(context, args),
        VolumeCommand::Ls(args) => ls::run(context, args),
        VolumeCommand::Inspect(args) => inspect::run(context, args),
        VolumeCommand::Rm(args) => rm::run(context, args),
        VolumeCommand::Prune(args) => prune::run(context, args),
    }
}

/// Docker's `volume inspect` shape.
fn inspect_json(volume: &Volume) -> Value {
    json!({
        "CreatedAt": created_at(&volume.created_at),
        "Driver": "local",
        "Labels": volume.labels,
        "Mountpoint": volume.mountpoint,
        "Name": volume.name,
        "Options": volume.options,
        "Scope": "local",
    })
}

/// RFC 3339 in whole seconds, as Docker shows a volume's creation.
fn created_at(text: &str) -> String {
    crate::output::parse_time(text)
        .and_then(|t| t.replace_nanosecond(0).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| text.to_owned())
}
