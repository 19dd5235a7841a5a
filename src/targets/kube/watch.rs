//! Waiting for readiness by watching (`--wait`): the objects are grouped by kind and
//! namespace; each group is read with one `LIST` (full objects; a field selector on the
//! name when the group has one object), then followed with a `watch` from the list's
//! `resourceVersion`, so a status change is seen as soon as the API server sends it
//! instead of at the next poll. A watch the server ends (its `timeoutSeconds`, a dropped
//! connection) is resumed from the last `resourceVersion` seen; one whose version has
//! expired (410 Gone) starts again with a `LIST`. A group whose objects are all ready is
//! not followed any further (as before: an object once ready is not asked about again).
//! Readiness itself is [`readiness::assess`] on each object as the watch delivers it.
//!
//! The waiting loop in `mod.rs` receives every change here and reports progress; a group
//! whose kind the cluster does not serve (yet) is looked up again each second.
//!
//! Raw `watch` requests of kube's client rather than kube-rs's `runtime` watcher: the
//! runtime feature would build another crate (and its dependencies) for a loop this
//! small, and its reflector would keep every object of a kind in memory.

use super::discovery::{Discovery, Resource};
use super::readiness::{self, State};
use super::remote_error;
use crate::targets::ObjectRef;
use crate::{Error, Result};
use futures::StreamExt;
use kube::Client;
use kube::api::{ListParams, WatchEvent, WatchParams};
use kube::core::Request;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Default `timeoutSeconds` of each watch request (the API server's own bound is larger).
pub const WATCH_TIMEOUT_SECS: u32 = 290;
/// How long to wait before looking a kind up again that the cluster does not serve yet,
/// or before resuming after a broken watch.
const RETRY: Duration = Duration::from_secs(1);
/// Consecutive broken watches (transport errors) tolerated before the wait fails.
const MAX_BROKEN: u32 = 5;

/// Changes of readiness: (index into the objects waited for, state).
pub type Update = Result<Vec<(usize, State)>>;

/// Objects of one kind in one namespace (cluster-scoped kinds: no namespace).
pub struct Group {
    api_version: String,
    kind: String,
    namespace: Option<String>,
    /// Name → index into the objects waited for.
    members: BTreeMap<String, usize>,
}

/// Group `objects` (the indices in `open`) by kind and namespace.
pub fn groups(objects: &[ObjectRef], open: &[usize]) -> Vec<Group> {
    let mut by: BTreeMap<(String, String, Option<String>), Group> = BTreeMap::new();
    for &i in open {
        let o = &objects[i];
        by.entry((o.api_version.clone(), o.kind.clone(), o.namespace.clone()))
            .or_insert_with(|| Group {
                api_version: o.api_version.clone(),
                kind: o.kind.clone(),
                namespace: o.namespace.clone(),
                members: BTreeMap::new(),
            })
            .members
            .insert(o.name.clone(), i);
    }
    by.into_values().collect()
}

fn name_of(obj: &Json) -> Option<&str> {
    obj.pointer("/metadata/name").and_then(Json::as_str)
}

fn version_of(obj: &Json) -> Option<&str> {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Json::as_str)
}

impl Group {
    /// The field selector that narrows a one-object group to its object.
    fn field_selector(&self) -> Option<String> {
        match self.members.keys().next() {
            Some(name) if self.members.len() == 1 => Some(format!("metadata.name={name}")),
            _ => None,
        }
    }

