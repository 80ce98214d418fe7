//! Finding, and creating, directories inside the layer root, through the
//! layers below.
//!
//! Every path is resolved with the layer directory as its root, so that no
//! tar entry can reach outside it (the breakouts of CVE-2018-15664,
//! CVE-2019-14271 and containerd's TestBreakouts): `..` stops at the root and
//! an absolute symlink target starts from it.
//!
//! Most paths resolve in this layer's own directory alone: the kernel then
//! does the work, through `openat2(RESOLVE_IN_ROOT)`. When a component is
//! missing there, it may live in a layer below (`var/run -> /run` in the
//! base image, and `var/run/foo` in this layer), so the path is walked one
//! component at a time over the merged view, the way overlayfs looks it up:
//! this layer first, then each lower one, top-most first, stopping at a
//! whiteout, at a non-directory or below an opaque directory. Directories
//! met only in lower layers are copied up as overlayfs would: same owner,
//! mode, times and extended attributes.
//!
//! The lower layers are looked into only when the walk must: a directory
//! found in this layer remembers how to find its lower copies (its parent's,
//! then its name) and does so on first use. The lower layers themselves may
//! be handed over late ([`LowerSource`]): asking for them is what waits.

use std::cell::{Cell, OnceCell, RefCell};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{
    AtFlags, FileType, Mode, OFlags, ResolveFlags, fstat, mkdirat, open, openat, openat2,
    readlinkat, statat,
};
use rustix::io::Errno;

use crate::LowerSource;
use crate::error::LayerError;
use crate::metadata::{DirTimes, Metadata, identity};
use crate::path::{components, split};
use crate::whiteout::{is_opaque, is_whiteout, mark_opaque};

/// The most symlinks one walk follows, as the kernel's own limit (40).
const MAX_SYMLINKS: usize = 40;

/// The layers below the one being applied, as [`crate::apply`] and
/// [`crate::apply_with_lowers`] get them.
pub(crate) enum Lowers<'a> {
    /// Their directories, top-most first, opened at once.
    Ready(&'a [PathBuf]),
    /// Asked for when first needed.
    Lazy(&'a dyn LowerSource),
}

/// The layer directory being written and the layers below it.
pub(crate) struct Root<'a> {
    dest: OwnedFd,
    /// The lower layers' directories, top-most first, once opened.
    lowers: OnceCell<Vec<OwnedFd>>,
    /// Where to get them while they are not: taken on the one attempt.
    source: Cell<Option<&'a dyn LowerSource>>,
    /// Why getting them failed, until [`Root::take_failure`].
    failure: RefCell<Option<LayerError>>,
    /// The last parent directory, by cleaned path. Only directories resolved
    /// in this layer alone are kept: their lookup cannot change unless
    /// something is removed, and removals call [`Root::forget`].
    cached: Option<(Vec<u8>, Parent)>,
}

/// A directory that holds entries, shared with the threads that write
/// files into it, and its device and inode numbers.
#[derive(Clone)]
pub(crate) struct Parent {
    pub(crate) dir: Arc<OwnedFd>,
    pub(crate) identity: (u64, u64),
}

impl Parent {
    fn new(dir: OwnedFd) -> io::Result<Parent> {
        let identity = identity(&fstat(&dir)?);
        Ok(Parent {
            dir: Arc::new(dir),
            identity,
        })
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }
}

/// One directory of a walk: its descriptor in this layer, and the same
/// directory in the lower layers that show through it, top-most first.
pub(crate) struct Level {
    pub(crate) dir: OwnedFd,
    pub(crate) lowers: Vec<OwnedFd>,
}

/// What a name is in the layers below.
pub(crate) enum Lower {
    /// Nowhere, or hidden by a whiteout.
    Absent,
    /// A directory, as it shows in each layer that contributes to it.
    Directories(Vec<OwnedFd>),
    /// A symlink in `lowers[layer]`.
    Symlink { layer: usize, target: Vec<u8> },
    /// Another kind of file in `lowers[layer]`.
    Other { layer: usize },
}

