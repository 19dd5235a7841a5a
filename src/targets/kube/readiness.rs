//! Readiness of live objects, kind by kind, as `kubectl rollout status` and Helm's `--wait`
//! judge it: Deployments, StatefulSets, DaemonSets and ReplicaSets rolled out (the
//! controller has observed the latest generation, every replica updated and available),
//! Jobs complete (a failed Job is a failure with its reason), Pods ready, PVCs bound,
//! LoadBalancer Services with an address, CRDs Established, and any object with a
//! `Ready` condition reporting it. Everything else is ready once it exists.
//! [`assess`] is a pure function over the object's JSON; the waiting loop is in `mod.rs`.

use serde_json::Value as Json;

/// What an object's state means for a wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Ready; a short description (`3/3 replicas available`).
    Ready(String),
    /// Not ready yet; why (`1/3 replicas available`).
    Pending(String),
    /// Will not become ready without a change (`Job failed: BackoffLimitExceeded: …`).
    Failed(String),
}

impl State {
    /// Whether this is [`State::Ready`].
    pub fn is_ready(&self) -> bool {
        matches!(self, State::Ready(_))
    }
    /// The message.
    pub fn message(&self) -> &str {
        match self {
            State::Ready(m) | State::Pending(m) | State::Failed(m) => m,
        }
    }
}

fn int(v: &Json, ptr: &str) -> Option<i64> {
    v.pointer(ptr).and_then(Json::as_i64)
}

fn condition<'a>(obj: &'a Json, ty: &str) -> Option<&'a Json> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"].as_str() == Some(ty))
}

fn cond_true(obj: &Json, ty: &str) -> Option<bool> {
    condition(obj, ty).map(|c| c["status"].as_str() == Some("True"))
}

fn reason_of(c: &Json) -> String {
    let reason = c["reason"].as_str().unwrap_or_default();
    let message = c["message"].as_str().unwrap_or_default();
    match (reason.is_empty(), message.is_empty()) {
        (false, false) => format!("{reason}: {message}"),
        (false, true) => reason.to_string(),
        (true, false) => message.to_string(),
        (true, true) => "no reason given".to_string(),
    }
}

/// The controller has not seen the latest spec yet.
fn generation_pending(obj: &Json) -> Option<State> {
    let generation = int(obj, "/metadata/generation")?;
    let observed = int(obj, "/status/observedGeneration").unwrap_or(0);
    (observed < generation).then(|| {
        State::Pending(format!(
            "waiting for the controller to observe generation {generation}"
        ))
    })
}

