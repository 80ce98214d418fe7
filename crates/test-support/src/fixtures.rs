//! The fixture images: `fixtures/build-images.sh`, run once per test process; it builds
//! once per machine (cached in `$FIXTURES_CACHE`, default `~/.cache/container-fixtures`)
//! and serialises builders with `flock $cache/lock`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/build-images.sh"
);

/// Builds (once per machine, cached; serialised across concurrent test processes with a
/// lock file) the fixture layout by running fixtures/build-images.sh; returns its path.
///
/// Refs: `busybox-1.35`, `multi-1`, `zstd-1`, `mislabelled-1`, `plain-as-gzip-1`,
/// `bad-diffid-1`, `whiteouts-1`, `opaque-1`, `recreate-1`, `breakout-1`, `platforms-1`
/// (see `fixtures/README.md`). A cached run takes well under a second.
pub fn fixture_layout() -> PathBuf {
    static LAYOUT: OnceLock<PathBuf> = OnceLock::new();
    LAYOUT.get_or_init(|| build_layout(&[])).clone()
}

/// [`fixture_layout`] plus `debian-bookworm-slim` and `python-3.11-slim` (the script's
/// `--with-debian`: debootstrap from deb.debian.org, about a minute the first time).
/// Same layout path.
pub fn fixture_layout_with_debian() -> PathBuf {
    static LAYOUT: OnceLock<PathBuf> = OnceLock::new();
    LAYOUT
        .get_or_init(|| build_layout(&["--with-debian"]))
        .clone()
}

/// The manifest (or index) digest `sha256:...` of fixture image `layout_ref`: what a
/// registry serves after [`crate::Registry::load`], which keeps digests.
pub fn fixture_digest(layout_ref: &str) -> String {
    let index_path = fixture_layout().join("index.json");
    let text = fs::read_to_string(&index_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", index_path.display()));
    let index: serde_json::Value = serde_json::from_str(&text).expect("index.json is JSON");
    index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == layout_ref)
        .and_then(|m| m["digest"].as_str())
        .unwrap_or_else(|| {
            panic!(
                "no fixture image {layout_ref:?} in {}",
                index_path.display()
            )
        })
        .to_string()
}

/// Makes sure `docker-registry` and `skopeo` are on PATH: the fixture script installs
/// them (with apt, as root) when they are missing.
pub(crate) fn ensure_tools() {
    if !(on_path("docker-registry") && on_path("skopeo")) {
        fixture_layout();
    }
    for tool in ["docker-registry", "skopeo"] {
        assert!(
            on_path(tool),
            "{tool} not found: apt-get install docker-registry skopeo"
        );
    }
}

fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| dir.join(tool).is_file())
}

fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FIXTURES_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").expect("HOME (or FIXTURES_CACHE) must be set");
    Path::new(&home).join(".cache/container-fixtures")
}

/// Runs the script (it takes `$cache/lock` with flock before building anything, so
/// concurrent test processes build once and wait for each other).
fn build_layout(options: &[&str]) -> PathBuf {
    let cache = cache_dir();
    let out = Command::new("bash")
        .arg(SCRIPT)
        .args(options)
        .env("FIXTURES_CACHE", &cache)
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash {SCRIPT}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{SCRIPT} failed ({}):\n{stderr}",
        out.status
    );
    let layout = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        layout.join("index.json").is_file(),
        "{SCRIPT} gave no layout:\n{stderr}"
    );
    layout
}