impl<'a> Root<'a> {
    /// Opens the layer directory, and its lower layers unless they come
    /// later.
    pub(crate) fn open(dest: &Path, lowers: Lowers<'a>) -> Result<Root<'a>, LayerError> {
        let dest = open_directory(dest).map_err(|source| LayerError::OpenDestination {
            path: dest.to_path_buf(),
            source: source.into(),
        })?;
        let root = Root {
            dest,
            lowers: OnceCell::new(),
            source: Cell::new(None),
            failure: RefCell::new(None),
            cached: None,
        };
        match lowers {
            Lowers::Ready(paths) => {
                let opened = open_lowers(paths)?;
                root.lowers.get_or_init(|| opened);
            }
            Lowers::Lazy(source) => root.source.set(Some(source)),
        }
        Ok(root)
    }

    /// The lower layers' directories, top-most first, waiting for them the
    /// first time. A failure is kept for [`Root::take_failure`]: the error
    /// returned here only stops the walk.
    fn lowers(&self) -> io::Result<&[OwnedFd]> {
        if let Some(lowers) = self.lowers.get() {
            return Ok(lowers);
        }
        let Some(source) = self.source.take() else {
            return Err(lowers_unavailable());
        };
        tracing::debug!("waiting for the layers below");
        let opened = source
            .wait()
            .map_err(|source| LayerError::LowersUnavailable { source })
            .and_then(|paths| open_lowers(&paths));
        match opened {
            Ok(opened) => Ok(self.lowers.get_or_init(|| opened)),
            Err(error) => {
                *self.failure.borrow_mut() = Some(error);
                Err(lowers_unavailable())
            }
        }
    }

    /// Why the lower layers could not be had, if they were needed and
    /// could not: the error to report instead of the one the walk returned.
    pub(crate) fn take_failure(&self) -> Option<LayerError> {
        self.failure.borrow_mut().take()
    }

    /// The layer directory itself.
    pub(crate) fn dest(&self) -> BorrowedFd<'_> {
        self.dest.as_fd()
    }

    /// The directory at `path` (cleaned), created with its missing ancestors,
    /// ready to hold an entry. Consecutive entries of one directory reuse it.
    pub(crate) fn parent(
        &mut self,
        path: &[u8],
        deferred: &mut Vec<DirTimes>,
    ) -> io::Result<Parent> {
        if let Some(parent) = self.parent_in_dest(path)? {
            return Ok(parent);
        }
        // Not cached: the walk may have gone through a lower layer, which
        // later entries change.
        Parent::new(self.walk(path, true, deferred)?)
    }

    /// The directory at `path` (cleaned) if it resolves in this layer alone,
    /// or `None` if the lower layers must be walked.
    pub(crate) fn parent_in_dest(&mut self, path: &[u8]) -> io::Result<Option<Parent>> {
        if let Some((cached, parent)) = &self.cached
            && cached == path
        {
            return Ok(Some(parent.clone()));
        }
        self.cached = None;
        let parent = match self.open_in_dest(path) {
            Ok(dir) => Parent::new(dir)?,
            Err(Errno::NOENT | Errno::NOTDIR) => return Ok(None),
            Err(errno) => return Err(errno.into()),
        };
        self.cached = Some((path.to_vec(), parent.clone()));
        Ok(Some(parent))
    }

    /// Drops the cached parent, after something was removed.
    pub(crate) fn forget(&mut self) {
        self.cached = None;
    }

    /// The directory at `path` (cleaned), not cached. Without `create`, a
    /// directory that is missing from this layer is `ENOENT`.
    pub(crate) fn directory(
        &self,
        path: &[u8],
        create: bool,
        deferred: &mut Vec<DirTimes>,
    ) -> io::Result<OwnedFd> {
        match self.open_in_dest(path) {
            Ok(dir) => Ok(dir),
            Err(Errno::NOENT | Errno::NOTDIR) => self.walk(path, create, deferred),
            Err(errno) => Err(errno.into()),
        }
    }

    /// Resolves `path` in this layer only, by the kernel.
    fn open_in_dest(&self, path: &[u8]) -> rustix::io::Result<OwnedFd> {
        let path: &[u8] = if path.is_empty() { b"." } else { path };
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        open_in_root(&self.dest, path, flags, Mode::empty())
    }

