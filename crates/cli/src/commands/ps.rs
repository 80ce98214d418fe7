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
    let mut bindings: Vec<Binding> = record
        .state
        .ports
        .iter()
        .flat_map(|p| {
            p.host_addresses()
                .into_iter()
                .map(|(ip, host_port)| Binding {
                    container_port: p.container_port,
                    ip,
                    host_port: host_port.parse().unwrap_or_default(),
                    protocol: p.protocol.as_str(),
                })
        })
        .collect();
    let published: Vec<String> = record.state.ports.iter().map(|p| p.port_key()).collect();
    let unpublished: Vec<(u16, &str)> = (record.config.exposed_ports.iter())
        .filter(|key| !published.contains(key))
        .filter_map(|key| container_net::publish::parse_exposed(key))
        .map(|(port, protocol)| (port, protocol.as_str()))
        .collect();
    let shown = [
        displayable_ports(&mut bindings),
        unpublished_ports(unpublished),
    ];
    let shown: Vec<&String> = shown.iter().filter(|s| !s.is_empty()).collect();
    shown
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Exposed ports nothing publishes, as Docker lists them after the published
/// ones: `9000/tcp`, runs of consecutive ports as one range (`5000-5002/tcp`).
fn unpublished_ports(mut ports: Vec<(u16, &str)>) -> String {
    ports.sort_by_key(|&(port, protocol)| (protocol, port));
    let mut shown: Vec<String> = Vec::new();
    let mut run: Option<(u16, u16, &str)> = None;
    for (port, protocol) in ports {
        match run {
            Some((first, last, p)) if p == protocol && last + 1 == port => {
                run = Some((first, port, p))
            }
            _ => {
                shown.extend(run.map(unpublished_run));
                run = Some((port, port, protocol));
            }
        }
    }
    shown.extend(run.map(unpublished_run));
    shown.join(", ")
}

fn unpublished_run((first, last, protocol): (u16, u16, &str)) -> String {
    match first == last {
        true => format!("{first}/{protocol}"),
        false => format!("{first}-{last}/{protocol}"),
    }
}

/// One host address and port a container port is published on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Binding {
    container_port: u16,
    ip: String,
    host_port: u16,
    protocol: &'static str,
}

/// The PORTS column as Docker draws it: runs of consecutive ports published on
/// the same numbers (`-p 8000-8002:8000-8002`) become one range per address,
/// `0.0.0.0:8000-8002->8000-8002/tcp`, first; ports published on other numbers
/// follow one by one.
fn displayable_ports(bindings: &mut [Binding]) -> String {
    bindings.sort();
    // Per address and protocol, in the order first seen: the run being extended.
    let mut runs: Vec<(RunKey, (u16, u16))> = Vec::new();
    let mut shown = Vec::new();
    let mut others = Vec::new();
    for binding in bindings.iter() {
        let port = binding.container_port;
        let ip = bracket(&binding.ip);
        if binding.host_port != port {
            others.push(format!(
                "{ip}:{}->{port}/{}",
                binding.host_port, binding.protocol
            ));
            continue;
        }
        let key = (ip, binding.protocol);
        match runs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, (_, last))) if *last + 1 == port => *last = port,
            Some((key, run)) => {
                shown.push(range(key, *run));
                *run = (port, port);
            }
            None => runs.push((key, (port, port))),
        }
    }
    shown.extend(runs.iter().map(|(key, run)| range(key, *run)));
    shown.extend(others);
    shown.join(", ")
}

/// A bracketed host address and a protocol.
type RunKey = (String, &'static str);

fn range((ip, protocol): &RunKey, (first, last): (u16, u16)) -> String {
    let ports = match first == last {
        true => first.to_string(),
        false => format!("{first}-{last}"),
    };
    format!("{ip}:{ports}->{ports}/{protocol}")
}

fn bracket(ip: &str) -> String {
    match ip.contains(':') {
        true => format!("[{ip}]"),
        false => ip.to_owned(),
    }
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
    use super::{Binding, displayable_ports};

    fn binding(ip: &str, host_port: u16, container_port: u16, protocol: &'static str) -> Binding {
        Binding {
            container_port,
            ip: ip.to_owned(),
            host_port,
            protocol,
        }
    }

    #[test]
    fn exposed_ports_nothing_publishes_follow_in_runs() {
        let ports = vec![(9001, "tcp"), (53, "udp"), (9000, "tcp"), (9003, "tcp")];
        assert_eq!(unpublished_ports(ports), "9000-9001/tcp, 9003/tcp, 53/udp");
        assert_eq!(unpublished_ports(Vec::new()), "");
    }

    #[test]
    fn ports_column_groups_runs_as_docker_does() {
        let mut bindings = Vec::new();
        for port in [8002, 8000, 8001] {
            bindings.push(binding("0.0.0.0", port, port, "tcp"));
            bindings.push(binding("::", port, port, "tcp"));
        }
        bindings.push(binding("127.0.0.1", 18005, 80, "udp"));
        bindings.push(binding("0.0.0.0", 9090, 9090, "udp"));
        bindings.push(binding("0.0.0.0", 9000, 9000, "tcp"));
        assert_eq!(
            displayable_ports(&mut bindings),
            // A run ends where the next port of its address is not the next number.
            "0.0.0.0:8000-8002->8000-8002/tcp, 0.0.0.0:9000->9000/tcp, \
             [::]:8000-8002->8000-8002/tcp, 0.0.0.0:9090->9090/udp, 127.0.0.1:18005->80/udp"
        );

        let mut bindings = vec![
            binding("0.0.0.0", 8080, 80, "tcp"),
            binding("::", 8080, 80, "tcp"),
        ];
        assert_eq!(
            displayable_ports(&mut bindings),
            "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
        );
        assert_eq!(displayable_ports(&mut []), "");
    }

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
