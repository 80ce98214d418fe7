//! Manifest media types, and telling them apart.

use serde::Deserialize;

/// The media types this tool reads and writes.
pub mod media_types {
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// Docker manifest list (schema 2).
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker image manifest (schema 2).
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker schema 1, unsigned.
    pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
    /// Docker schema 1, signed.
    pub const DOCKER_SCHEMA1_SIGNED: &str =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// What a manifest request accepts: without these, some registries answer with
    /// schema 1 (CASES C36).
    pub const ACCEPT_MANIFESTS: &[&str] = &[OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST];
}

/// Whether a manifest lists platforms or describes one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// An OCI index or Docker manifest list.
    Index,
    /// An OCI or Docker image manifest.
    Image,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    layers: Option<serde_json::Value>,
}

/// What a manifest body turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Classified {
    Known(ManifestKind, String),
    Schema1,
    Unsupported(String),
    Invalid,
}

/// Tells the kind of a manifest from its `mediaType`, or from its shape when the field
/// is absent (OCI allows that).
pub(crate) fn classify(body: &[u8]) -> Classified {
    use media_types::*;
    let Ok(probe) = serde_json::from_slice::<Probe>(body) else {
        return Classified::Invalid;
    };
    if probe.schema_version == Some(1) {
        return Classified::Schema1;
    }
    match probe.media_type.as_deref() {
        Some(t @ (OCI_INDEX | DOCKER_LIST)) => Classified::Known(ManifestKind::Index, t.into()),
        Some(t @ (OCI_MANIFEST | DOCKER_MANIFEST)) => {
            Classified::Known(ManifestKind::Image, t.into())
        }
        Some(DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED) => Classified::Schema1,
        Some(other) => Classified::Unsupported(other.to_owned()),
        None if probe.manifests.is_some() => {
            Classified::Known(ManifestKind::Index, OCI_INDEX.into())
        }
        None if probe.layers.is_some() => {
            Classified::Known(ManifestKind::Image, OCI_MANIFEST.into())
        }
        None => Classified::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_media_type_then_shape() {
        let cases: &[(&str, Classified)] = &[
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#,
                Classified::Known(ManifestKind::Index, media_types::DOCKER_LIST.into()),
            ),
            (
                r#"{"schemaVersion":2,"layers":[],"config":{}}"#,
                Classified::Known(ManifestKind::Image, media_types::OCI_MANIFEST.into()),
            ),
            (r#"{"schemaVersion":1,"fsLayers":[]}"#, Classified::Schema1),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.example+json"}"#,
                Classified::Unsupported("application/vnd.example+json".into()),
            ),
            ("not json", Classified::Invalid),
        ];
        for (body, expected) in cases {
            assert_eq!(&classify(body.as_bytes()), expected, "{body}");
        }
    }
}
