//! Regular files are written by other threads while the tar is read on:
//! every entry that could meet a file still in flight must see the layer as
//! if the files were written one after the other, and a file's failure must
//! be reported as its own.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use common::{Layer, MTIME, Stack, is_whiteout, list, xattr};
use container_layer::{LayerError, apply};
use tar::EntryType;

fn apply_one(layer: Layer) -> tempfile::TempDir {
    let dest = tempfile::tempdir().unwrap();
    apply(&layer.bytes()[..], dest.path(), &[]).unwrap();
    dest
}

fn apply_error(layer: Layer) -> LayerError {
    let dest = tempfile::tempdir().unwrap();
    apply(&layer.bytes()[..], dest.path(), &[]).unwrap_err()
}

/// Data that differs from file to file.
fn data(index: usize, size: usize) -> Vec<u8> {
    let mut data = vec![index as u8; size];
    let tag = index.to_le_bytes();
    let end = tag.len().min(size);
    data[..end].copy_from_slice(&tag[..end]);
    data
}

/// Enough files, some large, to fill the queue and the memory budget many
/// times over; each lands with its data, owner, mode and time.
#[test]
fn many_files_land_intact() {
    let sizes = |index: usize| match index % 100 {
        0 => 3 << 20,
        1..=5 => 1 << 20,
        _ => index % 5000,
    };
    let mut layer = Layer::new();
    for index in 0..1500 {
        if index % 50 == 0 {
            layer = layer.dir(&format!("d{}/", index / 50));
        }
        let name = format!("d{}/f{index}", index / 50);
        let mut header = Layer::header(&name, EntryType::Regular, 0o600 + (index as u32 % 0o100));
        header.set_uid(index as u64 % 3);
        header.set_mtime(MTIME + index as u64);
        layer = layer.append(header, &data(index, sizes(index)));
    }
    let dest = apply_one(layer);

    for index in 0..1500 {
        let path = dest.path().join(format!("d{}/f{index}", index / 50));
        assert_eq!(
            fs::read(&path).unwrap(),
            data(index, sizes(index)),
            "{index}"
        );
        let metadata = fs::metadata(&path).unwrap();
        assert_eq!(metadata.mode() & 0o7777, 0o600 + (index as u32 % 0o100));
        assert_eq!(metadata.uid(), index as u32 % 3);
        assert_eq!(metadata.mtime(), (MTIME + index as u64) as i64);
    }
}

#[test]
fn a_file_written_again_through_a_symlink_keeps_the_last_data() {
    let layer = Layer::new()
        .dir("d/")
        .file("d/f", b"first")
        .symlink("alias", "d")
        .file("alias/f", b"second")
        .symlink("root", "/")
        .file("root/d/f", b"third");
    let dest = apply_one(layer);

    assert_eq!(fs::read(dest.path().join("d/f")).unwrap(), b"third");
    assert_eq!(list(&dest.path().join("d")), ["f"]);
}

/// A directory full of files in flight, replaced by a name that does not
/// spell its path.
#[test]
fn replacing_a_directory_of_files_in_flight() {
    let mut layer = Layer::new().dir("d/").dir("e/");
    for index in 0..100 {
        layer = layer
            .file(&format!("d/{index}"), &data(index, 300))
            .file(&format!("e/{index}"), &data(index, 300));
    }
    let layer = layer
        .symlink("here", ".")
        .file("here/d", b"now a file")
        .symlink("./here/e", "/d");
    let dest = apply_one(layer);

    assert_eq!(fs::read(dest.path().join("d")).unwrap(), b"now a file");
    let e = fs::symlink_metadata(dest.path().join("e")).unwrap();
    assert!(e.file_type().is_symlink());
}

#[test]
fn hard_links_and_whiteouts_meet_files_in_flight() {
    let layer = Layer::new()
        .file("bin/busybox", &data(1, 100_000))
        .hardlink("bin/sh", "bin/busybox")
        .file("etc/old", b"old")
        .marker("etc/.wh.old");
    let dest = apply_one(layer);

    let busybox = fs::metadata(dest.path().join("bin/busybox")).unwrap();
    assert_eq!(busybox.nlink(), 2);
    assert_eq!(
        fs::read(dest.path().join("bin/sh")).unwrap(),
        data(1, 100_000)
    );
    assert!(is_whiteout(&dest.path().join("etc/old")));
}

