//! Running kpack's async network clients (registries, chart repositories) from its
//! synchronous code: [`block_on`] runs a future on a fresh current-thread runtime, on a
//! helper thread when the caller is already inside a runtime, where blocking in place would
//! panic.

use crate::{Error, Result};

/// Run `fut` to completion on a fresh current-thread runtime. `client` names the client in
/// the error if its thread panics ("the {client} client thread panicked").
pub(crate) fn block_on<F: std::future::Future + Send>(client: &str, fut: F) -> Result<F::Output>
where
    F::Output: Send,
{
    let run = |fut: F| -> Result<F::Output> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io_message(format!("cannot start the network runtime: {e}")))?;
        Ok(rt.block_on(fut))
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(|| run(fut)).join().unwrap_or_else(|_| {
                Err(Error::io_message(format!(
                    "the {client} client thread panicked"
                )))
            })
        })
    } else {
        run(fut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_on_works_inside_a_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let v = rt.block_on(async { block_on("test", async { 7 }).unwrap() });
        assert_eq!(v, 7);
    }
}
