//! A small ordered parallel map over a slice, on one pool of worker threads (one per core,
//! each with a large stack because template rendering recurses) that lives for the whole
//! process. Used for reading chart files, splitting out named templates, rendering
//! templates and parsing their output. Results keep the input order, and the first error
//! in input order is returned.
//!
//! The pool is rayon's: it hands out work adaptively (a core that finishes early takes
//! over part of another's share), and because its threads outlive each call, memory a
//! phase frees is reused by the next one instead of being stranded with exited threads.

use crate::{Error, Result};
use rayon::prelude::*;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many items a thread should have at least before another thread is worth using.
const MIN_PER_THREAD: usize = 16;

/// Stack of each worker: rendering recurses through includes and nested values.
const STACK_SIZE: usize = 64 << 20;

fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(STACK_SIZE)
            .thread_name(|i| format!("kpack-worker-{i}"))
            .build()
            .expect("start the worker threads")
    })
}

/// Start the worker threads now, for a command that will use them: they get going while
/// the caller does other work (reading its command line), rather than when the first
/// parallel step waits for them.
pub fn start() {
    pool();
}

/// Whether there is more than one worker thread (more than one core: the pool counted
/// them once, when it started; `available_parallelism` reads cgroup files on every call).
pub fn is_parallel() -> bool {
    pool().current_num_threads() > 1
}

/// Map `f` over `items` on up to as many threads as there are cores.
pub fn map<T: Sync, R: Send>(items: &[T], f: &(dyn Fn(&T) -> Result<R> + Sync)) -> Result<Vec<R>> {
    if items.len() < 2 * MIN_PER_THREAD || !is_parallel() {
        return items.iter().map(f).collect();
    }
    match ordered(items, MIN_PER_THREAD / 4, usize::MAX, &|| (), &|_, item| {
        f(item)
    })? {
        (out, None) => Ok(out),
        (_, Some(e)) => Err(e),
    }
}

/// [`map`] for few, heavy items: each item on its own task, from two items on.
pub fn map_each<T: Sync, R: Send>(
    items: &[T],
    f: &(dyn Fn(&T) -> Result<R> + Sync),
) -> Result<Vec<R>> {
    match map_until(items, &|| (), &|_, item| f(item))? {
        (out, None) => Ok(out),
        (_, Some(e)) => Err(e),
    }
}

/// [`map`] for items of very different costs (a chart's templates: a CRD of megabytes
/// beside files of a few hundred bytes): the items start heaviest first, by `weight`, each
/// taken by whichever core is free, so that the largest is not started last and left
/// running on one core while the others wait. Results in input order; the first error in
/// input order is returned, as [`map`] returns it.
pub fn map_heaviest_first<T: Sync, R: Send>(
    items: &[T],
    weight: &(dyn Fn(&T) -> usize + Sync),
    f: &(dyn Fn(&T) -> Result<R> + Sync),
) -> Result<Vec<R>> {
    if items.len() < 2 || !is_parallel() {
        return items.iter().map(f).collect();
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weight(&items[i])));
    // The next position in `order` to start, and the lowest index that failed (items
    // after it need not be done).
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(usize::MAX);
    let run = || {
        pool().install(|| {
            (0..pool().current_num_threads())
                .into_par_iter()
                .with_max_len(1)
                .map(|_| {
                    let mut done = Vec::new();
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if i > failed.load(Ordering::Relaxed) {
                            continue;
                        }
                        let r = f(&items[i]);
                        if r.is_err() {
                            failed.fetch_min(i, Ordering::Relaxed);
                        }
                        done.push((i, r));
                    }
                    done
                })
                .collect::<Vec<_>>()
        })
    };
    let mut results: Vec<Option<Result<R>>> = (0..items.len()).map(|_| None).collect();
    for (i, r) in catching(run)?.into_iter().flatten() {
        results[i] = Some(r);
    }
    match up_to_first_failure(results) {
        (out, None) => Ok(out),
        (_, Some(e)) => Err(e),
    }
}

