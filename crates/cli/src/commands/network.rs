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
    Inspect(NamesArgs),
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

/// Docker lists the network modes beside the networks.
fn rows(runtime: &Runtime) -> anyhow::Result<Vec<(String, String, &'static str)>> {
    let mut rows: Vec<(String, String, &'static str)> = runtime
        .networks()
        .list()?
        .into_iter()
        .map(|n| (n.id, n.name, "bridge"))
        .collect();
    for mode in ["host", "none"] {
        let id = container_net::network::mode_id(mode);
        let driver = if mode == "host" { "host" } else { "null" };
        rows.push((id, mode.to_owned(), driver));
    }
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(rows)
}

fn list(runtime: &Runtime, args: LsArgs) -> anyhow::Result<ExitCode> {
    let rows = rows(runtime)?;
    let short = |id: &str| match args.no_trunc {
        true => id.to_owned(),
        false => id[..12].to_owned(),
    };
    let mut out = std::io::stdout().lock();
    if args.quiet {
        for (id, _, _) in &rows {
            writeln!(out, "{}", short(id))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    match Format::parse(args.format.as_deref())?.with_headers(&[("ID", "NETWORK ID")]) {
        Format::Table => {
            let mut table = Table::new(vec!["NETWORK ID", "NAME", "DRIVER", "SCOPE"]);
            for (id, name, driver) in &rows {
                table.push(vec![
                    short(id),
                    name.clone(),
                    driver.to_string(),
                    "local".into(),
                ]);
            }
            table.write(&mut out)?;
        }
        format => {
            let rows: Vec<Value> = rows
                .iter()
                .map(|(id, name, driver)| {
                    json!({"ID": short(id), "Name": name, "Driver": driver, "Scope": "local"})
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

fn inspect(runtime: &Runtime, args: NamesArgs) -> anyhow::Result<ExitCode> {
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
    writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&found)?
    )?;
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
