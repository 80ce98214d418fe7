//! `container inspect` / `container image inspect`

use std::process::ExitCode;

use anyhow::Context as _;
use container_runtime::{ContainerRecord, HostConfig, Runtime, RuntimeError};
use container_store::Image;
use serde_json::{Value, json};

use crate::cli::InspectArgs;
use crate::context::Context;
use crate::output::Format;

pub fn run(context: &Context, args: InspectArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.kind.as_deref() {
        None => Kind::Any,
        Some("container") => Kind::Container,
        Some("image") => Kind::Image,
        Some(other) => anyhow::bail!("unsupported object type `{other}`: use container or image"),
    };
    // A bad template fails before anything is looked up.
    Format::parse(args.format.as_deref())?;
    let runtime = context.containers()?;
    let mut found = Vec::new();
    let mut failed = false;
    for name in &args.names {
        match lookup(&runtime, kind, name).with_context(|| format!("inspecting `{name}`")) {
            Ok(value) => found.push(value),
            Err(error) => {
                failed = true;
                crate::report_error(&error);
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Any,
    Container,
    Image,
}

/// A container first, then an image, as Docker looks them up.
fn lookup(runtime: &Runtime, kind: Kind, name: &str) -> anyhow::Result<Value> {
    if kind != Kind::Image {
        match runtime.find(name) {
            Ok(record) => return Ok(container_json(runtime, &record)),
            Err(RuntimeError::NotFound { .. }) if kind == Kind::Any => {}
            Err(error) => return Err(error.into()),
        }
    }
    match runtime.store().resolve(name) {
        Ok(image) => Ok(to_json(&image)),
        // Neither kind has it: say so as Docker does, not as if only images counted.
        Err(container_store::StoreError::ImageNotFound { .. }) if kind == Kind::Any => {
            anyhow::bail!("no such object: `{name}` (neither a container nor an image)")
        }
        Err(error) => Err(error.into()),
    }
}

/// Docker's zero time, for times that never happened.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Docker's container inspect shape.
fn container_json(runtime: &Runtime, record: &ContainerRecord) -> Value {
    let paths = runtime.paths();
    let id = &record.id;
    let argv = record.config.argv();
    let config = &record.config;
    let mut value = json!({
        "Id": id,
        "Created": record.created,
        "Path": argv.first().cloned().unwrap_or_default(),
        "Args": argv.iter().skip(1).collect::<Vec<_>>(),
        "State": state_json(record),
        "Image": record.image.id,
        "ResolvConfPath": paths.etc_file(id, "resolv.conf"),
        "HostnamePath": paths.etc_file(id, "hostname"),
        "HostsPath": paths.etc_file(id, "hosts"),
        "LogPath": paths.log(id),
        "Name": format!("/{}", record.name),
        "RestartCount": record.state.restart_count,
        "Driver": "overlay",
        "Platform": "linux",
        "HostConfig": {
            "NetworkMode": record.host.joined_network(),
            "PortBindings": port_bindings(record),
            "PublishAllPorts": false,
            "AutoRemove": record.host.auto_remove,
            "RestartPolicy": {
                "Name": record.host.restart_policy.name.as_str(),
                "MaximumRetryCount": record.host.restart_policy.maximum_retry_count,
            },
        },
        "GraphDriver": { "Name": "overlay", "Data": graph_data(runtime, record) },
        "Config": {
            "Hostname": config.hostname,
            "Domainname": "",
            "User": config.user,
            "AttachStdin": config.open_stdin,
            "AttachStdout": true,
            "AttachStderr": true,
            "Tty": config.tty,
            "OpenStdin": config.open_stdin,
            "StdinOnce": config.open_stdin,
            "Env": config.env,
            "Cmd": config.cmd,
            "Image": config.image,
            "WorkingDir": config.working_dir,
            "Entrypoint": config.entrypoint,
            "Labels": config.labels,
            "StopSignal": config.stop_signal,
        },
        "NetworkSettings": network_settings(record),
    });
    extend(&mut value["HostConfig"], host_settings_json(&record.host));
    super::mounts::add_to_inspect(&mut value, runtime, record);
    if let Some(timeout) = record.host.stop_timeout {
        value["Config"]["StopTimeout"] = json!(timeout);
    }
    if !config.exposed_ports.is_empty() {
        let exposed: serde_json::Map<String, Value> = (config.exposed_ports.iter())
            .map(|key| (key.clone(), json!({})))
            .collect();
        value["Config"]["ExposedPorts"] = Value::Object(exposed);
    }
    value
}

/// `HostConfig.PortBindings`: what `-p` and `-P` asked for.
fn port_bindings(record: &ContainerRecord) -> Value {
    let mut bindings = serde_json::Map::new();
    for spec in &record.host.publish {
        let host_port = match spec.host_ports {
            Some((start, end)) if start == end => start.to_string(),
            Some((start, end)) => format!("{start}-{end}"),
            None => String::new(),
        };
        let host_ip = spec.host_ip.map(|ip| ip.to_string()).unwrap_or_default();
        let entry = bindings.entry(spec.port_key()).or_insert_with(|| json!([]));
        if let Some(list) = entry.as_array_mut() {
            list.push(json!({"HostIp": host_ip, "HostPort": host_port}));
        }
    }
    Value::Object(bindings)
}

/// Docker's `NetworkSettings`: the address, the ports, and per network the
/// endpoint; plus, for each published port nothing answers on, why.
fn network_settings(record: &ContainerRecord) -> Value {
    let is_running = record.is_running();
    let mut ports = serde_json::Map::new();
    let mut diagnostics = serde_json::Map::new();
    // Every exposed port has an entry, `null` where nothing publishes it.
    for key in &record.config.exposed_ports {
        ports.entry(key.clone()).or_insert(Value::Null);
    }
    for spec in &record.host.publish {
        ports.entry(spec.port_key()).or_insert(Value::Null);
    }
    if is_running {
        for port in &record.state.ports {
            let addresses = port
                .host_addresses()
                .into_iter()
                .map(|(ip, host_port)| json!({"HostIp": ip, "HostPort": host_port}));
            let entry = ports.entry(port.port_key()).or_insert(Value::Null);
            if !entry.is_array() {
                *entry = json!([]);
            }
            if let Some(list) = entry.as_array_mut() {
                list.extend(addresses);
            }
            let status = super::port::status(record, port);
            if !status.is_listening() {
                diagnostics.insert(port.port_key(), json!(status.explain(&port.port_key())));
            }
        }
    }
    let endpoint = record.state.endpoint.as_ref().filter(|_| is_running);
    let address = endpoint.map(|e| e.address.to_string()).unwrap_or_default();
    let gateway = endpoint.map(|e| e.gateway.to_string()).unwrap_or_default();
    let prefix = endpoint.map_or(0, |e| e.subnet.prefix());
    let mac = endpoint.map(|e| e.mac.clone()).unwrap_or_default();
    let network = json!({
        "NetworkID": record.state.endpoint.as_ref().map(|e| e.network_id.clone()).unwrap_or_default(),
        "EndpointID": "",
        "Gateway": gateway,
        "IPAddress": address,
        "IPPrefixLen": prefix,
        "MacAddress": mac,
        "Aliases": std::iter::once(&record.name).chain(&record.host.network_aliases).collect::<Vec<_>>(),
    });
    let mut settings = json!({
        "IPAddress": address,
        "IPPrefixLen": prefix,
        "Gateway": gateway,
        "MacAddress": mac,
        "Ports": ports,
        "Networks": { record.host.joined_network(): network },
    });
    if !diagnostics.is_empty() {
        settings["PortDiagnostics"] = Value::Object(diagnostics);
    }
    settings
}

/// Adds the keys of `more` (an object) to `object`.
fn extend(object: &mut Value, more: Value) {
    if let (Value::Object(object), Value::Object(more)) = (object, more) {
        object.extend(more);
    }
}

/// Docker's `HostConfig` fields for security, limits and names. Empty lists are
/// `null`, as Docker shows flags that were not given.
fn host_settings_json(host: &HostConfig) -> Value {
    let list = |items: &[String]| {
        if items.is_empty() {
            Value::Null
        } else {
            json!(items)
        }
    };
    let security = &host.security;
    let resources = &host.resources;
    let devices: Vec<Value> = security
        .devices
        .iter()
        .map(|d| json!({"PathOnHost": d.path_on_host, "PathInContainer": d.path_in_container, "CgroupPermissions": d.cgroup_permissions}))
        .collect();
    let ulimits: Vec<Value> = resources
        .ulimits
        .iter()
        .map(|u| json!({"Name": u.name, "Soft": u.soft, "Hard": u.hard}))
        .collect();
    let mut value = json!({
        "Privileged": security.privileged,
        "CapAdd": list(&security.cap_add),
        "CapDrop": list(&security.cap_drop),
        "SecurityOpt": list(&security.security_opt),
        "ReadonlyRootfs": security.readonly_rootfs,
        "Devices": devices,
        "Memory": resources.memory,
        "MemorySwap": resources.memory_swap,
        "NanoCpus": resources.nano_cpus,
        "CpuShares": resources.cpu_shares,
        "CpusetCpus": resources.cpuset_cpus,
        "PidsLimit": resources.pids_limit,
        "Ulimits": ulimits,
        "ShmSize": resources.shm_bytes(),
        "GroupAdd": list(&host.group_add),
        "Init": host.init.then_some(true),
        "ExtraHosts": list(&host.names.extra_hosts),
        "Dns": host.names.dns,
        "DnsSearch": host.names.dns_search,
        "DnsOptions": host.names.dns_options,
    });
    if !security.sysctls.is_empty() {
        value["Sysctls"] = json!(security.sysctls);
    }
    value
}

fn state_json(record: &ContainerRecord) -> Value {
    let state = &record.state;
    let is_running = record.is_running();
    let status = record.docker_status();
    json!({
        "Status": status,
        "Running": is_running,
        "Paused": is_running && state.is_paused,
        "Restarting": state.is_restarting && record.is_monitor_alive(),
        "OOMKilled": state.oom_killed,
        "Dead": false,
        "Pid": if is_running { state.pid.unwrap_or(0) } else { 0 },
        "ExitCode": state.exit_code.unwrap_or(0),
        "Error": state.error.clone().unwrap_or_default(),
        "StartedAt": state.started_at.as_deref().unwrap_or(ZERO_TIME),
        "FinishedAt": state.finished_at.as_deref().unwrap_or(ZERO_TIME),
    })
}

/// The overlay's directories, as Docker's `GraphDriver.Data` shows them.
fn graph_data(runtime: &Runtime, record: &ContainerRecord) -> Value {
    let paths = runtime.paths();
    let store = runtime.store();
    let lowers = store
        .image_by_manifest(&record.image.manifest_digest)
        .map(|image| {
            let dirs: Vec<String> = image
                .chain_ids
                .iter()
                .rev()
                .map(|c| store.layer_path(c).display().to_string())
                .collect();
            dirs.join(":")
        })
        .unwrap_or_default();
    json!({
        "LowerDir": lowers,
        "UpperDir": paths.upper(&record.id),
        "WorkDir": paths.work(&record.id),
        "MergedDir": paths.rootfs(&record.id),
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
