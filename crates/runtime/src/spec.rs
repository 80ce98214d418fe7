//! The OCI runtime spec of a container, with Docker's defaults.
//!
//! - Namespaces: mount, UTS, IPC, PID, and network unless the host's is shared.
//! - Docker's default capability set (bounding, effective and permitted), tweaked by
//!   `--cap-add`/`--cap-drop`/`--privileged` ([`crate::capabilities`]); our default
//!   seccomp profile ([`crate::seccomp`]); `noNewPrivileges` only when asked for, as
//!   in Docker ([`crate::security`]).
//! - /proc paths masked and made read-only as Docker does; /sys read-only; /dev a tmpfs
//!   with the default devices (the runtime library creates them), /dev/pts, /dev/shm
//!   and /dev/mqueue; the cgroup hierarchies read-only. `--privileged` lifts all that.
//! - Rlimits and cgroup limits ([`crate::limits`]), never above the host's hard limits:
//!   a process without CAP_SYS_RESOURCE cannot raise a hard limit, so asking would fail.
//! - The cgroup is always `/container/<id>`: the runtime library's default names a
//!   systemd slice, which becomes a literal directory under cgroupfs.
//!
//! <https://github.com/opencontainers/runtime-spec/blob/main/config.md>

use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    LinuxBuilder, LinuxCapabilitiesBuilder, LinuxDevice, LinuxDeviceCgroup,
    LinuxDeviceCgroupBuilder, LinuxNamespaceBuilder, LinuxNamespaceType, LinuxResourcesBuilder,
    Mount, MountBuilder, ProcessBuilder, RootBuilder, Spec, SpecBuilder, UserBuilder,
};

use crate::capabilities;
use crate::error::{Result, RuntimeError};
use crate::limits::Resources;
use crate::record::NetworkMode;
use crate::security::{self, SecurityConfig};
use crate::user::ResolvedUser;

const MASKED_PATHS: [&str; 12] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// What the spec is made from.
#[derive(Debug, Clone)]
pub struct SpecInput {
    /// The container ID (names the cgroup).
    pub id: String,
    /// The mounted root filesystem.
    pub rootfs: PathBuf,
    /// The process's argv.
    pub argv: Vec<String>,
    /// The process's environment.
    pub env: Vec<String>,
    /// The working directory.
    pub cwd: String,
    /// Who the process runs as.
    pub user: ResolvedUser,
    /// The UTS hostname.
    pub hostname: String,
    /// Network namespace choice.
    pub network: NetworkMode,
    /// Files bind-mounted into the container: (path inside, path on the host).
    pub bind_files: Vec<(String, PathBuf)>,
    /// This process's hard limit for a Docker ulimit name (`None`: unlimited).
    pub host_limits: fn(&str) -> Option<u64>,
    /// The capabilities this process can hand on (its bounding set).
    pub available_caps: Vec<&'static str>,
    /// Security settings.
    pub security: SecurityConfig,
    /// Limits.
    pub resources: Resources,
    /// Device nodes for the container, and the cgroup rules that let it use them.
    pub devices: (Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>),
    /// The `--init` executable on the host, mounted at [`crate::init::PATH_IN_CONTAINER`].
    pub init: Option<PathBuf>,
    /// Whether the process gets a terminal (`-t`).
    pub terminal: bool,
    /// The user's mounts, in the order they are made ([`crate::mounts`]).
    pub mounts: Vec<Mount>,
}

/// Builds the spec.
pub fn build(input: &SpecInput) -> Result<Spec> {
    let caps = input.security.capabilities(&input.available_caps)?;
    let process = ProcessBuilder::default()
        .terminal(input.terminal)
        .user(user(&input.user)?)
        .args(input.argv.clone())
        .env(input.env.clone())
        .cwd(if input.cwd.is_empty() {
            "/"
        } else {
            &input.cwd
        })
        .capabilities(capability_sets(&caps)?)
        .rlimits(input.resources.rlimits(input.host_limits)?);
    let mut process = process.build().map_err(RuntimeError::Spec)?;
    // The builder defaults to `true`; Docker's default is off. Only `true` is ever
    // written: the runtime library reads an explicit `false` as "load seccomp after
    // dropping capabilities", which fails without CAP_SYS_ADMIN.
    process.set_no_new_privileges(input.security.no_new_privileges.then_some(true));
    let root = RootBuilder::default()
        .path(input.rootfs.clone())
        .readonly(input.security.readonly_rootfs)
        .build()
        .map_err(RuntimeError::Spec)?;
    SpecBuilder::default()
        .version("1.0.2")
        .root(root)
        .hostname(input.hostname.clone())
        .process(process)
        .mounts(mounts(input)?)
        .linux(linux(input, &caps)?)
        .build()
        .map_err(RuntimeError::Spec)
}

