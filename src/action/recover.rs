//! `kpack recover NAME`: clear the lock of a release whose operation died (its pending
//! revision is marked failed), so that it can be upgraded or rolled back again. A live lock
//! (not expired, owner not known dead) is refused unless `--force`.

use crate::Result;
use crate::release::lock::{self, Recovered};
use crate::release::{Release, history};
use crate::targets::Target;

/// What `recover` did, and what the release looks like now.
#[derive(Debug, Clone)]
pub struct Report {
    /// The lock cleared, or the release as found when it was not locked.
    pub recovered: Recovered,
    /// The last deployed revision, if any (the one running after an interrupted upgrade).
    pub last_deployed: Option<Release>,
}

/// Recover release `name` of `namespace`.
pub fn recover(target: &dyn Target, name: &str, namespace: &str, force: bool) -> Result<Report> {
    super::apply::validate_name(name)?;
    let store = target.store(namespace)?;
    let recovered = lock::recover(store.as_ref(), name, force)?;
    let past = history::load(store.as_ref(), name)?;
    Ok(Report {
        recovered,
        last_deployed: history::last_deployed(&past).cloned(),
    })
}
