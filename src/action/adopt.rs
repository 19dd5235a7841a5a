//! `kpack adopt NAME`: take over a release Helm made, without touching its workload.
//!
//! 1. Helm's history of the release is read (see [`crate::release::helm`]). A release whose
//!    latest Helm revision is pending (a helm operation is running or was killed) is
//!    refused, as is one with no deployed revision.
//! 2. Each Helm revision becomes a kpack record with the same number, chart, values,
//!    manifest, hooks, notes, status, description and times. Records kpack already has
//!    from an earlier (interrupted) adopt are kept, or brought up to Helm's status; a kpack
//!    record of the same revision with another chart or manifest is a conflict and stops
//!    the adopt before anything changes.
//! 3. The objects of the deployed revision that exist on the target are applied as that
//!    revision recorded them, with kpack's release label and owner annotation, by field
//!    manager `kpack` (server-side apply, forced): kpack takes their fields and marks, the
//!    values stay what Helm applied, so nothing is recreated or rolled out. Objects that
//!    are absent are not created. Hooks are not taken (Helm deletes or keeps them by
//!    their own policies).
//! 4. With `--remove-helm-records`, Helm's records are deleted, last.
//!
//! Helm's records are left as they are until step 4, so an adopt killed at any point
//! leaves Helm's release intact; running it again finishes the work (every step is
//! idempotent). Once kpack has made a revision of its own, adopting again only does
//! step 4 (if asked): the objects are no longer what Helm's revision says.

use super::apply::{self, validate_name};
use crate::release::{Release, Status, history};
use crate::targets::{ApplyOptions, ObjectRef, Target};
use crate::{Error, Result};

/// Options of an adopt.
#[derive(Debug, Clone, Default)]
pub struct AdoptOptions {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Delete Helm's records once the release is kpack's.
    pub remove_helm_records: bool,
}

/// What an adopt did.
#[derive(Debug, Clone, Default)]
pub struct AdoptOutcome {
    /// Helm revisions written as kpack records by this run.
    pub imported: Vec<u64>,
    /// Helm revisions kpack already had (an earlier adopt), possibly with a status updated.
    pub already: Vec<u64>,
    /// The revision whose objects kpack took (Helm's deployed one), if this run took them.
    pub deployed: Option<u64>,
    /// The objects kpack now owns.
    pub objects: Vec<ObjectRef>,
    /// Objects of the deployed revision that did not exist (left absent).
    pub missing: Vec<ObjectRef>,
    /// Helm records deleted (`--remove-helm-records`).
    pub removed: Vec<u64>,
    /// The latest revision kpack has of the release after the adopt.
    pub latest: u64,
}

/// Whether two records describe the same revision (an earlier adopt wrote `ours` from
/// Helm's `theirs`).
fn same_revision(ours: &Release, theirs: &Release) -> bool {
    ours.chart == theirs.chart && ours.manifest == theirs.manifest && ours.hooks == theirs.hooks
}

