//! The mounts of `run` and `create`, read from `-v`, `--mount` and `--tmpfs`, and as
//! `inspect` shows them.

use anyhow::Context as _;
use container_runtime::mounts::{self, MountKind, MountOrigin, MountSpec};
use container_runtime::{ContainerRecord, Runtime};
use serde_json::{Map, Value, json};

use crate::cli::ContainerOptions;

// TODO: `--volumes-from` and `--volume-driver` are not flags yet
/// Every mount the flags ask for, `-v` first, then `--mount`, then `--tmpfs`.
pub fn from_flags(options: &ContainerOptions) -> anyhow::Result<Vec<MountSpec>> {
    let cwd = std::env::current_dir().context("finding the current directory")?;
    let mut all = Vec::new();
    for text in &options.volumes {
        all.push(mounts::parse_volume(text, &cwd)?);
    }
    for text in &options.mounts {
        all.push(mounts::parse_mount(text, &cwd)?);
    }
    for text in &options.tmpfs {
        all.push(mounts::parse_tmpfs(text)?);
    }
    Ok(all)
}

/// Adds what Docker's container inspect shows of the mounts: `Mounts`, and the flags
/// they came from in `HostConfig.Binds` (`-v` with a source), `HostConfig.Mounts`
/// (`--mount`), `HostConfig.Tmpfs` (`--tmpfs`) and `Config.Volumes` (anonymous `-v`
/// and the image's `VOLUME`s).
pub fn add_to_inspect(value: &mut Value, runtime: &Runtime, record: &ContainerRecord) {
    let mounts = &record.host.mounts;
    let mut binds = Vec::new();
    let mut flag_mounts = Vec::new();
    let mut tmpfs = Map::new();
    let mut volumes = Map::new();
    for mount in mounts {
        match &mount.origin {
            MountOrigin::Volume(_) if mount.is_anonymous => {
                volumes.insert(mount.destination.clone(), json!({}));
            }
            MountOrigin::Volume(text) => binds.push(text.clone()),
            MountOrigin::Mount(_) => flag_mounts.push(json!({
                "Type": mount.kind.as_str(),
                "Source": if mount.is_anonymous { "" } else { &mount.source },
                "Target": mount.destination,
                "ReadOnly": mount.read_only,
            })),
            MountOrigin::Tmpfs(options) => {
                tmpfs.insert(mount.destination.clone(), json!(options));
            }
            MountOrigin::Image => {
                volumes.insert(mount.destination.clone(), json!({}));
            }
        }
    }
    value["Mounts"] = mount_points(runtime, mounts);
    value["HostConfig"]["Binds"] = if binds.is_empty() {
        Value::Null
    } else {
        json!(binds)
    };
    if !flag_mounts.is_empty() {
        value["HostConfig"]["Mounts"] = json!(flag_mounts);
    }
    if !tmpfs.is_empty() {
        value["HostConfig"]["Tmpfs"] = Value::Object(tmpfs);
    }
    value["Config"]["Volumes"] = if volumes.is_empty() {
        Value::Null
    } else {
        Value::Object(volumes)
    };
}

/// Docker's `Mounts`: every mount but `--tmpfs` ones, by destination.
fn mount_points(runtime: &Runtime, mounts: &[MountSpec]) -> Value {
    let mut points: Vec<&MountSpec> = mounts
        .iter()
        .filter(|m| !matches!(m.origin, MountOrigin::Tmpfs(_)))
        .collect();
    points.sort_by(|a, b| a.destination.cmp(&b.destination));
    let points: Vec<Value> = points
        .into_iter()
        .map(|mount| {
            let mut point = json!({
                "Type": mount.kind.as_str(),
                "Source": mount.source,
                "Destination": mount.destination,
                "Mode": mount.mode,
                "RW": !mount.read_only,
                "Propagation": mount.propagation,
            });
            match mount.kind {
                MountKind::Volume => {
                    point["Name"] = json!(mount.source);
                    point["Source"] = json!(runtime.volume_mountpoint(&mount.source));
                    point["Driver"] = json!("local");
                }
                MountKind::Tmpfs => point["Source"] = json!(""),
                MountKind::Bind => {}
            }
            point
        })
        .collect();
    Value::Array(points)
}
