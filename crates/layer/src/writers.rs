//! A few threads that write regular files while the tar is still being read.
//!
//! Creating a file costs tens of microseconds of kernel time, and up to a
//! millisecond on ext4 without a journal shortly after many files were
//! deleted nearby (it steps over each recently freed inode). Other threads
//! overlap that with decompression and hashing, and with the creations in
//! other directories. The thread reading the tar stays the only one to
//! decide anything: it resolves each file's directory, reads its data, and
//! hands over a file that does not exist yet, in a directory that will not
//! change under it. It waits for the files in flight (a drain) before
//! anything that could meet one of them: see
//! [`Unpacker`](crate::unpack::Unpacker).
//!
//! Memory stays bounded: at most [`MAX_BYTES`] of data and [`MAX_JOBS`] files
//! are in flight, and files over [`MAX_FILE`] are written by the reading
//! thread itself.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};

use crate::entry::{self, Place};
use crate::error::{LayerError, lossy};
use crate::metadata::Metadata;
use crate::path::split;
use crate::resolve::Parent;

/// Threads writing files. Creations in one directory take its lock in turn,
/// so more threads only help with more directories in flight.
const THREADS: usize = 4;

/// The most bytes of file data read but not yet written.
const MAX_BYTES: usize = 8 << 20;

/// The most files handed over but not yet written.
const MAX_JOBS: usize = 256;

/// The largest file handed over; larger ones are written as they are read.
pub(crate) const MAX_FILE: usize = 2 << 20;

/// Writes one file; [`Job::write`] but in some tests.
type WriteFn = fn(&Job) -> Result<bool, LayerError>;

/// A regular file to create in a directory where its name is free.
pub(crate) struct Job {
    sequence: u64,
    parent: Arc<OwnedFd>,
    /// The file's cleaned path; its last component is its name in `parent`.
    path: Vec<u8>,
    data: Vec<u8>,
    metadata: Metadata,
}

impl Job {
    /// Creates the file, writes it and sets its metadata. Returns whether
    /// something had to be removed first, which the checks made before
    /// handing it over rule out.
    fn write(&self) -> Result<bool, LayerError> {
        let (_, name) = split(&self.path);
        let place = Place {
            parent: self.parent.as_fd(),
            name,
            path: &self.path,
        };
        entry::regular_from(&place, &self.data, &self.metadata)
    }
}

/// The pool, as the reading thread sees it.
pub(crate) struct Writers {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    is_started: bool,
    /// Hashes of the (directory, name) of the files handed over since the
    /// last drain. A collision only costs a needless drain.
    dispatched: HashSet<u64>,
    sequence: u64,
}

struct Shared {
    state: Mutex<State>,
    /// One per thread, signalled when a job is queued for it, and on
    /// shutdown.
    work: Vec<Condvar>,
    /// Signalled when a job is done and the reading thread waits.
    done: Condvar,
    write: WriteFn,
}

struct State {
    lanes: Vec<Lane>,
    /// Jobs queued or being written.
    pending: usize,
    /// Bytes of data of the pending jobs.
    bytes: usize,
    /// The failure of the earliest job that failed, by sequence.
    failure: Option<(u64, LayerError)>,
    is_replaced: bool,
    /// Whether the reading thread waits for jobs to finish.
    is_waiting: bool,
    is_closing: bool,
}

/// The jobs of one thread. All the files of a directory go to the same
/// thread: creations in one directory wait for each other in the kernel
/// anyway, and threads spinning on that lock take the reader's CPU.
#[derive(Default)]
struct Lane {
    queue: VecDeque<Job>,
    is_idle: bool,
}

impl State {
    fn has_room(&self, size: usize) -> bool {
        self.pending < MAX_JOBS && (self.bytes == 0 || self.bytes + size <= MAX_BYTES)
    }
}

impl Writers {
    pub(crate) fn new() -> Writers {
        Writers::with_write(Job::write)
    }

    fn with_write(write: WriteFn) -> Writers {
        let state = State {
            lanes: (0..THREADS).map(|_| Lane::default()).collect(),
            pending: 0,
            bytes: 0,
            failure: None,
            is_replaced: false,
            is_waiting: false,
            is_closing: false,
        };
        let shared = Shared {
            state: Mutex::new(state),
            work: (0..THREADS).map(|_| Condvar::new()).collect(),
            done: Condvar::new(),
            write,
        };
        Writers {
            shared: Arc::new(shared),
            threads: Vec::new(),
            is_started: false,
            dispatched: HashSet::new(),
            sequence: 0,
        }
    }

