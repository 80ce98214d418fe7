//! Building layer tars in memory, applying stacks of them, and mounting the
//! result with overlayfs.

#![allow(dead_code, reason = "each test file uses part of these helpers")]

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use container_layer::{Applied, LayerError, apply};
use tar::{EntryType, Header};
use tempfile::TempDir;

/// The mtime of every entry unless a test sets another.
pub const MTIME: u64 = 1_600_000_000;

/// A layer tar under construction. Names are written raw into the header, so
/// `..`, absolute paths and `.wh.` names go through untouched.
pub struct Layer {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for Layer {
    fn default() -> Self {
        Layer::new()
    }
}

impl Layer {
    pub fn new() -> Layer {
        Layer {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    /// A header with the usual fields and a raw name.
    pub fn header(name: &str, kind: EntryType, mode: u32) -> Header {
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(MTIME);
        header.set_size(0);
        set_raw(&mut header.as_old_mut().name, name.as_bytes());
        header
    }

    /// Appends a header (its checksum is set here) and its data.
    pub fn append(mut self, mut header: Header, data: &[u8]) -> Layer {
        header.set_size(data.len() as u64);
        header.set_cksum();
        self.builder.append(&header, data).unwrap();
        self
    }

    pub fn dir(self, name: &str) -> Layer {
        self.append(Layer::header(name, EntryType::Directory, 0o755), b"")
    }

    pub fn file(self, name: &str, data: &[u8]) -> Layer {
        self.append(Layer::header(name, EntryType::Regular, 0o644), data)
    }

    pub fn symlink(self, name: &str, target: &str) -> Layer {
        self.link(name, target, EntryType::Symlink)
    }

    pub fn hardlink(self, name: &str, target: &str) -> Layer {
        self.link(name, target, EntryType::Link)
    }

    fn link(self, name: &str, target: &str, kind: EntryType) -> Layer {
        let mut header = Layer::header(name, kind, 0o777);
        set_raw(&mut header.as_old_mut().linkname, target.as_bytes());
        self.append(header, b"")
    }

    /// A whiteout or opaque marker, as an empty regular file.
    pub fn marker(self, name: &str) -> Layer {
        self.append(Layer::header(name, EntryType::Regular, 0o600), b"")
    }

    /// PAX records for the next entry.
    pub fn pax(mut self, records: &[(&str, &[u8])]) -> Layer {
        self.builder
            .append_pax_extensions(records.iter().map(|(key, value)| (*key, *value)))
            .unwrap();
        self
    }

    /// The whole tar, end blocks included.
    pub fn bytes(self) -> Vec<u8> {
        self.builder.into_inner().unwrap()
    }

    pub fn builder(&mut self) -> &mut tar::Builder<Vec<u8>> {
        &mut self.builder
    }
}

fn set_raw(field: &mut [u8], value: &[u8]) {
    assert!(
        value.len() <= field.len(),
        "raw names are at most 100 bytes"
    );
    field.fill(0);
    field[..value.len()].copy_from_slice(value);
}

/// Applied layers, bottom first, each in a directory of its own.
pub struct Stack {
    pub dirs: Vec<TempDir>,
}

impl Stack {
    /// Applies each tar on top of the ones before it.
    pub fn apply(layers: &[Vec<u8>]) -> Stack {
        let mut stack = Stack { dirs: Vec::new() };
        for layer in layers {
            stack.push(layer).unwrap();
        }
        stack
    }

    /// Applies one more tar on top.
    pub fn push(&mut self, layer: &[u8]) -> Result<Applied, LayerError> {
        let dest = tempfile::tempdir().unwrap();
        let applied = apply(layer, dest.path(), &self.lowers());
        self.dirs.push(dest);
        applied
    }

    /// The layer directories, top-most first, as `apply` and overlayfs want.
    pub fn lowers(&self) -> Vec<PathBuf> {
        self.dirs
            .iter()
            .rev()
            .map(|dir| dir.path().to_path_buf())
            .collect()
    }

    pub fn layer(&self, index: usize) -> &Path {
        self.dirs[index].path()
    }

    /// Mounts the whole stack read-only.
    pub fn mount(&self) -> OverlayMount {
        OverlayMount::new(&self.lowers())
    }
}

/// A read-only overlay mount of some layers, unmounted on drop (also when a
/// test fails).
pub struct OverlayMount {
    target: TempDir,
}

impl OverlayMount {
    pub fn new(lowers: &[PathBuf]) -> OverlayMount {
        assert!(
            lowers.len() >= 2,
            "overlayfs needs two lower layers without an upper"
        );
        let target = tempfile::tempdir().unwrap();
        let lowerdir: Vec<String> = lowers.iter().map(|dir| dir.display().to_string()).collect();
        let options = CString::new(format!("lowerdir={}", lowerdir.join(":"))).unwrap();
        rustix::mount::mount(
            "overlay",
            target.path(),
            "overlay",
            rustix::mount::MountFlags::RDONLY,
            options.as_c_str(),
        )
        .expect("mounting overlayfs (the tests run as root)");
        OverlayMount { target }
    }

    pub fn path(&self) -> &Path {
        self.target.path()
    }
}

impl Drop for OverlayMount {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(self.target.path(), rustix::mount::UnmountFlags::DETACH);
    }
}

/// The names in a directory, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every path under `dir`, relative, sorted; directories end with `/`.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    walk(dir, dir, &mut paths);
    paths.sort();
    paths
}

fn walk(root: &Path, dir: &Path, paths: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let relative = path.strip_prefix(root).unwrap().display().to_string();
        if path.symlink_metadata().unwrap().is_dir() {
            paths.push(format!("{relative}/"));
            walk(root, &path, paths);
        } else {
            paths.push(relative);
        }
    }
}

/// Whether `path` is an overlayfs whiteout.
pub fn is_whiteout(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    match path.symlink_metadata() {
        Ok(metadata) => metadata.file_type().is_char_device() && metadata.rdev() == 0,
        Err(_) => false,
    }
}

/// Reads an extended attribute, `None` when absent.
pub fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut value = vec![0; 4096];
    match rustix::fs::lgetxattr(path, name, &mut value[..]) {
        Ok(length) => Some(value[..length].to_vec()),
        Err(_) => None,
    }
}

/// A file name no other test and no host file has, for checking that
/// nothing is written outside the layer root.
pub fn unique_name(label: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "container-layer-test-{label}-{}-{count}",
        std::process::id()
    )
}

/// Reads a file as a container rooted at `root` would: absolute symlinks
/// start from `root`.
pub fn read_in_root(root: &Path, path: &str) -> std::io::Result<Vec<u8>> {
    use rustix::fs::{Mode, OFlags, ResolveFlags, open, openat2};
    use std::io::Read;

    let root = open(root, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
    let file = openat2(
        &root,
        path,
        OFlags::RDONLY,
        Mode::empty(),
        ResolveFlags::IN_ROOT,
    )?;
    let mut data = Vec::new();
    std::fs::File::from(file).read_to_end(&mut data)?;
    Ok(data)
}