/// The lower layer has a directory `a`; this one writes a file `a`, then
/// something inside `a`. As written in order, the file is in the way.
#[test]
fn an_entry_below_a_file_in_flight_over_a_lower_directory_is_an_error() {
    let mut stack = Stack::apply(&[Layer::new().dir("a/").file("a/x", b"x").bytes()]);
    let upper = Layer::new().file("a", b"file").file("a/y", b"y").bytes();
    let error = stack.push(&upper).unwrap_err();
    assert!(
        matches!(&error, LayerError::ResolveParent { entry, .. } if entry == "a/y"),
        "{error:?}"
    );
}

#[test]
fn owners_and_modes_are_exact_in_a_setgid_directory() {
    let mut shared = Layer::header("shared/", EntryType::Directory, 0o2775);
    shared.set_gid(1234);
    let mut root_owned = Layer::header("shared/root", EntryType::Regular, 0o644);
    root_owned.set_gid(0);
    let mut group_owned = Layer::header("shared/group", EntryType::Regular, 0o640);
    group_owned.set_gid(1234);
    let layer = Layer::new()
        .append(shared, b"")
        .append(root_owned, b"r")
        .append(group_owned, b"g")
        .dir("shared/sub/")
        .append(Layer::header("wide", EntryType::Regular, 0o777), b"w")
        .append(Layer::header("closed", EntryType::Regular, 0o000), b"c")
        .append(Layer::header("sticky/", EntryType::Directory, 0o1777), b"");
    let dest = apply_one(layer);

    let owner_and_mode = |path: &str| {
        let metadata = fs::metadata(dest.path().join(path)).unwrap();
        (
            metadata.uid(),
            metadata.gid(),
            metadata.permissions().mode() & 0o7777,
        )
    };
    assert_eq!(owner_and_mode("shared"), (0, 1234, 0o2775));
    assert_eq!(owner_and_mode("shared/root"), (0, 0, 0o644));
    assert_eq!(owner_and_mode("shared/group"), (0, 1234, 0o640));
    // It would inherit the group and the setgid bit.
    assert_eq!(owner_and_mode("shared/sub"), (0, 0, 0o755));
    assert_eq!(owner_and_mode("wide"), (0, 0, 0o777));
    assert_eq!(owner_and_mode("closed"), (0, 0, 0o000));
    assert_eq!(owner_and_mode("sticky"), (0, 0, 0o1777));
}

/// A value over the kernel's 64 KiB limit fails when the file is written,
/// by another thread.
fn oversized_xattr(layer: Layer, name: &str) -> Layer {
    let value = vec![b'v'; 70_000];
    layer
        .pax(&[("SCHILY.xattr.user.big", &value)])
        .file(name, b"data")
}

#[test]
fn a_failed_file_is_reported_with_its_path() {
    let layer = oversized_xattr(Layer::new().file("before", b"b"), "bad").file("after", b"a");
    let error = apply_error(layer);
    assert!(
        matches!(&error, LayerError::SetMetadata { entry, what, .. }
            if entry == "bad" && *what == "extended attributes"),
        "{error:?}"
    );
}

#[test]
fn the_first_failure_in_tar_order_wins() {
    let mut layer = oversized_xattr(Layer::new(), "first");
    for index in 0..50 {
        layer = layer.file(&format!("f{index}"), b"x");
    }
    let layer = oversized_xattr(layer, "second").marker(".wh.");
    let error = apply_error(layer);
    assert!(
        matches!(&error, LayerError::SetMetadata { entry, .. } if entry == "first"),
        "{error:?}"
    );
}

#[test]
fn extended_attributes_and_times_are_set_by_the_writers() {
    let layer = Layer::new()
        .pax(&[
            ("SCHILY.xattr.user.note", b"hello"),
            ("mtime", b"1600000000.25"),
        ])
        .file("f", b"data");
    let dest = apply_one(layer);

    let path = dest.path().join("f");
    assert_eq!(xattr(&path, "user.note").unwrap(), b"hello");
    let metadata = fs::metadata(&path).unwrap();
    assert_eq!(
        (metadata.mtime(), metadata.mtime_nsec()),
        (1_600_000_000, 250_000_000)
    );
}