/// The parallel part of [`map`] and [`map_until`]: runs of `min..=max` items per task.
fn ordered<T: Sync, S, R: Send, E: Send>(
    items: &[T],
    min: usize,
    max: usize,
    init: &(dyn Fn() -> S + Sync),
    f: &(dyn Fn(&mut S, &T) -> std::result::Result<R, E> + Sync),
) -> Result<(Vec<R>, Option<E>)> {
    // The lowest index that failed: items after it need not be done.
    let failed = AtomicUsize::new(usize::MAX);
    let run = || {
        pool().install(|| {
            items
                .par_iter()
                .enumerate()
                .with_min_len(min)
                .with_max_len(max)
                .map_init(init, |state, (i, item)| {
                    if i > failed.load(Ordering::Relaxed) {
                        return None;
                    }
                    let r = f(state, item);
                    if r.is_err() {
                        failed.fetch_min(i, Ordering::Relaxed);
                    }
                    Some(r)
                })
                .collect::<Vec<Option<std::result::Result<R, E>>>>()
        })
    };
    Ok(up_to_first_failure(catching(run)?))
}

/// Run the parallel part of a map: a panic is reported by the panic hook where it
/// happened, and the caller gets an error.
fn catching<T>(run: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
        .map_err(|_| Error::template("a worker thread panicked"))
}

/// A map's results in input order (`None`: an item skipped because an earlier one failed):
/// the results before the first failure, and that failure.
fn up_to_first_failure<R, E>(
    results: Vec<Option<std::result::Result<R, E>>>,
) -> (Vec<R>, Option<E>) {
    // Only items after a failed one are skipped, so the first error comes before any gap.
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return (out, Some(e)),
            None => unreachable!("an item was skipped without an earlier failure"),
        }
    }
    (out, None)
}

/// Run `f` on a worker thread, in the background (when there is more than one core; else
/// not at all: `f` must be work that is done again where it is needed).
pub fn spawn(f: impl FnOnce() + Send + 'static) {
    if is_parallel() {
        pool().spawn(f);
    }
}

/// Run `a` and `b` at once (when there is more than one core) and return both results.
pub fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !is_parallel() {
        return (a(), b());
    }
    pool().install(|| rayon::join(a, b))
}

/// Run `f` on a worker thread of the pool (when there is more than one core), the caller
/// waiting: a command whose work is mostly parallel phases runs them from a worker, so
/// that the process has one thread per core rather than one more.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if !is_parallel() {
        return f();
    }
    pool().install(f)
}

