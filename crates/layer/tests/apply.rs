//! One layer at a time: each kind of entry, metadata, replacements, markers
//! and broken input.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use common::{Layer, MTIME, Stack, is_whiteout, list, tree, xattr};
use container_layer::{LayerError, apply};
use tar::EntryType;

fn apply_one(layer: Layer) -> (tempfile::TempDir, container_layer::Applied) {
    let dest = tempfile::tempdir().unwrap();
    let applied = apply(&layer.bytes()[..], dest.path(), &[]).unwrap();
    (dest, applied)
}

fn apply_error(layer: Layer) -> LayerError {
    let dest = tempfile::tempdir().unwrap();
    apply(&layer.bytes()[..], dest.path(), &[]).unwrap_err()
}

#[test]
fn writes_files_directories_and_symlinks() {
    let layer = Layer::new()
        .dir("etc/")
        .file("etc/passwd", b"root:x:0:0")
        .symlink("etc/mtab", "/proc/mounts")
        .file("./usr/bin/tool", b"#!/bin/sh");
    let (dest, applied) = apply_one(layer);
    let root = dest.path();

    assert_eq!(fs::read(root.join("etc/passwd")).unwrap(), b"root:x:0:0");
    assert_eq!(
        fs::read_link(root.join("etc/mtab")).unwrap(),
        Path::new("/proc/mounts")
    );
    assert_eq!(fs::read(root.join("usr/bin/tool")).unwrap(), b"#!/bin/sh");
    assert_eq!(applied.unpacked_size, 10 + 9);
}

#[test]
fn old_style_directories_are_directories() {
    let mut old = Layer::header("old/", EntryType::Regular, 0o755);
    old.as_old_mut().linkflag[0] = 0;
    let layer = Layer::new().append(old, b"").file("old/child", b"c");
    let (dest, _) = apply_one(layer);
    assert_eq!(list(&dest.path().join("old")), ["child"]);
}

#[test]
fn sets_owner_mode_and_times() {
    let mut header = Layer::header("bin/su", EntryType::Regular, 0o4755);
    header.set_uid(1000);
    header.set_gid(2000);
    header.set_mtime(1_234_567_890);
    let mut sticky = Layer::header("tmp/", EntryType::Directory, 0o1777);
    sticky.set_uid(3);
    let layer = Layer::new()
        .dir("bin/")
        .append(header, b"x")
        .append(sticky, b"");
    let (dest, _) = apply_one(layer);

    let su = fs::metadata(dest.path().join("bin/su")).unwrap();
    assert_eq!((su.uid(), su.gid()), (1000, 2000));
    // Setuid survives because the mode is set after the owner.
    assert_eq!(su.mode() & 0o7777, 0o4755);
    assert_eq!(su.mtime(), 1_234_567_890);

    let tmp = fs::metadata(dest.path().join("tmp")).unwrap();
    assert_eq!(tmp.mode() & 0o7777, 0o1777);
    assert_eq!(tmp.uid(), 3);
}

#[test]
fn symlink_gets_owner_and_times_without_following() {
    let mut header = Layer::header("link", EntryType::Symlink, 0o777);
    header.set_link_name("target").unwrap();
    header.set_uid(42);
    header.set_mtime(1_000_000_000);
    let layer = Layer::new().file("target", b"t").append(header, b"");
    let (dest, _) = apply_one(layer);

    let link = fs::symlink_metadata(dest.path().join("link")).unwrap();
    assert_eq!((link.uid(), link.mtime()), (42, 1_000_000_000));
    let target = fs::metadata(dest.path().join("target")).unwrap();
    assert_eq!((target.uid(), target.mtime()), (0, MTIME as i64));
}

#[test]
fn directory_times_are_set_after_their_children() {
    let mut header = Layer::header("d/", EntryType::Directory, 0o755);
    header.set_mtime(1_111_111_111);
    let layer = Layer::new()
        .append(header, b"")
        .file("d/a", b"a")
        .dir("d/sub/")
        .file("d/sub/b", b"b");
    let (dest, _) = apply_one(layer);

    assert_eq!(
        fs::metadata(dest.path().join("d")).unwrap().mtime(),
        1_111_111_111
    );
    assert_eq!(
        fs::metadata(dest.path().join("d/sub")).unwrap().mtime(),
        MTIME as i64
    );
}

