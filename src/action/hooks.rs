//! Hooks: objects annotated `kpack.io/hook` (or Helm's `helm.sh/hook`) with the events
//! they run at (pre/post install, upgrade, rollback, delete). At an event its hooks run one
//! by one in weight order (`kpack.io/hook-weight` / `helm.sh/hook-weight`, an integer,
//! default 0; ties in install order, then by name). Each hook is applied and, for a Job,
//! waited for until it completes, for a Pod until it succeeds (other kinds are done once
//! applied), within the operation's `--timeout`. A failed or timed-out hook fails the
//! operation. Delete policies (`kpack.io/hook-delete-policy` / `helm.sh/hook-delete-policy`,
//! comma-separated): `before-hook-creation` (the default when none is given: delete the
//! previous run's object first), `hook-succeeded` (deleted once all the event's hooks
//! succeeded, as Helm does), `hook-failed`. `test` hooks are never run by these events.

use super::apply::{Event, Session};
use crate::keys;
pub use crate::manifest::HookEvent;
use crate::manifest::{Document, order};
use crate::targets::ObjectRef;
use crate::{Error, Result};
use serde_json::Value as Json;
use std::time::{Duration, Instant};

/// When a hook's object is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletePolicy {
    /// Delete the object left by the previous run before creating it again.
    BeforeHookCreation,
    /// Delete it once it succeeded.
    HookSucceeded,
    /// Delete it when it failed.
    HookFailed,
}

/// One hook of an event, parsed.
#[derive(Debug, Clone)]
pub struct Hook {
    /// The hook object.
    pub doc: Document,
    /// Its events.
    pub events: Vec<HookEvent>,
    /// Its weight (lower runs first).
    pub weight: i64,
    /// Its delete policies (never empty: the default is before-hook-creation).
    pub policies: Vec<DeletePolicy>,
}

/// The value of the first of `keys` (kpack's, then Helm's) the document carries.
fn annotation<'a>(doc: &'a Document, keys: [&str; 2]) -> Option<&'a str> {
    keys.iter().find_map(|k| doc.annotation(k))
}

/// Parse a hook document's annotations; errors name the object and the bad value.
pub fn parse(doc: &Document) -> Result<Hook> {
    let mut events = Vec::new();
    for e in doc.hook_event_names().unwrap_or_default() {
        match HookEvent::parse(e) {
            Some(ev) => events.push(ev),
            None => {
                let known: Vec<&str> = HookEvent::LIFECYCLE.iter().map(|h| h.as_str()).collect();
                return Err(Error::manifest(format!(
                    "{} (from {}): unknown hook event {e:?}; known events: {}",
                    doc.identity(),
                    doc.source,
                    known.join(", ")
                )));
            }
        }
    }
    let weight = match annotation(doc, keys::HOOK_WEIGHT) {
        None => 0,
        Some(w) => w.trim().parse().map_err(|_| {
            Error::manifest(format!(
                "{} (from {}): hook-weight {w:?} is not an integer",
                doc.identity(),
                doc.source
            ))
        })?,
    };
    let mut policies = Vec::new();
    if let Some(p) = annotation(doc, keys::HOOK_DELETE_POLICY) {
        for part in p.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            policies.push(match part {
                "before-hook-creation" => DeletePolicy::BeforeHookCreation,
                "hook-succeeded" => DeletePolicy::HookSucceeded,
                "hook-failed" => DeletePolicy::HookFailed,
                other => {
                    return Err(Error::manifest(format!(
                        "{} (from {}): unknown hook-delete-policy {other:?}; use before-hook-creation, hook-succeeded or hook-failed",
                        doc.identity(),
                        doc.source
                    )));
                }
            });
        }
    }
    if policies.is_empty() {
        policies.push(DeletePolicy::BeforeHookCreation);
    }
    Ok(Hook {
        doc: doc.clone(),
        events,
        weight,
        policies,
    })
}

/// Check every hook's annotations (before an operation changes anything).
pub fn validate(hooks: &[Document]) -> Result<()> {
    hooks.iter().try_for_each(|d| parse(d).map(|_| ()))
}

/// The hooks of an event, in the order they run.
pub fn for_event(hooks: &[Document], event: HookEvent) -> Result<Vec<Hook>> {
    select(hooks, &|h| h.events.contains(&event))
}

