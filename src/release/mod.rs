//! Releases: the record of one revision of an installed chart (chart metadata, user and
//! computed values, the rendered manifest and hooks, notes, status, timestamps), the
//! statuses a release moves through, and the [`Store`] that keeps the history.
//!
//! A release in a pending state is a lock: its record carries a [`Lock`] with an owner and
//! an expiry. A second operation on the same release fails at once while the lock is live;
//! a lock whose owner died is recognised by its expiry and cleared with `kpack recover`.

pub mod file_store;
pub mod helm;
pub mod history;
pub mod lock;

use crate::values::Map;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a release stands, with Helm's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Should never be stored; read as "the record is damaged".
    Unknown,
    /// The current, successfully applied revision.
    Deployed,
    /// Uninstalled with `--keep-history`.
    Uninstalled,
    /// A formerly deployed revision, replaced by a newer one.
    Superseded,
    /// The operation that made this revision failed.
    Failed,
    /// An uninstall is running (a lock).
    Uninstalling,
    /// An install is running (a lock).
    PendingInstall,
    /// An upgrade is running (a lock).
    PendingUpgrade,
    /// A rollback is running (a lock).
    PendingRollback,
}

impl Status {
    /// Whether this status means an operation holds the release.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall
                | Status::PendingUpgrade
                | Status::PendingRollback
                | Status::Uninstalling
        )
    }

    /// The status as Helm prints it (`pending-install`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    /// Parse Helm's spelling (`pending-install`).
    fn from_str(s: &str) -> Result<Self, String> {
        const ALL: [Status; 9] = [
            Status::Unknown,
            Status::Deployed,
            Status::Uninstalled,
            Status::Superseded,
            Status::Failed,
            Status::Uninstalling,
            Status::PendingInstall,
            Status::PendingUpgrade,
            Status::PendingRollback,
        ];
        ALL.into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown release status {s:?}"))
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who holds a pending release, and until when the hold is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// `host:pid` (plus a random id) of the process that took it.
    pub owner: String,
    /// When it was taken (RFC 3339).
    pub acquired: String,
    /// After this instant (RFC 3339) the lock is considered abandoned.
    pub expires: String,
}

/// The last run of one test hook of a revision (`kpack test`), as Helm keeps each hook's
/// last run in its record and `status` shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestRun {
    /// The hook object's kind and name.
    pub kind: String,
    pub name: String,
    /// When it was applied and when it ended (RFC 3339).
    pub started: String,
    pub completed: String,
    /// `Succeeded` or `Failed`.
    pub phase: String,
}

/// The chart a revision was made from (metadata only; the manifest is what is applied).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartInfo {
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// Application version.
    #[serde(default)]
    pub app_version: String,
    /// Chart description.
    #[serde(default)]
    pub description: String,
    /// Chart.yaml's `apiVersion` (`v1`/`v2`: a Helm chart; `kpack/v1`): how the manifest's
    /// YAML is typed when it is read back ([`ChartInfo::yaml11`]). Empty in records written
    /// before kpack kept it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// In a tree that mixes Helm and kpack charts: the source prefix
    /// (`top/charts/sub/`) and language (`helm`, `kpack`) of each subchart whose language
    /// differs from its parent's (see [`crate::manifest::Typing`]). Empty otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subchart_languages: BTreeMap<String, String>,
}

impl ChartInfo {
    /// Whether the top chart is a Helm chart, whose objects are read as helm sends them
    /// to the API server (YAML 1.1, see [`crate::yaml::parse_kube`]).
    pub fn yaml11(&self) -> bool {
        matches!(self.api_version.as_str(), "v1" | "v2")
    }

    /// How the stored manifest's documents are read back: as they were rendered, each by
    /// its chart's language.
    pub fn typing(&self) -> crate::manifest::Typing {
        crate::manifest::Typing::from_record(self.yaml11(), &self.subchart_languages)
    }
}

