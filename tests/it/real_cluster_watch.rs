//! Waits by watch (`KubeTarget::wait`, `--wait`) against the real control plane
//! (`support/k8s.rs`): the wait sees an object become ready within moments of the status
//! change (the poll it replaced slept up to 2 s between rounds), a watch the server ends
//! (`timeoutSeconds`) is resumed, and a timeout still names the objects not ready.
//!
//! A LoadBalancer Service is the subject: with no cloud controller nobody gives it an
//! address, so it becomes ready exactly when the test writes its status subresource.
//! Requests are counted from the audit log (the test's own user).

use crate::support::k8s;
use kpack::manifest::Document;
use kpack::targets::{ApplyOptions, ObjectRef, Target};
use serde_json::json;
use std::time::{Duration, Instant};

type Case = k8s::UserTarget;

fn setup(name: &str) -> Option<Case> {
    k8s::user_target(&format!("cw-{name}"))
}

impl Case {
    /// Apply a LoadBalancer Service `lb` and a ConfigMap `fine`; their refs.
    fn apply(&self) -> Vec<ObjectRef> {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\ndata: {a: b}";
        let docs: Vec<Document> = yaml
            .split("\n---\n")
            .map(|y| Document {
                source: "demo/templates/test.yaml".into(),
                text: y.into(),
                object: kpack::yaml::parse(y).unwrap(),
            })
            .collect();
        let opts = ApplyOptions {
            namespace: self.ns.name.clone(),
            owner: format!("{}/web", self.ns.name),
            take_ownership: false,
            dry_run: false,
            concurrency: 4,
        };
        self.t.apply(&docs, &opts).unwrap();
        self.t.resolve(&docs, &self.ns.name, &[]).unwrap()
    }

    /// Give the Service an address, as a cloud controller would.
    fn give_address(&self) {
        let path = format!("/api/v1/namespaces/{}/services/lb", self.ns.name);
        self.ns.cluster.set_status(
            &path,
            json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}),
        );
    }

    /// Watch requests of this test's user on Services.
    fn service_watches(&self) -> usize {
        self.ns
            .cluster
            .audit_of(&self.user)
            .iter()
            .filter(|a| a.verb == "watch" && a.resource == "services")
            .count()
    }

    /// Wait (timeout 60 s) in a thread; give the address after `after`; how long the wait
    /// took to return after the address was given, and what progress reported.
    fn wait_then_ready(&self, refs: &[ObjectRef], after: Duration) -> (Duration, Vec<usize>) {
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let mut seen = Vec::new();
                let r = self.t.wait(refs, Duration::from_secs(60), &mut |r| {
                    seen.push(r.iter().filter(|x| x.ready).count())
                });
                (r, seen, Instant::now())
            });
            std::thread::sleep(after);
            assert!(
                !waiter.is_finished(),
                "the wait ended before the Service was ready"
            );
            let given = Instant::now();
            self.give_address();
            let (r, seen, done) = waiter.join().unwrap();
            r.unwrap_or_else(|e| panic!("{e}"));
            (done.saturating_duration_since(given), seen)
        })
    }
}

/// The poll this replaced slept 0.2 s, then half as long again each round up to 2 s: at
/// 4.2 s into the wait its next look was at 6.1 s. The watch reports at once.
#[test]
fn wait_reacts_within_a_second_of_readiness() {
    let Some(c) = setup("react") else {
        return;
    };
    let refs = c.apply();
    let (took, seen) = c.wait_then_ready(&refs, Duration::from_millis(4200));
    assert!(
        took < Duration::from_millis(1500),
        "the wait returned {took:?} after the Service became ready"
    );
    // Progress: first (once both kinds were listed) the ConfigMap ready and the Service
    // not, then both.
    assert_eq!(seen, [1, 2]);
    // One LIST per kind, then one watch of the Service (the ready ConfigMap is not watched).
    // (A watch is audited when it ends: the wait closed it on returning.)
    let watches = k8s::poll(Duration::from_secs(10), || {
        Some(c.service_watches()).filter(|&n| n > 0)
    });
    assert_eq!(watches, Some(1));
}

#[test]
fn a_watch_the_server_ends_is_resumed() {
    let Some(mut c) = setup("resume") else {
        return;
    };
    let refs = c.apply();
    c.t.set_watch_timeout(1);
    let (took, _) = c.wait_then_ready(&refs, Duration::from_millis(3500));
    assert!(
        took < Duration::from_millis(1500),
        "the wait returned {took:?} after the Service became ready"
    );
    // The server ended the 1-second watches; each was resumed.
    let watches = c.service_watches();
    assert!(watches >= 3, "{watches} watch request(s)");
}

#[test]
fn wait_timeout_names_the_objects_not_ready() {
    let Some(c) = setup("timeout") else {
        return;
    };
    let refs = c.apply();
    let started = Instant::now();
    let err =
        c.t.wait(&refs, Duration::from_secs(2), &mut |_| {})
            .unwrap_err()
            .to_string();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        err,
        format!(
            "timed out after 2s waiting for 1 of 2 object(s) to be ready:\n  - Service {}/lb: waiting for a load balancer address",
            c.ns.name
        )
    );
}
