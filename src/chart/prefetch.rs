//! Loading a chart directory ahead of time: a command that will load a chart directory can
//! start loading it on the worker threads while its main thread does other work (`kpack
//! template` while its command line is read: reading the flags of a command takes about as
//! long as loading a small chart). [`load_dir`](super::load_dir) then takes the loaded chart
//! instead of loading the directory again.
//!
//! One directory per process, taken at most once: a later load of the same directory reads
//! it again. The caller of [`start`] must know that nothing will change the directory before
//! it is loaded (`kpack template --dependency-update` writes `charts/` first, so it does not
//! prefetch).
//!
//! Waiting for the prefetch happens outside the pool, in [`wait_for`], called by the main
//! thread before it hands the command to the pool. A job of the pool must never wait for
//! it: a worker that runs a part of the prefetch may, while it waits for another part, pick
//! up the command's job, which would then wait for the prefetch running below it on the
//! same thread's stack, forever. So [`load_dir`](super::load_dir) takes the chart only when
//! it is loaded, and reads the directory itself otherwise. With one core, nothing is
//! loaded ahead.

use super::Chart;
use crate::Result;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, OnceLock};

/// The prefetch of this process, once [`start`] was called.
static PREFETCH: OnceLock<Prefetch> = OnceLock::new();

struct Prefetch {
    dir: PathBuf,
    state: Mutex<State>,
    /// Signalled when `state` becomes `Done`.
    loaded: Condvar,
}

enum State {
    /// Queued on the pool, not begun.
    Waiting,
    /// Being loaded by a worker.
    Running,
    /// Loaded, not yet taken.
    Done(Box<Result<Chart>>),
    /// Taken, or given up before it began.
    Gone,
}

impl Prefetch {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The prefetch of `dir` (exactly this path), if that is the directory being prefetched.
fn of(dir: &Path) -> Option<&'static Prefetch> {
    PREFETCH.get().filter(|p| p.dir == dir)
}

/// Start loading the chart directory `dir` on the worker threads (when there is more than
/// one core; a second call does nothing).
pub fn start(dir: PathBuf) {
    if !crate::parallel::is_parallel() {
        return;
    }
    let prefetch = Prefetch {
        dir,
        state: Mutex::new(State::Waiting),
        loaded: Condvar::new(),
    };
    if PREFETCH.set(prefetch).is_err() {
        return;
    }
    let Some(p) = PREFETCH.get() else {
        return;
    };
    crate::parallel::spawn(move || {
        {
            let mut state = p.lock();
            if !matches!(*state, State::Waiting) {
                return;
            }
            *state = State::Running;
        }
        let loaded = super::load::read_and_build(&p.dir);
        *p.lock() = State::Done(Box::new(loaded));
        p.loaded.notify_all();
    });
}

/// Wait until the prefetch of `dir`, if `dir` is the directory being prefetched, is loaded
/// (one not begun yet is given up: the load will read the directory). Never from a job of
/// the pool (see the module's documentation).
pub fn wait_for(dir: &Path) {
    debug_assert!(
        rayon::current_thread_index().is_none(),
        "prefetch::wait_for on a worker thread"
    );
    let Some(p) = of(dir) else {
        return;
    };
    let mut state = p.lock();
    loop {
        match *state {
            State::Waiting => {
                *state = State::Gone;
                return;
            }
            State::Running => {
                state = p.loaded.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            State::Done(_) | State::Gone => return,
        }
    }
}

/// The chart prefetched from `dir` (exactly this path) if it is loaded and not yet taken;
/// `None` otherwise (the caller then reads `dir` itself). Never waits.
pub(super) fn take(dir: &Path) -> Option<Result<Chart>> {
    let p = of(dir)?;
    let mut state = p.lock();
    match *state {
        State::Done(_) => match std::mem::replace(&mut *state, State::Gone) {
            State::Done(loaded) => Some(*loaded),
            _ => unreachable!("matched Done above"),
        },
        // Not begun: not worth beginning now.
        State::Waiting => {
            *state = State::Gone;
            None
        }
        State::Running | State::Gone => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chart directory named `name` whose values say `v`.
    fn chart(root: &Path, name: &str, v: &str) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n"),
        )
        .unwrap();
        std::fs::write(dir.join("values.yaml"), format!("v: {v}\n")).unwrap();
        dir
    }

    fn value(c: &Chart) -> String {
        c.values["v"].as_str().unwrap().to_string()
    }

    // The only test that starts a prefetch: there is one per process.
    #[test]
    fn a_prefetched_directory_is_taken_once_and_only_for_its_own_path() {
        let root = tempfile::tempdir().unwrap();
        let a = chart(root.path(), "a", "first");
        let b = chart(root.path(), "b", "other");
        start(a.clone());
        // Waiting for another directory returns at once.
        wait_for(&b);
        let prefetching = crate::parallel::is_parallel();
        if prefetching {
            // Let the job begin (`wait_for` gives up one that has not).
            let p = PREFETCH.get().unwrap();
            while matches!(*p.lock(), State::Waiting) {
                std::thread::yield_now();
            }
        }
        wait_for(&a);
        std::fs::write(a.join("values.yaml"), "v: second\n").unwrap();
        if prefetching {
            assert!(matches!(*PREFETCH.get().unwrap().lock(), State::Done(_)));
            // Loaded ahead: what the directory held when the prefetch read it, and only
            // for that directory.
            assert_eq!(value(&super::super::load_dir(&b).unwrap()), "other");
            assert_eq!(value(&super::super::load_dir(&a).unwrap()), "first");
        }
        // Taken: the directory is read again.
        assert_eq!(value(&super::super::load_dir(&a).unwrap()), "second");
        // Only one prefetch per process.
        start(b.clone());
        std::fs::write(b.join("values.yaml"), "v: changed\n").unwrap();
        assert_eq!(value(&super::super::load_dir(&b).unwrap()), "changed");
    }
}
