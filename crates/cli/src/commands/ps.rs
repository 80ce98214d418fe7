//! `container ps` (also `ls`, `list`)

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::bail;
use container_runtime::{ContainerRecord, Status};
use serde_json::{Value, json};

use crate::cli::PsArgs;
use crate::context::Context;
use crate::output::{Format, Table, docker_time, human_age, human_since};

/// Docker shortens commands in listings to this many characters.
const COMMAND_WIDTH: usize = 20;

pub fn run(context: &Context, args: PsArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let filters = Filters::parse(&args.filters)?;
    let mut records = runtime.list()?;
    records.reverse();
    let last = if args.latest { Some(1) } else { args.last };
    let show_all = args.all || last.is_some() || filters.status.is_some();
    records.retain(|r| (show_all || r.is_running() || r.is_restarting()) && filters.keep(r));
    if let Some(last) = last {
        records.truncate(last);
    }
    for record in &mut records {
        show_image_by_id_if_renamed(&runtime, record);
    }

    let mut out = std::io::stdout().lock();
    if args.quiet {
        for record in &records {
            let id = if args.no_trunc {
                &record.id
            } else {
                record.short_id()
            };
            writeln!(out, "{id}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    match Format::parse(args.format.as_deref())?.with_headers(HEADERS) {
        Format::Table => table(&records, args.no_trunc).write(&mut out)?,
        format => {
            let rows: Vec<Value> = records.iter().map(|r| to_json(r, args.no_trunc)).collect();
            format.write_rows(&mut out, &rows)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn table(records: &[ContainerRecord], no_trunc: bool) -> Table {
    let mut table = Table::new(vec![
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]);
    for record in records {
        let id = if no_trunc {
            record.id.clone()
        } else {
            record.short_id().to_owned()
        };
        table.push(vec![
            id,
            record.image.reference.clone(),
            command(record, no_trunc),
            human_since(Some(&record.created)),
            status(record),
            ports(record),
            record.name.clone(),
        ]);
    }
    table
}

/// The command, shortened with `…` unless `no_trunc`, in double quotes.
pub(super) fn command(record: &ContainerRecord, no_trunc: bool) -> String {
    let mut text = record.command_line();
    if !no_trunc && text.chars().count() > COMMAND_WIDTH {
        text = text.chars().take(COMMAND_WIDTH - 1).collect::<String>() + "…";
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Shows the image ID where the name the container was made with no longer names
/// its image (retagged or removed), as Docker's `ps` does.
fn show_image_by_id_if_renamed(runtime: &container_runtime::Runtime, record: &mut ContainerRecord) {
    let image = &record.image;
    let is_same = runtime
        .store()
        .resolve(&image.reference)
        .is_ok_and(|found| found.id == image.id);
    if !is_same {
        let hex = image.id.strip_prefix("sha256:").unwrap_or(&image.id);
        record.image.reference = hex.chars().take(12).collect();
    }
}

/// Column names for `--format 'table …'`, as Docker's `ps` has them.
const HEADERS: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("RunningFor", "CREATED"),
    ("CreatedAt", "CREATED AT"),
];

/// `Up 5 seconds`, `Exited (0) 3 minutes ago`, `Created`.
pub(super) fn status(record: &ContainerRecord) -> String {
    let state = &record.state;
    match (state.status, record.is_running()) {
        (Status::Running, true) if state.is_paused => {
            format!("Up {} (Paused)", human_age(state.started_at.as_deref()))
        }
        (Status::Running, true) => format!("Up {}", human_age(state.started_at.as_deref())),
        (Status::Running, false) if record.is_orphaned() => format!(
            "Up {} (its monitor is gone)",
            human_age(state.started_at.as_deref())
        ),
        (Status::Running, false) => "Unknown (its monitor is gone)".into(),
        (Status::Exited, _) if state.is_restarting && record.is_monitor_alive() => format!(
            "Restarting ({}) {}",
            state.exit_code.unwrap_or(-1),
            human_since(state.finished_at.as_deref())
        ),
        (Status::Exited, _) => format!(
            "Exited ({}) {}",
            state.exit_code.unwrap_or(-1),
            human_since(state.finished_at.as_deref())
        ),
        (Status::Created, _) => "Created".into(),
    }
}

/// `0.0.0.0:8080->80/tcp, [::]:8080->80/tcp` for a running container's ports.
fn ports(record: &ContainerRecord) -> String {
    if !record.is_running() {
        return String::new();
    }
    let shown: Vec<String> = record.state.ports.iter().map(|p| p.display_ps()).collect();
    shown.join(", ")
}

/// The fields of Docker's `ps --format`.
fn to_json(record: &ContainerRecord, no_trunc: bool) -> Value {
    let labels: Vec<String> = record
        .config
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    json!({
        "Command": command(record, no_trunc),
        "CreatedAt": docker_time(Some(&record.created)),
        "ID": if no_trunc { record.id.as_str() } else { record.short_id() },
        "Image": record.image.reference,
        "Labels": labels.join(","),
        "LocalVolumes": "0",
        "Mounts": "",
        "Names": record.name,
        "Networks": record.host.joined_network(),
        "Ports": ports(record),
        "RunningFor": human_since(Some(&record.created)),
        "Size": "0B",
        "State": record.docker_status(),
        "Status": status(record),
    })
}

/// `--filter` terms: several of one key match when any does; all keys must match.
#[derive(Default)]
struct Filters {
    ids: Vec<String>,
    names: Vec<String>,
    labels: Vec<(String, Option<String>)>,
    status: Option<Vec<String>>,
    exited: Vec<i32>,
    ancestors: Vec<String>,
}

impl Filters {
    fn parse(terms: &[String]) -> anyhow::Result<Filters> {
        let mut filters = Filters::default();
        for term in terms {
            let Some((key, value)) = term.split_once('=') else {
                bail!("invalid filter `{term}`: filters look like KEY=VALUE");
            };
            let value = value.to_owned();
            match key {
                "id" => filters.ids.push(value),
                "name" => filters.names.push(value),
                "label" => filters.labels.push(match value.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (value, None),
                }),
                "status" => filters.status.get_or_insert_default().push(value),
                "exited" => filters.exited.push(value.parse()?),
                "ancestor" => filters.ancestors.push(value),
                other => bail!(
                    "unknown filter `{other}`: use id, name, label, status, exited or ancestor"
                ),
            }
        }
        Ok(filters)
    }

    fn keep(&self, record: &ContainerRecord) -> bool {
        let any = |list: &[String], test: &dyn Fn(&str) -> bool| {
            list.is_empty() || list.iter().any(|v| test(v))
        };
        let status = record.docker_status();
        any(&self.ids, &|v| record.id.starts_with(v))
            && any(&self.names, &|v| record.name.contains(v))
            && self
                .status
                .as_ref()
                .is_none_or(|list| list.iter().any(|s| s == status))
            && (self.exited.is_empty()
                || record.state.status == Status::Exited
                    && self.exited.contains(&record.state.exit_code.unwrap_or(-1)))
            && any(&self.ancestors, &|v| is_ancestor(record, v))
            && self.labels.iter().all(|(k, v)| {
                record
                    .config
                    .labels
                    .get(k)
                    .is_some_and(|have| v.as_ref().is_none_or(|v| v == have))
            })
    }
}

/// Whether the container runs `image` (as typed, by full name, or by ID prefix).
fn is_ancestor(record: &ContainerRecord, image: &str) -> bool {
    let normalised = |name: &str| {
        container_reference::Reference::parse_with_default_tag(name)
            .map(|r| r.to_string())
            .ok()
    };
    let hex = record.image.id.trim_start_matches("sha256:");
    record.image.reference == image
        || normalised(&record.image.reference).is_some_and(|r| Some(r) == normalised(image))
        || record.image.id == image
        || (image.len() >= 4 && hex.starts_with(image))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_commands_are_shortened_and_quoted() {
        let mut record: ContainerRecord = serde_json::from_value(json!({
            "id": "a".repeat(64), "name": "web", "created": "2026-01-01T00:00:00Z",
            "image": {"reference": "busybox", "id": "sha256:1", "manifest_digest": "sha256:2"},
            "config": {"image": "busybox", "entrypoint": null,
                       "cmd": ["sh", "-c", "while true; do echo \"tick\"; done"],
                       "env": [], "working_dir": "", "user": "", "hostname": "h",
                       "labels": {}, "stop_signal": null, "open_stdin": false, "tty": false},
            "host": {"network": "none", "auto_remove": false},
            "state": {"status": "created", "pid": null, "monitor": null, "exit_code": null,
                      "started_at": null, "finished_at": null, "error": null}
        }))
        .unwrap();
        assert_eq!(command(&record, false), "\"sh -c while true; d…\"");
        record.config.cmd = Some(vec!["echo".into(), "\"hi\"".into()]);
        assert_eq!(command(&record, true), "\"echo \\\"hi\\\"\"");
        assert!(is_ancestor(&record, "busybox:latest"));
        assert!(!is_ancestor(&record, "alpine"));
    }
}
