//! Release locks over any [`Store`]: taking the lock is creating the operation's new
//! revision in a pending state with a [`Lock`] (owner `host:pid:random`, expiry = now +
//! operation timeout + [`MARGIN`]); the store's atomic `create` makes two concurrent takers
//! race for the same revision number, and exactly one wins. A pending latest revision whose
//! lock has expired, or whose owner process on this host is gone, is a lock left by a run
//! that died: operations refuse it with a message naming `kpack recover`, and [`recover`]
//! marks that revision failed so that the release can be upgraded or rolled back again.

use super::{Lock, Release, Status, Store, StoreError};
use crate::error::Reason;
use crate::{Error, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use std::sync::OnceLock;
use std::time::Duration;

/// Time added to an operation's timeout before its lock counts as abandoned: applying,
/// pruning and writing records take time beyond what `--timeout` bounds.
pub const MARGIN: Duration = Duration::from_secs(300);

/// A store error as a crate error (the store's message already names the record); a lost
/// race for a revision is a [`Reason::Conflict`].
pub fn store_error(e: StoreError) -> Error {
    Error::from(e)
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        let reason = match &e {
            StoreError::Exists { .. } => Some(Reason::Conflict),
            StoreError::Other(_) => None,
        };
        let err = Error::remote(e.to_string());
        match reason {
            Some(r) => err.with_reason(r),
            None => err,
        }
    }
}

/// Now, as the RFC 3339 text records hold.
pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// This machine's host name (`unknown` when it cannot be read).
pub fn hostname() -> String {
    for path in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(s) = std::fs::read_to_string(path) {
            let s = s.trim();
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    std::env::var("HOSTNAME")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The lock owner of this process: `host:pid:random`, the same for every lock it takes.
pub fn owner_id() -> String {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let r: u32 = rand::random();
        format!("{}:{}:{:08x}", hostname(), std::process::id(), r)
    })
    .clone()
}

/// A new lock held by this process for an operation bounded by `timeout`.
pub fn new_lock(timeout: Duration) -> Lock {
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(timeout + MARGIN).unwrap_or(chrono::Duration::days(1));
    Lock {
        owner: owner_id(),
        acquired: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        expires: (now + ttl).to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

/// What a lock found on a pending release means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    /// Held by a run that may still be working.
    Live,
    /// Its expiry has passed.
    Expired,
    /// Its owner is a process of this host that no longer runs.
    OwnerGone,
    /// Held by this very process (an operation calling another, e.g. `--atomic`).
    Ours,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Split an owner `host:pid:random` into host and pid.
pub fn owner_host_pid(owner: &str) -> Option<(&str, u32)> {
    let mut parts = owner.split(':');
    let host = parts.next()?;
    let pid = parts.next()?.parse().ok()?;
    Some((host, pid))
}

/// Whether a process with this pid runs on this host (Linux `/proc`; elsewhere assume yes).
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

/// Judge a lock at `now`.
pub fn state_at(lock: &Lock, now: DateTime<Utc>) -> LockState {
    if lock.owner == owner_id() {
        return LockState::Ours;
    }
    if let Some((host, pid)) = owner_host_pid(&lock.owner)
        && host == hostname()
        // Our own pid with another random id is an earlier process that had the same pid
        // (a container's pid 1, run after run).
        && (!process_alive(pid) || pid == std::process::id())
    {
        return LockState::OwnerGone;
    }
    match parse_time(&lock.expires) {
        Some(t) if t > now => LockState::Live,
        // An unreadable expiry cannot protect anything.
        _ => LockState::Expired,
    }
}

/// Judge a lock now.
pub fn state(lock: &Lock) -> LockState {
    state_at(lock, Utc::now())
}

/// The operation a pending status stands for (`upgrade`).
pub fn operation(status: Status) -> &'static str {
    match status {
        Status::PendingInstall => "install",
        Status::PendingUpgrade => "upgrade",
        Status::PendingRollback => "rollback",
        Status::Uninstalling => "uninstall",
        _ => "operation",
    }
}

/// The error for an operation that finds `latest` pending: busy while the lock is live,
/// otherwise a pointer to `kpack recover`.
pub fn pending_error(latest: &Release) -> Error {
    let op = operation(latest.status);
    let name = &latest.name;
    let Some(lock) = &latest.lock else {
        return Error::remote(format!(
            "release {name} is locked: revision {} is {} with no lock owner recorded (a run that died, or a record written by another tool); run `kpack recover {name}`, then retry",
            latest.revision, latest.status
        ));
    };
    match state(lock) {
        LockState::Live | LockState::Ours => Error::remote(format!(
            "release {name} is busy: {op} by {} since {} (lock expires {}); wait, or if that run died, run `kpack recover {name}`",
            lock.owner, lock.acquired, lock.expires
        ))
        .with_reason(Reason::Busy),
        LockState::Expired => Error::remote(format!(
            "release {name} is locked by a run that did not finish: {op} by {} since {} (lock expired {}); run `kpack recover {name}`, then retry",
            lock.owner, lock.acquired, lock.expires
        )),
        LockState::OwnerGone => Error::remote(format!(
            "release {name} is locked by a run that died: {op} by {} since {} (that process no longer runs); run `kpack recover {name}`, then retry",
            lock.owner, lock.acquired
        )),
    }
}

/// Fail when the latest revision of a release holds a lock.
pub fn check_unlocked(latest: Option<&Release>) -> Result<()> {
    match latest {
        Some(r) if r.status.is_pending() => Err(pending_error(r)),
        _ => Ok(()),
    }
}

/// Take the lock: store `record` (whose status must be pending) with a fresh lock as a new
/// revision. When another run created that revision first, the error says who holds it.
pub fn acquire(store: &dyn Store, mut record: Release, timeout: Duration) -> Result<Release> {
    debug_assert!(record.status.is_pending(), "a lock is a pending revision");
    record.lock = Some(new_lock(timeout));
    match store.create(&record) {
        Ok(()) => Ok(record),
        Err(StoreError::Exists { name, revision }) => {
            let other = store.get(&name, revision).map_err(store_error)?;
            Err(match other {
                Some(o) if o.status.is_pending() => pending_error(&o),
                Some(o) => Error::remote(format!(
                    "release {name} changed while this operation started: another run made revision {revision} ({}); check `kpack history {name}` and retry",
                    o.status
                ))
                .with_reason(Reason::Conflict),
                None => Error::remote(format!(
                    "release {name}: revision {revision} appeared and vanished while this operation started; retry"
                ))
                .with_reason(Reason::Conflict),
            })
        }
        Err(e) => Err(store_error(e)),
    }
}

/// Release the lock: give `record` its final status and description and store it.
pub fn finish(
    store: &dyn Store,
    record: &mut Release,
    status: Status,
    description: String,
) -> Result<()> {
    record.status = status;
    record.description = description;
    record.lock = None;
    store.update(record).map_err(|e| {
        Error::remote(format!(
            "release {}: could not record revision {} as {status}: {e}; the release stays locked until `kpack recover {}`",
            record.name, record.revision, record.name
        ))
    })
}

/// What [`recover`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recovered {
    /// The latest revision was not pending: nothing to do.
    NotLocked(Box<Release>),
    /// This pending revision (as it was before) was marked failed.
    Cleared {
        /// The record as found.
        was: Box<Release>,
        /// The record as stored now.
        now: Box<Release>,
    },
}

