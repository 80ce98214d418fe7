//! The fixture layout has every documented ref, and digests are readable from it.

use container_test_support::{fixture_digest, fixture_layout};

const REFS: &[&str] = &[
    "busybox-1.35",
    "multi-1",
    "zstd-1",
    "mislabelled-1",
    "plain-as-gzip-1",
    "bad-diffid-1",
    "whiteouts-1",
    "opaque-1",
    "recreate-1",
    "breakout-1",
    "platforms-1",
];

#[test]
fn the_layout_holds_every_fixture_ref() {
    let layout = fixture_layout();
    assert!(
        layout.join("oci-layout").is_file(),
        "{} is not an OCI layout",
        layout.display()
    );
    for layout_ref in REFS {
        let digest = fixture_digest(layout_ref);
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        assert_eq!(hex.len(), 64, "{layout_ref}: {digest}");
        assert!(
            layout.join("blobs/sha256").join(hex).is_file(),
            "{layout_ref}: no blob {hex}"
        );
    }
}

#[test]
fn fixture_layout_is_the_same_path_every_time() {
    assert_eq!(fixture_layout(), fixture_layout());
}
