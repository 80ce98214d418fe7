//! Several layers applied into directories of their own, then mounted with
//! overlayfs to check the merged view (CASES.md C22, C23, C24), and the
//! rules that need the layers below: their symlinks, their directories'
//! metadata, their files as hard link targets.

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;

use common::{Layer, Stack, is_whiteout, list, read_in_root, tree, xattr};
use tar::EntryType;

/// C22: whiteouts of files, of a directory with its subtree, of a hidden
/// file and of a path that does not exist.
#[test]
fn plain_whiteouts() {
    let mut etc = Layer::header("etc/", EntryType::Directory, 0o755);
    etc.set_mtime(1_000_000_000);
    let l1 = Layer::new()
        .append(etc, b"")
        .file("etc/passwd", b"root")
        .file("etc/hostname", b"host")
        .file("opt/app/bin/x", b"x")
        .file(".hidden", b"h")
        .bytes();
    let l2 = Layer::new()
        .marker("etc/.wh.hostname")
        .marker(".wh.opt")
        .marker(".wh..hidden")
        .marker("etc/.wh.nothere")
        .bytes();
    let stack = Stack::apply(&[l1, l2]);

    assert!(
        tree(stack.layer(1))
            .iter()
            .all(|path| !path.contains(".wh."))
    );
    assert!(is_whiteout(&stack.layer(1).join("etc/nothere")));
    let merged = stack.mount();
    assert_eq!(tree(merged.path()), ["etc/", "etc/passwd"]);
    assert_eq!(
        fs::metadata(merged.path().join("etc")).unwrap().mtime(),
        1_000_000_000
    );
}

/// C23: the opaque marker hides the lower `a/` but keeps this layer's
/// `a/new`, even though it comes after it.
#[test]
fn opaque_marker_after_new_entries() {
    let l1 = Layer::new()
        .file("a/x", b"x")
        .file("a/y", b"y")
        .file("a/sub/z", b"z")
        .bytes();
    let l2 = Layer::new()
        .dir("a/")
        .file("a/new", b"n")
        .marker("a/.wh..wh..opq")
        .bytes();
    let stack = Stack::apply(&[l1, l2]);

    assert_eq!(tree(stack.layer(1)), ["a/", "a/new"]);
    let merged = stack.mount();
    assert_eq!(tree(merged.path()), ["a/", "a/new"]);
}

/// C24 A: a directory deleted in one layer and recreated in the next.
#[test]
fn directory_deleted_then_recreated() {
    let l1 = Layer::new()
        .file("d/old1", b"1")
        .file("d/old2", b"2")
        .bytes();
    let l2 = Layer::new().marker(".wh.d").bytes();
    let l3 = Layer::new().dir("d/").file("d/new", b"n").bytes();
    let stack = Stack::apply(&[l1, l2, l3]);

    let merged = stack.mount();
    assert_eq!(list(&merged.path().join("d")), ["new"]);
}

/// C24 B, with the deletion and the new directory in one layer, written
/// both ways builders write it: whiteout then directory, or an opaque
/// directory.
#[test]
fn directory_recreated_in_the_layer_that_deleted_it() {
    let l1 = Layer::new().dir("dir1/").file("dir1/f1", b"1").bytes();
    let l3 = Layer::new().dir("dir1/").file("dir1/f3", b"3").bytes();
    let rewrites = [
        Layer::new()
            .marker(".wh.dir1")
            .dir("dir1/")
            .file("dir1/f2", b"2"),
        Layer::new()
            .dir("dir1/")
            .marker("dir1/.wh..wh..opq")
            .file("dir1/f2", b"2"),
    ];
    for l2 in rewrites {
        let stack = Stack::apply(&[l1.clone(), l2.bytes(), l3.clone()]);
        let merged = stack.mount();
        assert_eq!(list(&merged.path().join("dir1")), ["f2", "f3"]);
    }
}

/// A write through a symlink of a lower layer lands where the symlink
/// points, inside the root: `var/run -> /run` below, `var/run/foo` above.
#[test]
fn symlink_in_a_lower_layer_is_followed() {
    let l1 = Layer::new()
        .dir("run/")
        .dir("var/")
        .symlink("var/run", "/run")
        .bytes();
    let l2 = Layer::new().file("var/run/foo", b"pid").bytes();
    let stack = Stack::apply(&[l1, l2]);

    assert_eq!(tree(stack.layer(1)), ["run/", "run/foo"]);
    let merged = stack.mount();
    assert_eq!(read_in_root(merged.path(), "var/run/foo").unwrap(), b"pid");
}

/// Below an opaque directory, the symlinks of older layers no longer count.
#[test]
fn opaque_directory_hides_lower_symlinks() {
    let l1 = Layer::new()
        .dir("x/")
        .dir("a/")
        .symlink("a/s", "/x")
        .bytes();
    let l2 = Layer::new().dir("a/").marker("a/.wh..wh..opq").bytes();
    let l3 = Layer::new().file("a/s/file", b"f").bytes();
    let stack = Stack::apply(&[l1, l2, l3]);

    assert_eq!(tree(stack.layer(2)), ["a/", "a/s/", "a/s/file"]);
    let merged = stack.mount();
    assert_eq!(tree(&merged.path().join("a")), ["s/", "s/file"]);
    assert_eq!(list(&merged.path().join("x")), Vec::<String>::new());
}

