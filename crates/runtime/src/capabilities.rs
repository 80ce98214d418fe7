//! Capability sets as Docker computes them: its default 14, then `--cap-drop`, then
//! `--cap-add`; `ALL` in either list, and `--privileged` for every capability.
//!
//! Names are accepted in any case, with or without `CAP_`. "Every capability" means
//! every one this process holds in its bounding set: a capability it lacks (root
//! here has no `CAP_SYS_RESOURCE`) cannot be given to a child, and asking for it by
//! name is an error rather than a start that fails later.
//! <https://man7.org/linux/man-pages/man7/capabilities.7.html>

use std::str::FromStr as _;

use oci_spec::runtime::Capability;

use crate::error::{Result, RuntimeError};

/// Every capability the kernel knows, by bit number (`include/uapi/linux/capability.h`).
const NAMES: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// Docker's default set, without the `CAP_` prefix.
pub const DEFAULT: [&str; 14] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// A capability by its name without `CAP_`, upper case (`SYS_ADMIN`), or `ALL`.
pub fn normalize(name: &str) -> Result<String> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    if bare == "ALL" || NAMES.contains(&bare) {
        return Ok(bare.to_owned());
    }
    Err(RuntimeError::InvalidOption {
        option: "--cap-add/--cap-drop",
        value: name.to_owned(),
        reason: format!("unknown capability: \"CAP_{bare}\""),
    })
}

/// The capabilities a container gets, by name without `CAP_`, in bit order.
/// `available` is what this process can hand on (its bounding set).
pub fn resolve(
    privileged: bool,
    add: &[String],
    drop: &[String],
    available: &[&'static str],
) -> Result<Vec<&'static str>> {
    let add = add
        .iter()
        .map(|n| normalize(n))
        .collect::<Result<Vec<_>>>()?;
    let drop = drop
        .iter()
        .map(|n| normalize(n))
        .collect::<Result<Vec<_>>>()?;
    let has = |list: &[String], name: &str| list.iter().any(|n| n == name);
    for name in add.iter().filter(|n| *n != "ALL" && !privileged) {
        if !available.contains(&name.as_str()) && !has(&drop, name) {
            return Err(RuntimeError::InvalidOption {
                option: "--cap-add",
                value: name.clone(),
                reason: format!("this process does not hold CAP_{name}, so cannot grant it"),
            });
        }
    }
    let wanted = |name: &str| -> bool {
        if privileged || (has(&add, "ALL") && !has(&drop, name)) {
            return true;
        }
        // `--cap-drop ALL` starts from nothing; the added ones still count.
        if has(&drop, "ALL") || has(&add, "ALL") {
            return has(&add, name);
        }
        has(&add, name) || (DEFAULT.contains(&name) && !has(&drop, name))
    };
    Ok(available
        .iter()
        .copied()
        .filter(|name| wanted(name))
        .collect())
}

/// The capabilities in this process's bounding set, in bit order.
pub fn host_bounding() -> Vec<&'static str> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("CapBnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    names_in_mask(mask)
}

/// The names of the bits set in a capability mask (as /proc/<pid>/status shows it).
pub fn names_in_mask(mask: u64) -> Vec<&'static str> {
    NAMES
        .iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// The mask of a set of names (the inverse of [`names_in_mask`]).
pub fn mask_of(names: &[&str]) -> u64 {
    NAMES
        .iter()
        .enumerate()
        .filter(|(_, name)| names.contains(name))
        .fold(0, |mask, (bit, _)| mask | (1 << bit))
}

/// The OCI spelling of a name from [`NAMES`].
pub(crate) fn to_oci(name: &str) -> Capability {
    Capability::from_str(name).expect("every name in the table is an OCI capability")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn all() -> Vec<&'static str> {
        NAMES.to_vec()
    }

    #[test]
    fn names_take_any_case_with_or_without_the_prefix() {
        for (input, expected) in [
            ("NET_ADMIN", "NET_ADMIN"),
            ("cap_net_admin", "NET_ADMIN"),
            ("Cap_Sys_Time", "SYS_TIME"),
            ("all", "ALL"),
            ("CAP_ALL", "ALL"),
        ] {
            assert_eq!(normalize(input).unwrap(), expected, "{input}");
        }
        let error = normalize("CAP_FLY").unwrap_err().to_string();
        assert!(error.contains("unknown capability: \"CAP_FLY\""), "{error}");
    }

    #[test]
    fn dockers_default_mask() {
        let caps = resolve(false, &[], &[], &all()).unwrap();
        assert_eq!(mask_of(&caps), 0xa804_25fb);
        assert_eq!(names_in_mask(0xa804_25fb).len(), 14);
    }

    #[test]
    fn add_and_drop_tweak_the_default() {
        let caps = resolve(
            false,
            &names(&["net_admin"]),
            &names(&["CAP_CHOWN", "mknod"]),
            &all(),
        );
        let caps = caps.unwrap();
        assert!(caps.contains(&"NET_ADMIN"));
        assert!(!caps.contains(&"CHOWN") && !caps.contains(&"MKNOD"));
        assert_eq!(caps.len(), 13);
    }

    #[test]
    fn all_in_either_list() {
        let only_kill = resolve(false, &names(&["KILL"]), &names(&["ALL"]), &all()).unwrap();
        assert_eq!(only_kill, ["KILL"]);
        let nearly_all = resolve(false, &names(&["ALL"]), &names(&["SYS_ADMIN"]), &all()).unwrap();
        assert_eq!(nearly_all.len(), 40);
        assert!(!nearly_all.contains(&"SYS_ADMIN"));
        assert!(
            resolve(false, &[], &names(&["ALL"]), &all())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn privileged_gets_what_the_host_has() {
        let host = names_in_mask(0x1ff_feff_ffff);
        let caps = resolve(true, &[], &[], &host).unwrap();
        assert_eq!(caps.len(), 40);
        assert!(!caps.contains(&"SYS_RESOURCE"));
        let error = resolve(false, &names(&["SYS_RESOURCE"]), &[], &host).unwrap_err();
        assert!(error.to_string().contains("CAP_SYS_RESOURCE"), "{error}");
    }

    #[test]
    fn every_name_is_an_oci_capability() {
        for name in NAMES {
            to_oci(name);
        }
    }
}
