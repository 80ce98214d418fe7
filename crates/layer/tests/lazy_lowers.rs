//! Lower layers handed over late (`apply_with_lowers`): a layer is applied
//! while the layers below are still being applied, and waits for them only
//! when a path must look below. The result is the same as `apply` with the
//! finished lowers.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use common::{Layer, tree, xattr};
use container_layer::{LayerError, LowerSource, apply, apply_with_lowers};
use tar::EntryType;

type WaitError = Box<dyn std::error::Error + Send + Sync>;

/// A source that must never be asked.
struct Forbidden;

impl LowerSource for Forbidden {
    fn wait(&self) -> Result<Vec<PathBuf>, WaitError> {
        panic!("the layers below were waited for");
    }
}

/// A source that counts the waits.
struct Counting {
    lowers: Vec<PathBuf>,
    waits: AtomicUsize,
}

impl Counting {
    fn new(lowers: Vec<PathBuf>) -> Counting {
        Counting {
            lowers,
            waits: AtomicUsize::new(0),
        }
    }

    fn waits(&self) -> usize {
        self.waits.load(Ordering::SeqCst)
    }
}

impl LowerSource for Counting {
    fn wait(&self) -> Result<Vec<PathBuf>, WaitError> {
        self.waits.fetch_add(1, Ordering::SeqCst);
        Ok(self.lowers.clone())
    }
}

/// A source whose layers below failed.
struct Failing {
    waits: AtomicUsize,
}

impl LowerSource for Failing {
    fn wait(&self) -> Result<Vec<PathBuf>, WaitError> {
        self.waits.fetch_add(1, Ordering::SeqCst);
        Err("a layer below it failed".into())
    }
}

/// A source that blocks until another thread has finished the layer below.
struct Channel {
    receiver: Mutex<mpsc::Receiver<PathBuf>>,
}

impl LowerSource for Channel {
    fn wait(&self) -> Result<Vec<PathBuf>, WaitError> {
        let lower = self.receiver.lock().unwrap().recv()?;
        Ok(vec![lower])
    }
}

/// Everything a layer directory holds that overlayfs reads: each path's
/// kind, owner, mode, mtime (but a whiteout's), device, data or target, and
/// opaque attribute.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    tree(dir)
        .into_iter()
        .map(|relative| {
            let path = dir.join(relative.trim_end_matches('/'));
            let metadata = path.symlink_metadata().unwrap();
            let kind = metadata.file_type();
            let content = if kind.is_file() {
                format!("{:?}", fs::read(&path).unwrap())
            } else if kind.is_symlink() {
                fs::read_link(&path).unwrap().display().to_string()
            } else if kind.is_char_device() || kind.is_block_device() {
                format!("dev {}", metadata.rdev())
            } else {
                String::new()
            };
            let opaque = xattr(&path, "trusted.overlay.opaque");
            // A whiteout's time is when it was made, which overlayfs never reads.
            let mtime = match kind.is_char_device() && metadata.rdev() == 0 {
                true => "of creation".to_owned(),
                false => metadata.mtime().to_string(),
            };
            let described = format!(
                "mode {:o} owner {}:{} mtime {mtime} links {} {content} opaque {opaque:?}",
                metadata.mode(),
                metadata.uid(),
                metadata.gid(),
                metadata.nlink(),
            );
            (relative, described)
        })
        .collect()
}

/// A base layer in the way Debian's is: `var/run -> /run`, files that the
/// layer above replaces, deletes or links to.
fn base() -> Vec<u8> {
    let mut usr = Layer::header("usr/", EntryType::Directory, 0o750);
    usr.set_uid(7);
    usr.set_mtime(1_000_000_000);
    Layer::new()
        .dir("etc/")
        .file("etc/passwd", b"root:x:0:0")
        .file("etc/shadow", b"secret")
        .append(usr, b"")
        .dir("usr/lib/")
        .file("usr/lib/os-release", b"debian")
        .dir("usr/share/")
        .file("usr/share/old", b"old")
        .dir("run/")
        .dir("var/")
        .symlink("var/run", "/run")
        .dir("opt/")
        .file("opt/tool", b"tool")
        .bytes()
}