#[test]
fn pax_times_keep_nanoseconds_and_pax_ids_win() {
    let layer = Layer::new()
        .pax(&[
            ("mtime", b"1700000000.123456789"),
            ("atime", b"1700000001.5"),
            ("uid", b"3000000"),
            ("gid", b"4000000"),
        ])
        .file("f", b"data");
    let (dest, _) = apply_one(layer);

    let file = fs::metadata(dest.path().join("f")).unwrap();
    assert_eq!(
        (file.mtime(), file.mtime_nsec()),
        (1_700_000_000, 123_456_789)
    );
    assert_eq!(
        (file.atime(), file.atime_nsec()),
        (1_700_000_001, 500_000_000)
    );
    assert_eq!((file.uid(), file.gid()), (3_000_000, 4_000_000));
}

#[test]
fn pax_extended_attributes_are_set() {
    let layer = Layer::new()
        .pax(&[
            ("SCHILY.xattr.user.note", b"hello"),
            ("SCHILY.xattr.trusted.kept", b"\x00\x01"),
        ])
        .file("f", b"data")
        .pax(&[("SCHILY.xattr.user.dir", b"yes")])
        .dir("d/");
    let (dest, _) = apply_one(layer);

    assert_eq!(
        xattr(&dest.path().join("f"), "user.note").unwrap(),
        b"hello"
    );
    assert_eq!(
        xattr(&dest.path().join("f"), "trusted.kept").unwrap(),
        b"\x00\x01"
    );
    assert_eq!(xattr(&dest.path().join("d"), "user.dir").unwrap(), b"yes");
}

#[test]
fn symlinks_and_devices_get_extended_attributes() {
    let mut null = Layer::header("null", EntryType::Char, 0o666);
    null.set_device_major(1).unwrap();
    null.set_device_minor(3).unwrap();
    let layer = Layer::new()
        .pax(&[("SCHILY.xattr.trusted.note", b"link")])
        .symlink("link", "/nowhere")
        .pax(&[("SCHILY.xattr.trusted.note", b"device")])
        .append(null, b"");
    let (dest, _) = apply_one(layer);

    assert_eq!(
        xattr(&dest.path().join("link"), "trusted.note").unwrap(),
        b"link"
    );
    assert_eq!(
        xattr(&dest.path().join("null"), "trusted.note").unwrap(),
        b"device"
    );
}

#[test]
fn pax_sparse_files_are_refused() {
    let layer = Layer::new()
        .pax(&[("GNU.sparse.major", b"1"), ("GNU.sparse.minor", b"0")])
        .file("sparse", b"map and data");
    let error = apply_error(layer);
    assert!(matches!(error, LayerError::Unsupported { .. }), "{error:?}");
}

#[test]
fn overlay_attributes_from_the_image_are_refused() {
    let layer = Layer::new()
        .pax(&[("SCHILY.xattr.trusted.overlay.opaque", b"y")])
        .dir("etc/");
    let error = apply_error(layer);
    assert!(
        matches!(&error, LayerError::ForbiddenXattr { entry, name }
            if entry == "etc" && name == "trusted.overlay.opaque"),
        "{error:?}"
    );
}

#[test]
fn root_entry_sets_the_root_metadata() {
    let mut header = Layer::header("./", EntryType::Directory, 0o700);
    header.set_mtime(1_222_333_444);
    let layer = Layer::new().append(header, b"").file("inside", b"x");
    let (dest, _) = apply_one(layer);

    let root = fs::metadata(dest.path()).unwrap();
    assert_eq!(root.mode() & 0o7777, 0o700);
    assert_eq!(root.mtime(), 1_222_333_444);
}

#[test]
fn later_entries_replace_earlier_ones() {
    let layer = Layer::new()
        .file("twice", b"first")
        .file("twice", b"second")
        .file("was-file", b"x")
        .dir("was-file/")
        .file("was-file/child", b"c")
        .dir("was-dir/")
        .file("was-dir/child", b"c")
        .file("was-dir", b"now a file")
        .dir("kept/")
        .file("kept/child", b"c")
        .dir("kept/")
        .symlink("was-link", "/nowhere")
        .file("was-link", b"plain");
    let (dest, _) = apply_one(layer);
    let root = dest.path();

    assert_eq!(fs::read(root.join("twice")).unwrap(), b"second");
    assert_eq!(list(&root.join("was-file")), ["child"]);
    assert_eq!(fs::read(root.join("was-dir")).unwrap(), b"now a file");
    assert_eq!(list(&root.join("kept")), ["child"]);
    assert!(root.join("was-link").symlink_metadata().unwrap().is_file());
}

#[test]
fn hard_links_share_the_inode() {
    let layer = Layer::new()
        .file("bin/busybox", b"elf")
        .hardlink("bin/sh", "bin/busybox")
        .hardlink("./bin/ls", "/bin/busybox");
    let (dest, applied) = apply_one(layer);

    let busybox = fs::metadata(dest.path().join("bin/busybox")).unwrap();
    for link in ["bin/sh", "bin/ls"] {
        assert_eq!(
            fs::metadata(dest.path().join(link)).unwrap().ino(),
            busybox.ino()
        );
    }
    assert_eq!(busybox.nlink(), 3);
    assert_eq!(applied.unpacked_size, 3);
}

