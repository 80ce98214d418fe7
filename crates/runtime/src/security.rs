//! A container's security settings, as Docker takes them: `--privileged`,
//! `--cap-add`/`--cap-drop`, `--security-opt`, `--read-only`, `--sysctl`.
//!
//! - Seccomp: our default profile ([`crate::seccomp`]) unless
//!   `--security-opt seccomp=unconfined`, or the profile file given; `--privileged`
//!   runs without one unless a file is given explicitly.
//! - `no_new_privs` is off by default, as in Docker (`--security-opt
//!   no-new-privileges` turns it on): setuid programs such as `su` keep working.
//! - `--privileged` also lifts the masked and read-only `/proc` paths, mounts `/sys`
//!   and the cgroup hierarchies read-write and hands over the host's devices
//!   ([`crate::devices`]); `--security-opt systempaths=unconfined` lifts only the paths.
//! - Sysctls must be namespaced, as Docker validates them: the IPC ones, `fs.mqueue.*`,
//!   and `net.*` when the container has a network namespace of its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::capabilities;
use crate::devices::DeviceMapping;
use crate::error::{Result, RuntimeError};
use crate::record::NetworkMode;
use crate::seccomp::{Profile, Target};

/// The seccomp filter a container runs under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seccomp {
    /// Our default profile.
    #[default]
    Default,
    /// No filter.
    Unconfined,
    /// A profile file's contents (Docker's format), read when the container was created.
    Profile(String),
}

/// Security settings of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityConfig {
    /// `--privileged`.
    #[serde(default)]
    pub privileged: bool,
    /// `--cap-add`, as typed.
    #[serde(default)]
    pub cap_add: Vec<String>,
    /// `--cap-drop`, as typed.
    #[serde(default)]
    pub cap_drop: Vec<String>,
    /// `--security-opt`, as Docker's inspect shows them (a profile file by its contents).
    #[serde(default)]
    pub security_opt: Vec<String>,
    /// The seccomp choice.
    #[serde(default)]
    pub seccomp: Seccomp,
    /// `no_new_privs` for the container's processes.
    #[serde(default)]
    pub no_new_privileges: bool,
    /// `systempaths=unconfined`: no masked or read-only `/proc` paths.
    #[serde(default)]
    pub unmasked_paths: bool,
    /// `--read-only`: the root filesystem is mounted read-only.
    #[serde(default)]
    pub readonly_rootfs: bool,
    /// `--device` mappings.
    #[serde(default)]
    pub devices: Vec<DeviceMapping>,
    /// `--sysctl` settings.
    #[serde(default)]
    pub sysctls: BTreeMap<String, String>,
}

/// What the `--security-opt` values set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityOpts {
    /// As inspect shows them.
    pub shown: Vec<String>,
    /// The seccomp choice.
    pub seccomp: Seccomp,
    /// `no-new-privileges`.
    pub no_new_privileges: bool,
    /// `systempaths=unconfined`.
    pub unmasked_paths: bool,
}

/// Parses `--security-opt` values; `read_profile` reads a seccomp profile file.
pub fn parse_security_opts(
    options: &[String],
    read_profile: impl Fn(&str) -> std::io::Result<String>,
) -> Result<SecurityOpts> {
    let mut parsed = SecurityOpts::default();
    for option in options {
        let invalid = |reason: &str| RuntimeError::InvalidOption {
            option: "--security-opt",
            value: option.clone(),
            reason: reason.to_owned(),
        };
        // Docker still takes the old `key:value` spelling.
        let (key, value) = option
            .split_once('=')
            .or_else(|| option.split_once(':'))
            .unwrap_or((option, ""));
        let mut shown = option.clone();
        match (key, value) {
            ("no-new-privileges", "" | "true") => parsed.no_new_privileges = true,
            ("no-new-privileges", "false") => parsed.no_new_privileges = false,
            ("seccomp", "unconfined") => parsed.seccomp = Seccomp::Unconfined,
            ("seccomp", "") => {
                return Err(invalid("a seccomp profile file or `unconfined` is needed"));
            }
            ("seccomp", path) => {
                let text = read_profile(path).map_err(|source| RuntimeError::Io {
                    action: "opening seccomp profile",
                    path: path.into(),
                    source,
                })?;
                Profile::parse(&text)?;
                let compact: serde_json::Value =
                    serde_json::from_str(&text).expect("the profile parsed already");
                shown = format!("seccomp={compact}");
                parsed.seccomp = Seccomp::Profile(text);
            }
            ("systempaths", "unconfined") => parsed.unmasked_paths = true,
            // Nothing here applies AppArmor or SELinux, so asking for neither holds.
            ("apparmor", "unconfined") | ("label", "disable") => {}
            ("apparmor" | "label", _) => {
                return Err(RuntimeError::Unsupported {
                    what: format!("`--security-opt {option}` (no AppArmor or SELinux here)"),
                });
            }
            _ => {
                return Err(invalid(
                    "unknown option (seccomp, no-new-privileges, systempaths)",
                ));
            }
        }
        parsed.shown.push(shown);
    }
    Ok(parsed)
}