fn applied(layer: &[u8], lowers: &[PathBuf]) -> tempfile::TempDir {
    let dest = tempfile::tempdir().unwrap();
    apply(layer, dest.path(), lowers).unwrap();
    dest
}

/// (a) A layer whose tar lists the parents of all its entries, as the
/// python image's does, never looks below: it replaces, deletes, hides,
/// links and makes files and directories all within itself.
#[test]
fn a_layer_listing_its_parents_never_waits() {
    let lower = applied(&base(), &[]);
    let upper = Layer::new()
        .dir("./")
        .dir("etc/")
        .file("etc/passwd", b"root:x:0:0:new")
        .marker("etc/.wh.shadow")
        .marker("etc/.wh.never-existed")
        .dir("usr/")
        .dir("usr/local/")
        .dir("usr/local/bin/")
        .file("usr/local/bin/python3.11", b"\x7fELF")
        .symlink("usr/local/bin/python3", "python3.11")
        .hardlink("usr/local/bin/python", "usr/local/bin/python3.11")
        .dir("usr/local/lib/")
        .dir("usr/local/lib/python3.11/")
        .file("usr/local/lib/python3.11/os.py", b"import sys")
        .file("usr/local/lib/python3.11/os.py", b"import sys # again")
        .dir("usr/share/")
        .marker("usr/share/.wh..wh..opq")
        .file("usr/share/new", b"new")
        .marker(".wh.opt")
        .dir("opt/")
        .file("opt/other", b"other")
        .bytes();

    let lazy = tempfile::tempdir().unwrap();
    apply_with_lowers(&upper[..], lazy.path(), &Forbidden).unwrap();

    let eager = applied(&upper, &[lower.path().to_path_buf()]);
    assert_eq!(snapshot(lazy.path()), snapshot(eager.path()));
    assert!(tree(lazy.path()).contains(&"usr/local/bin/python".to_owned()));
}

/// Paths whose lower layers are hidden need no wait either: below a
/// whiteout this layer made, or an opaque root.
#[test]
fn hidden_lower_layers_are_not_waited_for() {
    let lower = applied(&base(), &[]);
    let layers = [
        Layer::new().marker(".wh.var").file("var/run/foo", b"pid"),
        Layer::new()
            .marker(".wh..wh..opq")
            .file("var/run/foo", b"pid")
            .file("usr/lib/x", b"x"),
    ];
    for layer in layers {
        let upper = layer.bytes();
        let lazy = tempfile::tempdir().unwrap();
        apply_with_lowers(&upper[..], lazy.path(), &Forbidden).unwrap();

        let eager = applied(&upper, &[lower.path().to_path_buf()]);
        assert_eq!(snapshot(lazy.path()), snapshot(eager.path()));
        assert!(lazy.path().join("var/run/foo").is_file());
    }
}

/// (b) A write through a symlink of a layer below (`var/run -> /run`)
/// waits, once, and lands in `run/`, as `apply` does.
#[test]
fn a_write_through_a_lower_symlink_waits_once() {
    let lower = applied(&base(), &[]);
    let layers = [
        Layer::new().file("var/run/foo", b"pid"),
        Layer::new()
            .dir("var/")
            .file("var/run/foo", b"pid")
            .file("var/run/bar", b"pid2")
            .file("usr/lib/implied/x", b"x"),
    ];
    for layer in layers {
        let upper = layer.bytes();
        let source = Counting::new(vec![lower.path().to_path_buf()]);
        let lazy = tempfile::tempdir().unwrap();
        apply_with_lowers(&upper[..], lazy.path(), &source).unwrap();

        assert_eq!(source.waits(), 1);
        assert_eq!(fs::read(lazy.path().join("run/foo")).unwrap(), b"pid");
        assert!(!lazy.path().join("var/run").exists());
        let eager = applied(&upper, &[lower.path().to_path_buf()]);
        assert_eq!(snapshot(lazy.path()), snapshot(eager.path()));
    }
}

