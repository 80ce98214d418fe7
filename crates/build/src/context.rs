//! The build context: the directory (or the tar on stdin) COPY and ADD read from.
//!
//! It is walked once, through `.dockerignore`: what the patterns exclude is not
//! part of the context at all, except directories that hold re-included files
//! (`!dir/keep`), which stay as their parents. Files are read only when a step
//! copies them; what a step reads is summed up by a hash of paths, kinds, modes,
//! link targets and contents — never of times, so touching a file does not
//! invalidate the cache, and each file is hashed at most once per build.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use crate::error::{BuildError, Result};
use crate::glob;

/// What kind of file a context entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (copied as a link).
    Symlink,
    /// A FIFO, socket or device: not copied.
    Other,
}

/// One file of the context.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its kind.
    pub kind: Kind,
    /// Permission bits.
    pub mode: u32,
    /// Modification time, kept on copies (but never part of a cache key).
    pub mtime: (i64, i64),
}

/// Decides which context paths `.dockerignore` leaves out.
pub struct Filter<'a> {
    /// Whether the path (relative, `/`-separated) is excluded.
    pub is_excluded: &'a dyn Fn(&str) -> bool,
    /// Whether an excluded directory may be left unwalked: no `!` pattern can
    /// bring back anything under it.
    pub may_skip_dir: &'a dyn Fn(&str) -> bool,
}

/// The build context, walked once.
pub struct Context {
    root: PathBuf,
    entries: BTreeMap<String, Entry>,
    hashes: Mutex<HashMap<String, String>>,
    _extracted: Option<tempfile::TempDir>,
}

impl Context {
    /// The context in directory `root`.
    pub fn from_dir(root: &Path, filter: &Filter<'_>) -> Result<Context> {
        let metadata = std::fs::metadata(root).map_err(|source| BuildError::Context {
            path: root.to_owned(),
            source,
        })?;
        if !metadata.is_dir() {
            return Err(BuildError::Context {
                path: root.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "the build context must be a directory",
                ),
            });
        }
        let mut entries = BTreeMap::new();
        walk(root, "", filter, &mut entries)?;
        Ok(Context {
            root: root.to_owned(),
            entries,
            hashes: Mutex::new(HashMap::new()),
            _extracted: None,
        })
    }

    /// The context sent as a tar (plain, gzip or zstd), extracted under `scratch`.
    pub fn from_tar(tar: impl Read, scratch: &Path, filter: &Filter<'_>) -> Result<Context> {
        let dir = tempfile::tempdir_in(scratch).map_err(|source| BuildError::Context {
            path: scratch.to_owned(),
            source,
        })?;
        container_layer::apply(tar, dir.path(), &[])
            .map_err(|source| BuildError::ContextTar { source })?;
        let mut context = Context::from_dir(dir.path(), filter)?;
        context._extracted = Some(dir);
        Ok(context)
    }

    /// Where the context is on the host.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The host path of a context entry.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// The entry at `relative`, if the context holds it (`""` is the root).
    pub fn entry(&self, relative: &str) -> Option<&Entry> {
        self.entries.get(relative)
    }

    /// The entries a COPY source names: one path, or all that its wildcards match,
    /// relative to the context root (`""` for the root itself).
    pub fn matches(&self, source: &str) -> Vec<String> {
        let clean = crate::inroot::clean(source);
        let relative = clean.trim_start_matches('/');
        if relative.is_empty() {
            return vec![String::new()];
        }
        if !glob::has_wildcards(relative) {
            return match self.entries.contains_key(relative) {
                true => vec![relative.to_owned()],
                false => Vec::new(),
            };
        }
        let pattern: Vec<&str> = relative.split('/').collect();
        self.entries
            .keys()
            .filter(|path| {
                let parts: Vec<&str> = path.split('/').collect();
                parts.len() == pattern.len()
                    && parts.iter().zip(&pattern).all(|(p, q)| glob::matches(q, p))
            })
            .cloned()
            .collect()
    }

    /// The entries under directory `relative`, sorted, with their paths relative to
    /// it.
    pub fn descendants(&self, relative: &str) -> Vec<(&str, &Entry)> {
        let prefix = match relative.is_empty() {
            true => String::new(),
            false => format!("{relative}/"),
        };
        self.entries
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, entry)| (&path[prefix.len()..], entry))
            .filter(|(path, _)| !path.is_empty())
            .collect()
    }

    /// A hash of everything the sources read: for each, its name, and for it and
    /// everything under it the relative path, kind, mode, link target and content.
    pub fn content_hash(&self, sources: &[String]) -> Result<String> {
        let mut hasher = Sha256::new();
        for source in sources {
            hasher.update(source.as_bytes());
            hasher.update([0]);
            let top = self.entry(source).cloned().unwrap_or(Entry {
                kind: Kind::Dir,
                mode: 0o755,
                mtime: (0, 0),
            });
            self.hash_entry(&mut hasher, source, "", &top)?;
            if top.kind == Kind::Dir {
                for (path, entry) in self.descendants(source) {
                    let full = join(source, path);
                    self.hash_entry(&mut hasher, &full, path, entry)?;
                }
            }
        }
        Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
    }

    fn hash_entry(
        &self,
        hasher: &mut Sha256,
        full: &str,
        shown: &str,
        entry: &Entry,
    ) -> Result<()> {
        hasher.update(format!("{shown}\0{:?}\0{:o}\0", entry.kind, entry.mode).as_bytes());
        match entry.kind {
            Kind::File => hasher.update(self.file_hash(full)?.as_bytes()),
            Kind::Symlink => {
                let target =
                    std::fs::read_link(self.path(full)).map_err(|source| BuildError::Context {
                        path: self.path(full),
                        source,
                    })?;
                hasher.update(target.as_os_str().as_encoded_bytes());
            }
            Kind::Dir | Kind::Other => {}
        }
        hasher.update([0]);
        Ok(())
    }

    fn file_hash(&self, relative: &str) -> Result<String> {
        if let Some(hash) = self
            .hashes
            .lock()
            .expect("no panics holding it")
            .get(relative)
        {
            return Ok(hash.clone());
        }
        let path = self.path(relative);
        let failed = |source| BuildError::Context {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::File::open(&path).map_err(failed)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let read = file.read(&mut buffer).map_err(failed)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        let hash = hex::encode(hasher.finalize());
        self.hashes
            .lock()
            .expect("no panics holding it")
            .insert(relative.to_owned(), hash.clone());
        Ok(hash)
    }
}