/// `kpack recover`: mark the latest revision failed when it holds a lock whose run died.
/// A live lock is refused unless `force`.
pub fn recover(store: &dyn Store, name: &str, force: bool) -> Result<Recovered> {
    let all = store.list(Some(name)).map_err(store_error)?;
    let Some(latest) = all.into_iter().max_by_key(|r| r.revision) else {
        return Err(
            Error::remote(format!("release {name} not found")).with_reason(Reason::NotFound)
        );
    };
    if !latest.status.is_pending() {
        return Ok(Recovered::NotLocked(Box::new(latest)));
    }
    let st = latest.lock.as_ref().map(state);
    if matches!(st, Some(LockState::Live | LockState::Ours)) && !force {
        let lock = latest.lock.as_ref().expect("checked");
        return Err(Error::remote(format!(
            "release {name} is busy: {} by {} since {} (lock expires {}); it may still be running. Wait for it, or if you are sure that run died, run `kpack recover {name} --force`",
            operation(latest.status),
            lock.owner,
            lock.acquired,
            lock.expires
        ))
        .with_reason(Reason::Busy));
    }
    let was = latest.clone();
    let mut now = latest;
    let who = match &was.lock {
        Some(l) => format!("lock of {} taken {}", l.owner, l.acquired),
        None => "no lock owner recorded".into(),
    };
    let op = operation(was.status);
    let mut first = op.chars();
    let op_cap: String = first
        .next()
        .map(|c| c.to_uppercase().chain(first).collect())
        .unwrap_or_default();
    finish(
        store,
        &mut now,
        Status::Failed,
        format!(
            "{op_cap} interrupted ({who}; cleared by kpack recover at {})",
            now_rfc3339()
        ),
    )?;
    Ok(Recovered::Cleared {
        was: Box::new(was),
        now: Box::new(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(owner: &str, expires: &str) -> Lock {
        Lock {
            owner: owner.into(),
            acquired: "2020-01-01T00:00:00Z".into(),
            expires: expires.into(),
        }
    }

    #[test]
    fn states() {
        let now = Utc::now();
        let future = (now + chrono::Duration::hours(1)).to_rfc3339();
        let past = (now - chrono::Duration::hours(1)).to_rfc3339();
        assert_eq!(
            state_at(&lock("elsewhere:1:x", &future), now),
            LockState::Live
        );
        assert_eq!(
            state_at(&lock("elsewhere:1:x", &past), now),
            LockState::Expired
        );
        assert_eq!(
            state_at(&lock("elsewhere:1:x", "garbage"), now),
            LockState::Expired
        );
        assert_eq!(state_at(&lock(&owner_id(), &past), now), LockState::Ours);
        // pid 0 is never a process in /proc.
        let gone = format!("{}:0:x", hostname());
        assert_eq!(state_at(&lock(&gone, &future), now), LockState::OwnerGone);
        let same_pid = format!("{}:{}:earlier", hostname(), std::process::id());
        assert_eq!(
            state_at(&lock(&same_pid, &future), now),
            LockState::OwnerGone
        );
    }

    #[test]
    fn owner_parts() {
        assert_eq!(owner_host_pid("node-1:42:abc"), Some(("node-1", 42)));
        assert_eq!(owner_host_pid("nonsense"), None);
        let id = owner_id();
        assert_eq!(
            owner_host_pid(&id).map(|(_, p)| p),
            Some(std::process::id())
        );
    }
}
