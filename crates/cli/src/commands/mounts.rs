//! The mounts of `run` and `create`, read from `-v`, `--mount` and `--tmpfs`.

use anyhow::Context as _;
use container_runtime::mounts::{self, MountSpec};

use crate::cli::ContainerOptions;

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