/// The hooks `keep` selects, in the order they run (weight, install order, name).
pub fn select(hooks: &[Document], keep: &dyn Fn(&Hook) -> bool) -> Result<Vec<Hook>> {
    let mut out = Vec::new();
    for d in hooks {
        let h = parse(d)?;
        if keep(&h) {
            out.push(h);
        }
    }
    let rank = |h: &Hook| order::rank(h.doc.kind()).unwrap_or(usize::MAX);
    out.sort_by(|a, b| (a.weight, rank(a), a.doc.name()).cmp(&(b.weight, rank(b), b.doc.name())));
    Ok(out)
}

/// Whether a hook's live object has finished: `None` while running, `Some(Err(why))` when
/// it failed.
pub fn finished(kind: &str, live: &Json) -> Option<std::result::Result<(), String>> {
    match kind {
        "Job" => {
            let conditions = live
                .pointer("/status/conditions")
                .and_then(Json::as_array)?;
            for c in conditions {
                let is_true = c.get("status").and_then(Json::as_str) == Some("True");
                let why = || {
                    let reason = c.get("reason").and_then(Json::as_str).unwrap_or("");
                    let msg = c.get("message").and_then(Json::as_str).unwrap_or("");
                    format!("{reason} {msg}").trim().to_string()
                };
                match c.get("type").and_then(Json::as_str) {
                    Some("Complete") if is_true => return Some(Ok(())),
                    Some("Failed") if is_true => {
                        let w = why();
                        return Some(Err(if w.is_empty() {
                            "the Job failed".into()
                        } else {
                            format!("the Job failed: {w}")
                        }));
                    }
                    _ => {}
                }
            }
            None
        }
        "Pod" => match live.pointer("/status/phase").and_then(Json::as_str) {
            Some("Succeeded") => Some(Ok(())),
            Some("Failed") => Some(Err("the Pod failed".into())),
            _ => None,
        },
        _ => Some(Ok(())),
    }
}

