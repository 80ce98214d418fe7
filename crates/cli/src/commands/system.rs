//! `container system info|start|stop|status`: nothing of ours runs in the background, so
//! these prepare, check and report the host; `start` also brings back the containers
//! whose restart policy asks for it, and `stop` stops every container cleanly.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::cli::{InfoArgs, SystemCommand};
use crate::context::Context;
use crate::output::human_size;

pub fn run(context: &Context, command: SystemCommand) -> anyhow::Result<ExitCode> {
    match command {
        SystemCommand::Info(args) => info(context, args),
        SystemCommand::Start => start(context),
        SystemCommand::Stop => stop(context),
        SystemCommand::Status => status(context),
        SystemCommand::Df(args) => super::df::run(context, args),
        SystemCommand::Prune(args) => super::system_prune::run(context, args),
    }
}

/// `container version`: Docker prints a client and a server; with no daemon, there
/// is only the one program.
pub fn version(args: crate::cli::VersionArgs) -> anyhow::Result<ExitCode> {
    let value = json!({
        "Client": {
            "Version": env!("CARGO_PKG_VERSION"),
            "Os": std::env::consts::OS,
            "Arch": docker_arch(),
            "Runtime": "libcontainer (youki) 0.7",
        },
    });
    let mut out = std::io::stdout().lock();
    match args.format.as_deref() {
        None => {
            let client = &value["Client"];
            writeln!(out, "Client:")?;
            writeln!(
                out,
                " Version:    {}",
                client["Version"].as_str().unwrap_or_default()
            )?;
            writeln!(
                out,
                " OS/Arch:    {}/{}",
                std::env::consts::OS,
                docker_arch()
            )?;
            writeln!(
                out,
                " Runtime:    {}",
                client["Runtime"].as_str().unwrap_or_default()
            )?;
            writeln!(
                out,
                " Daemon:     none (each container has a monitor process of its own)"
            )?;
        }
        Some(format) => {
            crate::output::Format::parse(Some(format))?.write_rows(&mut out, &[value])?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The architecture as OCI and Docker spell it.
fn docker_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// One kernel feature we rely on.
struct Check {
    name: &'static str,
    is_ok: bool,
    detail: String,
}

fn checks() -> Vec<Check> {
    let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    let has_fs = |name: &str| {
        filesystems
            .lines()
            .any(|l| l.split_whitespace().last() == Some(name))
    };
    let namespaces = ["mnt", "pid", "net", "ipc", "uts", "user", "cgroup"];
    let missing: Vec<&str> = namespaces
        .iter()
        .copied()
        .filter(|ns| !Path::new(&format!("/proc/self/ns/{ns}")).exists())
        .collect();
    let seccomp = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Seccomp:"));
    let openat2 = rustix::fs::openat2(
        rustix::fs::CWD,
        "/",
        rustix::fs::OFlags::PATH,
        rustix::fs::Mode::empty(),
        rustix::fs::ResolveFlags::IN_ROOT,
    )
    .is_ok();
    vec![
        check(
            "overlayfs",
            has_fs("overlay"),
            "needed to mount container root filesystems",
        ),
        check(
            "namespaces",
            missing.is_empty(),
            &format!("missing: {}", missing.join(", ")),
        ),
        check(
            "cgroups",
            Path::new("/sys/fs/cgroup").is_dir(),
            "needed for resource limits",
        ),
        check("seccomp", seccomp, "needed for the default syscall filter"),
        check(
            "openat2",
            openat2,
            "needed to unpack layers safely (Linux 5.6 or later)",
        ),
    ]
}

fn check(name: &'static str, is_ok: bool, missing: &str) -> Check {
    let detail = if is_ok {
        "ok".to_owned()
    } else {
        missing.to_owned()
    };
    Check {
        name,
        is_ok,
        detail,
    }
}

/// `v2`, `v1`, or `hybrid` (v1 controllers with a v2 mount beside them).
fn cgroup_mode() -> &'static str {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let v2 = mounts
        .lines()
        .any(|l| l.split_whitespace().nth(2) == Some("cgroup2"));
    let v1 = mounts
        .lines()
        .any(|l| l.split_whitespace().nth(2) == Some("cgroup"));
    match (v1, v2) {
        (true, true) => "hybrid",
        (false, true) => "v2",
        (true, false) => "v1",
        (false, false) => "none",
    }
}

pub fn info(context: &Context, args: InfoArgs) -> anyhow::Result<ExitCode> {
    let store = context.store()?;
    let images = store.images()?;
    let usage = store.disk_usage()?;
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let features: Vec<Value> = checks()
        .iter()
        .map(|c| json!({"Name": c.name, "Ok": c.is_ok, "Detail": c.detail}))
        .collect();
    let value = json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "Kernel": kernel.trim(),
        "OperatingSystem": std::env::consts::OS,
        "Architecture": std::env::consts::ARCH,
        "StoreRoot": store.root(),
        "ContentDir": store.content_dir(),
        "LayersDir": store.layers_dir(),
        "ConfigFile": context.config_path,
        "Images": images.len(),
        "ContentSize": usage.content,
        "LayersSize": usage.layers,
        "CgroupMode": cgroup_mode(),
        "Checks": features,
    });

    let mut out = std::io::stdout().lock();
    if args.format.as_deref() == Some("json") {
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "Version:        {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(out, "Kernel:         {}", kernel.trim())?;
    writeln!(out, "Store root:     {}", store.root().display())?;
    writeln!(out, "Config file:    {}", context.config_path.display())?;
    writeln!(out, "Images:         {}", images.len())?;
    writeln!(out, "Content size:   {}", human_size(usage.content))?;
    writeln!(out, "Layers size:    {}", human_size(usage.layers))?;
    writeln!(out, "Cgroup mode:    {}", cgroup_mode())?;
    writeln!(out, "Kernel features:")?;
    for check in checks() {
        writeln!(out, "  {:<12} {}", check.name, check.detail)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Prepares the store, then brings back the containers whose restart policy asks
/// for it (after a reboot, nothing else would).
fn start(context: &Context) -> anyhow::Result<ExitCode> {
    let store = context.store()?;
    writeln!(
        std::io::stdout(),
        "store ready at {}",
        store.root().display()
    )?;
    let started = context
        .containers()?
        .start_by_policy()
        .context("starting containers by their restart policy")?;
    for record in started {
        writeln!(
            std::io::stdout(),
            "started {} ({})",
            record.name,
            record.short_id()
        )?;
    }
    status(context)
}

/// Stops every running container, as a shutdown: `system start` brings back those
/// whose restart policy says so.
/// `system stop`: stops the running containers, then takes down the bridges
/// and NAT rules that containers keep between them (as `docker0` stays up).
fn stop(context: &Context) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let stopped = runtime
        .stop_all_for_shutdown()
        .context("stopping containers")?;
    for record in &stopped {
        writeln!(
            std::io::stdout(),
            "stopped {} ({})",
            record.name,
            record.short_id()
        )?;
    }
    if stopped.is_empty() {
        writeln!(std::io::stdout(), "no container is running")?;
    }
    let networks = runtime.networks();
    for network in networks.list()? {
        if networks.tear_down_idle(&network)? {
            writeln!(
                std::io::stdout(),
                "network {}: bridge {} and its NAT rules removed",
                network.name,
                network.bridge
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status(context: &Context) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut is_ready = context.root.join("version").exists();
    writeln!(
        out,
        "store: {}",
        if is_ready {
            "ready"
        } else {
            "not created yet (`container system start` creates it)"
        }
    )?;
    for check in checks() {
        is_ready &= check.is_ok;
        writeln!(out, "{}: {}", check.name, check.detail)?;
    }
    writeln!(
        out,
        "status: {}",
        if is_ready { "ready" } else { "not ready" }
    )?;
    Ok(if is_ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
