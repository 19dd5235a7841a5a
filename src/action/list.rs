//! `kpack list`: the latest revision of each release of a namespace (or all, `-A`),
//! filtered by status and by a regular expression on the name. By default the releases
//! that are deployed, failed or in a pending state are listed (Helm lists deployed and
//! failed; a pending release is a lock worth seeing); `--all` lists every status.
//!
//! Releases Helm recorded on the target (see [`crate::release::helm`]) are listed too,
//! marked `helm` (`managed_by`, and `(helm)` after the status in tables), unless kpack has
//! records of the same name in the same namespace (an adopted release is kpack's).

use crate::release::{Release, Status};
use crate::targets::Target;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// The namespace (ignored with `all_namespaces`).
    pub namespace: String,
    /// Every namespace (`-A`).
    pub all_namespaces: bool,
    /// Statuses to show; empty: deployed, failed and pending ones.
    pub statuses: Vec<Status>,
    /// Every status (`-a/--all`).
    pub all: bool,
    /// Only names matching this regular expression (`--filter`).
    pub filter: Option<String>,
    /// Newest first by last deployment instead of by name (`-d/--date`; with `reverse`,
    /// oldest first).
    pub by_date: bool,
    /// Reverse the order (`-r/--reverse`).
    pub reverse: bool,
    /// Skip this many rows of the sorted list (`--offset`).
    pub offset: usize,
    /// At most this many rows (`-m/--max`; 0: all).
    pub max: usize,
    /// Only releases whose labels match this selector (`-l/--selector`: `k=v`, `k==v`,
    /// `k!=v`, comma-separated; see [`crate::action::labels::Selector`]). The labels are the
    /// release's `--labels` and the system ones of its records, as Helm's storage has them:
    /// `name`, `owner` (`kpack` or `helm`), `status`, `version`.
    pub selector: Option<String>,
}

/// The statuses listed when none are asked for.
pub const DEFAULT_STATUSES: &[Status] = &[
    Status::Deployed,
    Status::Failed,
    Status::PendingInstall,
    Status::PendingUpgrade,
    Status::PendingRollback,
    Status::Uninstalling,
];

/// One row (also its `-o json|yaml` form, with Helm's field names).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Release name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Latest revision.
    pub revision: u64,
    /// When it was made (RFC 3339).
    pub updated: String,
    /// Its status.
    pub status: String,
    /// `name-version` of its chart.
    pub chart: String,
    /// The chart's application version.
    pub app_version: String,
    /// `helm` for a release only Helm's records describe (not adopted yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

impl From<&Release> for Entry {
    fn from(r: &Release) -> Self {
        Entry {
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            revision: r.revision,
            updated: r.last_deployed.clone(),
            status: r.status.to_string(),
            chart: format!("{}-{}", r.chart.name, r.chart.version),
            app_version: r.chart.app_version.clone(),
            managed_by: None,
        }
    }
}

/// The releases to show, sorted by namespace and name.
pub fn list(target: &dyn Target, opts: &ListOptions) -> Result<Vec<Entry>> {
    let filter = match &opts.filter {
        Some(f) => {
            Some(regex::Regex::new(f).map_err(|e| Error::usage(format!("--filter {f:?}: {e}")))?)
        }
        None => None,
    };
    let selector = opts
        .selector
        .as_deref()
        .map(super::labels::Selector::parse)
        .transpose()?;
    let store = if opts.all_namespaces {
        target.all_namespaces_store()?
    } else {
        target.store(&opts.namespace)?
    };
    let records = store
        .list(None)
        .map_err(crate::release::lock::store_error)?;
    let ns = if opts.all_namespaces {
        ""
    } else {
        opts.namespace.as_str()
    };
    let kpack_names: std::collections::HashSet<(String, String)> = records
        .iter()
        .map(|r| (r.namespace.clone(), r.name.clone()))
        .collect();
    let mut helm_names = std::collections::HashSet::new();
    let mut records = records;
    if let Some(helm) = target.helm_store(ns)? {
        for r in helm.list(None).map_err(crate::release::lock::store_error)? {
            let key = (r.namespace.clone(), r.name.clone());
            if !kpack_names.contains(&key) {
                helm_names.insert(key);
                records.push(r);
            }
        }
    }
    let mut latest: BTreeMap<(String, String), Release> = BTreeMap::new();
    let mut superseded = Vec::new();
    for r in records {
        if r.status == Status::Superseded {
            superseded.push(r.clone());
        }
        let key = (r.namespace.clone(), r.name.clone());
        if latest.get(&key).is_none_or(|l| l.revision < r.revision) {
            latest.insert(key, r);
        }
    }
    let wanted: &[Status] = if opts.statuses.is_empty() {
        DEFAULT_STATUSES
    } else {
        &opts.statuses
    };
    let mut out: Vec<&Release> = latest
        .values()
        .filter(|r| opts.all || wanted.contains(&r.status))
        .collect();
    // Superseded revisions are never the latest: asking for them lists them as well.
    if !opts.all && opts.statuses.contains(&Status::Superseded) {
        out.extend(superseded.iter());
    }
    let out: Vec<Entry> = out
        .into_iter()
        .filter(|r| filter.as_ref().is_none_or(|f| f.is_match(&r.name)))
        .filter(|r| {
            selector.as_ref().is_none_or(|s| {
                let helm = helm_names.contains(&(r.namespace.clone(), r.name.clone()));
                s.matches(&storage_labels(r, if helm { "helm" } else { "kpack" }))
            })
        })
        .map(|r| {
            let mut e = Entry::from(r);
            if helm_names.contains(&(r.namespace.clone(), r.name.clone())) {
                e.managed_by = Some("helm".into());
            }
            e
        })
        .collect();
    Ok(order(out, opts))
}