/// Poll a hook until it finishes or the deadline passes.
fn await_hook(
    session: &Session<'_>,
    r: &ObjectRef,
    timeout: Duration,
) -> std::result::Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(100);
    loop {
        match session.target.get(r) {
            // Gone already (e.g. a Job's ttlSecondsAfterFinished): nothing left to fail.
            Ok(None) => return Ok(()),
            Ok(Some(live)) => {
                if let Some(done) = finished(&r.kind, &live) {
                    return done;
                }
            }
            Err(e) => return Err(e.to_string()),
        }
        if Instant::now() >= deadline {
            return Err(format!("did not finish within {}s", timeout.as_secs()));
        }
        std::thread::sleep(delay.min(deadline.saturating_duration_since(Instant::now())));
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// Run the hooks of `event` from `hooks`. As in Helm, `hook-succeeded` objects are deleted
/// only once every hook of the event succeeded (or, when one fails, the ones that ran
/// before it): a later hook may need an earlier one (ingress-nginx's certificate Job runs
/// as the ServiceAccount its earlier hooks create). A failed hook is deleted at once when
/// it says `hook-failed`.
pub(crate) fn run(session: &mut Session<'_>, hooks: &[Document], event: HookEvent) -> Result<()> {
    run_selected(
        session,
        for_event(hooks, event)?,
        event.as_str(),
        &mut |_| {},
    )
}

/// How one hook of a run ended.
#[derive(Debug, Clone)]
pub struct HookRun {
    /// The hook object.
    pub object: ObjectRef,
    /// When it was applied and when it finished (RFC 3339).
    pub started: String,
    pub completed: String,
    /// `Err(why)` when it failed or did not finish in time.
    pub result: std::result::Result<(), String>,
}

/// Run `selected` in order, as [`run`] runs an event's hooks (`event` names them in
/// progress and errors), giving each one's outcome to `record` as it ends.
pub(crate) fn run_selected(
    session: &mut Session<'_>,
    selected: Vec<Hook>,
    event: &str,
    record: &mut dyn FnMut(HookRun),
) -> Result<()> {
    let mut succeeded: Vec<(ObjectRef, bool)> = Vec::new();
    for hook in selected {
        let mut resolved = session.resolve(std::slice::from_ref(&hook.doc), &[])?;
        let (r, doc) = resolved.remove(0);
        session.emit(Event::Step(format!(
            "{event} hook {r} (weight {})",
            hook.weight
        )));
        if hook.policies.contains(&DeletePolicy::BeforeHookCreation) {
            delete_previous(session, &r)?;
        }
        let started = crate::release::lock::now_rfc3339();
        session.apply_ordered(&[(r.clone(), doc)], false)?;
        let result = await_hook(session, &r, session.op.timeout);
        record(HookRun {
            object: r.clone(),
            started,
            completed: crate::release::lock::now_rfc3339(),
            result: result.clone(),
        });
        match result {
            Ok(()) => {
                let delete = hook.policies.contains(&DeletePolicy::HookSucceeded);
                succeeded.push((r, delete));
            }
            Err(why) => {
                if hook.policies.contains(&DeletePolicy::HookFailed) {
                    delete_hook(session, &r)?;
                }
                delete_succeeded(session, &succeeded)?;
                return Err(Error::remote(format!("{event} hook {r} failed: {why}")));
            }
        }
    }
    delete_succeeded(session, &succeeded)
}

/// Delete the hooks that ran and say `hook-succeeded`, in the order they ran.
fn delete_succeeded(session: &mut Session<'_>, ran: &[(ObjectRef, bool)]) -> Result<()> {
    for (r, delete) in ran {
        if *delete {
            delete_hook(session, r)?;
        }
    }
    Ok(())
}

fn delete_hook(session: &mut Session<'_>, r: &ObjectRef) -> Result<()> {
    session.target.delete(std::slice::from_ref(r))?;
    session.emit(Event::Deleted(vec![r.clone()]));
    Ok(())
}

/// Delete the object a previous run of the hook left, waiting until it is gone.
fn delete_previous(session: &mut Session<'_>, r: &ObjectRef) -> Result<()> {
    let Some(live) = session.target.get(r)? else {
        return Ok(());
    };
    let me = session.owner();
    match super::apply::owner_of(&live) {
        Some(o) if o == me => {}
        other if !session.op.take_ownership => {
            let who = other
                .map(|o| format!("owned by release {o}"))
                .unwrap_or_else(|| "not managed by kpack".into());
            return Err(Error::remote(format!(
                "hook {r} exists and is {who}; kpack never replaces an object silently: pass --take-ownership to replace it"
            )));
        }
        _ => {}
    }
    session.target.delete(std::slice::from_ref(r))?;
    let deadline = Instant::now() + session.op.timeout;
    while session.target.get(r)?.is_some() {
        if Instant::now() >= deadline {
            return Err(Error::remote(format!(
                "hook {r}: the previous run's object was not deleted within {}s",
                session.op.timeout.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hook(name: &str, ann: Json) -> Document {
        Document {
            source: "c/templates/h.yaml".into(),
            text: String::new().into(),
            object: json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "annotations": ann}}),
        }
    }

    #[test]
    fn order_and_policies() {
        let hooks = vec![
            hook(
                "b",
                json!({"helm.sh/hook": "pre-install", "helm.sh/hook-weight": "5"}),
            ),
            hook(
                "a",
                json!({"kpack.io/hook": "pre-install,post-install", "kpack.io/hook-weight": "-1", "kpack.io/hook-delete-policy": "hook-succeeded,hook-failed"}),
            ),
            hook("c", json!({"helm.sh/hook": "post-upgrade"})),
            hook("t", json!({"helm.sh/hook": "test"})),
        ];
        let pre: Vec<String> = for_event(&hooks, HookEvent::PreInstall)
            .unwrap()
            .iter()
            .map(|h| h.doc.name().to_string())
            .collect();
        assert_eq!(pre, ["a", "b"]);
        let a = parse(&hooks[1]).unwrap();
        assert_eq!(
            a.policies,
            [DeletePolicy::HookSucceeded, DeletePolicy::HookFailed]
        );
        assert_eq!(
            parse(&hooks[0]).unwrap().policies,
            [DeletePolicy::BeforeHookCreation]
        );
        assert!(validate(&hooks).is_ok());
        let bad = hook("x", json!({"helm.sh/hook": "pre-instal"}));
        assert!(
            validate(&[bad])
                .unwrap_err()
                .to_string()
                .contains("unknown hook event \"pre-instal\"")
        );
        let bad = hook(
            "x",
            json!({"helm.sh/hook": "pre-install", "helm.sh/hook-delete-policy": "never"}),
        );
        assert!(
            validate(&[bad])
                .unwrap_err()
                .to_string()
                .contains("unknown hook-delete-policy")
        );
    }

    #[test]
    fn completion() {
        let job = |t: &str| json!({"status": {"conditions": [{"type": t, "status": "True", "reason": "BackoffLimitExceeded"}]}});
        assert_eq!(finished("Job", &job("Complete")), Some(Ok(())));
        assert!(
            finished("Job", &job("Failed"))
                .unwrap()
                .unwrap_err()
                .contains("BackoffLimitExceeded")
        );
        assert_eq!(finished("Job", &json!({})), None);
        assert_eq!(
            finished("Pod", &json!({"status": {"phase": "Running"}})),
            None
        );
        assert_eq!(finished("ConfigMap", &json!({})), Some(Ok(())));
    }
}
