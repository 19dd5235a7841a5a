//! A release's history: the revisions in order, the latest one, the last deployed one, the
//! revision `rollback` goes back to by default, and pruning by `--history-max`.

use super::lock::store_error;
use super::{Release, Status, Store};
use crate::Result;

/// Every revision of release `name`, oldest first.
pub fn load(store: &dyn Store, name: &str) -> Result<Vec<Release>> {
    let mut all = store.list(Some(name)).map_err(store_error)?;
    all.retain(|r| r.name == name);
    all.sort_by_key(|r| r.revision);
    Ok(all)
}

/// The highest revision.
pub fn latest(history: &[Release]) -> Option<&Release> {
    history.iter().max_by_key(|r| r.revision)
}

/// The highest revision whose status is deployed.
pub fn last_deployed(history: &[Release]) -> Option<&Release> {
    history
        .iter()
        .filter(|r| r.status == Status::Deployed)
        .max_by_key(|r| r.revision)
}

/// What `rollback NAME` (or revision 0) goes back to: the newest revision before the latest
/// one that was successfully deployed (deployed or superseded). After a failed upgrade
/// that is the revision still running; after a good one, the one before it.
pub fn previous(history: &[Release]) -> Option<&Release> {
    let latest = latest(history)?;
    history
        .iter()
        .filter(|r| {
            r.revision < latest.revision
                && matches!(r.status, Status::Deployed | Status::Superseded)
        })
        .max_by_key(|r| r.revision)
}

/// The revisions to delete so that at most `max` remain (`0`: keep all). The oldest go
/// first; the last deployed revision, the latest one and pending ones are never deleted.
/// Each revision is given by its number and status ([`crate::release::Store::heads`]).
pub fn to_prune(heads: &[(u64, Status)], max: usize) -> Vec<u64> {
    if max == 0 || heads.len() <= max {
        return Vec::new();
    }
    let keep_deployed = heads
        .iter()
        .filter(|(_, s)| *s == Status::Deployed)
        .map(|(r, _)| *r)
        .max();
    let keep_latest = heads.iter().map(|(r, _)| *r).max();
    let mut sorted = heads.to_vec();
    sorted.sort_by_key(|(r, _)| *r);
    let mut excess = heads.len() - max;
    let mut out = Vec::new();
    for (revision, status) in sorted {
        if excess == 0 {
            break;
        }
        if Some(revision) == keep_deployed || Some(revision) == keep_latest || status.is_pending() {
            continue;
        }
        out.push(revision);
        excess -= 1;
    }
    out
}

/// Delete old records of release `name` beyond `max`; returns the revisions deleted. Reads
/// only the records' heads (revision and status).
pub fn prune(store: &dyn Store, name: &str, max: usize) -> Result<Vec<u64>> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let heads = store.heads(name).map_err(store_error)?;
    let revisions = to_prune(&heads, max);
    store
        .delete_revisions(name, &revisions)
        .map_err(store_error)?;
    Ok(revisions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::ChartInfo;

    fn rel(revision: u64, status: Status) -> Release {
        Release {
            name: "a".into(),
            namespace: "ns".into(),
            revision,
            status,
            chart: ChartInfo::default(),
            config: Default::default(),
            values: Default::default(),
            manifest: String::new(),
            hooks: String::new(),
            crds: String::new(),
            notes: String::new(),
            description: String::new(),
            rollback_revision: None,
            first_deployed: String::new(),
            last_deployed: String::new(),
            deleted: None,
            lock: None,
            labels: Default::default(),
            test_runs: Vec::new(),
        }
    }

    #[test]
    fn lookups() {
        use Status::*;
        let h = vec![rel(1, Superseded), rel(2, Deployed), rel(3, Failed)];
        assert_eq!(latest(&h).unwrap().revision, 3);
        assert_eq!(last_deployed(&h).unwrap().revision, 2);
        assert_eq!(previous(&h).unwrap().revision, 2);
        let h = vec![rel(1, Superseded), rel(2, Failed), rel(3, Deployed)];
        assert_eq!(previous(&h).unwrap().revision, 1);
        assert!(previous(&[rel(1, Deployed)]).is_none());
    }

    #[test]
    fn pruning_keeps_deployed_and_latest() {
        use Status::*;
        let h = [
            (1, Deployed),
            (2, Failed),
            (3, Failed),
            (4, Failed),
            (5, Failed),
        ];
        assert_eq!(to_prune(&h, 2), vec![2, 3, 4]);
        assert_eq!(to_prune(&h, 0), Vec::<u64>::new());
        assert_eq!(to_prune(&h, 10), Vec::<u64>::new());
        let h = [(1, Superseded), (2, Superseded), (3, Deployed)];
        assert_eq!(to_prune(&h, 1), vec![1, 2]);
    }
}