#[test]
fn hard_link_to_a_missing_target_is_an_error() {
    let error = apply_error(Layer::new().hardlink("a", "nowhere"));
    assert!(matches!(&error, LayerError::LinkTargetMissing { target, .. } if target == "nowhere"));

    let error = apply_error(Layer::new().dir("d/").hardlink("a", "d"));
    assert!(
        matches!(error, LayerError::LinkToDirectory { .. }),
        "{error:?}"
    );
}

#[test]
fn devices_and_fifos_are_created() {
    let mut null = Layer::header("dev/null", EntryType::Char, 0o666);
    null.set_device_major(1).unwrap();
    null.set_device_minor(3).unwrap();
    let mut loop0 = Layer::header("dev/loop0", EntryType::Block, 0o660);
    loop0.set_device_major(7).unwrap();
    loop0.set_device_minor(0).unwrap();
    let fifo = Layer::header("run/fifo", EntryType::Fifo, 0o600);
    let layer = Layer::new()
        .append(null, b"")
        .append(loop0, b"")
        .append(fifo, b"");
    let (dest, _) = apply_one(layer);

    let null = fs::symlink_metadata(dest.path().join("dev/null")).unwrap();
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), rustix::fs::makedev(1, 3));
    assert_eq!(null.mode() & 0o7777, 0o666);
    let loop0 = fs::symlink_metadata(dest.path().join("dev/loop0")).unwrap();
    assert!(loop0.file_type().is_block_device());
    assert_eq!(loop0.rdev(), rustix::fs::makedev(7, 0));
    assert!(
        fs::symlink_metadata(dest.path().join("run/fifo"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn long_names_and_link_targets() {
    let long_dir = "d".repeat(120);
    let long_name = format!("{long_dir}/{}", "f".repeat(150));
    let long_target = format!("/{}", "t".repeat(200));
    let mut layer = Layer::new();
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_mtime(MTIME);
    header.set_size(4);
    layer
        .builder()
        .append_data(&mut header, &long_name, &b"long"[..])
        .unwrap();
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(EntryType::Symlink);
    link.set_mode(0o777);
    link.set_size(0);
    layer
        .builder()
        .append_link(&mut link, "short", &long_target)
        .unwrap();
    let (dest, _) = apply_one(layer);

    assert_eq!(fs::read(dest.path().join(&long_name)).unwrap(), b"long");
    assert_eq!(
        fs::read_link(dest.path().join("short")).unwrap(),
        Path::new(&long_target)
    );
}

#[test]
fn implied_parents_found_nowhere_are_root_owned_0755() {
    let (dest, _) = apply_one(Layer::new().file("a/b/c", b"x"));
    for dir in ["a", "a/b"] {
        let metadata = fs::metadata(dest.path().join(dir)).unwrap();
        assert_eq!(metadata.permissions().mode() & 0o7777, 0o755, "{dir}");
        assert_eq!((metadata.uid(), metadata.gid()), (0, 0), "{dir}");
    }
}

#[test]
fn whiteouts_become_character_devices() {
    let layer = Layer::new()
        .dir("etc/")
        .marker("etc/.wh.hostname")
        .file("etc/resolv.conf", b"x")
        .marker("etc/.wh.resolv.conf")
        .marker(".wh.opt");
    let (dest, _) = apply_one(layer);

    assert!(is_whiteout(&dest.path().join("etc/hostname")));
    // A whiteout removes what this same layer wrote before it.
    assert!(is_whiteout(&dest.path().join("etc/resolv.conf")));
    assert!(is_whiteout(&dest.path().join("opt")));
    let whiteout = fs::symlink_metadata(dest.path().join("opt")).unwrap();
    assert_eq!(whiteout.mode() & 0o7777, 0);
    assert!(tree(dest.path()).iter().all(|path| !path.contains(".wh.")));
}

#[test]
fn opaque_marker_sets_the_attribute_and_keeps_this_layers_entries() {
    let layer = Layer::new()
        .dir("a/")
        .file("a/new", b"n")
        .marker("a/.wh..wh..opq")
        .marker("fresh/.wh..wh..opq");
    let (dest, _) = apply_one(layer);

    assert_eq!(
        xattr(&dest.path().join("a"), "trusted.overlay.opaque").unwrap(),
        b"y"
    );
    assert_eq!(list(&dest.path().join("a")), ["new"]);
    assert_eq!(
        xattr(&dest.path().join("fresh"), "trusted.overlay.opaque").unwrap(),
        b"y"
    );
    assert!(tree(dest.path()).iter().all(|path| !path.contains(".wh.")));
}

#[test]
fn whiteout_then_directory_in_one_layer_is_opaque() {
    let layer = Layer::new().marker(".wh.d").dir("d/").file("d/new", b"n");
    let (dest, _) = apply_one(layer);

    assert_eq!(
        xattr(&dest.path().join("d"), "trusted.overlay.opaque").unwrap(),
        b"y"
    );
    assert_eq!(list(&dest.path().join("d")), ["new"]);
}

#[test]
fn aufs_metadata_is_skipped_and_bad_whiteouts_refused() {
    let layer = Layer::new()
        .dir(".wh..wh.plnk/")
        .file(".wh..wh.plnk/123.456", b"aufs")
        .marker(".wh..wh.aufs")
        .file("kept", b"k");
    let (dest, _) = apply_one(layer);
    assert_eq!(tree(dest.path()), ["kept"]);

    for name in ["dir/.wh.", "dir/.wh..", "dir/.wh...", "a/.wh.b/c"] {
        let error = apply_error(Layer::new().marker(name));
        assert!(
            matches!(error, LayerError::InvalidWhiteout { .. }),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn unknown_entry_types_are_refused() {
    let header = Layer::header("strange", EntryType::new(b'Z'), 0o644);
    let error = apply_error(Layer::new().append(header, b""));
    assert!(
        matches!(&error, LayerError::Unsupported { entry, .. } if entry == "strange"),
        "{error:?}"
    );
}

#[test]
fn truncated_and_corrupt_streams_are_errors() {
    let mut tar = Layer::new().file("big", &[7; 5000]).bytes();
    tar.truncate(512 + 1000);
    let dest = tempfile::tempdir().unwrap();
    let error = apply(&tar[..], dest.path(), &[]).unwrap_err();
    assert!(matches!(
        error,
        LayerError::ReadEntry { .. } | LayerError::ReadStream { .. }
    ));

    let mut header_only = Layer::new().file("f", b"x").bytes();
    header_only.truncate(300);
    let dest = tempfile::tempdir().unwrap();
    assert!(apply(&header_only[..], dest.path(), &[]).is_err());

    let mut corrupt = Layer::new().file("f", b"x").bytes();
    corrupt[148] ^= 0x55; // the header checksum
    let dest = tempfile::tempdir().unwrap();
    assert!(matches!(
        apply(&corrupt[..], dest.path(), &[]).unwrap_err(),
        LayerError::ReadStream { .. }
    ));
}

#[test]
fn a_missing_destination_is_an_error() {
    let dest = tempfile::tempdir().unwrap();
    let missing = dest.path().join("missing");
    let error = apply(&Layer::new().bytes()[..], &missing, &[]).unwrap_err();
    assert!(matches!(error, LayerError::OpenDestination { .. }));

    let error = apply(&Layer::new().bytes()[..], dest.path(), &[missing]).unwrap_err();
    assert!(matches!(error, LayerError::OpenLower { .. }));
}

#[test]
fn errors_name_the_entry() {
    let layer = Layer::new().file("f", b"x").file("f/child", b"y");
    let error = apply_error(layer);
    assert_eq!(
        error.to_string(),
        "resolving parent directory of entry `f/child`"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn stack_helper_applies_in_order() {
    let stack = Stack::apply(&[
        Layer::new().file("a", b"1").bytes(),
        Layer::new().file("b", b"2").bytes(),
    ]);
    assert_eq!(list(stack.layer(0)), ["a"]);
    assert_eq!(list(stack.layer(1)), ["b"]);
}

/// Damaged tars give errors or partial layers, never a panic.
#[test]
fn damaged_tars_never_panic() {
    let original = Layer::new()
        .dir("etc/")
        .file("etc/passwd", b"root")
        .symlink("etc/link", "/etc/passwd")
        .hardlink("etc/hard", "etc/passwd")
        .marker("etc/.wh.old")
        .pax(&[("mtime", b"1.5"), ("SCHILY.xattr.user.a", b"b")])
        .file("f", &[1; 700])
        .bytes();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let mut tar = original.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % tar.len() as u64) as usize;
            tar[at] = next() as u8;
        }
        let cut = (next() % tar.len() as u64) as usize;
        let blob = if next() % 4 == 0 {
            &tar[..cut]
        } else {
            &tar[..]
        };
        let dest = tempfile::tempdir().unwrap();
        let _ = apply(blob, dest.path(), &[]);
    }
}
