//! `container create`, and the creation half of `container run`.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use container_net::PortSpec;
use container_reference::Reference;
use container_registry::Platform;
use container_runtime::config::{parse_env_file, resolve_env};
use container_runtime::{
    ContainerRecord, CreateOptions, HostConfig, NetworkMode, RestartPolicy, Runtime, RuntimeError,
    UserConfig,
};
use container_store::{Image, StoreError};

use crate::cli::{ContainerOptions, CreateArgs, ProgressMode, PullPolicy};
use crate::context::Context;

pub fn run(context: &Context, args: CreateArgs) -> anyhow::Result<ExitCode> {
    let created = context
        .containers()
        .and_then(|runtime| create(context, &runtime, &args.options));
    match created {
        Ok(record) => {
            writeln!(std::io::stdout(), "{}", record.id)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Ok(failed(&error)),
    }
}

/// Reports an error of `run` or `create`, and gives Docker's exit code for it: 127 or
/// 126 when the command cannot be run, 125 for any other failure of ours.
pub fn failed(error: &anyhow::Error) -> ExitCode {
    crate::report_error(error);
    let code = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<RuntimeError>())
        .map_or(125, RuntimeError::exit_code);
    ExitCode::from(code)
}

/// Creates a container from the flags, pulling the image as `--pull` says.
pub fn create(
    context: &Context,
    runtime: &Runtime,
    options: &ContainerOptions,
) -> anyhow::Result<ContainerRecord> {
    let restart_policy: RestartPolicy = options.restart.parse()?;
    if restart_policy.is_set() && options.rm {
        anyhow::bail!("conflicting options: --restart and --rm");
    }
    let (image_name, command) = options
        .args
        .split_first()
        .expect("clap requires the image argument");
    let (network, network_name) = network(runtime, &options.network)?;
    if !options.network_aliases.is_empty() && network_name.is_none() {
        anyhow::bail!(
            "network-scoped aliases are only supported for user-defined networks: \
             add `--network NAME` (see `container network create`)"
        );
    }
    let mut create_options = CreateOptions {
        name: options.name.clone(),
        config: user_config(options, command)?,
        host: HostConfig {
            restart_policy,
            mounts: super::mounts::from_flags(options)?,
            network_name,
            network_aliases: options.network_aliases.clone(),
            ..super::host_config::host_config(&options.host, network, options.rm)?
        },
    };
    let mut publish = Vec::new();
    for value in &options.publish {
        publish.extend(container_net::publish::parse(value)?);
    }
    let mut exposed = Vec::new();
    for value in &options.expose {
        exposed.extend(expose_flag(value)?);
    }
    let image = image(context, runtime, options, image_name)?;
    create_options.config.expose = exposed.clone();
    if options.publish_all {
        publish.extend(exposed_ports(&image, exposed, &publish));
    }
    // A published port is an exposed one too, as in Docker.
    (create_options.config.expose).extend(publish.iter().map(|p| p.port_key()));
    if !publish.is_empty() && network != NetworkMode::Bridge {
        writeln!(
            std::io::stderr(),
            "WARNING: Published ports are discarded when using {} network mode",
            network.as_str()
        )?;
        publish.clear();
    }
    create_options.host.publish = publish;
    Ok(runtime.create(&image, image_name, &create_options)?)
}

/// `--expose PORT[-END][/PROTO]` as `ExposedPorts` keys (`80/tcp`).
fn expose_flag(value: &str) -> anyhow::Result<Vec<String>> {
    let (ports, protocol) = value.split_once('/').unwrap_or((value, "tcp"));
    let protocol = protocol.to_ascii_lowercase();
    let (start, end) = ports.split_once('-').unwrap_or((ports, ports));
    let (Ok(start), Ok(end)) = (start.parse::<u16>(), end.parse::<u16>()) else {
        anyhow::bail!("invalid range format for --expose: {value}");
    };
    if start == 0 || end < start {
        anyhow::bail!("invalid range format for --expose: {value}");
    }
    let keys: Vec<String> = (start..=end).map(|p| format!("{p}/{protocol}")).collect();
    if container_net::publish::parse_exposed(&keys[0]).is_none() {
        anyhow::bail!("invalid protocol for --expose: {value} (use tcp or udp)");
    }
    Ok(keys)
}