/// A whiteout hides a lower symlink too: the next layer's path makes a
/// plain directory.
#[test]
fn whiteout_hides_lower_symlinks() {
    let l1 = Layer::new().dir("w/").symlink("v", "/w").bytes();
    let l2 = Layer::new().marker(".wh.v").bytes();
    let l3 = Layer::new().file("v/file", b"f").bytes();
    let stack = Stack::apply(&[l1, l2, l3]);

    assert_eq!(tree(stack.layer(2)), ["v/", "v/file"]);
    let merged = stack.mount();
    assert!(merged.path().join("v").symlink_metadata().unwrap().is_dir());
    assert_eq!(list(&merged.path().join("w")), Vec::<String>::new());
}

/// A directory the tar implies takes its metadata from the layer below,
/// and keeps its times although children were written in it.
#[test]
fn implied_parent_copies_lower_metadata() {
    let mut usr = Layer::header("usr/", EntryType::Directory, 0o750);
    usr.set_uid(7);
    usr.set_gid(8);
    usr.set_mtime(1_100_000_000);
    let l1 = Layer::new()
        .pax(&[("SCHILY.xattr.user.origin", b"base")])
        .append(usr, b"")
        .bytes();
    let l2 = Layer::new().file("usr/bin/tool", b"t").bytes();
    let stack = Stack::apply(&[l1, l2]);

    let usr = stack.layer(1).join("usr");
    let metadata = fs::metadata(&usr).unwrap();
    assert_eq!(metadata.mode() & 0o7777, 0o750);
    assert_eq!((metadata.uid(), metadata.gid()), (7, 8));
    assert_eq!(metadata.mtime(), 1_100_000_000);
    assert_eq!(xattr(&usr, "user.origin").unwrap(), b"base");
    let bin = fs::metadata(stack.layer(1).join("usr/bin")).unwrap();
    assert_eq!((bin.mode() & 0o7777, bin.uid()), (0o755, 0));
}

/// A copied-up directory does not inherit the opaque mark of the one below.
#[test]
fn implied_parent_is_not_opaque() {
    let l1 = Layer::new().file("a/old", b"o").bytes();
    let l2 = Layer::new()
        .dir("a/")
        .marker("a/.wh..wh..opq")
        .file("a/mid", b"m")
        .bytes();
    let l3 = Layer::new().file("a/top", b"t").bytes();
    let stack = Stack::apply(&[l1, l2, l3]);

    assert_eq!(
        xattr(&stack.layer(2).join("a"), "trusted.overlay.opaque"),
        None
    );
    let merged = stack.mount();
    assert_eq!(list(&merged.path().join("a")), ["mid", "top"]);
}

/// A hard link to a file of a lower layer links a copy of it in this one.
#[test]
fn hard_link_to_a_lower_file_copies_it_up() {
    let mut busybox = Layer::header("bin/busybox", EntryType::Regular, 0o4755);
    busybox.set_uid(5);
    let l1 = Layer::new().dir("bin/").append(busybox, b"elf").bytes();
    let l2 = Layer::new().hardlink("bin/sh", "bin/busybox").bytes();
    let stack = Stack::apply(&[l1, l2]);

    let copy = fs::metadata(stack.layer(1).join("bin/busybox")).unwrap();
    let link = fs::metadata(stack.layer(1).join("bin/sh")).unwrap();
    assert_eq!(link.ino(), copy.ino());
    assert_eq!((copy.mode() & 0o7777, copy.uid()), (0o4755, 5));
    assert_eq!(fs::read(stack.layer(1).join("bin/sh")).unwrap(), b"elf");
    let merged = stack.mount();
    assert_eq!(fs::read(merged.path().join("bin/sh")).unwrap(), b"elf");
}

/// Both the link and its target may go through a symlink of a lower layer.
#[test]
fn hard_link_through_lower_symlinks() {
    let l1 = Layer::new()
        .dir("usr/")
        .dir("usr/lib/")
        .file("usr/lib/libc.so", b"libc")
        .symlink("lib", "usr/lib")
        .bytes();
    let l2 = Layer::new()
        .hardlink("lib/libc.so.6", "lib/libc.so")
        .bytes();
    let stack = Stack::apply(&[l1, l2]);

    let layer = stack.layer(1);
    assert_eq!(
        tree(layer),
        ["usr/", "usr/lib/", "usr/lib/libc.so", "usr/lib/libc.so.6"]
    );
    let target = fs::metadata(layer.join("usr/lib/libc.so")).unwrap();
    assert_eq!(
        fs::metadata(layer.join("usr/lib/libc.so.6")).unwrap().ino(),
        target.ino()
    );
    let merged = stack.mount();
    assert_eq!(
        fs::read(merged.path().join("lib/libc.so.6")).unwrap(),
        b"libc"
    );
}

/// A hard link to a file deleted below is an error, not a link to the
/// whiteout.
#[test]
fn hard_link_to_a_deleted_lower_file_is_an_error() {
    let l1 = Layer::new().file("f", b"x").bytes();
    let l2 = Layer::new().marker(".wh.f").bytes();
    let mut stack = Stack::apply(&[l1, l2]);
    let error = stack
        .push(&Layer::new().hardlink("g", "f").bytes())
        .unwrap_err();
    assert!(
        matches!(error, container_layer::LayerError::LinkTargetMissing { .. }),
        "{error:?}"
    );
}