    /// Whether files were handed over since the last drain.
    pub(crate) fn is_busy(&self) -> bool {
        !self.dispatched.is_empty()
    }

    /// Whether a file named `name` in the directory `parent` was handed
    /// over since the last drain.
    pub(crate) fn is_dispatched(&self, parent: &Parent, name: &[u8]) -> bool {
        self.is_busy() && self.dispatched.contains(&key(parent, name))
    }

    /// Hands over the file at `path` (cleaned), named by its last component
    /// in `parent`, where nothing has that name. Waits while too much is in
    /// flight; returns the first failure of a file handed over earlier.
    pub(crate) fn submit(
        &mut self,
        parent: &Parent,
        path: &[u8],
        data: Vec<u8>,
        metadata: Metadata,
    ) -> Result<(), LayerError> {
        self.sequence += 1;
        let job = Job {
            sequence: self.sequence,
            parent: Arc::clone(&parent.dir),
            path: path.to_vec(),
            data,
            metadata,
        };
        let (_, name) = split(path);
        self.dispatched.insert(key(parent, name));
        if !self.start() {
            let is_replaced = (self.shared.write)(&job)?;
            self.shared.lock().is_replaced |= is_replaced;
            return Ok(());
        }

        let size = job.data.len();
        let mut state = self
            .shared
            .wait_until(|state| state.failure.is_some() || state.has_room(size));
        if state.failure.is_some() {
            drop(state);
            return self.drain().map(|_| ());
        }
        state.pending += 1;
        state.bytes += size;
        let lane_index = (key(parent, b"") % self.threads.len() as u64) as usize;
        let lane = &mut state.lanes[lane_index];
        lane.queue.push_back(job);
        let is_idle = std::mem::take(&mut lane.is_idle);
        drop(state);
        if is_idle {
            self.shared.work[lane_index].notify_one();
        }
        Ok(())
    }

    /// Waits until every file handed over is written. Returns the first
    /// failure, or whether something had to be removed to write them.
    pub(crate) fn drain(&mut self) -> Result<bool, LayerError> {
        self.dispatched.clear();
        let mut state = self.shared.wait_until(|state| state.pending == 0);
        if let Some((_, error)) = state.failure.take() {
            return Err(error);
        }
        Ok(std::mem::take(&mut state.is_replaced))
    }

    /// The error to report when the reading thread fails with `error`: the
    /// failure of a file handed over before, if any, came first.
    pub(crate) fn fail(&mut self, error: LayerError) -> LayerError {
        match self.drain() {
            Ok(_) => error,
            Err(earlier) => earlier,
        }
    }

    /// Starts the threads on first use; `false` if none could be started,
    /// and files are then written here.
    fn start(&mut self) -> bool {
        if !self.is_started {
            self.is_started = true;
            for index in 0..THREADS {
                let shared = Arc::clone(&self.shared);
                let spawned = thread::Builder::new()
                    .name("layer-writer".to_owned())
                    .spawn(move || work(&shared, index));
                match spawned {
                    Ok(handle) => self.threads.push(handle),
                    Err(error) => {
                        tracing::debug!(%error, "could not start a writer thread");
                        break;
                    }
                }
            }
        }
        !self.threads.is_empty()
    }
}