    /// Walks `path` over the merged view of this layer and the lower ones,
    /// and returns the directory in this layer. Directories this layer lacks
    /// are made once the walk is known to end below them (not for a
    /// directory a symlink merely passes through), when `create` is set;
    /// otherwise they are `ENOENT`.
    pub(crate) fn walk(
        &self,
        path: &[u8],
        create: bool,
        deferred: &mut Vec<DirTimes>,
    ) -> io::Result<OwnedFd> {
        let mut visits = self.visits(path, create, deferred)?;
        let last = visits.pop().expect(ROOT_STAYS);
        Ok(last.dir.expect("materialize made every directory"))
    }

    /// [`Root::walk`], and the same directory in the lower layers.
    pub(crate) fn walk_with_lowers(
        &self,
        path: &[u8],
        create: bool,
        deferred: &mut Vec<DirTimes>,
    ) -> io::Result<Level> {
        let mut visits = self.visits(path, create, deferred)?;
        self.lowers_of(&mut visits)?;
        let last = visits.pop().expect(ROOT_STAYS);
        Ok(Level {
            dir: last.dir.expect("materialize made every directory"),
            lowers: last.lowers.expect("lowers_of found them"),
        })
    }

    /// The directories a walk of `path` goes through, from the root to the
    /// one it ends at, all made in this layer.
    fn visits(
        &self,
        path: &[u8],
        create: bool,
        deferred: &mut Vec<DirTimes>,
    ) -> io::Result<Vec<Visit>> {
        let mut visits = vec![self.root_visit()?];
        let mut pending: Vec<Vec<u8>> = components(path).rev().map(<[u8]>::to_vec).collect();
        let mut symlinks = 0;

        while let Some(name) = pending.pop() {
            match name.as_slice() {
                b"" | b"." => {}
                b".." => {
                    if visits.len() > 1 {
                        visits.pop();
                    }
                }
                _ => match self.step(&mut visits, &name, create)? {
                    Step::Directory(visit) => visits.push(visit),
                    Step::Symlink(target) => {
                        symlinks += 1;
                        if symlinks > MAX_SYMLINKS {
                            return Err(Errno::LOOP.into());
                        }
                        // Absolute targets start again from the layer root.
                        if target.starts_with(b"/") {
                            visits.truncate(1);
                        }
                        pending
                            .extend(target.split(|&byte| byte == b'/').rev().map(<[u8]>::to_vec));
                    }
                },
            }
        }

        materialize(&mut visits, create, deferred)?;
        Ok(visits)
    }

    fn root_visit(&self) -> io::Result<Visit> {
        let dir = self.dest.try_clone()?;
        // An opaque root hides every lower layer: nothing to wait for.
        let lowers = is_opaque(dir.as_fd()).then(Vec::new);
        Ok(Visit {
            dir: Some(dir),
            lowers,
            path: Vec::new(),
        })
    }

    /// The lower layers' roots that show through this layer's root.
    fn root_lowers(&self) -> io::Result<Vec<OwnedFd>> {
        let mut lowers = Vec::new();
        for lower in self.lowers()? {
            lowers.push(lower.try_clone()?);
            if is_opaque(lower.as_fd()) {
                break;
            }
        }
        Ok(lowers)
    }

