//! `kpack test NAME`: run the test hooks of a release's latest revision, as `helm test`
//! does. A test hook is a hook at the `test` event (Helm's annotation `helm.sh/hook: test`,
//! or its old name `test-success`; kpack's `kpack.io/hook: test`), usually a Pod that
//! exits 0 when the release works. They run one by one in hook order (weight, install
//! order, name), each applied, then waited for until it succeeds (a Pod `Succeeded`, a
//! Job complete) within `--timeout`, with the hooks' delete policies (with `--logs`, a
//! test pod's logs are read as soon as it ends, before any is deleted). The first that
//! fails ends the run with an error naming it. No revision is made and the release is not
//! locked; a release with an operation in progress (or a dead one's lock), or uninstalled,
//! is refused. Each test's last run (start, end, phase) is kept in the tested revision's
//! record, as Helm keeps it, for `status` to show: written only if nothing changed that
//! record while the tests ran (an upgrade that superseded it, say), so a test run never
//! overwrites another operation's record.

use super::apply::{Event, OperationOptions, Session, parse_manifest};
use super::hooks::{self, HookRun};
use crate::release::{Release, TestRun};
use crate::targets::Target;
use crate::{Error, Result};

/// `--filter name=NAME` (run only these) and `--filter '!name=NAME'` (skip these).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Names to run (all when empty).
    pub only: Vec<String>,
    /// Names to skip.
    pub skip: Vec<String>,
}

impl Filter {
    /// Add one `--filter` value (several separated by commas, as helm takes them); errors
    /// say what the flag takes.
    pub fn add(&mut self, value: &str) -> Result<()> {
        for one in value.split(',') {
            match one.split_once('=') {
                Some(("name", n)) if !n.is_empty() => self.only.push(n.to_string()),
                Some(("!name", n)) if !n.is_empty() => self.skip.push(n.to_string()),
                _ => {
                    return Err(Error::usage(format!(
                        "--filter {one:?}: expected name=NAME (run only that test) or !name=NAME (skip it)"
                    )));
                }
            }
        }
        Ok(())
    }

    fn keeps(&self, name: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|n| n == name))
            && !self.skip.iter().any(|n| n == name)
    }
}

/// What `kpack test` does.
#[derive(Debug, Clone)]
pub struct TestOptions {
    pub name: String,
    pub namespace: String,
    /// Bound of each test (`--timeout`).
    pub timeout: std::time::Duration,
    pub filter: Filter,
    /// Read each test pod's logs as it ends, before any is deleted (`--logs`).
    pub logs: bool,
}

/// The logs of one test pod (`--logs`).
#[derive(Debug, Clone)]
pub struct PodLogs {
    pub pod: String,
    /// `(container, text)`, or why they could not be read.
    pub logs: std::result::Result<Vec<(String, String)>, String>,
}

/// The release tested and how each test ran (in order; after a failure, the tests that
/// ran up to it).
#[derive(Debug, Clone)]
pub struct TestReport {
    pub release: Release,
    pub runs: Vec<HookRun>,
    /// With `--logs`: each test pod's, in the order they ran.
    pub logs: Vec<PodLogs>,
    /// Why the runs were not kept in the revision's record, when they were not.
    pub not_recorded: Option<String>,
}

/// The revision's test runs once `runs` are added: each test keeps its last run, in the
/// order of the runs (one run again replaces its earlier run in place).
fn merge_runs(previous: &[TestRun], runs: &[HookRun]) -> Vec<TestRun> {
    let mut out = previous.to_vec();
    for r in runs {
        let run = TestRun {
            kind: r.object.kind.clone(),
            name: r.object.name.clone(),
            started: r.started.clone(),
            completed: r.completed.clone(),
            phase: if r.result.is_ok() {
                "Succeeded"
            } else {
                "Failed"
            }
            .to_string(),
        };
        match out
            .iter_mut()
            .find(|t| t.kind == run.kind && t.name == run.name)
        {
            Some(t) => *t = run,
            None => out.push(run),
        }
    }
    out
}

