//! `container volume ls`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::bail;
use container_runtime::VolumeUse;
use serde_json::{Value, json};

use crate::cli::VolumeLsArgs;
use crate::context::Context;
use crate::output::{Format, Table};

pub fn run(context: &Context, args: VolumeLsArgs) -> anyhow::Result<ExitCode> {
    let filters = Filters::parse(&args.filters)?;
    let format = Format::parse(args.format.as_deref())?;
    let volumes: Vec<VolumeUse> = context
        .containers()?
        .volumes()?
        .into_iter()
        .filter(|v| filters.keep(v))
        .collect();

    let mut out = std::io::stdout().lock();
    if args.quiet {
        for entry in &volumes {
            writeln!(out, "{}", entry.volume.name)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    match format {
        Format::Table => {
            let mut table = Table::new(vec!["DRIVER", "VOLUME NAME"]);
            for entry in &volumes {
                table.push(vec!["local".into(), entry.volume.name.clone()]);
            }
            table.write(&mut out)?;
        }
        format => format.write_rows(&mut out, &volumes.iter().map(row_json).collect::<Vec<_>>())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// A row as Docker's `volume ls --format json` prints it.
fn row_json(entry: &VolumeUse) -> Value {
    let volume = &entry.volume;
    let labels: Vec<String> = volume
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    json!({
        "Availability": "N/A",
        "Driver": "local",
        "Group": "N/A",
        "Labels": labels.join(","),
        "Links": "N/A",
        "Mountpoint": volume.mountpoint,
        "Name": volume.name,
        "Scope": "local",
        "Size": "N/A",
        "Status": "N/A",
    })
}

/// `--filter` conditions; every one must hold.
#[derive(Default)]
struct Filters {
    names: Vec<String>,
    labels: Vec<(String, Option<String>)>,
    dangling: Option<bool>,
    drivers: Vec<String>,
}

impl Filters {
    fn parse(texts: &[String]) -> anyhow::Result<Filters> {
        let mut filters = Filters::default();
        for text in texts {
            let Some((key, value)) = text.split_once('=') else {
                bail!("invalid filter '{text}'");
            };
            match key {
                "name" => filters.names.push(value.to_owned()),
                "label" => filters.labels.push(match value.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (value.to_owned(), None),
                }),
                "dangling" => {
                    filters.dangling = Some(match value {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => bail!("invalid filter 'dangling={value}'"),
                    })
                }
                "driver" => filters.drivers.push(value.to_owned()),
                _ => bail!("invalid filter '{key}'"),
            }
        }
        Ok(filters)
    }

    fn keep(&self, entry: &VolumeUse) -> bool {
        let volume = &entry.volume;
        let has_label = |(key, value): &(String, Option<String>)| match value {
            Some(value) => volume.labels.get(key) == Some(value),
            None => volume.labels.contains_key(key),
        };
        (self.names.is_empty() || self.names.iter().any(|n| volume.name.contains(n.as_str())))
            && self.labels.iter().all(has_label)
            && self
                .dangling
                .is_none_or(|d| d == entry.containers.is_empty())
            && (self.drivers.is_empty() || self.drivers.iter().any(|d| d == "local"))
    }
}
