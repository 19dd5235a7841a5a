//! A small ordered parallel map over a slice, on scoped threads (one per core, each with a
//! large stack because template rendering recurses). Used for rendering templates and for
//! parsing their output; results keep the input order, and the first error in input
//! order is returned.

use crate::{Error, Result};

/// How many items a thread should have at least before another thread is worth starting.
const MIN_PER_THREAD: usize = 16;

/// Map `f` over `items` on up to as many threads as there are cores.
pub fn map<T: Sync, R: Send>(items: &[T], f: &(dyn Fn(&T) -> Result<R> + Sync)) -> Result<Vec<R>> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = cores.min(items.len().div_ceil(MIN_PER_THREAD)).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let results: Vec<Result<Vec<R>>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                std::thread::Builder::new()
                    .stack_size(64 << 20)
                    .spawn_scoped(s, move || part.iter().map(f).collect::<Result<Vec<R>>>())
                    .expect("spawn worker thread")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Template("a worker thread panicked".into())))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}
