//! An image's root filesystem mounted for a step: an overlay of its layers with an
//! upper directory of the step's own, so that what the step writes there is the
//! step's layer, and copy-up, symlinks and whiteouts are the kernel's business.

use std::path::{Path, PathBuf};

use container_runtime::overlay::{self, Overlay};
use container_store::{Image, Store};

use crate::error::{BuildError, Result};

/// An overlay mount; unmounted and cleaned up when dropped (its upper directory
/// too, unless taken with [`Mounted::into_upper`]).
pub struct Mounted {
    target: PathBuf,
    upper: Option<PathBuf>,
    work: PathBuf,
    empty_lower: Option<PathBuf>,
    is_mounted: bool,
    _tracked: Option<crate::cancel::MountGuard>,
}

impl Mounted {
    /// Mounts `image` (or nothing, for `scratch`) with a fresh upper directory.
    pub fn new(store: &Store, image: Option<&Image>) -> Result<Mounted> {
        let lowers: Vec<PathBuf> = image
            .map(|i| {
                i.chain_ids
                    .iter()
                    .rev()
                    .map(|c| store.layer_path(c))
                    .collect()
            })
            .unwrap_or_default();
        Mounted::over(store, lowers)
    }

    /// Mounts a directory with a fresh upper one: what is written there is
    /// kept apart from `dir`, and gone when the value is dropped.
    pub fn writable(store: &Store, dir: &Path) -> Result<Mounted> {
        Mounted::over(store, vec![dir.to_owned()])
    }

    /// An overlay of `lowers`, top-most first.
    fn over(store: &Store, mut lowers: Vec<PathBuf>) -> Result<Mounted> {
        let mut mounted = Mounted {
            target: store.scratch_dir("mnt")?,
            upper: Some(store.scratch_dir("upper")?),
            work: store.scratch_dir("work")?,
            empty_lower: None,
            is_mounted: false,
            _tracked: None,
        };
        if lowers.is_empty() {
            // overlayfs needs a lower directory.
            let empty = store.scratch_dir("empty")?;
            lowers.push(empty.clone());
            mounted.empty_lower = Some(empty);
        }
        let overlay = Overlay {
            lowers,
            upper: mounted.upper.clone().expect("set above"),
            work: mounted.work.clone(),
        };
        overlay.mount(&mounted.target)?;
        mounted.is_mounted = true;
        mounted._tracked = Some(crate::cancel::MountGuard::new(mounted.target.clone()));
        Ok(mounted)
    }

    /// The merged root.
    pub fn root(&self) -> &Path {
        &self.target
    }

    /// Unmounts and hands over the upper directory: the step's changes.
    pub fn into_upper(mut self) -> Result<PathBuf> {
        self.unmount()?;
        let upper = self.upper.take().expect("taken once");
        crate::run::strip_overlay_xattrs(&upper).map_err(|source| BuildError::Write {
            path: upper.display().to_string(),
            source,
        })?;
        Ok(upper)
    }

    fn unmount(&mut self) -> Result<()> {
        if self.is_mounted {
            overlay::unmount(&self.target)?;
            self.is_mounted = false;
        }
        Ok(())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Err(error) = self.unmount() {
            tracing::warn!(%error, "unmounting a build step's root");
            return;
        }
        let _ = std::fs::remove_dir(&self.target);
        let _ = std::fs::remove_dir_all(&self.work);
        if let Some(upper) = self.upper.take() {
            let _ = std::fs::remove_dir_all(upper);
        }
        if let Some(empty) = self.empty_lower.take() {
            let _ = std::fs::remove_dir(empty);
        }
    }
}

/// Whether a directory is empty (a step that changed nothing).
pub fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}
