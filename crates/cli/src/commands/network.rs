//! `container network create|ls|rm|inspect|prune`: user networks, on which
//! containers resolve each other by name.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use container_net::{Network, Subnet};
use container_runtime::networking::users_of;
use container_runtime::{ContainerRecord, Runtime};
use serde_json::{Value, json};

use crate::context::Context;
use crate::output::{Format, Table};

/// `container network …`
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Create a network: a bridge with a subnet of its own
    Create(CreateArgs),
    /// List networks
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Remove networks that no container uses
    #[command(visible_aliases = ["remove", "delete"])]
    Rm(NamesArgs),
    /// Show networks' details, as JSON
    Inspect(InspectArgs),
    /// Remove every network that no container uses
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The network's name: [a-zA-Z0-9][a-zA-Z0-9_.-]+
    pub name: String,
    /// Driver (only `bridge`)
    #[arg(short, long, default_value = "bridge")]
    pub driver: String,
    /// Subnet in CIDR form, such as 10.90.0.0/24 (default: a free one from the pool)
    #[arg(long)]
    pub subnet: Option<String>,
    /// Set a label
    #[arg(long = "label", value_name = "KEY[=VALUE]")]
    pub labels: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Show only network IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Show full IDs
    #[arg(long)]
    pub no_trunc: bool,
    /// `table`, `json`, or a Go template such as '{{.Name}}'
    #[arg(long)]
    pub format: Option<String>,
    /// Keep networks matching: name=, id=, driver=, label=KEY[=VALUE], type=custom|builtin
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Networks, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
    /// `json` (the default) or a Go template such as '{{.IPAM.Config}}'
    #[arg(short, long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct NamesArgs {
    /// Networks, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
}

pub fn run(context: &Context, command: NetworkCommand) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    match command {
        NetworkCommand::Create(args) => create(&runtime, args),
        NetworkCommand::Ls(args) => list(&runtime, args),
        NetworkCommand::Rm(args) => super::each(&args.names, |name| {
            remove(&runtime, name)?;
            writeln!(std::io::stdout(), "{name}")?;
            Ok(())
        }),
        NetworkCommand::Inspect(args) => inspect(&runtime, args),
        NetworkCommand::Prune(args) => prune(&runtime, args),
    }
}

fn create(runtime: &Runtime, args: CreateArgs) -> anyhow::Result<ExitCode> {
    if args.driver != "bridge" {
        anyhow::bail!(
            "network driver `{}` is not supported (only `bridge`)",
            args.driver
        );
    }
    let subnet = args
        .subnet
        .as_deref()
        .map(str::parse::<Subnet>)
        .transpose()?;
    let labels: BTreeMap<String, String> = args
        .labels
        .iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (l.clone(), String::new()),
        })
        .collect();
    let id = container_runtime::ids::new_id()?;
    let created =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    let network = runtime
        .networks()
        .create(&args.name, subnet, labels, created, id)?;
    writeln!(std::io::stdout(), "{}", network.id)?;
    Ok(ExitCode::SUCCESS)
}

/// A line of `network ls`.
struct Row {
    id: String,
    name: String,
    driver: &'static str,
    labels: BTreeMap<String, String>,
    builtin: bool,
}