/// One revision of a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// Release name.
    pub name: String,
    /// Namespace the release lives in (its records and its namespaced objects).
    pub namespace: String,
    /// Revision number, from 1.
    pub revision: u64,
    /// Status of this revision.
    pub status: Status,
    /// The chart it came from.
    pub chart: ChartInfo,
    /// The user's values (what `--reuse-values` reuses).
    pub config: Map,
    /// The computed values the templates saw.
    pub values: Map,
    /// The rendered objects, as `kpack template` prints them (`---`, `# Source:`), in install order.
    pub manifest: String,
    /// Hook objects, in the same form.
    #[serde(default)]
    pub hooks: String,
    /// CRDs from `crds/`, in the same form.
    #[serde(default)]
    pub crds: String,
    /// Rendered NOTES.txt.
    #[serde(default)]
    pub notes: String,
    /// What happened (`Install complete`, `Upgrade failed: …`, `Rollback to 2`).
    #[serde(default)]
    pub description: String,
    /// The revision a rollback returned to (a revision made by a rollback only), as Helm
    /// 4.3 records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_revision: Option<u64>,
    /// When revision 1 was deployed (RFC 3339).
    pub first_deployed: String,
    /// When this revision was made (RFC 3339).
    pub last_deployed: String,
    /// When it was uninstalled, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    /// The lock while the status is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<Lock>,
    /// The user's labels of the release (`--labels`; on a cluster also on the record's
    /// Secret, as Helm keeps them).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// The last run of each test hook of this revision (`kpack test`), in the order they
    /// ran; empty until tested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_runs: Vec<TestRun>,
}

/// Errors a store reports in a way actions can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `create` of a revision that already exists (another operation got there first).
    #[error("release {name:?} revision {revision} already exists")]
    Exists {
        /// Release name.
        name: String,
        /// Revision.
        revision: u64,
    },
    /// Anything else, with a message naming the record and what failed.
    #[error("{0}")]
    Other(String),
}

/// Where release records live: Secrets in the release namespace (cluster target), or a
/// state directory (static-pod target). Implementations make `create` atomic: of two
/// concurrent creates of the same revision exactly one succeeds.
pub trait Store: Send + Sync {
    /// Every revision of release `name` (any order), or of every release when `None`.
    fn list(&self, name: Option<&str>) -> Result<Vec<Release>, StoreError>;
    /// One revision.
    fn get(&self, name: &str, revision: u64) -> Result<Option<Release>, StoreError>;
    /// Store a new revision; fails with [`StoreError::Exists`] if it is already there.
    fn create(&self, release: &Release) -> Result<(), StoreError>;
    /// Replace an existing revision (status changes, lock release).
    fn update(&self, release: &Release) -> Result<(), StoreError>;
    /// Replace revision `new.revision` only if its record is still `was` (no other run
    /// changed it since `was` was read): `Ok(false)`, and nothing written, when it changed
    /// or is gone. The Secret and file stores compare and write atomically; this default
    /// (for stores that cannot) compares, then writes.
    fn update_if_unchanged(&self, was: &Release, new: &Release) -> Result<bool, StoreError> {
        match self.get(&new.name, new.revision)? {
            Some(now) if now == *was => self.update(new).map(|()| true),
            _ => Ok(false),
        }
    }
    /// Remove one revision's record.
    fn delete(&self, name: &str, revision: u64) -> Result<(), StoreError>;
    /// The revision and status of every record of release `name`, without reading the
    /// records themselves where the store can (the Secret store reads its labels).
    fn heads(&self, name: &str) -> Result<Vec<(u64, Status)>, StoreError> {
        Ok(self
            .list(Some(name))?
            .into_iter()
            .filter(|r| r.name == name)
            .map(|r| (r.revision, r.status))
            .collect())
    }
    /// Remove several revisions' records (in no particular order; a store may remove them
    /// concurrently). Stops at the first failure.
    fn delete_revisions(&self, name: &str, revisions: &[u64]) -> Result<(), StoreError> {
        for &r in revisions {
            self.delete(name, r)?;
        }
        Ok(())
    }
}