impl SecurityConfig {
    /// The container's capabilities, by name without `CAP_`.
    pub fn capabilities(&self, available: &[&'static str]) -> Result<Vec<&'static str>> {
        capabilities::resolve(self.privileged, &self.cap_add, &self.cap_drop, available)
    }

    /// The seccomp filter for a container with `caps`, if any.
    pub(crate) fn seccomp(&self, caps: &[&str]) -> Result<Option<oci_spec::runtime::LinuxSeccomp>> {
        let profile = match &self.seccomp {
            Seccomp::Unconfined => return Ok(None),
            Seccomp::Default if self.privileged => return Ok(None),
            Seccomp::Default => Profile::default_profile(),
            Seccomp::Profile(text) => Profile::parse(text)?,
        };
        profile.resolve(&Target::host(caps)).map(Some)
    }

    /// Whether `/proc` keeps Docker's masked and read-only paths.
    pub fn masks_paths(&self) -> bool {
        !self.privileged && !self.unmasked_paths
    }
}

/// IPC sysctls that the IPC namespace isolates (Docker's list).
const IPC_SYSCTLS: [&str; 8] = [
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// `--sysctl KEY=VALUE`, checked to be namespaced for this container.
pub fn parse_sysctl(entry: &str, network: NetworkMode) -> Result<(String, String)> {
    let invalid = |reason: String| RuntimeError::InvalidOption {
        option: "--sysctl",
        value: entry.to_owned(),
        reason,
    };
    let (key, value) = entry
        .split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .ok_or_else(|| invalid("expected KEY=VALUE".into()))?;
    let key = key.trim().replace('/', ".");
    if key.starts_with("net.") && network == NetworkMode::Host {
        return Err(invalid(format!(
            "sysctl \"{key}\" not allowed in host network namespace"
        )));
    }
    let is_namespaced = IPC_SYSCTLS.contains(&key.as_str())
        || key.starts_with("fs.mqueue.")
        || key.starts_with("net.")
        || key == "kernel.domainname";
    if !is_namespaced {
        return Err(invalid(format!(
            "sysctl \"{key}\" is not in a separate kernel namespace"
        )));
    }
    Ok((key, value.to_owned()))
}

/// Docker's sysctls for a container with a network namespace of its own: binding
/// low ports and unprivileged ICMP sockets, which need no privilege there.
pub(crate) fn default_sysctls(network: NetworkMode) -> BTreeMap<String, String> {
    if network == NetworkMode::Host {
        return BTreeMap::new();
    }
    BTreeMap::from([
        (
            "net.ipv4.ip_unprivileged_port_start".to_owned(),
            "0".to_owned(),
        ),
        (
            "net.ipv4.ping_group_range".to_owned(),
            "0 2147483647".to_owned(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(options: &[&str]) -> Result<SecurityOpts> {
        let options: Vec<String> = options.iter().map(|s| s.to_string()).collect();
        parse_security_opts(&options, |path| match path {
            "/p.json" => Ok(r#"{ "defaultAction": "SCMP_ACT_ALLOW" }"#.into()),
            "/bad.json" => Ok("{".into()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        })
    }

    #[test]
    fn security_opts_parse_as_docker_does() {
        assert!(!opts(&[]).unwrap().no_new_privileges);
        assert!(opts(&["no-new-privileges"]).unwrap().no_new_privileges);
        assert!(opts(&["no-new-privileges=true"]).unwrap().no_new_privileges);
        assert!(opts(&["no-new-privileges:true"]).unwrap().no_new_privileges);
        assert!(
            !opts(&["no-new-privileges=false"])
                .unwrap()
                .no_new_privileges
        );
        assert!(opts(&["no-new-privileges=maybe"]).is_err());
        assert_eq!(
            opts(&["seccomp=unconfined"]).unwrap().seccomp,
            Seccomp::Unconfined
        );
        let file = opts(&["seccomp=/p.json"]).unwrap();
        assert!(matches!(file.seccomp, Seccomp::Profile(_)));
        assert_eq!(
            file.shown,
            [r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#]
        );
        assert!(matches!(
            opts(&["seccomp=/bad.json"]),
            Err(RuntimeError::SeccompProfile { .. })
        ));
        assert!(matches!(
            opts(&["seccomp=/missing.json"]),
            Err(RuntimeError::Io { .. })
        ));
        assert!(opts(&["systempaths=unconfined"]).unwrap().unmasked_paths);
        assert!(opts(&["apparmor=unconfined"]).is_ok());
        assert!(opts(&["apparmor=docker-default"]).is_err());
        assert!(opts(&["bogus"]).is_err());
    }

    #[test]
    fn privileged_runs_without_seccomp_unless_a_file_says_otherwise() {
        let privileged = SecurityConfig {
            privileged: true,
            ..Default::default()
        };
        assert!(privileged.seccomp(&[]).unwrap().is_none());
        assert!(!privileged.masks_paths());
        let explicit = SecurityConfig {
            privileged: true,
            seccomp: Seccomp::Profile(r#"{ "defaultAction": "SCMP_ACT_LOG" }"#.into()),
            ..Default::default()
        };
        assert!(explicit.seccomp(&[]).unwrap().is_some());
        assert!(SecurityConfig::default().seccomp(&[]).unwrap().is_some());
    }

    #[test]
    fn only_namespaced_sysctls_pass() {
        let ok = |entry| parse_sysctl(entry, NetworkMode::None).unwrap();
        assert_eq!(
            ok("net.ipv4.ip_forward=1"),
            ("net.ipv4.ip_forward".into(), "1".into())
        );
        assert_eq!(ok("kernel.shmmax=1000").0, "kernel.shmmax");
        assert_eq!(ok("fs.mqueue.msg_max=20").0, "fs.mqueue.msg_max");
        assert_eq!(ok("net/core/somaxconn=512").0, "net.core.somaxconn");
        let refused = parse_sysctl("kernel.panic=1", NetworkMode::None)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("not in a separate kernel namespace"),
            "{refused}"
        );
        let host = parse_sysctl("net.ipv4.ip_forward=1", NetworkMode::Host).unwrap_err();
        assert!(
            host.to_string().contains("host network namespace"),
            "{host}"
        );
        assert!(parse_sysctl("novalue", NetworkMode::None).is_err());
    }
}