impl Drop for Writers {
    /// Stops the threads, dropping the files not yet begun (after a
    /// failure), and waits for them: the caller may remove the layer next.
    fn drop(&mut self) {
        self.shared.lock().is_closing = true;
        for work in &self.shared.work {
            work.notify_all();
        }
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

impl Shared {
    /// Locks the state. A panic never happens with the lock held, and the
    /// state stays consistent if one does.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits, as the reading thread, until jobs finishing make `is_ready`
    /// true.
    fn wait_until(&self, is_ready: impl Fn(&State) -> bool) -> MutexGuard<'_, State> {
        let mut state = self.lock();
        while !is_ready(&state) {
            state.is_waiting = true;
            state = self
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.is_waiting = false;
        state
    }

    /// The next job of the thread `index`, and whether to write it: not
    /// after an earlier failure. `None` on shutdown.
    fn next_job(&self, index: usize) -> Option<(Job, bool)> {
        let mut state = self.lock();
        loop {
            if state.is_closing {
                return None;
            }
            if let Some(job) = state.lanes[index].queue.pop_front() {
                let is_wanted = match &state.failure {
                    Some((failed, _)) => job.sequence < *failed,
                    None => true,
                };
                return Some((job, is_wanted));
            }
            state.lanes[index].is_idle = true;
            state = self.work[index]
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn finish(&self, sequence: u64, size: usize, outcome: Result<bool, LayerError>) {
        let mut state = self.lock();
        state.pending -= 1;
        state.bytes -= size;
        match outcome {
            Ok(is_replaced) => state.is_replaced |= is_replaced,
            Err(error) => {
                let is_first = match &state.failure {
                    Some((failed, _)) => sequence < *failed,
                    None => true,
                };
                if is_first {
                    state.failure = Some((sequence, error));
                }
            }
        }
        let is_waiting = state.is_waiting;
        drop(state);
        if is_waiting {
            self.done.notify_one();
        }
    }
}

fn work(shared: &Shared, index: usize) {
    while let Some((job, is_wanted)) = shared.next_job(index) {
        let (sequence, size) = (job.sequence, job.data.len());
        let outcome = match is_wanted {
            true => write_caught(shared.write, &job),
            false => Ok(false),
        };
        drop(job);
        shared.finish(sequence, size, outcome);
    }
}

/// Writes a job; a panic becomes the job's failure, so that the reading
/// thread, waiting for it, is told.
fn write_caught(write: WriteFn, job: &Job) -> Result<bool, LayerError> {
    panic::catch_unwind(AssertUnwindSafe(|| write(job))).unwrap_or_else(|_| {
        Err(LayerError::Create {
            entry: lossy(&job.path),
            kind: "regular file",
            source: io::Error::other("the thread writing it panicked"),
        })
    })
}

fn key(parent: &Parent, name: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    (parent.identity, name).hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rustix::fs::Timestamps;

    use super::*;

    fn metadata() -> Metadata {
        Metadata {
            uid: 0,
            gid: 0,
            mode: 0o644,
            times: Timestamps {
                last_access: rustix::fs::Timespec::default(),
                last_modification: rustix::fs::Timespec::default(),
            },
            xattrs: Vec::new(),
        }
    }

    fn parent() -> Parent {
        let dir = rustix::fs::open(".", rustix::fs::OFlags::PATH, rustix::fs::Mode::empty());
        Parent {
            dir: Arc::new(dir.unwrap()),
            identity: (1, 2),
        }
    }

    fn submit_all(writers: &mut Writers, names: &[&str]) -> Result<(), LayerError> {
        let parent = parent();
        for name in names {
            writers.submit(&parent, name.as_bytes(), vec![0; 10], metadata())?;
        }
        writers.drain().map(|_| ())
    }

    /// Fails every job, the earlier ones more slowly.
    fn fail_slowly(job: &Job) -> Result<bool, LayerError> {
        thread::sleep(Duration::from_millis(40 / job.sequence));
        Err(LayerError::InvalidWhiteout {
            entry: lossy(&job.path),
        })
    }

    #[test]
    fn the_earliest_failure_wins() {
        let mut writers = Writers::with_write(fail_slowly);
        let error = submit_all(&mut writers, &["a", "b", "c", "d"]).unwrap_err();
        assert!(
            matches!(&error, LayerError::InvalidWhiteout { entry } if entry == "a"),
            "{error:?}"
        );
    }

    fn panic(_: &Job) -> Result<bool, LayerError> {
        panic!("writing failed")
    }

    #[test]
    fn a_panic_is_a_failure_not_a_hang() {
        let mut writers = Writers::with_write(panic);
        let error = submit_all(&mut writers, &["x", "y"]).unwrap_err();
        assert!(
            matches!(&error, LayerError::Create { entry, .. } if entry == "x"),
            "{error:?}"
        );
        assert!(
            writers
                .fail(LayerError::InvalidWhiteout { entry: "z".into() })
                .to_string()
                .contains('z')
        );
    }

    fn succeed(_: &Job) -> Result<bool, LayerError> {
        Ok(false)
    }

    #[test]
    fn dispatched_names_are_remembered_until_a_drain() {
        let mut writers = Writers::with_write(succeed);
        let parent = parent();
        writers
            .submit(&parent, b"d/f", Vec::new(), metadata())
            .unwrap();
        assert!(writers.is_dispatched(&parent, b"f"));
        assert!(!writers.is_dispatched(&parent, b"g"));
        writers.drain().unwrap();
        assert!(!writers.is_dispatched(&parent, b"f"));
    }
}