    /// The lower directories of the last of `visits`, each visit being the
    /// parent of the next, found from the nearest one that knows its own.
    fn lowers_of<'v>(&self, visits: &'v mut [Visit]) -> io::Result<&'v [OwnedFd]> {
        let known = visits.iter().rposition(|visit| visit.lowers.is_some());
        let first = known.map_or(0, |index| index + 1);
        for index in first..visits.len() {
            let lowers = if index == 0 {
                self.root_lowers()?
            } else {
                let (parents, rest) = visits.split_at(index);
                let parent = parents[index - 1].lowers.as_deref();
                let (_, name) = split(&rest[0].path);
                lower_directories(parent.expect("parents are found first"), name)?
            };
            visits[index].lowers = Some(lowers);
        }
        let last = visits.last().expect(ROOT_STAYS);
        Ok(last.lowers.as_deref().expect("found above"))
    }

    /// Takes one component `name` from the last of `visits`.
    fn step(&self, visits: &mut [Visit], name: &[u8], create: bool) -> io::Result<Step> {
        let visit = visits.last().expect(ROOT_STAYS);
        let path = join(&visit.path, name);
        if let Some(dir) = &visit.dir {
            match statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => return step_in_dest(dir.as_fd(), name, &stat, create, path),
                Err(Errno::NOENT) => {}
                Err(errno) => return Err(errno.into()),
            }
        }

        match lookup_lowers(self.lowers_of(visits)?, name)? {
            Lower::Symlink { target, .. } => Ok(Step::Symlink(target)),
            Lower::Directories(lowers) => Ok(Step::Directory(Visit {
                dir: None,
                lowers: Some(lowers),
                path,
            })),
            Lower::Absent if create => Ok(Step::Directory(Visit {
                dir: None,
                lowers: Some(Vec::new()),
                path,
            })),
            Lower::Other { .. } => Err(Errno::NOTDIR.into()),
            Lower::Absent => Err(Errno::NOENT.into()),
        }
    }
}

const ROOT_STAYS: &str = "the root of a walk is never popped";

/// A directory met by a walk: its descriptor in this layer once it exists
/// there, the same directory in the lower layers that show through it
/// (`None` until needed: found from the parent's and the name), and its
/// path in the layer.
struct Visit {
    dir: Option<OwnedFd>,
    lowers: Option<Vec<OwnedFd>>,
    path: Vec<u8>,
}

enum Step {
    Directory(Visit),
    Symlink(Vec<u8>),
}

/// Steps into `name`, which this layer has; its lower directories are left
/// to be found when needed, unless it hides them.
fn step_in_dest(
    parent: BorrowedFd<'_>,
    name: &[u8],
    stat: &rustix::fs::Stat,
    create: bool,
    path: Vec<u8>,
) -> io::Result<Step> {
    let (dir, lowers) = match FileType::from_raw_mode(stat.st_mode) {
        FileType::Directory => {
            let dir = open_dir(parent, name)?;
            let lowers = is_opaque(dir.as_fd()).then(Vec::new);
            (dir, lowers)
        }
        FileType::Symlink => {
            let target = readlinkat(parent, name, Vec::new())?;
            return Ok(Step::Symlink(target.into_bytes()));
        }
        _ if is_whiteout(stat) && create => {
            // This layer deleted the directory below and now writes inside
            // it: overlayfs makes such a directory opaque, and so do we.
            rustix::fs::unlinkat(parent, name, AtFlags::empty())?;
            let dir = make_directory(parent, name, &Metadata::implied_directory())?;
            mark_opaque(dir.as_fd())?;
            (dir, Some(Vec::new()))
        }
        _ if is_whiteout(stat) => return Err(Errno::NOENT.into()),
        _ => return Err(Errno::NOTDIR.into()),
    };
    Ok(Step::Directory(Visit {
        dir: Some(dir),
        lowers,
        path,
    }))
}

/// Makes, in order, the directories of a finished walk that this layer
/// lacks, copying their metadata from the top-most layer below that has
/// them, as an overlayfs copy-up does.
fn materialize(visits: &mut [Visit], create: bool, deferred: &mut Vec<DirTimes>) -> io::Result<()> {
    for index in 1..visits.len() {
        if visits[index].dir.is_some() {
            continue;
        }
        if !create {
            return Err(Errno::NOENT.into());
        }
        let (made, rest) = visits.split_at_mut(index);
        let parent = made[index - 1]
            .dir
            .as_ref()
            .expect("parents are made first");
        let visit = &mut rest[0];
        visit.dir = Some(copy_up_directory(parent.as_fd(), visit, deferred)?);
    }
    Ok(())
}

fn copy_up_directory(
    parent: BorrowedFd<'_>,
    visit: &Visit,
    deferred: &mut Vec<DirTimes>,
) -> io::Result<OwnedFd> {
    let (_, name) = split(&visit.path);
    // A directory this layer lacks was found by a lookup in the lower
    // layers, which gave its lower directories.
    let lowers = visit.lowers.as_deref().unwrap_or_default();
    let Some(lower) = lowers.first() else {
        return make_directory(parent, name, &Metadata::implied_directory());
    };
    let metadata = Metadata::from_fd(lower.as_fd())?;
    let dir = make_directory(parent, name, &metadata)?;
    deferred.push(DirTimes::new(&dir, &visit.path, &metadata.times)?);
    Ok(dir)
}