/// Docker lists the network modes beside the networks.
fn rows(runtime: &Runtime) -> anyhow::Result<Vec<Row>> {
    let mut rows: Vec<Row> = runtime
        .networks()
        .list()?
        .into_iter()
        .map(|n| Row {
            builtin: n.is_default(),
            id: n.id,
            name: n.name,
            driver: "bridge",
            labels: n.labels,
        })
        .collect();
    for mode in ["host", "none"] {
        rows.push(Row {
            id: container_net::network::mode_id(mode),
            name: mode.to_owned(),
            driver: if mode == "host" { "host" } else { "null" },
            labels: BTreeMap::new(),
            builtin: true,
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

/// `network ls --filter` conditions: values of one key are alternatives, and
/// every key must hold, as in Docker.
#[derive(Default)]
struct Filters {
    names: Vec<String>,
    ids: Vec<String>,
    drivers: Vec<String>,
    labels: Vec<(String, Option<String>)>,
    builtin: Option<bool>,
}

impl Filters {
    fn parse(texts: &[String]) -> anyhow::Result<Filters> {
        let mut filters = Filters::default();
        for text in texts {
            let Some((key, value)) = text.split_once('=') else {
                anyhow::bail!("invalid filter '{text}': use KEY=VALUE");
            };
            match key {
                "name" => filters.names.push(value.to_owned()),
                "id" => filters.ids.push(value.to_owned()),
                "driver" => filters.drivers.push(value.to_owned()),
                "label" => filters.labels.push(match value.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (value.to_owned(), None),
                }),
                "type" => {
                    filters.builtin = Some(match value {
                        "builtin" => true,
                        "custom" => false,
                        _ => anyhow::bail!(
                            "invalid filter 'type={value}': use type=custom or type=builtin"
                        ),
                    })
                }
                "scope" if value == "local" => {}
                _ => anyhow::bail!(
                    "invalid filter '{key}': use name, id, driver, label, type or scope"
                ),
            }
        }
        Ok(filters)
    }

    fn keep(&self, row: &Row) -> bool {
        let has_label = |(key, value): &(String, Option<String>)| match value {
            Some(value) => row.labels.get(key) == Some(value),
            None => row.labels.contains_key(key),
        };
        (self.names.is_empty() || self.names.iter().any(|n| row.name.contains(n.as_str())))
            && (self.ids.is_empty() || self.ids.iter().any(|i| row.id.starts_with(i.as_str())))
            && (self.drivers.is_empty() || self.drivers.iter().any(|d| d == row.driver))
            && self.labels.iter().all(has_label)
            && self.builtin.is_none_or(|b| b == row.builtin)
    }
}

fn list(runtime: &Runtime, args: LsArgs) -> anyhow::Result<ExitCode> {
    let filters = Filters::parse(&args.filters)?;
    let format = Format::parse(args.format.as_deref())?.with_headers(&[("ID", "NETWORK ID")]);
    let rows: Vec<Row> = rows(runtime)?
        .into_iter()
        .filter(|r| filters.keep(r))
        .collect();
    let short = |id: &str| match args.no_trunc {
        true => id.to_owned(),
        false => id[..12].to_owned(),
    };
    let mut out = std::io::stdout().lock();
    if args.quiet {
        for row in &rows {
            writeln!(out, "{}", short(&row.id))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    match format {
        Format::Table => {
            let mut table = Table::new(vec!["NETWORK ID", "NAME", "DRIVER", "SCOPE"]);
            for row in &rows {
                table.push(vec![
                    short(&row.id),
                    row.name.clone(),
                    row.driver.to_string(),
                    "local".into(),
                ]);
            }
            table.write(&mut out)?;
        }
        format => {
            let rows: Vec<Value> = rows
                .iter()
                .map(|row| {
                    let labels: Vec<String> =
                        row.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    json!({"ID": short(&row.id), "Name": row.name, "Driver": row.driver, "Scope": "local", "Labels": labels.join(",")})
                })
                .collect();
            format.write_rows(&mut out, &rows)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(runtime: &Runtime, name: &str) -> anyhow::Result<()> {
    let networks = runtime.networks();
    let network = networks.get(name)?;
    let users = users_of(&runtime.list()?, &network.name);
    if !users.is_empty() {
        return Err(container_net::NetError::NetworkInUse {
            name: network.name,
            containers: users.join(", "),
        }
        .into());
    }
    networks.remove(&network.name)?;
    Ok(())
}

fn inspect(runtime: &Runtime, args: InspectArgs) -> anyhow::Result<ExitCode> {
    // A bad template fails before anything is looked up.
    Format::parse(args.format.as_deref())?;
    let networks = runtime.networks();
    let records = runtime.list()?;
    let mut found = Vec::new();
    let mut failed = false;
    for name in &args.names {
        match networks.get(name) {
            Ok(network) => found.push(to_json(&network, &records)),
            Err(error) => {
                failed = true;
                crate::report_error(&anyhow::Error::from(error));
            }
        }
    }
    let mut out = std::io::stdout().lock();
    crate::output::write_inspected(&mut out, args.format.as_deref(), &found)?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn to_json(network: &Network, records: &[ContainerRecord]) -> Value {
    let containers: serde_json::Map<String, Value> = records
        .iter()
        .filter(|r| r.is_running())
        .filter_map(|r| {
            let endpoint = r.state.endpoint.as_ref()?;
            (endpoint.network == network.name).then(|| {
                let address = format!("{}/{}", endpoint.address, endpoint.subnet.prefix());
                (
                    r.id.clone(),
                    json!({"Name": r.name, "MacAddress": endpoint.mac, "IPv4Address": address, "IPv6Address": ""}),
                )
            })
        })
        .collect();
    json!({
        "Name": network.name,
        "Id": network.id,
        "Created": network.created,
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": {},
            "Config": [{"Subnet": network.subnet.to_string(), "Gateway": network.subnet.gateway().to_string()}],
        },
        "Internal": false,
        "Attachable": false,
        "Containers": containers,
        "Options": {"com.docker.network.bridge.name": network.bridge},
        "Labels": network.labels,
    })
}

fn prune(runtime: &Runtime, args: PruneArgs) -> anyhow::Result<ExitCode> {
    if !args.force
        && !super::confirm(
            "This will remove all custom networks not used by at least one container.",
        )?
    {
        return Ok(ExitCode::SUCCESS);
    }
    let records = runtime.list()?;
    let networks = runtime.networks();
    let mut removed = Vec::new();
    for network in networks.list()?.into_iter().filter(|n| !n.is_default()) {
        if users_of(&records, &network.name).is_empty() {
            networks.remove(&network.name)?;
            removed.push(network.name);
        }
    }
    let mut out = std::io::stdout().lock();
    if !removed.is_empty() {
        writeln!(out, "Deleted Networks:")?;
        for name in removed {
            writeln!(out, "{name}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