/// Map `f` over `items` on up to as many threads as there are cores, each item on its own
/// (for few, heavy items), with a state made by `init` for a run of items on one thread.
/// Stops at the first item that fails: returns the results of the items before it, in
/// order, and its error (items after it may not be run at all).
pub fn map_until<T: Sync, S, R: Send, E: Send>(
    items: &[T],
    init: &(dyn Fn() -> S + Sync),
    f: &(dyn Fn(&mut S, &T) -> std::result::Result<R, E> + Sync),
) -> Result<(Vec<R>, Option<E>)> {
    if items.len() < 2 || !is_parallel() {
        let mut out = Vec::with_capacity(items.len());
        let mut state = init();
        for item in items {
            match f(&mut state, item) {
                Ok(r) => out.push(r),
                Err(e) => return Ok((out, Some(e))),
            }
        }
        return Ok((out, None));
    }
    ordered(items, 1, 1, init, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_input_order() {
        let items: Vec<usize> = (0..1000).collect();
        let out = map(&items, &|&i| Ok(i * 2)).unwrap();
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(map(&items[..3], &|&i| Ok(i)).unwrap(), vec![0, 1, 2]);
        assert!(map(&[] as &[usize], &|&i| Ok(i)).unwrap().is_empty());
    }

    /// A map over the items `0..n`, as `run` maps them with the function it is given.
    type Mapper<'a> =
        &'a dyn Fn(&[usize], &(dyn Fn(&usize) -> Result<usize> + Sync)) -> Result<Vec<usize>>;

    /// For each `bad`, the items from `bad` on that equal it modulo `m` fail (a later one
    /// slower to fail than an earlier one): `run` must return item `bad`'s error.
    fn check_first_error(n: usize, m: usize, bads: &[usize], run: Mapper) {
        let items: Vec<usize> = (0..n).collect();
        for &bad in bads {
            let err = run(&items, &|&i| {
                if i >= bad && i % m == bad % m {
                    if i > bad {
                        std::thread::yield_now();
                    }
                    Err(Error::template(format!("item {i}")))
                } else {
                    Ok(i)
                }
            })
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                Error::template(format!("item {bad}")).to_string()
            );
        }
    }

    #[test]
    fn returns_the_first_error_in_input_order() {
        check_first_error(1000, 7, &[0, 1, 63, 64, 500, 999], &|items, f| {
            map(items, f)
        });
    }

    #[test]
    fn map_until_returns_the_results_before_the_first_failure_in_order() {
        let items: Vec<usize> = (0..200).collect();
        let (out, err) = map_until(&items, &Vec::new, &|seen: &mut Vec<usize>, &i| {
            seen.push(i);
            Ok::<_, String>(i * 2)
        })
        .unwrap();
        assert_eq!(out, (0..200).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(err, None);
        for bad in [0, 1, 57, 199] {
            let (out, err) = map_until(&items, &|| (), &|_, &i| {
                if i >= bad && i % 3 == bad % 3 {
                    if i > bad {
                        std::thread::yield_now();
                    }
                    Err(format!("item {i}"))
                } else {
                    Ok(i)
                }
            })
            .unwrap();
            assert_eq!(out, (0..bad).collect::<Vec<_>>());
            assert_eq!(err, Some(format!("item {bad}")));
        }
        let (out, err) = map_until(&items[..1], &|| (), &|_, &i| Err::<usize, _>(i)).unwrap();
        assert!(out.is_empty());
        assert_eq!(err, Some(0));
        assert_eq!(
            map_each(&items[..3], &|&i| Ok(i + 1)).unwrap(),
            vec![1, 2, 3]
        );
        let err = map_each(&items, &|&i| {
            if i >= 57 {
                Err(Error::template(format!("item {i}")))
            } else {
                Ok(i)
            }
        })
        .unwrap_err();
        assert_eq!(err.to_string(), Error::template("item 57").to_string());
    }

    #[test]
    fn heaviest_first_keeps_input_order_and_returns_the_first_error() {
        let items: Vec<usize> = (0..300).collect();
        // Weights unrelated to the order: every item still comes back in its place.
        let weight = |&i: &usize| (i * 7919) % 101;
        let out = map_heaviest_first(&items, &weight, &|&i| Ok(i * 2)).unwrap();
        assert_eq!(out, (0..300).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(
            map_heaviest_first(&items[..1], &weight, &|&i| Ok(i)).unwrap(),
            vec![0]
        );
        assert!(
            map_heaviest_first(&[] as &[usize], &weight, &|&i| Ok(i))
                .unwrap()
                .is_empty()
        );
        check_first_error(300, 5, &[0, 1, 150, 299], &|items, f| {
            map_heaviest_first(items, &weight, f)
        });
    }

    #[test]
    fn heaviest_first_starts_the_heaviest_item_first() {
        if !is_parallel() {
            return;
        }
        // Every other item waits (up to a few seconds) for the heaviest to have started:
        // started first, it is already running when the others begin; started in input
        // order, the cores would all wait on items before it and time out.
        let items: Vec<usize> = (0..50).collect();
        let heaviest_started = std::sync::atomic::AtomicBool::new(false);
        let timed_out = AtomicUsize::new(0);
        map_heaviest_first(&items, &|&i| if i == 37 { 1 << 20 } else { i }, &|&i| {
            if i == 37 {
                heaviest_started.store(true, Ordering::SeqCst);
                return Ok(());
            }
            let start = std::time::Instant::now();
            while !heaviest_started.load(Ordering::SeqCst) {
                if start.elapsed() > std::time::Duration::from_secs(3) {
                    timed_out.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                std::thread::yield_now();
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(timed_out.into_inner(), 0);
    }

    #[test]
    fn a_panic_becomes_an_error() {
        let items: Vec<usize> = (0..100).collect();
        let err = map(&items, &|&i| {
            if i == 50 {
                panic!("boom");
            }
            Ok(i)
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            Error::template("a worker thread panicked").to_string()
        );
    }
}