/// Looks `name` up in the lower layers' copies of one directory, as overlayfs
/// does: the top-most layer that has it decides what it is, and a directory
/// merges with the directories below it until an opaque one, a whiteout or a
/// non-directory.
pub(crate) fn lookup_lowers(lowers: &[OwnedFd], name: &[u8]) -> io::Result<Lower> {
    let mut directories = Vec::new();
    for (layer, lower) in lowers.iter().enumerate() {
        let stat = match statat(lower, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => stat,
            Err(Errno::NOENT) => continue,
            Err(errno) => return Err(errno.into()),
        };
        let file_type = FileType::from_raw_mode(stat.st_mode);
        if file_type != FileType::Directory {
            if !directories.is_empty() || is_whiteout(&stat) {
                break;
            }
            if file_type == FileType::Symlink {
                let target = readlinkat(lower, name, Vec::new())?.into_bytes();
                return Ok(Lower::Symlink { layer, target });
            }
            return Ok(Lower::Other { layer });
        }

        let dir = open_dir(lower.as_fd(), name)?;
        let is_last = is_opaque(dir.as_fd());
        directories.push(dir);
        if is_last {
            break;
        }
    }
    if directories.is_empty() {
        Ok(Lower::Absent)
    } else {
        Ok(Lower::Directories(directories))
    }
}

fn lower_directories(lowers: &[OwnedFd], name: &[u8]) -> io::Result<Vec<OwnedFd>> {
    match lookup_lowers(lowers, name)? {
        Lower::Directories(directories) => Ok(directories),
        _ => Ok(Vec::new()),
    }
}

/// Creates a directory with the given metadata, times aside.
fn make_directory(parent: BorrowedFd<'_>, name: &[u8], metadata: &Metadata) -> io::Result<OwnedFd> {
    mkdirat(parent, name, Mode::from_raw_mode(metadata.mode & 0o777))?;
    let dir = open_dir(parent, name)?;
    metadata
        .apply_to_fd(dir.as_fd(), false)
        .map_err(|failure| failure.source)?;
    Ok(dir)
}

/// Opens a directory by name without following a symlink in its place.
pub(crate) fn open_dir(parent: BorrowedFd<'_>, name: &[u8]) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    openat(parent, name, flags, Mode::empty())
}

/// Opens the lower layers' directories, top-most first.
fn open_lowers(paths: &[PathBuf]) -> Result<Vec<OwnedFd>, LayerError> {
    paths
        .iter()
        .map(|lower| {
            open_directory(lower).map_err(|source| LayerError::OpenLower {
                path: lower.clone(),
                source: source.into(),
            })
        })
        .collect()
}

/// What a walk returns when the lower layers could not be had; the reason
/// waits in [`Root`].
fn lowers_unavailable() -> io::Error {
    io::Error::other("the layers below are unavailable")
}

fn open_directory(path: &Path) -> rustix::io::Result<OwnedFd> {
    open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

fn join(location: &[u8], name: &[u8]) -> Vec<u8> {
    let mut joined = Vec::with_capacity(location.len() + 1 + name.len());
    joined.extend_from_slice(location);
    if !joined.is_empty() {
        joined.push(b'/');
    }
    joined.extend_from_slice(name);
    joined
}

/// `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`: opens `path` inside
/// `root` as if `root` were `/`, so no `..` or symlink leads out of it.
/// The kernel answers `EAGAIN` when a rename or a mount anywhere on the
/// system raced the walk; that is retried a few times.
pub fn open_in_root<P: rustix::path::Arg + Copy>(
    root: impl AsFd,
    path: P,
    flags: OFlags,
    mode: Mode,
) -> rustix::io::Result<OwnedFd> {
    let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    let mut attempts = 0;
    loop {
        match openat2(&root, path, flags, mode, resolve) {
            Err(Errno::AGAIN) if attempts < 16 => attempts += 1,
            result => return result,
        }
    }
}
