//! The OCI runtime spec of a container, with Docker's defaults.
//!
//! - Namespaces: mount, UTS, IPC, PID, and network unless the host's is shared.
//! - Docker's default capability set (bounding, effective and permitted), and
//!   `noNewPrivileges`.
//! - /proc paths masked and made read-only as Docker does; /sys read-only; /dev a tmpfs
//!   with the default devices (the runtime library creates them), /dev/pts, /dev/shm
//!   and /dev/mqueue; the cgroup hierarchies read-only.
//! - Rlimits as Docker's containers get them, never above the host's hard limits: a
//!   process without CAP_SYS_RESOURCE cannot raise a hard limit, so asking would fail.
//! - The cgroup is always `/container/<id>`: the runtime library's default names a
//!   systemd slice, which becomes a literal directory under cgroupfs.
//! <https://github.com/opencontainers/runtime-spec/blob/main/config.md>

use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxDeviceCgroupBuilder,
    LinuxNamespaceBuilder, LinuxNamespaceType, LinuxResourcesBuilder, Mount, MountBuilder,
    PosixRlimit, PosixRlimitBuilder, PosixRlimitType, ProcessBuilder, RootBuilder, Spec,
    SpecBuilder, UserBuilder,
};

use crate::error::{Result, RuntimeError};
use crate::record::NetworkMode;
use crate::user::ResolvedUser;

/// Docker's default capabilities.
const CAPABILITIES: [Capability; 14] = [
    Capability::Chown,
    Capability::DacOverride,
    Capability::Fsetid,
    Capability::Fowner,
    Capability::Mknod,
    Capability::NetRaw,
    Capability::Setgid,
    Capability::Setuid,
    Capability::Setfcap,
    Capability::Setpcap,
    Capability::NetBindService,
    Capability::SysChroot,
    Capability::Kill,
    Capability::AuditWrite,
];

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

/// Open files: Docker's containers get 1024 soft and 524288 hard.
const NOFILE: (u64, u64) = (1024, 524_288);

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
    /// The host's hard limit on open files (`None`: unlimited).
    pub host_nofile_max: Option<u64>,
    /// The user's mounts, in the order they are made ([`crate::mounts`]).
    pub mounts: Vec<Mount>,
}

/// Builds the spec.
pub fn build(input: &SpecInput) -> Result<Spec> {
    let process = ProcessBuilder::default()
        .terminal(false)
        .user(user(&input.user)?)
        .args(input.argv.clone())
        .env(input.env.clone())
        .cwd(if input.cwd.is_empty() { "/" } else { &input.cwd })
        .capabilities(capabilities()?)
        .no_new_privileges(true)
        .rlimits(vec![nofile(input.host_nofile_max)?])
        .build()
        .map_err(RuntimeError::Spec)?;
    let root = RootBuilder::default()
        .path(input.rootfs.clone())
        .readonly(false)
        .build()
        .map_err(RuntimeError::Spec)?;
    // TODO: a default seccomp profile (Docker's allow-list) goes in `linux.seccomp`
    SpecBuilder::default()
        .version("1.0.2")
        .root(root)
        .hostname(input.hostname.clone())
        .process(process)
        .mounts(mounts(&input.bind_files, &input.mounts)?)
        .linux(linux(input)?)
        .build()
        .map_err(RuntimeError::Spec)
}

/// Writes `config.json` into the bundle directory.
pub fn write(spec: &Spec, bundle: &Path) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(spec).expect("a spec always serialises");
    crate::fsutil::write_atomic(&bundle.join("config.json"), &bytes)
}

fn user(user: &ResolvedUser) -> Result<oci_spec::runtime::User> {
    UserBuilder::default()
        .uid(user.uid)
        .gid(user.gid)
        .additional_gids(user.additional_gids.clone())
        .build()
        .map_err(RuntimeError::Spec)
}

fn capabilities() -> Result<oci_spec::runtime::LinuxCapabilities> {
    let set: oci_spec::runtime::Capabilities = CAPABILITIES.into_iter().collect();
    LinuxCapabilitiesBuilder::default()
        .bounding(set.clone())
        .effective(set.clone())
        .permitted(set)
        .inheritable(oci_spec::runtime::Capabilities::new())
        .ambient(oci_spec::runtime::Capabilities::new())
        .build()
        .map_err(RuntimeError::Spec)
}

