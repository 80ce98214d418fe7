//! `sources.json`: the repositories each blob is known to be in, because it was pulled
//! from or pushed to them, so that a push to another repository of the same registry
//! can ask the registry to mount the blob rather than upload it again.
//!
//! Repositories are named `domain/path` (`docker.io/library/busybox`). The record is a
//! hint: a registry that no longer has the blob just declines the mount.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::{Store, fsutil};

/// Repositories remembered per blob: enough to find one to mount from.
const MAX_SOURCES: usize = 8;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Sources {
    blobs: BTreeMap<String, BTreeSet<String>>,
}

impl Store {
    /// Records that `repository` (`domain/path`) holds each of `digests`.
    pub(crate) fn record_sources(&self, repository: &str, digests: &[String]) -> Result<()> {
        let _lock = self.lock_metadata()?;
        let path = self.root.join("sources.json");
        let mut sources: Sources = fsutil::read_json(&path)?.unwrap_or_default();
        let present: BTreeSet<String> = self.layout.blob_digests()?.into_iter().collect();
        sources.blobs.retain(|digest, _| present.contains(digest));
        for digest in digests {
            let repositories = sources.blobs.entry(digest.clone()).or_default();
            if repositories.len() < MAX_SOURCES || repositories.contains(repository) {
                repositories.insert(repository.to_owned());
            }
        }
        fsutil::write_json(&path, &sources)
    }

    /// The repositories known to hold `digest`, as `domain/path`.
    pub(crate) fn sources_of(&self, digest: &str) -> Result<BTreeSet<String>> {
        let path = self.root.join("sources.json");
        let sources: Sources = fsutil::read_json(&path)?.unwrap_or_default();
        Ok(sources.blobs.get(digest).cloned().unwrap_or_default())
    }
}