/// `-P`: the image's `ExposedPorts` and `--expose`'s not published by `-p`, on
/// ephemeral host ports.
fn exposed_ports(image: &Image, flags: Vec<String>, published: &[PortSpec]) -> Vec<PortSpec> {
    let exposed = image
        .config
        .config
        .as_ref()
        .and_then(|c| c.get("ExposedPorts"))
        .and_then(|e| e.as_object());
    let mut keys: Vec<(u16, container_net::Protocol)> = exposed
        .into_iter()
        .flat_map(|e| e.keys())
        .cloned()
        .chain(flags)
        .filter_map(|key| container_net::publish::parse_exposed(&key))
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|(port, protocol)| {
            !published
                .iter()
                .any(|p| p.container_port == *port && p.protocol == *protocol)
        })
        .map(|(container_port, protocol)| PortSpec {
            container_port,
            protocol,
            host_ip: None,
            host_ports: None,
        })
        .collect()
}

fn user_config(options: &ContainerOptions, command: &[String]) -> anyhow::Result<UserConfig> {
    let mut entries = Vec::new();
    for path in &options.env_files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the env file `{}`", path.display()))?;
        entries.extend(parse_env_file(&text)?);
    }
    entries.extend(options.env.iter().cloned());
    let env = resolve_env(&entries, |key| std::env::var(key).ok())?;
    let labels = options
        .labels
        .iter()
        .map(|label| match label.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (label.clone(), String::new()),
        })
        .collect();
    Ok(UserConfig {
        command: command.to_vec(),
        entrypoint: options.entrypoint.clone(),
        env,
        working_dir: options.workdir.clone(),
        user: options.user.clone(),
        hostname: options.hostname.clone(),
        labels,
        stop_signal: options.stop_signal.clone(),
        expose: Vec::new(),
        open_stdin: options.interactive,
        tty: options.tty,
    })
}

/// `--network`: a mode, or a user network (which must exist).
fn network(runtime: &Runtime, name: &str) -> anyhow::Result<(NetworkMode, Option<String>)> {
    match name {
        "none" => Ok((NetworkMode::None, None)),
        "host" => Ok((NetworkMode::Host, None)),
        "bridge" | "default" => Ok((NetworkMode::Bridge, None)),
        other if other.starts_with("container:") => Err(RuntimeError::Unsupported {
            what: format!("network `{other}` (sharing another container's network)"),
        }
        .into()),
        other => {
            let network = runtime.networks().get(other)?;
            Ok((NetworkMode::Bridge, Some(network.name)))
        }
    }
}

/// The image to create from: from the store, or pulled as the policy says.
fn image(
    context: &Context,
    runtime: &Runtime,
    options: &ContainerOptions,
    name: &str,
) -> anyhow::Result<Image> {
    let platform = options
        .platform
        .as_deref()
        .map(Platform::parse)
        .transpose()?;
    if options.pull != PullPolicy::Always {
        match runtime.store().resolve(name) {
            // A local image of another platform than the one asked for is missing.
            Ok(image) if platform.as_ref().is_none_or(|p| image.config.can_serve(p)) => {
                return Ok(image);
            }
            Ok(image) if options.pull == PullPolicy::Never => {
                anyhow::bail!(
                    "image `{name}` is {}/{}, not the platform asked for, and --pull never forbids pulling",
                    image.config.os,
                    image.config.architecture
                );
            }
            Ok(_) => {}
            Err(StoreError::ImageNotFound { .. }) if options.pull == PullPolicy::Missing => {}
            Err(error) => return Err(error.into()),
        }
    }
    let reference = Reference::parse(name)?;
    if options.pull == PullPolicy::Missing {
        let shown = reference
            .with_tag("latest")
            .ok()
            .filter(|_| reference.tag().is_none() && reference.digest().is_none());
        let shown = shown.as_ref().unwrap_or(&reference).familiar();
        writeln!(std::io::stderr(), "Unable to find image '{shown}' locally")?;
    }
    let mode = if options.quiet {
        ProgressMode::Quiet
    } else {
        ProgressMode::Auto
    };
    Ok(super::pull::pull(context, &reference, platform, mode, true)?.image)
}
