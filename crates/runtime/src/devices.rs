//! Host devices in containers: `--device HOST[:CONTAINER][:PERMISSIONS]`, and every
//! device of the host's `/dev` for `--privileged`, as Docker gives them.
//!
//! Each device becomes a node in the container's `/dev` (same type, numbers, mode
//! and owner as on the host) and a rule in the device cgroup that lets the container
//! use it with the given permissions (`r`ead, `w`rite, `m`knod). A directory stands
//! for every device below it.

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    LinuxDevice, LinuxDeviceBuilder, LinuxDeviceCgroup, LinuxDeviceCgroupBuilder, LinuxDeviceType,
};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RuntimeError};

/// One `--device`, as Docker's `HostConfig.Devices` has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceMapping {
    /// The device (or a directory of devices) on the host.
    pub path_on_host: String,
    /// Where it appears in the container.
    pub path_in_container: String,
    /// Any of `r`, `w` and `m`.
    pub cgroup_permissions: String,
}

/// Directories of the host's `/dev` that are not devices to hand over: the runtime
/// mounts its own `pts`, `shm` and `mqueue`, and the rest are the host's bookkeeping.
const SKIPPED_DIRS: [&str; 7] = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];

/// Parses `--device` the way Docker does: a second field that only holds permission
/// letters is the permissions, not a path.
pub fn parse_device(text: &str) -> Result<DeviceMapping> {
    let invalid = |reason: String| RuntimeError::InvalidOption {
        option: "--device",
        value: text.to_owned(),
        reason,
    };
    let fields: Vec<&str> = text.split(':').collect();
    let (host, container, permissions) = match fields[..] {
        [host] => (host, host, "rwm"),
        [host, second] if is_permissions(second) => (host, host, second),
        [host, container] => (host, container, "rwm"),
        [host, container, permissions] => (host, container, permissions),
        _ => return Err(invalid(format!("invalid device specification: {text}"))),
    };
    if !is_permissions(permissions) {
        return Err(invalid(format!("invalid device mode: {permissions}")));
    }
    for path in [host, container] {
        if !path.starts_with('/') {
            return Err(invalid(format!("{path} is not an absolute path")));
        }
    }
    Ok(DeviceMapping {
        path_on_host: host.to_owned(),
        path_in_container: container.to_owned(),
        cgroup_permissions: permissions.to_owned(),
    })
}

fn is_permissions(text: &str) -> bool {
    !text.is_empty() && text.len() <= 3 && text.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
}

/// The nodes and cgroup rules of `--device` mappings, from the host's devices.
pub(crate) fn mapped(
    mappings: &[DeviceMapping],
) -> Result<(Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>)> {
    let mut devices = Vec::new();
    let mut rules = Vec::new();
    for mapping in mappings {
        let host = Path::new(&mapping.path_on_host);
        let found = devices_under(host, &[]).map_err(|source| RuntimeError::Device {
            path: host.to_owned(),
            source,
        })?;
        if found.is_empty() {
            return Err(RuntimeError::Device {
                path: host.to_owned(),
                source: std::io::Error::other("not a device node"),
            });
        }
        for (path, metadata) in found {
            let inside = Path::new(&mapping.path_in_container)
                .join(path.strip_prefix(host).expect("found under the host path"));
            let device = node(&inside, &metadata)?;
            rules.push(allow(
                device.typ(),
                device.major(),
                device.minor(),
                &mapping.cgroup_permissions,
            )?);
            devices.push(device);
        }
    }
    Ok((devices, rules))
}

/// Every device node of the host's `/dev`, for `--privileged`.
pub(crate) fn host_devices() -> Result<Vec<LinuxDevice>> {
    let dev = Path::new("/dev");
    let found = devices_under(dev, &SKIPPED_DIRS).map_err(|source| RuntimeError::Device {
        path: dev.to_owned(),
        source,
    })?;
    found
        .iter()
        // The runtime makes /dev/console and /dev/ptmx for the container itself.
        .filter(|(path, _)| !matches!(path.to_str(), Some("/dev/console" | "/dev/ptmx")))
        .map(|(path, metadata)| node(path, metadata))
        .collect()
}

/// A cgroup rule that allows every device, for `--privileged`.
pub(crate) fn allow_all() -> Result<LinuxDeviceCgroup> {
    LinuxDeviceCgroupBuilder::default()
        .allow(true)
        .typ(LinuxDeviceType::A)
        .access("rwm")
        .build()
        .map_err(RuntimeError::Spec)
}

/// Character and block devices at `path` or below it (not following symlinks).
fn devices_under(
    path: &Path,
    skipped: &[&str],
) -> std::io::Result<Vec<(PathBuf, std::fs::Metadata)>> {
    let metadata = std::fs::symlink_metadata(path)?;
    let kind = metadata.file_type();
    if kind.is_char_device() || kind.is_block_device() {
        return Ok(vec![(path.to_owned(), metadata)]);
    }
    if !kind.is_dir() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name();
        if skipped.iter().any(|s| name == *s) {
            continue;
        }
        found.extend(devices_under(&entry.path(), &[])?);
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

fn node(inside: &Path, metadata: &std::fs::Metadata) -> Result<LinuxDevice> {
    let typ = match metadata.file_type().is_block_device() {
        true => LinuxDeviceType::B,
        false => LinuxDeviceType::C,
    };
    let rdev = metadata.rdev();
    LinuxDeviceBuilder::default()
        .path(inside)
        .typ(typ)
        .major(i64::from(rustix::fs::major(rdev)))
        .minor(i64::from(rustix::fs::minor(rdev)))
        .file_mode(metadata.mode() & 0o7777)
        .uid(metadata.uid())
        .gid(metadata.gid())
        .build()
        .map_err(RuntimeError::Spec)
}

fn allow(typ: LinuxDeviceType, major: i64, minor: i64, access: &str) -> Result<LinuxDeviceCgroup> {
    LinuxDeviceCgroupBuilder::default()
        .allow(true)
        .typ(typ)
        .major(major)
        .minor(minor)
        .access(access)
        .build()
        .map_err(RuntimeError::Spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (String, String, String) {
        let m = parse_device(text).unwrap();
        (m.path_on_host, m.path_in_container, m.cgroup_permissions)
    }

    #[test]
    fn device_specifications_parse_as_docker_does() {
        let triple = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(parsed("/dev/fuse"), triple("/dev/fuse", "/dev/fuse", "rwm"));
        assert_eq!(parsed("/dev/fuse:r"), triple("/dev/fuse", "/dev/fuse", "r"));
        assert_eq!(
            parsed("/dev/sda:/dev/xvda"),
            triple("/dev/sda", "/dev/xvda", "rwm")
        );
        assert_eq!(
            parsed("/dev/sda:/dev/xvda:rw"),
            triple("/dev/sda", "/dev/xvda", "rw")
        );
        for bad in ["/dev/a:/dev/b:rwx", "dev/fuse", "/dev/a:b", "/a:/b:r:w"] {
            assert!(parse_device(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_devices_become_nodes_and_rules() {
        let mapping = parse_device("/dev/null:/dev/mynull:r").unwrap();
        let (devices, rules) = mapped(&[mapping]).unwrap();
        assert_eq!(devices[0].path(), Path::new("/dev/mynull"));
        assert_eq!((devices[0].major(), devices[0].minor()), (1, 3));
        assert_eq!(rules[0].access().as_deref(), Some("r"));
        let not_a_device = parse_device("/etc/hostname").unwrap();
        assert!(mapped(&[not_a_device]).is_err());
    }
}