/// Docker's open-files limit, lowered to what the host allows.
fn nofile(host_max: Option<u64>) -> Result<PosixRlimit> {
    let (soft, hard) = clamp_limit(NOFILE, host_max);
    PosixRlimitBuilder::default()
        .typ(PosixRlimitType::RlimitNofile)
        .soft(soft)
        .hard(hard)
        .build()
        .map_err(RuntimeError::Spec)
}

/// `(soft, hard)` with hard at most `host_max` and soft at most hard.
pub fn clamp_limit((soft, hard): (u64, u64), host_max: Option<u64>) -> (u64, u64) {
    let hard = host_max.map_or(hard, |max| hard.min(max));
    (soft.min(hard), hard)
}

fn linux(input: &SpecInput) -> Result<oci_spec::runtime::Linux> {
    let deny_all = LinuxDeviceCgroupBuilder::default()
        .allow(false)
        .access("rwm")
        .build()
        .map_err(RuntimeError::Spec)?;
    let resources = LinuxResourcesBuilder::default()
        .devices(vec![deny_all])
        .build()
        .map_err(RuntimeError::Spec)?;
    LinuxBuilder::default()
        .namespaces(namespaces(input.network)?)
        .cgroups_path(PathBuf::from(format!("/container/{}", input.id)))
        .resources(resources)
        .masked_paths(MASKED_PATHS.map(String::from).to_vec())
        .readonly_paths(READONLY_PATHS.map(String::from).to_vec())
        .build()
        .map_err(RuntimeError::Spec)
}

fn namespaces(network: NetworkMode) -> Result<Vec<oci_spec::runtime::LinuxNamespace>> {
    let mut kinds = vec![
        LinuxNamespaceType::Mount,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Pid,
    ];
    if network == NetworkMode::None {
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

fn mounts(bind_files: &[(String, PathBuf)], user_mounts: &[Mount]) -> Result<Vec<Mount>> {
    let mut mounts = vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])?,
        mount("/dev", "tmpfs", "tmpfs", &["nosuid", "strictatime", "mode=755", "size=65536k"])?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        )?,
        mount("/sys", "sysfs", "sysfs", &["nosuid", "noexec", "nodev", "ro"])?,
        mount("/sys/fs/cgroup", "cgroup", "cgroup", &["nosuid", "noexec", "nodev", "relatime", "ro"])?,
        mount("/dev/mqueue", "mqueue", "mqueue", &["nosuid", "noexec", "nodev"])?,
        mount("/dev/shm", "tmpfs", "shm", &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"])?,
    ];
    let mut files = Vec::new();
    for (inside, host) in bind_files {
        files.push(mount(inside, "bind", &host.to_string_lossy(), &["rbind", "rprivate"])?);
    }
    mounts.extend(crate::mounts::with_user_mounts(files, user_mounts));
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

/// The host's hard limit on open files (`None`: unlimited).
pub fn host_nofile_max() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum
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
            host_nofile_max: Some(20000),
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
        assert_eq!(json["process"]["noNewPrivileges"], true);
        assert_eq!(json["process"]["capabilities"]["bounding"].as_array().unwrap().len(), 14);
        assert_eq!(json["process"]["rlimits"][0]["hard"], 20000);
        assert_eq!(json["process"]["rlimits"][0]["soft"], 1024);
        assert_eq!(json["linux"]["cgroupsPath"], format!("/container/{}", "a".repeat(64)));
        assert_eq!(json["hostname"], "box");
        let namespaces = json["linux"]["namespaces"].as_array().unwrap();
        assert!(namespaces.iter().any(|n| n["type"] == "network"));
        let hosts = json["mounts"].as_array().unwrap().iter().find(|m| m["destination"] == "/etc/hosts");
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
    fn limits_never_exceed_the_host() {
        assert_eq!(clamp_limit((1024, 524_288), Some(20000)), (1024, 20000));
        assert_eq!(clamp_limit((1024, 524_288), Some(512)), (512, 512));
        assert_eq!(clamp_limit((1024, 524_288), None), (1024, 524_288));
    }
}
