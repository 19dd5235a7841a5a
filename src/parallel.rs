//! A small ordered parallel map over a slice, on scoped threads (one per core, each with a
//! large stack because template rendering recurses). Used for reading chart files,
//! splitting out named templates, rendering templates and parsing their output. Results
//! keep the input order, and the first error in input order is returned.
//!
//! Items are handed out in small blocks from a shared counter rather than as one fixed
//! share per thread: a thread that finishes its block takes the next one, so one slow
//! template does not leave the other cores idle.

use crate::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many items a thread should have at least before another thread is worth starting.
const MIN_PER_THREAD: usize = 16;

/// The most items handed out at once; smaller inputs get smaller blocks (about eight per
/// thread) so that the work still spreads evenly.
const MAX_BLOCK: usize = 64;

/// Map `f` over `items` on up to as many threads as there are cores.
pub fn map<T: Sync, R: Send>(items: &[T], f: &(dyn Fn(&T) -> Result<R> + Sync)) -> Result<Vec<R>> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = cores.min(items.len().div_ceil(MIN_PER_THREAD)).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let block = (items.len() / (threads * 8)).clamp(1, MAX_BLOCK);
    let blocks: Vec<&[T]> = items.chunks(block).collect();
    let next = AtomicUsize::new(0);
    // The lowest block that failed: blocks after it need not be rendered.
    let failed = AtomicUsize::new(usize::MAX);
    let work = || {
        let mut done: Vec<(usize, Result<Vec<R>>)> = Vec::new();
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= blocks.len() || b > failed.load(Ordering::Relaxed) {
                return done;
            }
            let out = blocks[b].iter().map(f).collect::<Result<Vec<R>>>();
            if out.is_err() {
                failed.fetch_min(b, Ordering::Relaxed);
            }
            done.push((b, out));
        }
    };
    let per_thread: Vec<Vec<(usize, Result<Vec<R>>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(64 << 20)
                    .spawn_scoped(s, work)
                    .expect("spawn worker thread")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![(0, Err(Error::Template("a worker thread panicked".into())))]
                })
            })
            .collect()
    });
    // Blocks are taken in order and every block before a failed one was finished, so
    // the failure in the lowest block is the first error in input order.
    let mut slots: Vec<Option<Vec<R>>> =
        std::iter::repeat_with(|| None).take(blocks.len()).collect();
    let mut first_error: Option<(usize, Error)> = None;
    for (b, out) in per_thread.into_iter().flatten() {
        match out {
            Ok(v) => slots[b] = Some(v),
            Err(e) if first_error.as_ref().is_none_or(|(fb, _)| b < *fb) => {
                first_error = Some((b, e))
            }
            Err(_) => {}
        }
    }
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    let mut out = Vec::with_capacity(items.len());
    for slot in slots {
        out.extend(slot.expect("every block is rendered when none failed"));
    }
    Ok(out)
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

    #[test]
    fn returns_the_first_error_in_input_order() {
        let items: Vec<usize> = (0..1000).collect();
        for bad in [0, 1, 63, 64, 500, 999] {
            let err = map(&items, &|&i| {
                if i >= bad && i % 7 == bad % 7 {
                    // A later failure is slower to find than an earlier one.
                    if i > bad {
                        std::thread::yield_now();
                    }
                    Err(Error::Template(format!("item {i}")))
                } else {
                    Ok(i)
                }
            })
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                Error::Template(format!("item {bad}")).to_string()
            );
        }
    }
}