/// Readiness of one live object of `kind` (with `apiVersion` for kinds that need it).
pub fn assess(api_version: &str, kind: &str, obj: &Json) -> State {
    let in_group = |group: &str| {
        api_version
            .strip_prefix(group)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    match kind {
        "Deployment" if in_group("apps") => deployment(obj),
        "StatefulSet" if in_group("apps") => statefulset(obj),
        "DaemonSet" if in_group("apps") => daemonset(obj),
        "ReplicaSet" if in_group("apps") => replicaset(obj),
        "Job" if in_group("batch") => job(obj),
        "Pod" if api_version == "v1" => pod(obj),
        "PersistentVolumeClaim" if api_version == "v1" => pvc(obj),
        "Service" if api_version == "v1" => service(obj),
        "CustomResourceDefinition" if in_group("apiextensions.k8s.io") => crd(obj),
        _ => generic(obj),
    }
}

fn deployment(obj: &Json) -> State {
    if let Some(p) = generation_pending(obj) {
        return p;
    }
    if let Some(c) = condition(obj, "Progressing")
        && c["reason"].as_str() == Some("ProgressDeadlineExceeded")
    {
        return State::Failed(format!("rollout failed: {}", reason_of(c)));
    }
    if obj.pointer("/spec/paused").and_then(Json::as_bool) == Some(true) {
        return State::Ready("paused".into());
    }
    let want = int(obj, "/spec/replicas").unwrap_or(1);
    let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
    let total = int(obj, "/status/replicas").unwrap_or(0);
    let available = int(obj, "/status/availableReplicas").unwrap_or(0);
    if updated < want {
        return State::Pending(format!("{updated}/{want} replicas updated"));
    }
    if total > updated {
        return State::Pending(format!(
            "{} old replicas pending termination",
            total - updated
        ));
    }
    if available < updated {
        return State::Pending(format!("{available}/{want} replicas available"));
    }
    State::Ready(format!("{available}/{want} replicas available"))
}

fn statefulset(obj: &Json) -> State {
    if let Some(p) = generation_pending(obj) {
        return p;
    }
    if obj
        .pointer("/spec/updateStrategy/type")
        .and_then(Json::as_str)
        == Some("OnDelete")
    {
        return State::Ready("update strategy OnDelete".into());
    }
    let want = int(obj, "/spec/replicas").unwrap_or(1);
    let ready = int(obj, "/status/readyReplicas").unwrap_or(0);
    let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
    let partition = int(obj, "/spec/updateStrategy/rollingUpdate/partition").unwrap_or(0);
    if partition > 0 {
        let need = (want - partition).max(0);
        if updated < need {
            return State::Pending(format!(
                "{updated}/{need} replicas updated (partition {partition})"
            ));
        }
    } else {
        if updated < want {
            return State::Pending(format!("{updated}/{want} replicas updated"));
        }
        let current = obj
            .pointer("/status/currentRevision")
            .and_then(Json::as_str);
        let update = obj.pointer("/status/updateRevision").and_then(Json::as_str);
        if let (Some(c), Some(u)) = (current, update)
            && c != u
        {
            return State::Pending(format!("waiting for revision {u} to replace {c}"));
        }
    }
    if ready < want {
        return State::Pending(format!("{ready}/{want} replicas ready"));
    }
    State::Ready(format!("{ready}/{want} replicas ready"))
}

fn daemonset(obj: &Json) -> State {
    if let Some(p) = generation_pending(obj) {
        return p;
    }
    if obj
        .pointer("/spec/updateStrategy/type")
        .and_then(Json::as_str)
        == Some("OnDelete")
    {
        return State::Ready("update strategy OnDelete".into());
    }
    let desired = int(obj, "/status/desiredNumberScheduled").unwrap_or(0);
    let updated = int(obj, "/status/updatedNumberScheduled").unwrap_or(0);
    let available = int(obj, "/status/numberAvailable").unwrap_or(0);
    if updated < desired {
        return State::Pending(format!("{updated}/{desired} pods updated"));
    }
    if available < desired {
        return State::Pending(format!("{available}/{desired} pods available"));
    }
    State::Ready(format!("{available}/{desired} pods available"))
}

fn replicaset(obj: &Json) -> State {
    if let Some(p) = generation_pending(obj) {
        return p;
    }
    let want = int(obj, "/spec/replicas").unwrap_or(1);
    let ready = int(obj, "/status/readyReplicas").unwrap_or(0);
    if ready < want {
        return State::Pending(format!("{ready}/{want} replicas ready"));
    }
    State::Ready(format!("{ready}/{want} replicas ready"))
}

fn job(obj: &Json) -> State {
    if let Some(c) = condition(obj, "Failed")
        && c["status"].as_str() == Some("True")
    {
        return State::Failed(format!("Job failed: {}", reason_of(c)));
    }
    if cond_true(obj, "Complete") == Some(true) {
        let n = int(obj, "/status/succeeded").unwrap_or(0);
        return State::Ready(format!("complete ({n} succeeded)"));
    }
    if obj.pointer("/spec/suspend").and_then(Json::as_bool) == Some(true) {
        return State::Pending("suspended".into());
    }
    let active = int(obj, "/status/active").unwrap_or(0);
    let failed = int(obj, "/status/failed").unwrap_or(0);
    let succeeded = int(obj, "/status/succeeded").unwrap_or(0);
    let completions = int(obj, "/spec/completions").unwrap_or(1);
    State::Pending(format!(
        "{succeeded}/{completions} completions ({active} active, {failed} failed)"
    ))
}

fn pod(obj: &Json) -> State {
    match obj.pointer("/status/phase").and_then(Json::as_str) {
        Some("Succeeded") => return State::Ready("succeeded".into()),
        Some("Failed") => {
            let reason = obj
                .pointer("/status/reason")
                .and_then(Json::as_str)
                .unwrap_or("no reason given");
            let message = obj
                .pointer("/status/message")
                .and_then(Json::as_str)
                .unwrap_or_default();
            let sep = if message.is_empty() { "" } else { ": " };
            return State::Failed(format!("Pod failed: {reason}{sep}{message}"));
        }
        _ => {}
    }
    match condition(obj, "Ready") {
        Some(c) if c["status"].as_str() == Some("True") => State::Ready("ready".into()),
        Some(c) => State::Pending(format!("not ready: {}", reason_of(c))),
        None => {
            let phase = obj
                .pointer("/status/phase")
                .and_then(Json::as_str)
                .unwrap_or("Pending");
            State::Pending(format!("phase {phase}"))
        }
    }
}

fn pvc(obj: &Json) -> State {
    match obj.pointer("/status/phase").and_then(Json::as_str) {
        Some("Bound") => State::Ready("bound".into()),
        Some("Lost") => State::Failed("PersistentVolumeClaim lost its volume".into()),
        Some(p) => State::Pending(format!("phase {p}, waiting to be bound")),
        None => State::Pending("waiting to be bound".into()),
    }
}

fn service(obj: &Json) -> State {
    if obj.pointer("/spec/type").and_then(Json::as_str) != Some("LoadBalancer") {
        return State::Ready("exists".into());
    }
    let ingress = obj
        .pointer("/status/loadBalancer/ingress")
        .and_then(Json::as_array);
    match ingress.and_then(|i| i.first()) {
        Some(first) => {
            let addr = first["ip"]
                .as_str()
                .or(first["hostname"].as_str())
                .unwrap_or("assigned");
            State::Ready(format!("load balancer {addr}"))
        }
        None => State::Pending("waiting for a load balancer address".into()),
    }
}

fn crd(obj: &Json) -> State {
    if let Some(c) = condition(obj, "NamesAccepted")
        && c["status"].as_str() == Some("False")
    {
        return State::Failed(format!("names not accepted: {}", reason_of(c)));
    }
    match cond_true(obj, "Established") {
        Some(true) => State::Ready("established".into()),
        _ => State::Pending("waiting to be Established".into()),
    }
}

fn generic(obj: &Json) -> State {
    match condition(obj, "Ready") {
        Some(c) if c["status"].as_str() == Some("True") => State::Ready("Ready".into()),
        Some(c) => State::Pending(format!(
            "Ready is {}: {}",
            c["status"].as_str().unwrap_or("Unknown"),
            reason_of(c)
        )),
        None => State::Ready("exists".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_rollout() {
        let mut d = json!({"metadata": {"generation": 2}, "spec": {"replicas": 3},
            "status": {"observedGeneration": 1}});
        assert!(
            matches!(assess("apps/v1", "Deployment", &d), State::Pending(m) if m.contains("generation 2"))
        );
        d["status"] = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 1});
        assert_eq!(
            assess("apps/v1", "Deployment", &d),
            State::Pending("1/3 replicas available".into())
        );
        d["status"]["availableReplicas"] = json!(3);
        assert!(assess("apps/v1", "Deployment", &d).is_ready());
        d["status"]["conditions"] = json!([{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}]);
        assert!(
            matches!(assess("apps/v1", "Deployment", &d), State::Failed(m) if m.contains("too slow"))
        );
    }

    #[test]
    fn job_failure_has_reason() {
        let j = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        assert_eq!(
            assess("batch/v1", "Job", &j),
            State::Failed(
                "Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit"
                    .into()
            )
        );
    }

    #[test]
    fn custom_ready_condition() {
        let o = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Provisioning"}]}});
        assert!(!assess("example.com/v1", "Widget", &o).is_ready());
        assert!(assess("example.com/v1", "Widget", &json!({})).is_ready());
    }
}
