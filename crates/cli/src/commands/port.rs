//! `container port NAME [PORT[/PROTO]]`: the published ports, as Docker lists
//! them, each with whether a process in the container listens behind it, and if
//! not, why (listening on 127.0.0.1 only, on another port, or not running).

use std::io::Write as _;
use std::process::ExitCode;

use clap::Args;
use container_net::listen::Listening;
use container_net::publish::bracketed;
use container_runtime::ContainerRecord;
use container_runtime::networking::diagnose;

use crate::context::Context;

#[derive(Debug, Args)]
pub struct PortArgs {
    /// The container
    pub container: String,
    /// Only this container port: PORT or PORT/PROTO (prints bare host addresses)
    pub port: Option<String>,
}

pub fn run(context: &Context, args: PortArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let record = runtime.find(&args.container)?;
    let mut out = std::io::stdout().lock();
    if !record.is_running() {
        // Docker lists nothing then; we say why nothing answers.
        for spec in &record.host.publish {
            let status = Listening::Exited(record.state.exit_code);
            writeln!(
                std::io::stderr(),
                "warning: {}",
                status.explain(&spec.port_key())
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(wanted) = &args.port else {
        for port in &record.state.ports {
            let status = status(&record, port);
            let note = match status.is_listening() {
                true => "listening".to_owned(),
                false => format!("not answering: {}", status.explain(&port.port_key())),
            };
            for (ip, host_port) in port.host_addresses() {
                writeln!(
                    out,
                    "{} -> {}:{host_port}    {note}",
                    port.port_key(),
                    bracketed(&ip)
                )?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let key = match wanted.contains('/') {
        true => wanted.to_ascii_lowercase(),
        false => format!("{wanted}/tcp"),
    };
    let ports: Vec<_> = record
        .state
        .ports
        .iter()
        .filter(|p| p.port_key() == key)
        .collect();
    if ports.is_empty() {
        anyhow::bail!("no public port '{key}' published for {}", record.name);
    }
    for port in ports {
        for (ip, host_port) in port.host_addresses() {
            writeln!(out, "{}:{host_port}", bracketed(&ip))?;
        }
        let status = status(&record, port);
        if !status.is_listening() {
            writeln!(std::io::stderr(), "warning: {}", status.explain(&key))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether something listens behind `port` now.
pub fn status(record: &ContainerRecord, port: &container_net::PublishedPort) -> Listening {
    let (Some(pid), Some(endpoint)) = (record.state.pid, &record.state.endpoint) else {
        return Listening::Exited(record.state.exit_code);
    };
    if !record.is_running() {
        return Listening::Exited(record.state.exit_code);
    }
    diagnose(pid, endpoint.address, port)
}
