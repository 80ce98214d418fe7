//! A full disk: one clear error, nothing half-written.

mod common;

use common::{busybox_registry, container, entries, mirrored_env};

/// A tmpfs too small for the busybox image, mounted for one test and unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs");
        SmallDisk { dir }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn full_disk_is_one_clear_error_and_leaves_nothing_behind() {
    let registry = busybox_registry();
    let env = mirrored_env(&registry);
    let disk = SmallDisk::new("1m");
    let root = disk.dir.path().join("store");
    let output = container(&env, &["--root", root.to_str().unwrap(), "pull", "busybox"]);
    output.code_is(1);
    assert!(
        output.stderr.contains("No space left on device"),
        "{output}"
    );
    assert!(output.stderr.contains("hint: the disk is full"), "{output}");

    let layers = common::unpacked_layers(&root);
    assert!(layers.is_empty(), "{layers:?}");
    assert!(entries(&root.join("content/blobs/sha256")).is_empty());
    assert_eq!(
        container(&env, &["--root", root.to_str().unwrap(), "images", "-q"]).stdout,
        ""
    );
}