    fn what(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {} in namespace {ns}", self.api_version, self.kind),
            None => format!("{} {}", self.api_version, self.kind),
        }
    }

    /// A watch that broke (its request or its stream): wait, to start again with a list;
    /// an error once it broke more than [`MAX_BROKEN`] times in a row.
    async fn after_break(&self, broken: &mut u32, e: kube::Error) -> Result<()> {
        *broken += 1;
        if *broken > MAX_BROKEN {
            return Err(remote_error(&format!("watch {}", self.what()), e));
        }
        tokio::time::sleep(RETRY).await;
        Ok(())
    }

    /// Every member's state from a full `LIST`; returns the list's `resourceVersion`.
    async fn list(
        &self,
        client: &Client,
        r: &Resource,
        ready: &mut BTreeMap<String, bool>,
        tx: &UnboundedSender<Update>,
    ) -> std::result::Result<Option<String>, kube::Error> {
        let url = r.collection_url(self.namespace.as_deref());
        let mut token: Option<String> = None;
        let mut found: BTreeMap<String, Json> = BTreeMap::new();
        let version = loop {
            let lp = ListParams {
                limit: Some(500),
                continue_token: token.clone(),
                field_selector: self.field_selector(),
                ..Default::default()
            };
            let req = Request::new(&url)
                .list(&lp)
                .map_err(kube::Error::BuildRequest)?;
            let mut page: Json = client.request(req).await?;
            for item in page["items"].as_array_mut().into_iter().flatten() {
                if let Some(name) = name_of(item)
                    && self.members.contains_key(name)
                {
                    found.insert(name.to_string(), item.take());
                }
            }
            match page.pointer("/metadata/continue").and_then(Json::as_str) {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => {
                    break page
                        .pointer("/metadata/resourceVersion")
                        .and_then(Json::as_str)
                        .map(str::to_string);
                }
            }
        };
        let mut changes = Vec::new();
        for (name, &i) in &self.members {
            if ready.get(name).copied().unwrap_or(false) {
                continue;
            }
            let state = match found.get(name) {
                Some(obj) => readiness::assess(&self.api_version, &self.kind, obj),
                None => State::Pending("not found".into()),
            };
            ready.insert(name.clone(), state.is_ready());
            changes.push((i, state));
        }
        let _ = tx.send(Ok(changes));
        Ok(version)
    }

    /// Follow this group until each of its objects is ready (or the receiver is gone),
    /// sending every change to `tx`. Errors are sent too, and end the following.
    pub async fn follow(
        self,
        client: Client,
        disc: Discovery,
        watch_timeout: u32,
        tx: UnboundedSender<Update>,
    ) {
        if let Err(e) = self.follow_inner(&client, &disc, watch_timeout, &tx).await {
            let _ = tx.send(Err(e));
        }
    }

    async fn follow_inner(
        &self,
        client: &Client,
        disc: &Discovery,
        watch_timeout: u32,
        tx: &UnboundedSender<Update>,
    ) -> Result<()> {
        let mut ready: BTreeMap<String, bool> = BTreeMap::new();
        let all_ready = |ready: &BTreeMap<String, bool>| {
            self.members
                .keys()
                .all(|n| ready.get(n).copied().unwrap_or(false))
        };
        let unserved = || {
            let message = format!(
                "the cluster does not serve {} {} yet",
                self.api_version, self.kind
            );
            Ok(self
                .members
                .values()
                .map(|&i| (i, State::Pending(message.clone())))
                .collect())
        };
        let mut broken = 0;
        'relist: loop {
            if tx.is_closed() {
                return Ok(());
            }
            let listed = match disc.lookup(&self.api_version, &self.kind).await? {
                None => None,
                Some(r) => match self.list(client, &r, &mut ready, tx).await {
                    Ok(v) => Some((r, v.unwrap_or_default())),
                    // A kind of a CRD applied moments ago: not served yet.
                    Err(kube::Error::Api(s)) if s.code == 404 => None,
                    Err(e) => return Err(remote_error(&format!("list {}", self.what()), e)),
                },
            };
            let Some((r, mut version)) = listed else {
                let _ = tx.send(unserved());
                disc.invalidate(&self.api_version);
                tokio::time::sleep(RETRY).await;
                continue;
            };
            if all_ready(&ready) {
                return Ok(());
            }
            // Watch from the list's version; resume each time the server ends the watch.
            loop {
                if tx.is_closed() {
                    return Ok(());
                }
                let wp = WatchParams {
                    field_selector: self.field_selector(),
                    timeout: Some(watch_timeout),
                    bookmarks: true,
                    ..Default::default()
                };
                let req = Request::new(r.collection_url(self.namespace.as_deref()))
                    .watch(&wp, &version)
                    .map_err(|e| Error::remote(format!("watch {}: {e}", self.what())))?;
                let events = match client.request_events::<Json>(req).await {
                    Ok(s) => s,
                    Err(kube::Error::Api(s)) if s.code == 410 => continue 'relist,
                    Err(e) => {
                        self.after_break(&mut broken, e).await?;
                        continue 'relist;
                    }
                };
                let mut events = std::pin::pin!(events);
                while let Some(event) = events.next().await {
                    let obj = match event {
                        Ok(WatchEvent::Added(o) | WatchEvent::Modified(o)) => Some((o, false)),
                        Ok(WatchEvent::Deleted(o)) => Some((o, true)),
                        Ok(WatchEvent::Bookmark(b)) => {
                            version = b.metadata.resource_version;
                            None
                        }
                        // The version is too old to resume from: start again.
                        Ok(WatchEvent::Error(s)) if s.code == 410 => continue 'relist,
                        Ok(WatchEvent::Error(s)) => {
                            return Err(Error::remote(format!(
                                "watch {}: {} (HTTP {})",
                                self.what(),
                                s.message,
                                s.code
                            )));
                        }
                        // A broken stream: resume with a fresh list.
                        Err(e) => {
                            self.after_break(&mut broken, e).await?;
                            continue 'relist;
                        }
                    };
                    let Some((obj, deleted)) = obj else { continue };
                    broken = 0;
                    if let Some(v) = version_of(&obj) {
                        version = v.to_string();
                    }
                    let Some(name) = name_of(&obj) else { continue };
                    let Some(&i) = self.members.get(name) else {
                        continue;
                    };
                    if ready.get(name).copied().unwrap_or(false) {
                        continue;
                    }
                    let state = if deleted {
                        State::Pending("not found".into())
                    } else {
                        readiness::assess(&self.api_version, &self.kind, &obj)
                    };
                    ready.insert(name.to_string(), state.is_ready());
                    let _ = tx.send(Ok(vec![(i, state)]));
                    if all_ready(&ready) {
                        return Ok(());
                    }
                }
                // The server ended the watch (timeoutSeconds): resume from `version`.
            }
        }
    }
}