/// A hard link to a file only the layers below have waits, and copies it up.
#[test]
fn a_hard_link_to_a_lower_file_waits() {
    let lower = applied(&base(), &[]);
    let upper = Layer::new()
        .dir("etc/")
        .hardlink("etc/passwd-", "etc/passwd")
        .bytes();
    let source = Counting::new(vec![lower.path().to_path_buf()]);
    let lazy = tempfile::tempdir().unwrap();
    apply_with_lowers(&upper[..], lazy.path(), &source).unwrap();

    assert_eq!(source.waits(), 1);
    assert_eq!(
        fs::read(lazy.path().join("etc/passwd-")).unwrap(),
        b"root:x:0:0"
    );
    let eager = applied(&upper, &[lower.path().to_path_buf()]);
    assert_eq!(snapshot(lazy.path()), snapshot(eager.path()));
}

/// The layer above is applied while the one below is: it blocks at its
/// first path through the lower layer until that layer is finished.
#[test]
fn a_layer_applies_alongside_the_one_below() {
    let lower = tempfile::tempdir().unwrap();
    let upper = tempfile::tempdir().unwrap();
    let (sender, receiver) = mpsc::channel();
    let source = Channel {
        receiver: Mutex::new(receiver),
    };
    let upper_tar = Layer::new()
        .dir("usr/")
        .file("usr/own", b"own")
        .file("var/run/foo", b"pid")
        .bytes();

    std::thread::scope(|scope| {
        let below = scope.spawn(|| {
            apply(&base()[..], lower.path(), &[]).unwrap();
            sender.send(lower.path().to_path_buf()).unwrap();
        });
        apply_with_lowers(&upper_tar[..], upper.path(), &source).unwrap();
        below.join().unwrap();
    });

    assert_eq!(fs::read(upper.path().join("run/foo")).unwrap(), b"pid");
    let eager = applied(&upper_tar, &[lower.path().to_path_buf()]);
    assert_eq!(snapshot(upper.path()), snapshot(eager.path()));
}

/// (c) When the layers below fail, the layer fails with a typed error that
/// says why, and nothing outside its directory is touched.
#[test]
fn a_failed_wait_fails_the_layer_and_touches_nothing_else() {
    let outer = tempfile::tempdir().unwrap();
    let lower = outer.path().join("lower");
    let dest = outer.path().join("dest");
    fs::create_dir(&lower).unwrap();
    fs::create_dir(&dest).unwrap();
    apply(&base()[..], &lower, &[]).unwrap();
    fs::write(outer.path().join("sibling"), b"keep").unwrap();
    let outside = || {
        let sibling = fs::read(outer.path().join("sibling")).unwrap();
        (common::list(outer.path()), sibling, snapshot(&lower))
    };
    let before = outside();

    let layers = [
        Layer::new()
            .dir("usr/")
            .file("usr/a", b"a")
            .file("var/run/foo", b"pid")
            .file("usr/b", b"b"),
        Layer::new().hardlink("passwd", "etc/passwd"),
    ];
    for layer in layers {
        let source = Failing {
            waits: AtomicUsize::new(0),
        };
        let error = apply_with_lowers(&layer.bytes()[..], &dest, &source).unwrap_err();

        assert!(
            matches!(error, LayerError::LowersUnavailable { .. }),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "waiting for the layers below");
        let source_error = std::error::Error::source(&error).unwrap();
        assert_eq!(source_error.to_string(), "a layer below it failed");
        assert_eq!(source.waits.load(Ordering::SeqCst), 1);
        assert!(dest.is_dir());
        fs::remove_dir_all(&dest).unwrap();
        fs::create_dir(&dest).unwrap();
        assert_eq!(outside(), before);
    }
}

/// Lower directories handed over that cannot be opened are an error of
/// their own, as with `apply`.
#[test]
fn unopenable_lowers_are_an_error() {
    let dest = tempfile::tempdir().unwrap();
    let source = Counting::new(vec![dest.path().join("missing")]);
    let upper = Layer::new().file("var/run/foo", b"pid").bytes();
    let error = apply_with_lowers(&upper[..], dest.path(), &source).unwrap_err();
    assert!(matches!(error, LayerError::OpenLower { .. }), "{error:?}");
    assert_eq!(source.waits(), 1);

    // Never needed, never opened.
    let dest = tempfile::tempdir().unwrap();
    let source = Counting::new(vec![dest.path().join("missing")]);
    let upper = Layer::new().dir("a/").file("a/b", b"b").bytes();
    apply_with_lowers(&upper[..], dest.path(), &source).unwrap();
    assert_eq!(source.waits(), 0);
}
