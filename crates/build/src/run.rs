//! RUN: a container on the current image, run to completion through the runtime;
//! its overlay upper directory becomes the step's layer.
//!
//! The upper directory is already in the form `layers/` keeps (whiteouts as 0/0
//! devices, opaque directories marked), so it is moved, not copied. Before that,
//! what only the container's mounts put there goes: the mount points of
//! `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`, of `RUN --mount`
//! targets (so a secret never reaches a layer, not even as an empty file) and of
//! `/proc`, `/sys` and `/dev`, when the image did not have them; and overlayfs's
//! own attributes other than the opaque marker.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use container_runtime::mounts::MountSpec;
use container_runtime::{CreateOptions, HostConfig, NetworkMode, Output, Runtime, UserConfig};
use container_store::Image;

use crate::error::StepError;

/// Lines of output kept to show when a RUN fails.
const TAIL_LINES: usize = 10;

/// What one RUN executes.
pub struct RunSpec {
    /// The argv.
    pub argv: Vec<String>,
    /// `KEY=VALUE`: the image's environment and the build args in scope.
    pub env: Vec<String>,
    /// The working directory (absolute).
    pub working_dir: String,
    /// The user, as USER set it.
    pub user: String,
    /// The network namespace.
    pub network: NetworkMode,
    /// `RUN --mount` binds.
    pub mounts: Vec<MountSpec>,
}

/// Runs `spec` on `image`, sending the container's output to `output` as it comes;
/// on success returns its upper directory, moved to `scratch` and cleaned.
pub fn run(
    runtime: &Runtime,
    image: &Image,
    spec: &RunSpec,
    scratch: PathBuf,
    output: &(dyn Fn(&[u8]) + Sync),
) -> Result<PathBuf, StepError> {
    // Docker keeps what a RUN writes under a VOLUME of the image in the layer; as
    // the runtime would make them volumes, the container gets an image without them.
    let mut image = image.clone();
    if let Some(config) = image.config.config.as_mut().and_then(|c| c.as_object_mut()) {
        config.remove("Volumes");
    }
    let options = CreateOptions {
        name: None,
        config: UserConfig {
            command: spec.argv.clone(),
            entrypoint: Some(String::new()),
            env: spec.env.clone(),
            working_dir: Some(spec.working_dir.clone()),
            user: Some(spec.user.clone()).filter(|u| !u.is_empty()),
            ..UserConfig::default()
        },
        host: HostConfig {
            network: spec.network,
            mounts: spec.mounts.clone(),
            ..HostConfig::default()
        },
    };
    let record = runtime.create(&image, &image.id, &options)?;
    let _tracked = crate::cancel::ContainerGuard::new(runtime, &record.id);
    let result = run_container(runtime, &record.id, spec, output);
    let taken = result.and_then(|()| take_upper(runtime, &record.id, &image, spec, scratch));
    if let Err(error) = runtime.remove(&record.id, true) {
        tracing::debug!(%error, "removing a build container");
    }
    taken
}

fn run_container(
    runtime: &Runtime,
    id: &str,
    spec: &RunSpec,
    output: &(dyn Fn(&[u8]) + Sync),
) -> Result<(), StepError> {
    runtime.start(id, container_runtime::StartMode::Attached)?;
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| crate::BuildError::Write {
            path: "(event loop)".into(),
            source,
        })?;
    let mut tail = Tail::default();
    let code = tokio.block_on(async {
        let (mut attached, _input) = runtime.attach(id, false, None).await?;
        loop {
            match attached.next().await? {
                Output::Stdout(data) | Output::Stderr(data) => {
                    tail.push(&data);
                    output(&data);
                }
                Output::Exit(code) => return Ok::<i32, container_runtime::RuntimeError>(code),
            }
        }
    })?;
    wait_until_stopped(runtime, id);
    if code != 0 {
        return Err(StepError::RunFailed {
            command: spec.argv.join(" "),
            code,
            output: tail.lines(),
        });
    }
    Ok(())
}