/// Writes `config.json` into the bundle directory.
pub fn write(spec: &Spec, bundle: &Path) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(spec).expect("a spec always serialises");
    crate::fsutil::write_regenerated(&bundle.join("config.json"), &bytes)
}

fn user(user: &ResolvedUser) -> Result<oci_spec::runtime::User> {
    UserBuilder::default()
        .uid(user.uid)
        .gid(user.gid)
        .additional_gids(user.additional_gids.clone())
        .build()
        .map_err(RuntimeError::Spec)
}

fn capability_sets(caps: &[&str]) -> Result<oci_spec::runtime::LinuxCapabilities> {
    let set: oci_spec::runtime::Capabilities =
        caps.iter().map(|name| capabilities::to_oci(name)).collect();
    LinuxCapabilitiesBuilder::default()
        .bounding(set.clone())
        .effective(set.clone())
        .permitted(set)
        .inheritable(oci_spec::runtime::Capabilities::new())
        .ambient(oci_spec::runtime::Capabilities::new())
        .build()
        .map_err(RuntimeError::Spec)
}

fn linux(input: &SpecInput, caps: &[&str]) -> Result<oci_spec::runtime::Linux> {
    let deny_all = LinuxDeviceCgroupBuilder::default()
        .allow(false)
        .access("rwm")
        .build()
        .map_err(RuntimeError::Spec)?;
    let (devices, device_rules) = input.devices.clone();
    let rules = std::iter::once(deny_all)
        .chain(device_rules)
        .collect::<Vec<_>>();
    let resources = input
        .resources
        .apply(LinuxResourcesBuilder::default().devices(rules))?
        .build()
        .map_err(RuntimeError::Spec)?;
    let mut sysctls = security::default_sysctls(input.network);
    sysctls.extend(input.security.sysctls.clone());
    let (masked, readonly) = match input.security.masks_paths() {
        true => (
            MASKED_PATHS.map(String::from).to_vec(),
            READONLY_PATHS.map(String::from).to_vec(),
        ),
        false => (Vec::new(), Vec::new()),
    };
    let mut linux = LinuxBuilder::default()
        .namespaces(namespaces(input.network)?)
        .cgroups_path(PathBuf::from(format!("/container/{}", input.id)))
        .resources(resources)
        .devices(devices)
        .sysctl(
            sysctls
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        )
        .masked_paths(masked)
        .readonly_paths(readonly);
    if let Some(seccomp) = input.security.seccomp(caps)? {
        linux = linux.seccomp(seccomp);
    }
    linux.build().map_err(RuntimeError::Spec)
}

fn namespaces(network: NetworkMode) -> Result<Vec<oci_spec::runtime::LinuxNamespace>> {
    let mut kinds = vec![
        LinuxNamespaceType::Mount,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Pid,
    ];
    if network != NetworkMode::Host {
        kinds.push(LinuxNamespaceType::Network);
    }
    kinds
        .into_iter()
        .map(|kind| {
            LinuxNamespaceBuilder::default()
                .typ(kind)
                .build()
                .map_err(RuntimeError::Spec)
        })
        .collect()
}

fn mounts(input: &SpecInput) -> Result<Vec<Mount>> {
    // Privileged containers get /sys and the cgroup hierarchies read-write.
    let sys_mode = if input.security.privileged {
        "rw"
    } else {
        "ro"
    };
    let shm_size = format!("size={}", input.resources.shm_bytes());
    let mut mounts = vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        )?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        )?,
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", sys_mode],
        )?,
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &["nosuid", "noexec", "nodev", "relatime", sys_mode],
        )?,
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        )?,
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", &shm_size],
        )?,
    ];
    let mut files = Vec::new();
    for (inside, host) in &input.bind_files {
        files.push(mount(
            inside,
            "bind",
            &host.to_string_lossy(),
            &["rbind", "rprivate"],
        )?);
    }
    if let Some(init) = &input.init {
        let source = init.to_string_lossy();
        files.push(mount(
            crate::init::PATH_IN_CONTAINER,
            "bind",
            &source,
            &["bind", "ro"],
        )?);
    }
    mounts.extend(crate::mounts::with_user_mounts(files, &input.mounts));
    Ok(mounts)
}

