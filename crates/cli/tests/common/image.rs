//! Test images made here: busybox's layer, one more layer built from a directory, and
//! a config with `VOLUME`s, pushed to the test registry with skopeo.

use std::path::Path;
use std::process::Command;

use container_test_support::{Registry, fixture_digest, fixture_layout};
use serde_json::{Value, json};

/// Pushes `repo:tag` to `registry`: busybox with a layer holding the entries of
/// `layer_dir` (owners, modes, links and `user.*` xattrs as they are there) and
/// `volumes` as its `VOLUME`s.
pub fn push_busybox_with(registry: &Registry, repo_tag: &str, layer_dir: &Path, volumes: &[&str]) {
    let layout = tempfile::tempdir().expect("layout tempdir");
    let blobs = layout.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let fixture = fixture_layout();
    let base_digest = fixture_digest("busybox-1.35");
    let mut manifest: Value = read_json(&blob_path(&fixture, &base_digest));
    let config_digest = manifest["config"]["digest"].as_str().unwrap().to_owned();
    let mut config: Value = read_json(&blob_path(&fixture, &config_digest));
    for layer in manifest["layers"].as_array().unwrap() {
        let digest = layer["digest"].as_str().unwrap();
        std::fs::copy(
            blob_path(&fixture, digest),
            blob_path(layout.path(), digest),
        )
        .unwrap();
    }

    let tar = layout.path().join("layer.tar");
    make_tar(layer_dir, &tar);
    let (layer_digest, layer_size) = add_blob(layout.path(), &std::fs::read(&tar).unwrap());
    config["rootfs"]["diff_ids"]
        .as_array_mut()
        .unwrap()
        .push(json!(layer_digest));
    config["history"]
        .as_array_mut()
        .unwrap()
        .push(json!({"created_by": "test layer"}));
    let declared: serde_json::Map<String, Value> =
        volumes.iter().map(|v| (v.to_string(), json!({}))).collect();
    config["config"]["Volumes"] = Value::Object(declared);
    let (config_digest, config_size) =
        add_blob(layout.path(), &serde_json::to_vec(&config).unwrap());
    manifest["config"]["digest"] = json!(config_digest);
    manifest["config"]["size"] = json!(config_size);
    manifest["layers"].as_array_mut().unwrap().push(json!({
        "mediaType": "application/vnd.oci.image.layer.v1.tar",
        "digest": layer_digest,
        "size": layer_size,
    }));
    let (manifest_digest, manifest_size) =
        add_blob(layout.path(), &serde_json::to_vec(&manifest).unwrap());
    write_index(layout.path(), &manifest_digest, manifest_size);
    skopeo_copy(registry, layout.path(), repo_tag);
}

fn make_tar(dir: &Path, out: &Path) {
    let mut entries: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    let status = Command::new("tar")
        .args([
            "--xattrs",
            "--xattrs-include=user.*",
            "--numeric-owner",
            "-C",
        ])
        .arg(dir)
        .arg("-cf")
        .arg(out)
        .args(&entries)
        .status()
        .expect("running tar");
    assert!(status.success(), "tar failed");
}

fn skopeo_copy(registry: &Registry, layout: &Path, repo_tag: &str) {
    let output = Command::new("skopeo")
        .args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:test", layout.display()))
        .arg(format!("docker://{}/{repo_tag}", registry.addr()))
        .output()
        .expect("running skopeo");
    assert!(
        output.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn write_index(layout: &Path, digest: &str, size: usize) {
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": size,
            "annotations": {"org.opencontainers.image.ref.name": "test"},
        }],
    });
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
}

/// Writes a blob; returns its digest and size.
fn add_blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let temp = layout.join("blob.tmp");
    std::fs::write(&temp, bytes).unwrap();
    let output = Command::new("sha256sum")
        .arg(&temp)
        .output()
        .expect("running sha256sum");
    let text = String::from_utf8(output.stdout).unwrap();
    let digest = format!("sha256:{}", text.split_whitespace().next().unwrap());
    std::fs::rename(&temp, blob_path(layout, &digest)).unwrap();
    (digest, bytes.len())
}

fn blob_path(layout: &Path, digest: &str) -> std::path::PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}
