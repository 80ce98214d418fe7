//! Layers with unusual content, pulled through the whole path (CASES C22, C25, C31).

mod common;

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};

use common::{container, inspect, mirrored_env};
use container_test_support::{Registry, TestEnv};

fn layer_dirs(env: &TestEnv, name: &str) -> Vec<std::path::PathBuf> {
    let image = inspect(env, name);
    let diff_ids: Vec<String> = image["RootFS"]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    let chains = container_store::chain_ids(&diff_ids);
    chains
        .iter()
        .map(|c| {
            env.root
                .path()
                .join("layers")
                .join(c.trim_start_matches("sha256:"))
        })
        .collect()
}

#[test]
fn zstd_and_mislabelled_gzip_layers_are_read_by_their_magic_bytes() {
    let registry = Registry::start();
    registry.load("zstd-1", "library/zstd:1");
    registry.load("mislabelled-1", "library/mislabelled:1");
    let env = mirrored_env(&registry);
    for name in ["zstd:1", "mislabelled:1"] {
        container(&env, &["pull", "-q", name]).success();
        let dirs = layer_dirs(&env, name);
        assert!(dirs.iter().all(|d| d.is_dir()), "{name}: {dirs:?}");
    }
}

#[test]
fn whiteouts_become_overlay_whiteouts() {
    let registry = Registry::start();
    registry.load("whiteouts-1", "library/whiteouts:1");
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "whiteouts:1"]).success();
    let dirs = layer_dirs(&env, "whiteouts:1");
    assert_eq!(dirs.len(), 2);
    for path in ["etc/hostname", "opt", ".hidden", "etc/nothere"] {
        let meta = std::fs::symlink_metadata(dirs[1].join(path)).unwrap();
        assert!(
            meta.file_type().is_char_device() && meta.rdev() == 0,
            "{path}"
        );
    }
    assert!(!dirs[1].join("etc/.wh.hostname").exists());
    assert!(dirs[0].join("etc/passwd").is_file());
}

#[test]
fn an_absolute_symlink_in_a_layer_cannot_write_outside_it() {
    let registry = Registry::start();
    registry.load("breakout-1", "library/breakout:1");
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "breakout:1"]).success();
    let dirs = layer_dirs(&env, "breakout:1");
    let written: Vec<String> = std::fs::read_dir(dirs[0].join("etc"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(
        !std::path::Path::new("/etc").join(&written[0]).exists(),
        "the host's /etc was written"
    );
    assert_eq!(
        std::fs::read_link(dirs[0].join("localetc")).unwrap(),
        std::path::Path::new("/etc")
    );
}

#[test]
fn plain_tar_labelled_gzip_is_read_as_tar() {
    let registry = Registry::start();
    registry.load("plain-as-gzip-1", "library/plain:1");
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "plain:1"]).success();
    assert!(layer_dirs(&env, "plain:1")[0].join("plain.txt").is_file());
}

#[test]
fn a_layer_that_does_not_match_its_diff_id_fails_and_leaves_nothing() {
    let registry = Registry::start();
    registry.load("bad-diffid-1", "library/bad:1");
    let env = mirrored_env(&registry);
    let output = container(&env, &["pull", "bad:1"]);
    output.code_is(1);
    assert!(
        output.stderr.contains("does not match its digest"),
        "{output}"
    );
    assert_eq!(container(&env, &["images", "-q"]).stdout, "");
    let layers = common::unpacked_layers(env.root.path());
    assert!(layers.is_empty(), "{layers:?}");
}

#[test]
fn an_opaque_marker_after_new_entries_hides_only_lower_content() {
    let registry = Registry::start();
    registry.load("opaque-1", "library/opaque:1");
    let env = mirrored_env(&registry);
    container(&env, &["pull", "-q", "opaque:1"]).success();
    let dirs = layer_dirs(&env, "opaque:1");
    assert!(dirs[1].join("a/new").is_file());
    assert!(!dirs[1].join("a/.wh..wh..opq").exists());
    let opaque =
        rustix::fs::getxattr(dirs[1].join("a"), "trusted.overlay.opaque", &mut [0u8; 8]).unwrap();
    assert_eq!(opaque, 1);
}