/// The labels a record's storage object carries: the user's, then the system ones.
pub fn storage_labels(r: &Release, owner: &str) -> BTreeMap<String, String> {
    let mut out = r.labels.clone();
    out.insert("name".into(), r.name.clone());
    out.insert("owner".into(), owner.into());
    out.insert("status".into(), r.status.as_str().into());
    out.insert("version".into(), r.revision.to_string());
    out
}

/// A record time (RFC 3339) in a Go time layout (`--time-format "2006-01-02 15:04:05Z0700"`),
/// in the time's own offset as Helm prints it; a time that does not parse is kept as it is.
pub fn format_time(rfc3339: &str, layout: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => {
            let utc = t.offset().local_minus_utc() == 0
                && (rfc3339.ends_with('Z') || rfc3339.ends_with('z'));
            crate::engine::funcs::dates::go_format(&t, layout, utc.then_some("UTC"))
        }
        Err(_) => rfc3339.to_string(),
    }
}

/// Sort rows (by namespace and name, or by date with `by_date`), reverse them with
/// `reverse`, then take the page `offset`, `max`.
pub fn order(mut out: Vec<Entry>, opts: &ListOptions) -> Vec<Entry> {
    out.sort_by(|a, b| {
        (&a.namespace, &a.name, a.revision).cmp(&(&b.namespace, &b.name, b.revision))
    });
    if opts.by_date {
        // Helm's `-d`: newest first (a stable sort keeps names in order among equal times).
        out.sort_by_key(|e| std::cmp::Reverse(deployed_at(&e.updated)));
    }
    if opts.reverse {
        out.reverse();
    }
    let max = if opts.max == 0 { usize::MAX } else { opts.max };
    out.into_iter().skip(opts.offset).take(max).collect()
}

/// A record's time as an instant for sorting (times that do not parse sort first).
fn deployed_at(rfc3339: &str) -> i128 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.timestamp_nanos_opt().map_or(0, i128::from))
        .unwrap_or(i128::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, updated: &str) -> Entry {
        Entry {
            name: name.into(),
            namespace: "ns".into(),
            revision: 1,
            updated: updated.into(),
            status: "deployed".into(),
            chart: "c-1".into(),
            app_version: String::new(),
            managed_by: None,
        }
    }

    fn names(opts: ListOptions) -> Vec<String> {
        let rows = vec![
            entry("b", "2026-12-01T10:00:00Z"),
            entry("a", "2026-12-01T09:00:00Z"),
            entry("c", "2026-12-01T11:00:00.5+01:00"),
        ];
        order(rows, &opts).into_iter().map(|e| e.name).collect()
    }

    #[test]
    fn go_time_layouts() {
        assert_eq!(
            format_time("2026-12-02T05:04:03Z", "2006-01-02"),
            "2026-12-02"
        );
        assert_eq!(
            format_time("2026-12-02T05:04:03.5Z", "2006-01-02 15:04:05Z0700 MST"),
            "2026-12-02 05:04:03Z UTC"
        );
        assert_eq!(
            format_time("2026-12-02T05:04:03+01:00", "Jan _2 3:04PM -07:00"),
            "Dec  2 5:04AM +01:00"
        );
        assert_eq!(format_time("garbage", "2006"), "garbage");
    }

    #[test]
    fn rows_sort_by_name_or_date_and_page() {
        let o = ListOptions::default;
        assert_eq!(names(o()), ["a", "b", "c"]);
        assert_eq!(
            names(ListOptions {
                reverse: true,
                ..o()
            }),
            ["c", "b", "a"]
        );
        // c is 10:00:00.5 UTC: newest first.
        assert_eq!(
            names(ListOptions {
                by_date: true,
                ..o()
            }),
            ["c", "b", "a"]
        );
        assert_eq!(
            names(ListOptions {
                by_date: true,
                reverse: true,
                ..o()
            }),
            ["a", "b", "c"]
        );
        assert_eq!(names(ListOptions { max: 2, ..o() }), ["a", "b"]);
        assert_eq!(
            names(ListOptions {
                offset: 2,
                max: 2,
                ..o()
            }),
            ["c"]
        );
        assert_eq!(
            names(ListOptions { offset: 3, ..o() }),
            Vec::<String>::new()
        );
    }
}