/// Waits for the monitor to unmount the root and leave.
fn wait_until_stopped(runtime: &Runtime, id: &str) {
    for _ in 0..2000 {
        let is_alive = runtime
            .find(id)
            .map(|r| r.is_monitor_alive())
            .unwrap_or(false);
        if !is_alive && !runtime.is_rootfs_mounted(id) {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn take_upper(
    runtime: &Runtime,
    id: &str,
    image: &Image,
    spec: &RunSpec,
    scratch: PathBuf,
) -> Result<PathBuf, StepError> {
    let upper = runtime.paths().upper(id);
    // The scratch directory was made to reserve the name; the upper takes its place.
    std::fs::remove_dir(&scratch).map_err(write_failed(&scratch))?;
    std::fs::rename(&upper, &scratch).map_err(write_failed(&upper))?;
    let lowers: Vec<PathBuf> = image
        .chain_ids
        .iter()
        .map(|c| runtime.store().layer_path(c))
        .collect();
    clean_upper(&scratch, &lowers, spec)?;
    Ok(scratch)
}

fn write_failed(path: &Path) -> impl Fn(std::io::Error) -> StepError + '_ {
    move |source| {
        StepError::Build(crate::BuildError::Write {
            path: path.display().to_string(),
            source,
        })
    }
}

/// Removes mount points and overlayfs bookkeeping from an upper directory.
fn clean_upper(upper: &Path, lowers: &[PathBuf], spec: &RunSpec) -> Result<(), StepError> {
    let in_lowers = |relative: &str| {
        lowers
            .iter()
            .any(|l| std::fs::symlink_metadata(l.join(relative)).is_ok())
    };
    for name in ["etc/hostname", "etc/hosts", "etc/resolv.conf"] {
        let path = upper.join(name);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0) {
            std::fs::remove_file(&path).map_err(write_failed(&path))?;
        }
    }
    let mut targets: Vec<String> = ["proc", "sys", "dev"].map(String::from).to_vec();
    targets.extend(
        spec.mounts
            .iter()
            .map(|m| m.destination.trim_start_matches('/').to_owned()),
    );
    for target in targets {
        remove_mount_point(upper, &target, &in_lowers);
    }
    strip_overlay_xattrs(upper).map_err(write_failed(upper))
}

/// Removes `relative` when it is an empty file or directory that no lower layer
/// has, then its parents on the same terms.
fn remove_mount_point(upper: &Path, relative: &str, in_lowers: &dyn Fn(&str) -> bool) {
    let mut current = relative.trim_end_matches('/').to_owned();
    while !current.is_empty() {
        let path = upper.join(&current);
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            return;
        };
        if in_lowers(&current) {
            return;
        }
        let removed = match metadata.is_dir() {
            true => std::fs::remove_dir(&path).is_ok(),
            false => {
                metadata.is_file() && metadata.len() == 0 && std::fs::remove_file(&path).is_ok()
            }
        };
        if !removed {
            return;
        }
        current = current
            .rsplit_once('/')
            .map_or(String::new(), |(p, _)| p.to_owned());
    }
}

/// Overlayfs's bookkeeping attributes (`origin`, `impure`, …) mean nothing in a
/// lower layer; the opaque marker is part of the layer.
pub(crate) fn strip_overlay_xattrs(dir: &Path) -> std::io::Result<()> {
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        let mut names = vec![0u8; 4096];
        if let Ok(length) = rustix::fs::llistxattr(&path, &mut names) {
            for name in names[..length].split(|&b| b == 0) {
                let is_bookkeeping =
                    name.starts_with(b"trusted.overlay.") && name != b"trusted.overlay.opaque";
                if is_bookkeeping {
                    let _ = rustix::fs::lremovexattr(&path, name);
                }
            }
        }
        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if is_dir {
            let entries = std::fs::read_dir(&path)?;
            pending.extend(entries.flatten().map(|e| e.path()));
        }
    }
    Ok(())
}

/// The last lines of a step's output.
#[derive(Default)]
struct Tail {
    lines: VecDeque<String>,
    partial: Vec<u8>,
}

impl Tail {
    fn push(&mut self, data: &[u8]) {
        self.partial.extend_from_slice(data);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            self.lines.push_back(text);
            if self.lines.len() > TAIL_LINES {
                self.lines.pop_front();
            }
        }
    }

    fn lines(mut self) -> Vec<String> {
        if !self.partial.is_empty() {
            self.lines
                .push_back(String::from_utf8_lossy(&self.partial).into_owned());
        }
        let skip = self.lines.len().saturating_sub(TAIL_LINES);
        self.lines.into_iter().skip(skip).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let mut tail = Tail::default();
        for n in 0..15 {
            tail.push(format!("line {n}\n").as_bytes());
        }
        tail.push(b"partial");
        let lines = tail.lines();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines.last().unwrap(), "partial");
        assert_eq!(lines[0], "line 6");
    }
}
