//! The host flags of `run` and `create` (security, limits, names) as a `HostConfig`,
//! checked as Docker checks them before anything is created.

// TODO: --memory-reservation, --cpu-period/--cpu-quota, --blkio-weight, --oom-kill-disable
// and --device-cgroup-rule are not flags yet; --uts/--ipc/--pid host are not either

use anyhow::Context as _;
use container_runtime::devices::parse_device;
use container_runtime::etc::{NameConfig, parse_add_host, parse_dns, parse_dns_search};
use container_runtime::limits::{self, Resources};
use container_runtime::security::{SecurityConfig, parse_security_opts, parse_sysctl};
use container_runtime::{HostConfig, NetworkMode, capabilities};

use crate::cli::HostOptions;

/// The `HostConfig` of a new container.
pub fn host_config(
    options: &HostOptions,
    network: NetworkMode,
    auto_remove: bool,
) -> anyhow::Result<HostConfig> {
    Ok(HostConfig {
        network,
        auto_remove,
        security: security(options, network)?,
        resources: resources(options)?,
        names: names(options, network)?,
        group_add: options.group_add.clone(),
        init: options.init,
        stop_timeout: options.stop_timeout,
        // Set by the caller: the policy is checked against `--rm`, mounts and
        // networks have flags of their own.
        restart_policy: Default::default(),
        mounts: Vec::new(),
        network_name: None,
        network_aliases: Vec::new(),
        publish: Vec::new(),
    })
}

fn security(options: &HostOptions, network: NetworkMode) -> anyhow::Result<SecurityConfig> {
    let opts = parse_security_opts(&options.security_opt, |path| std::fs::read_to_string(path))
        .context("reading --security-opt")?;
    let sysctls = options
        .sysctl
        .iter()
        .map(|entry| parse_sysctl(entry, network))
        .collect::<Result<_, _>>()?;
    let config = SecurityConfig {
        privileged: options.privileged,
        cap_add: options.cap_add.clone(),
        cap_drop: options.cap_drop.clone(),
        security_opt: opts.shown,
        seccomp: opts.seccomp,
        no_new_privileges: opts.no_new_privileges,
        unmasked_paths: opts.unmasked_paths,
        readonly_rootfs: options.read_only,
        devices: options
            .device
            .iter()
            .map(|d| parse_device(d))
            .collect::<Result<_, _>>()?,
        sysctls,
    };
    // Unknown names, and capabilities this process cannot grant, fail now.
    config.capabilities(&capabilities::host_bounding())?;
    Ok(config)
}

fn resources(options: &HostOptions) -> anyhow::Result<Resources> {
    let bytes = |option, value: &Option<String>| -> anyhow::Result<i64> {
        Ok(value
            .as_deref()
            .map(|v| limits::parse_bytes(option, v))
            .transpose()?
            .unwrap_or(0))
    };
    if let Some(list) = &options.cpuset_cpus {
        limits::validate_cpuset(list, &limits::online_cpus())?;
    }
    let resources = Resources {
        memory: bytes("--memory", &options.memory)?,
        memory_swap: options
            .memory_swap
            .as_deref()
            .map(limits::parse_swap)
            .transpose()?
            .unwrap_or(0),
        nano_cpus: options
            .cpus
            .as_deref()
            .map(limits::parse_cpus)
            .transpose()?
            .unwrap_or(0),
        cpu_shares: options.cpu_shares.unwrap_or(0),
        pids_limit: options.pids_limit,
        cpuset_cpus: options.cpuset_cpus.clone().unwrap_or_default(),
        ulimits: options
            .ulimit
            .iter()
            .map(|u| limits::parse_ulimit(u))
            .collect::<Result<_, _>>()?,
        shm_size: bytes("--shm-size", &options.shm_size)?,
    };
    let resources = resources.validate(limits::online_cpus().len() as u32)?;
    resources.check_ulimits()?;
    Ok(resources)
}

fn names(options: &HostOptions, network: NetworkMode) -> anyhow::Result<NameConfig> {
    Ok(NameConfig {
        extra_hosts: options
            .add_host
            .iter()
            .map(|entry| parse_add_host(entry, network))
            .collect::<Result<_, _>>()?,
        dns: options
            .dns
            .iter()
            .map(|d| parse_dns(d))
            .collect::<Result<_, _>>()?,
        dns_search: options
            .dns_search
            .iter()
            .map(|d| parse_dns_search(d))
            .collect::<Result<_, _>>()?,
        dns_options: options.dns_option.clone(),
    })
}