fn mount(destination: &str, kind: &str, source: &str, options: &[&str]) -> Result<Mount> {
    MountBuilder::default()
        .destination(destination)
        .typ(kind)
        .source(source)
        .options(options.iter().map(|o| o.to_string()).collect::<Vec<_>>())
        .build()
        .map_err(RuntimeError::Spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(network: NetworkMode) -> SpecInput {
        SpecInput {
            id: "a".repeat(64),
            rootfs: "/r".into(),
            argv: vec!["sh".into()],
            env: vec!["PATH=/bin".into()],
            cwd: String::new(),
            user: ResolvedUser {
                uid: 65534,
                gid: 65534,
                additional_gids: vec![7],
                home: "/".into(),
            },
            hostname: "box".into(),
            network,
            bind_files: vec![("/etc/hosts".into(), "/c/hosts".into())],
            host_limits: |_| Some(20000),
            available_caps: capabilities::names_in_mask(0x1ff_feff_ffff),
            security: SecurityConfig::default(),
            resources: Resources::default(),
            devices: (Vec::new(), Vec::new()),
            init: None,
            terminal: false,
            mounts: vec![],
        }
    }

    #[test]
    fn spec_has_dockers_defaults() {
        let spec = build(&input(NetworkMode::None)).unwrap();
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["process"]["user"]["uid"], 65534);
        assert_eq!(json["process"]["user"]["additionalGids"][0], 7);
        assert_eq!(json["process"]["cwd"], "/");
        // Docker leaves no_new_privs off unless asked.
        assert!(json["process"].get("noNewPrivileges").is_none());
        assert_eq!(json["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(json["linux"]["maskedPaths"].as_array().unwrap().len(), 12);
        assert_eq!(
            json["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"],
            "0"
        );
        assert_eq!(json["root"]["readonly"], false);
        assert_eq!(
            json["process"]["capabilities"]["bounding"]
                .as_array()
                .unwrap()
                .len(),
            14
        );
        assert_eq!(json["process"]["rlimits"][0]["hard"], 20000);
        assert_eq!(json["process"]["rlimits"][0]["soft"], 1024);
        assert_eq!(
            json["linux"]["cgroupsPath"],
            format!("/container/{}", "a".repeat(64))
        );
        assert_eq!(json["hostname"], "box");
        let namespaces = json["linux"]["namespaces"].as_array().unwrap();
        assert!(namespaces.iter().any(|n| n["type"] == "network"));
        let hosts = json["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == "/etc/hosts");
        assert_eq!(hosts.unwrap()["source"], "/c/hosts");
    }

    #[test]
    fn host_network_has_no_network_namespace() {
        let spec = build(&input(NetworkMode::Host)).unwrap();
        let json = serde_json::to_value(&spec).unwrap();
        let namespaces = json["linux"]["namespaces"].as_array().unwrap();
        assert!(!namespaces.iter().any(|n| n["type"] == "network"));
    }

    #[test]
    fn privileged_lifts_the_confinement() {
        let mut privileged = input(NetworkMode::None);
        privileged.security.privileged = true;
        let json = serde_json::to_value(build(&privileged).unwrap()).unwrap();
        assert!(json["linux"].get("seccomp").is_none());
        assert_eq!(
            json["linux"]["maskedPaths"].as_array().map_or(0, Vec::len),
            0
        );
        assert_eq!(
            json["process"]["capabilities"]["bounding"]
                .as_array()
                .unwrap()
                .len(),
            40
        );
        let sys = json["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == "/sys");
        assert!(
            sys.unwrap()["options"]
                .as_array()
                .unwrap()
                .contains(&"rw".into())
        );
    }

    #[test]
    fn flags_reach_the_spec() {
        let mut flagged = input(NetworkMode::None);
        flagged.security.no_new_privileges = true;
        flagged.security.readonly_rootfs = true;
        flagged.resources.memory = 64 << 20;
        flagged.resources.memory_swap = 128 << 20;
        flagged.resources.pids_limit = Some(20);
        flagged.resources.shm_size = 1 << 30;
        flagged.init = Some("/run/container-init".into());
        let json = serde_json::to_value(build(&flagged).unwrap()).unwrap();
        assert_eq!(json["process"]["noNewPrivileges"], true);
        assert_eq!(json["root"]["readonly"], true);
        assert_eq!(json["linux"]["resources"]["memory"]["limit"], 64 << 20);
        assert_eq!(json["linux"]["resources"]["memory"]["swap"], 128 << 20);
        assert_eq!(json["linux"]["resources"]["pids"]["limit"], 20);
        let mounts = json["mounts"].as_array().unwrap();
        let shm = mounts
            .iter()
            .find(|m| m["destination"] == "/dev/shm")
            .unwrap();
        assert!(
            shm["options"]
                .as_array()
                .unwrap()
                .contains(&"size=1073741824".into())
        );
        assert!(
            mounts
                .iter()
                .any(|m| m["destination"] == "/sbin/docker-init")
        );
    }
}