/// Adopt Helm's release `opts.name` of `opts.namespace` (see the module doc).
pub fn adopt(
    target: &dyn Target,
    opts: &AdoptOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<AdoptOutcome> {
    validate_name(&opts.name)?;
    let (name, ns) = (opts.name.as_str(), opts.namespace.as_str());
    let Some(helm_store) = target.helm_store(ns)? else {
        return Err(Error::usage(format!(
            "{} holds no Helm releases: adopt works on a cluster (drop --static-pods)",
            target.describe()
        )));
    };
    let store = target.store(ns)?;
    let helm = history::load(helm_store.as_ref(), name)?;
    let ours = history::load(store.as_ref(), name)?;
    let mut out = AdoptOutcome::default();
    let Some(helm_latest) = history::latest(&helm) else {
        if let Some(l) = history::latest(&ours) {
            // Adopted before, and Helm's records already removed.
            out.latest = l.revision;
            return Ok(out);
        }
        return Err(Error::remote(format!(
            "release {name} not found in namespace {ns}: neither Helm nor kpack has records of it (see `kpack list -n {ns} -a`)"
        ))
        .with_reason(crate::error::Reason::NotFound));
    };
    let ours_latest = history::latest(&ours).map_or(0, |r| r.revision);
    let finished = ours_latest > helm_latest.revision;
    if !finished {
        check_adoptable(&helm, &ours, name, ns)?;
        let deployed = history::last_deployed(&helm)
            .expect("checked by check_adoptable")
            .clone();
        // Step 2: the records.
        for h in &helm {
            match ours.iter().find(|o| o.revision == h.revision) {
                None => {
                    progress(&format!("importing Helm revision {}", h.revision));
                    match store.create(h) {
                        Ok(()) => out.imported.push(h.revision),
                        // A concurrent adopt wrote it first.
                        Err(crate::release::StoreError::Exists { .. }) => {
                            out.already.push(h.revision)
                        }
                        Err(e) => return Err(crate::release::lock::store_error(e)),
                    }
                }
                Some(o) => {
                    if o.status != h.status {
                        store.update(h).map_err(crate::release::lock::store_error)?;
                    }
                    out.already.push(h.revision);
                }
            }
        }
        // Step 3: the objects.
        progress(&format!(
            "taking the objects of Helm revision {}",
            deployed.revision
        ));
        let docs = apply::parse_manifest(&deployed.manifest, &deployed.chart.typing())?;
        let refs = target.resolve(&docs, ns, &[])?;
        let live = target.existing(&refs)?;
        let owner = format!("{ns}/{name}");
        let mut present = Vec::new();
        for ((r, d), l) in refs.into_iter().zip(docs).zip(live) {
            if l.is_some() {
                present.push((r, d));
            } else {
                out.missing.push(r);
            }
        }
        let aopts = ApplyOptions {
            namespace: ns.to_string(),
            owner: owner.clone(),
            take_ownership: true,
            dry_run: false,
            concurrency: 8,
        };
        let mut i = 0;
        while i < present.len() {
            let kind = present[i].1.kind().to_string();
            let mut j = i;
            while j < present.len() && present[j].1.kind() == kind {
                j += 1;
            }
            let group: Vec<_> = present[i..j]
                .iter()
                .map(|(_, d)| apply::stamp(d, name, ns))
                .collect();
            target.apply(&group, &aopts)?;
            out.objects
                .extend(present[i..j].iter().map(|(r, _)| r.clone()));
            i = j;
        }
        out.deployed = Some(deployed.revision);
    } else {
        out.already = helm.iter().map(|r| r.revision).collect();
    }
    // Step 4: Helm's records.
    if opts.remove_helm_records {
        for h in &helm {
            progress(&format!(
                "removing Helm's record of revision {}",
                h.revision
            ));
            helm_store
                .delete(name, h.revision)
                .map_err(crate::release::lock::store_error)?;
            out.removed.push(h.revision);
        }
    }
    out.latest = history::latest(&history::load(store.as_ref(), name)?).map_or(0, |r| r.revision);
    Ok(out)
}

/// Refuse, before anything changes, a Helm release that is busy or has nothing deployed,
/// and kpack records that are not copies of Helm's.
fn check_adoptable(helm: &[Release], ours: &[Release], name: &str, ns: &str) -> Result<()> {
    let latest = history::latest(helm).expect("not empty");
    if latest.status.is_pending() {
        return Err(Error::remote(format!(
            "Helm release {ns}/{name} is {} at revision {}: a helm operation is running or was interrupted; let it finish (or `helm rollback {name} -n {ns}`), then adopt again",
            latest.status, latest.revision
        )));
    }
    if latest.status == Status::Uninstalled {
        return Err(Error::remote(format!(
            "Helm release {ns}/{name} is uninstalled (kept history): there is nothing to adopt; install it with kpack instead"
        )));
    }
    if history::last_deployed(helm).is_none() {
        return Err(Error::remote(format!(
            "Helm release {ns}/{name} has no deployed revision (latest: revision {} {}): fix it with helm first (`helm rollback` or `helm upgrade`), then adopt again",
            latest.revision, latest.status
        )));
    }
    for o in ours {
        match helm.iter().find(|h| h.revision == o.revision) {
            Some(h) if same_revision(o, h) => {}
            Some(_) => {
                return Err(Error::remote(format!(
                    "release {ns}/{name} revision {}: kpack's record differs from Helm's (another chart or manifest); kpack and Helm both made this revision, so kpack cannot adopt Helm's history (uninstall one of them)",
                    o.revision
                )));
            }
            None => {
                return Err(Error::remote(format!(
                    "release {ns}/{name}: kpack has revision {} that Helm's history lacks; kpack and Helm both manage a release of this name, so kpack cannot adopt Helm's",
                    o.revision
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::ChartInfo;

    fn rel(revision: u64, status: Status, manifest: &str) -> Release {
        Release {
            name: "web".into(),
            namespace: "apps".into(),
            revision,
            status,
            chart: ChartInfo {
                name: "web".into(),
                version: "1.0.0".into(),
                ..Default::default()
            },
            config: Default::default(),
            values: Default::default(),
            manifest: manifest.into(),
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
    fn busy_failed_or_conflicting_histories_are_refused() {
        use Status::*;
        let helm = [rel(1, Superseded, "a"), rel(2, PendingUpgrade, "b")];
        let e = check_adoptable(&helm, &[], "web", "apps").unwrap_err();
        assert!(
            e.to_string()
                .contains("Helm release apps/web is pending-upgrade at revision 2: a helm operation is running or was interrupted"),
            "{e}"
        );
        let helm = [rel(1, Failed, "a")];
        let e = check_adoptable(&helm, &[], "web", "apps").unwrap_err();
        assert!(
            e.to_string().contains(
                "Helm release apps/web has no deployed revision (latest: revision 1 failed)"
            ),
            "{e}"
        );
        let helm = [rel(1, Superseded, "a"), rel(2, Deployed, "b")];
        assert!(check_adoptable(&helm, &[rel(1, Superseded, "a")], "web", "apps").is_ok());
        let e = check_adoptable(&helm, &[rel(1, Deployed, "other")], "web", "apps").unwrap_err();
        assert!(
            e.to_string()
                .contains("release apps/web revision 1: kpack's record differs from Helm's"),
            "{e}"
        );
    }
}