/// `a` + `b` as a relative path.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}/{b}"),
    }
}

/// Adds the entries under `dir` (relative path `prefix`); returns whether any was
/// included.
fn walk(
    dir: &Path,
    prefix: &str,
    filter: &Filter<'_>,
    entries: &mut BTreeMap<String, Entry>,
) -> Result<bool> {
    let failed = |source| BuildError::Context {
        path: dir.to_owned(),
        source,
    };
    let mut any = false;
    for item in std::fs::read_dir(dir).map_err(failed)? {
        let item = item.map_err(failed)?;
        let Some(name) = item.file_name().to_str().map(str::to_owned) else {
            // TODO: context files whose names are not UTF-8 are left out
            continue;
        };
        let relative = join(prefix, &name);
        let path = item.path();
        let metadata = std::fs::symlink_metadata(&path).map_err(|source| BuildError::Context {
            path: path.clone(),
            source,
        })?;
        let kind = match metadata.file_type() {
            t if t.is_dir() => Kind::Dir,
            t if t.is_file() => Kind::File,
            t if t.is_symlink() => Kind::Symlink,
            _ => Kind::Other,
        };
        let entry = Entry {
            kind,
            mode: metadata.permissions().mode() & 0o7777,
            mtime: (metadata.mtime(), metadata.mtime_nsec()),
        };
        let is_excluded = (filter.is_excluded)(&relative);
        let mut keep = !is_excluded;
        if kind == Kind::Dir && !(is_excluded && (filter.may_skip_dir)(&relative)) {
            let has_children = walk(&path, &relative, filter, entries)?;
            keep |= has_children;
        }
        if keep {
            entries.insert(relative, entry);
            any = true;
        }
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(files: &[&str], excluded: &dyn Fn(&str) -> bool) -> (tempfile::TempDir, Context) {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file).unwrap();
        }
        let filter = Filter {
            is_excluded: excluded,
            may_skip_dir: &|_| false,
        };
        let context = Context::from_dir(dir.path(), &filter).unwrap();
        (dir, context)
    }

    #[test]
    fn wildcards_match_files_and_directories_at_their_depth() {
        let (_dir, context) = context(
            &["file1.txt", "file2.txt", "dir/nested_file", "dirt"],
            &|_| false,
        );
        assert_eq!(context.matches("file*.txt"), ["file1.txt", "file2.txt"]);
        assert_eq!(context.matches("dir*"), ["dir", "dirt"]);
        assert_eq!(context.matches("./dir/nested_file"), ["dir/nested_file"]);
        assert!(context.matches("nomatch*").is_empty());
        assert_eq!(context.matches("."), [""]);
    }

    #[test]
    fn excluded_directories_stay_as_parents_of_included_files() {
        let (_dir, context) = context(&["dir/keep", "dir/drop"], &|p| {
            p.starts_with("dir") && p != "dir/keep"
        });
        assert!(context.entry("dir").is_some());
        assert!(context.entry("dir/keep").is_some());
        assert!(context.entry("dir/drop").is_none());
    }

    #[test]
    fn content_hash_follows_content_not_times() {
        let (dir, context) = context(&["a"], &|_| false);
        let first = context.content_hash(&["a".into()]).unwrap();
        let file = std::fs::File::options()
            .write(true)
            .open(dir.path().join("a"))
            .unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        let filter = Filter {
            is_excluded: &|_| false,
            may_skip_dir: &|_| true,
        };
        let again = Context::from_dir(dir.path(), &filter).unwrap();
        assert_eq!(again.content_hash(&["a".into()]).unwrap(), first);
        std::fs::write(dir.path().join("a"), "changed").unwrap();
        let changed = Context::from_dir(dir.path(), &filter).unwrap();
        assert_ne!(changed.content_hash(&["a".into()]).unwrap(), first);
    }
}
