//! Images as the store holds them: a manifest, its config, and the names pointing to them.

use std::collections::BTreeMap;

use container_reference::Reference;
use oci_spec::image::ImageManifest;
use serde::{Deserialize, Serialize};

/// The parts of an image config (OCI or Docker) that the store reads. The whole JSON is
/// kept beside it, so nothing is lost when it is shown.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ImageConfig {
    /// When the image was made (RFC 3339).
    #[serde(default)]
    pub created: Option<String>,
    /// CPU architecture.
    #[serde(default)]
    pub architecture: String,
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// CPU variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// Author, when set.
    #[serde(default)]
    pub author: Option<String>,
    /// The run configuration (Env, Cmd, Entrypoint, Labels, …).
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// The layers' uncompressed digests.
    pub rootfs: RootFs,
    /// How each layer was made.
    #[serde(default)]
    pub history: Vec<History>,
}

/// `rootfs` of an image config.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `sha256:…` of each uncompressed layer, bottom first.
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// One `history` entry of an image config.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct History {
    /// When the step ran.
    #[serde(default)]
    pub created: Option<String>,
    /// The command of the step.
    #[serde(default)]
    pub created_by: Option<String>,
    /// A comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Whether the step made no layer.
    #[serde(default)]
    pub empty_layer: bool,
}

impl ImageConfig {
    /// Whether an image of this config runs on `platform`, by the same rules that
    /// pick a platform from an index (an older variant serves a newer CPU).
    pub fn can_serve(&self, platform: &container_registry::platform::Platform) -> bool {
        let candidate = container_registry::platform::Candidate {
            os: &self.os,
            architecture: &self.architecture,
            variant: self.variant.as_deref(),
            os_version: None,
            is_attestation: false,
        };
        container_registry::platform::select(platform, &[candidate]).is_some()
    }

    /// The labels of the run configuration.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let labels = self
            .config
            .as_ref()
            .and_then(|c| c.get("Labels"))
            .and_then(|l| l.as_object());
        labels
            .map(|l| {
                l.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// An image in the store.
#[derive(Debug, Clone)]
pub struct Image {
    /// The config digest, which is the image's ID (as in Docker).
    pub id: String,
    /// The digest of its manifest.
    pub manifest_digest: String,
    /// The manifest.
    pub manifest: ImageManifest,
    /// The config.
    pub config: ImageConfig,
    /// The config exactly as stored.
    pub raw_config: serde_json::Value,
    /// Tags pointing to it (directly, or through an index).
    pub tags: Vec<Reference>,
    /// `name@digest` forms of what the registry served for it.
    pub repo_digests: Vec<String>,
    /// Bytes of its unpacked layers.
    pub size: u64,
    /// The chain ID of each layer, bottom first: `layers/<hex>` directories.
    pub chain_ids: Vec<String>,
}

impl Image {
    /// The first 12 hex characters of the ID.
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }

    /// Whether no tag points to it.
    pub fn is_dangling(&self) -> bool {
        self.tags.is_empty()
    }
}

/// `sha256:0123456789ab…` → `0123456789ab`.
pub fn short_id(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
    &hex[..hex.len().min(12)]
}

/// Chain IDs per the OCI image spec: the first is the first diff ID, each next one is
/// `sha256(parent + " " + diff_id)`.
/// <https://github.com/opencontainers/image-spec/blob/main/config.md#layer-chainid>
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut chain: Vec<String> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        let next = match chain.last() {
            None => diff_id.clone(),
            Some(parent) => crate::layout::sha256_of(format!("{parent} {diff_id}").as_bytes()),
        };
        chain.push(next);
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_follow_the_spec() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let ids = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(ids[0], a);
        assert_eq!(
            ids[1],
            crate::layout::sha256_of(format!("{a} {b}").as_bytes())
        );
    }

    #[test]
    fn short_ids_have_twelve_characters() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}