/// Keep `runs` in the tested revision's record (`was`, as read before the tests), unless
/// anything changed that record meanwhile: the record's runs with them, or why they were
/// not kept.
fn record_runs(
    target: &dyn Target,
    was: Option<&Release>,
    runs: &[HookRun],
) -> std::result::Result<Vec<TestRun>, String> {
    let Some(was) = was else {
        return Err(
            "the release's records are Helm's, which kpack reads but does not write: adopt the release (`kpack adopt`) to keep test results".into(),
        );
    };
    let mut now = was.clone();
    now.test_runs = merge_runs(&was.test_runs, runs);
    let store = target.store(&was.namespace).map_err(|e| e.to_string())?;
    match store.update_if_unchanged(was, &now) {
        Ok(true) => Ok(now.test_runs),
        Ok(false) => Err(format!(
            "revision {} of release {} changed while the tests ran (see `kpack history {}`)",
            was.revision, was.name, was.name
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Run the tests. A failed test is an error after `report` has been given what ran.
pub fn test(
    target: &dyn Target,
    opts: &TestOptions,
    progress: &mut dyn FnMut(&Event),
    report: &mut dyn FnMut(&TestReport),
) -> Result<TestReport> {
    let release = super::get::get(target, &opts.name, &opts.namespace, None)?;
    crate::release::lock::check_unlocked(Some(&release))?;
    if release.status == crate::release::Status::Uninstalled {
        return Err(Error::remote(format!(
            "release {} is uninstalled (history kept): there is nothing to test",
            opts.name
        )));
    }
    // The record as kpack's store holds it (none for a release only Helm recorded): the
    // runs are written back to it only if it is still that when they end.
    let ours = target
        .store(&opts.namespace)?
        .get(&opts.name, release.revision)
        .map_err(crate::release::lock::store_error)?;
    let docs = parse_manifest(&release.hooks, &release.chart.typing())?;
    let selected = hooks::select(&docs, &|h| {
        h.events.iter().any(|e| e.is_test()) && opts.filter.keeps(h.doc.name())
    })?;
    let op = OperationOptions {
        timeout: opts.timeout,
        ..OperationOptions::default()
    };
    let mut runs = Vec::new();
    let mut logs = Vec::new();
    let result = {
        let mut session = Session::new(target, &opts.name, &opts.namespace, &op, progress)?;
        hooks::run_selected(&mut session, selected, "test", &mut |r| {
            if opts.logs && r.object.kind == "Pod" {
                let ns = r.object.namespace.as_deref().unwrap_or(&opts.namespace);
                logs.push(PodLogs {
                    pod: r.object.name.clone(),
                    logs: target
                        .pod_logs(ns, &r.object.name)
                        .map_err(|e| e.to_string()),
                });
            }
            runs.push(r);
        })
    };
    let mut release = release;
    let not_recorded = if runs.is_empty() {
        None
    } else {
        match record_runs(target, ours.as_ref(), &runs) {
            Ok(kept) => {
                release.test_runs = kept;
                None
            }
            Err(why) => Some(why),
        }
    };
    let out = TestReport {
        release,
        runs,
        logs,
        not_recorded,
    };
    report(&out);
    result.map(|()| out)
}

#[cfg(test)]
mod tests {
    use super::Filter;

    #[test]
    fn filters_select_by_name_as_helms_do() {
        let mut f = Filter::default();
        assert!(f.keeps("a"));
        f.add("name=a,name=b").unwrap();
        f.add("!name=b").unwrap();
        assert!(f.keeps("a") && !f.keeps("b") && !f.keeps("c"));
        let mut skip = Filter::default();
        skip.add("!name=b").unwrap();
        assert!(skip.keeps("a") && !skip.keeps("b"));
        assert_eq!(
            f.add("kind=Pod").unwrap_err().to_string(),
            "--filter \"kind=Pod\": expected name=NAME (run only that test) or !name=NAME (skip it)"
        );
        assert!(f.add("name=").is_err());
    }
}
