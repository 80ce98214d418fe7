//! Getting a container's mounts ready when it starts: host directories for `-v`,
//! volumes (made again if they went, and seeded), destinations inside the root; then
//! the mounts as the OCI runtime spec has them, parents first.

use std::collections::BTreeMap;
use std::path::Path;

use oci_spec::runtime::{Mount, MountBuilder};

use super::{
    ANONYMOUS_LABEL, MountError, MountKind, MountOrigin, MountSpec, Problem, in_mount_order,
};
use crate::error::{Result, RuntimeError};
use crate::inroot::RootDir;
use crate::volumes::{self, VolumeStore};

/// Prepares every mount of `mounts` for the container whose root is `root`, and returns
/// them as the runtime spec lists them.
pub(crate) fn prepare(
    mounts: &[MountSpec],
    root: &RootDir,
    store: &VolumeStore,
) -> Result<Vec<Mount>> {
    if mounts.is_empty() {
        return Ok(Vec::new());
    }
    // Held while volumes are made and seeded, so two containers starting on one empty
    // volume do not both fill it, and `volume rm` waits.
    let _lock = store.lock()?;
    let mut prepared = Vec::new();
    for mount in in_mount_order(mounts) {
        let source = match mount.kind {
            MountKind::Bind => bind_source(mount, root)?,
            MountKind::Volume => volume_source(mount, root, store)?,
            MountKind::Tmpfs => {
                root.create_dir_all(&mount.destination)?;
                "tmpfs".to_owned()
            }
        };
        let destination = &mount.destination;
        tracing::debug!(kind = mount.kind.as_str(), %source, %destination, "mount");
        prepared.push(spec_mount(mount, &source)?);
    }
    Ok(prepared)
}

/// The host path of a bind mount, made for `-v` when missing (as Docker does, not for
/// `--mount`), and its destination inside the root, a file for a file.
fn bind_source(mount: &MountSpec, root: &RootDir) -> Result<String> {
    let source = Path::new(&mount.source);
    if !source.exists() {
        if !matches!(mount.origin, MountOrigin::Volume(_)) {
            return Err(MountError::Config {
                kind: "bind".into(),
                problem: Problem::NoSource(mount.source.clone()),
            }
            .into());
        }
        std::fs::create_dir_all(source).map_err(RuntimeError::io("creating", source))?;
    }
    let is_dir = source.is_dir();
    let destination = &mount.destination;
    if root.exists(destination) && root.is_dir(destination) != is_dir {
        return Err(RuntimeError::MountTypeMismatch {
            host_path: mount.source.clone(),
            destination: destination.clone(),
        });
    }
    match is_dir {
        true => root.create_dir_all(destination)?,
        false => root.create_file(destination)?,
    }
    Ok(mount.source.clone())
}

/// The volume's directory: the volume is made if it is missing, and filled from the
/// image if it is empty, unless `nocopy`.
fn volume_source(mount: &MountSpec, root: &RootDir, store: &VolumeStore) -> Result<String> {
    let mut labels = BTreeMap::new();
    if mount.is_anonymous {
        labels.insert(ANONYMOUS_LABEL.to_owned(), String::new());
    }
    let (volume, _) = store.create(&mount.source, &labels)?;
    if !mount.no_copy && root.is_dir(&mount.destination) {
        volumes::seed(root, &mount.destination, &volume.mountpoint)?;
    }
    root.create_dir_all(&mount.destination)?;
    Ok(volume.mountpoint.to_string_lossy().into_owned())
}

/// The runtime spec's entry: binds and volumes are recursive binds, tmpfs gets its
/// merged options.
fn spec_mount(mount: &MountSpec, source: &str) -> Result<Mount> {
    let (kind, mut options) = match mount.kind {
        MountKind::Tmpfs => ("tmpfs", mount.tmpfs_options.clone()),
        MountKind::Bind => ("bind", vec!["rbind".to_owned(), mount.propagation.clone()]),
        MountKind::Volume => (
            "bind",
            vec!["rbind".to_owned(), super::DEFAULT_PROPAGATION.to_owned()],
        ),
    };
    // TODO: `ro` binds are read-only at the top only; Docker 25 makes submounts read-only too
    if mount.read_only && mount.kind != MountKind::Tmpfs {
        options.push("ro".into());
    }
    MountBuilder::default()
        .destination(&mount.destination)
        .typ(kind)
        .source(source)
        .options(options)
        .build()
        .map_err(RuntimeError::Spec)
}

/// Whether the command may live in a mount, where the check made before the container
/// runs (which sees only the image) cannot look.
// TODO: a command in a mount that is missing or not executable fails at exec, not with 127/126
pub(crate) fn may_hide_command(
    mounts: &[MountSpec],
    command: &str,
    path_env: &str,
    cwd: &str,
) -> bool {
    let under_a_mount = |path: &str| {
        let path = super::clean(path);
        mounts
            .iter()
            .any(|m| Path::new(&path).starts_with(&m.destination))
    };
    let join = |dir: &str, name: &str| match name.starts_with('/') {
        true => name.to_owned(),
        false => format!("{dir}/{name}"),
    };
    match command.contains('/') {
        true => under_a_mount(&join(cwd, command)),
        false => path_env
            .split(':')
            .any(|dir| under_a_mount(&join(cwd, dir))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_mounts_are_not_checked_against_the_image() {
        let mounts = [super::super::parse_volume("/host/bin:/opt/bin", Path::new("/")).unwrap()];
        assert!(may_hide_command(&mounts, "/opt/bin/tool", "/bin", "/"));
        assert!(may_hide_command(&mounts, "bin/tool", "/bin", "/opt"));
        assert!(may_hide_command(&mounts, "tool", "/usr/bin:/opt/bin", "/"));
        assert!(!may_hide_command(&mounts, "sh", "/usr/bin:/bin", "/"));
        assert!(!may_hide_command(&mounts, "/opt/binary", "/bin", "/"));
    }

    #[test]
    fn spec_mounts_are_recursive_binds_or_tmpfs() {
        let bind = super::super::parse_volume("/h:/c:ro", Path::new("/")).unwrap();
        let json = serde_json::to_value(spec_mount(&bind, "/h").unwrap()).unwrap();
        assert_eq!(json["type"], "bind");
        assert_eq!(
            json["options"],
            serde_json::json!(["rbind", "rprivate", "ro"])
        );
        let tmpfs = super::super::parse_tmpfs("/run:size=1m").unwrap();
        let json = serde_json::to_value(spec_mount(&tmpfs, "tmpfs").unwrap()).unwrap();
        assert_eq!(json["type"], "tmpfs");
        assert_eq!(
            json["options"],
            serde_json::json!(["noexec", "nosuid", "nodev", "size=1m"])
        );
    }
}
