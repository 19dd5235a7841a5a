//! Applying and deleting objects: server-side apply (`PATCH`,
//! `application/apply-patch+yaml`, `fieldManager=kpack`, `force=true`) of one install-order
//! group, its objects concurrently (bounded by [`ApplyOptions::concurrency`]).
//!
//! Before anything of a group is applied, each object is resolved (discovery), labelled
//! and annotated with its release ([`LABEL_RELEASE`], [`ANNOTATION_OWNER`]) and checked for
//! ownership: an existing object whose owner annotation names another release (or none)
//! stops the group with an error naming it, unless `take_ownership`. Existence is learned
//! with one metadata-only `LIST` per collection when a group has several objects in it
//! (one `GET` otherwise), so an install costs about one request per object plus one per
//! kind. CRDs applied by a group are waited for until Established, so the next group can
//! create their custom resources.

use super::discovery::{Discovery, Resource, is_crd};
use super::{readiness, remote_error};
use crate::manifest::Document;
use crate::targets::Cascade;
use crate::targets::{ANNOTATION_OWNER, ApplyOptions, FIELD_MANAGER, LABEL_RELEASE, ObjectRef};
use crate::{Error, Result};
use futures::stream::{self, StreamExt};
use kube::Client;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PropagationPolicy};
use kube::core::Request;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Concurrency used when [`ApplyOptions::concurrency`] is 0.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// A collection with at least this many objects of a group is listed (metadata only)
/// instead of asking for each object.
const LIST_THRESHOLD: usize = 3;
/// How long a CRD applied by kpack may take to become Established.
pub const CRD_ESTABLISH_TIMEOUT: Duration = Duration::from_secs(60);

/// One object ready to be applied.
struct Prepared {
    reference: ObjectRef,
    resource: Resource,
    body: Json,
    /// Its kind comes from a CRD of the release not served yet (dry run only).
    unserved: bool,
}

/// Who holds an object that already exists.
enum Existing {
    Absent,
    Ours,
    Foreign(String),
}

fn release_name(owner: &str) -> &str {
    owner.rsplit_once('/').map(|(_, n)| n).unwrap_or(owner)
}

/// The `ObjectRef` of a document given its resource and the default namespace.
pub fn object_ref(doc: &Document, resource: &Resource, namespace: &str) -> ObjectRef {
    ObjectRef {
        api_version: doc.api_version().to_string(),
        kind: doc.kind().to_string(),
        namespace: resource
            .namespaced
            .then(|| doc.namespace().unwrap_or(namespace).to_string()),
        name: doc.name().to_string(),
    }
}

/// An error listing every object whose kind the cluster does not know.
pub async fn unknown_kinds_error(disc: &Discovery, unknown: &[&Document]) -> Error {
    let mut lines = Vec::new();
    for d in unknown {
        let why = disc.explain_unknown(d.api_version(), d.kind()).await;
        lines.push(format!("  - {} ({}): {why}", d.identity(), d.source));
    }
    Error::manifest(format!(
        "{} object(s) of a kind the cluster does not know; nothing was applied:\n{}\n\
         (install the CRD that defines the kind first, ship it in the chart's crds/ or templates, or fix the apiVersion)",
        unknown.len(),
        lines.join("\n")
    ))
}

async fn prepare(
    client: &Client,
    disc: &Discovery,
    docs: &[Document],
    opts: &ApplyOptions,
) -> Result<Vec<Prepared>> {
    disc.prefetch(docs.iter().map(|d| d.api_version().to_string()))
        .await?;
    let mut unknown = Vec::new();
    let mut out = Vec::new();
    for d in docs {
        let (resource, unserved) = match disc.served(d.api_version(), d.kind()).await? {
            Some(r) => (r, false),
            None => match disc.pending_crd(d.api_version(), d.kind()) {
                Some(r) if opts.dry_run => (r, true),
                Some(r) => {
                    wait_crd_served(client, disc, &r).await?;
                    (r, false)
                }
                None => {
                    unknown.push(d);
                    continue;
                }
            },
        };
        let reference = object_ref(d, &resource, &opts.namespace);
        if resource.namespaced && reference.namespace.as_deref().unwrap_or("").is_empty() {
            return Err(Error::usage(format!(
                "{}: no namespace given and no release namespace set",
                d.identity()
            )));
        }
        let body = labelled(d, &reference, opts);
        out.push(Prepared {
            reference,
            resource,
            body,
            unserved,
        });
    }
    if !unknown.is_empty() {
        return Err(unknown_kinds_error(disc, &unknown).await);
    }
    Ok(out)
}

/// The object as it is sent: namespace filled in (or removed for cluster-scoped kinds),
/// the release label and owner annotation set.
fn labelled(d: &Document, r: &ObjectRef, opts: &ApplyOptions) -> Json {
    let mut body = d.object.clone();
    if !body["metadata"].is_object() {
        body["metadata"] = json!({});
    }
    let meta = body["metadata"].as_object_mut().expect("metadata is a map");
    match &r.namespace {
        Some(ns) => {
            meta.insert("namespace".into(), json!(ns));
        }
        None => {
            meta.remove("namespace");
        }
    }
    if !opts.owner.is_empty() {
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if !labels.is_object() {
            *labels = json!({});
        }
        labels[LABEL_RELEASE] = json!(release_name(&opts.owner));
        let ann = meta.entry("annotations").or_insert_with(|| json!({}));
        if !ann.is_object() {
            *ann = json!({});
        }
        ann[ANNOTATION_OWNER] = json!(opts.owner);
    }
    body
}

/// Wait for the CRD that defines `r` to be Established, then check the kind is served.
async fn wait_crd_served(client: &Client, disc: &Discovery, r: &Resource) -> Result<()> {
    let name = format!("{}.{}", r.plural, r.group);
    let crd_res = crd_resource();
    let deadline = Instant::now() + CRD_ESTABLISH_TIMEOUT;
    loop {
        if let Some(live) = get_json(client, &crd_res, None, &name).await? {
            match readiness::assess("apiextensions.k8s.io/v1", "CustomResourceDefinition", &live) {
                readiness::State::Ready(_) => {
                    disc.crd_established(&live);
                    if disc.served(&r.api_version(), &r.kind).await?.is_some() {
                        return Ok(());
                    }
                }
                readiness::State::Failed(m) => {
                    return Err(Error::remote(format!(
                        "CustomResourceDefinition {name}: {m}"
                    )));
                }
                readiness::State::Pending(_) => {}
            }
        }
        if Instant::now() >= deadline {
            return Err(Error::remote(format!(
                "{} {}: its CustomResourceDefinition {name} did not become Established and served within {}s",
                r.api_version(),
                r.kind,
                CRD_ESTABLISH_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn crd_resource() -> Resource {
    Resource {
        group: "apiextensions.k8s.io".into(),
        version: "v1".into(),
        kind: "CustomResourceDefinition".into(),
        plural: "customresourcedefinitions".into(),
        namespaced: false,
    }
}

/// `GET` one object as JSON, `None` on 404.
pub async fn get_json(
    client: &Client,
    r: &Resource,
    namespace: Option<&str>,
    name: &str,
) -> Result<Option<Json>> {
    let req = Request::new(r.collection_url(namespace))
        .get(name, &Default::default())
        .map_err(|e| Error::remote(format!("{} {name}: {e}", r.kind)))?;
    match client.request::<Json>(req).await {
        Ok(v) => Ok(Some(v)),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
        Err(e) => Err(remote_error(
            &format!("get {} {}", r.kind, display_name(namespace, name)),
            e,
        )),
    }
}

fn display_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// Metadata of every object of a collection (paginated), by name.
async fn list_metadata(
    client: &Client,
    url: &str,
) -> std::result::Result<HashMap<String, Json>, kube::Error> {
    let mut out = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let lp = ListParams {
            limit: Some(500),
            continue_token: token.clone(),
            ..Default::default()
        };
        let req = Request::new(url)
            .list_metadata(&lp)
            .map_err(kube::Error::BuildRequest)?;
        let mut list: Json = client.request(req).await?;
        if let Some(items) = list.get_mut("items").and_then(Json::as_array_mut) {
            for item in items.iter_mut() {
                let meta = item["metadata"].take();
                if let Some(name) = meta.pointer("/name").and_then(Json::as_str) {
                    out.insert(name.to_string(), meta);
                }
            }
        }
        match list.pointer("/metadata/continue").and_then(Json::as_str) {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

async fn get_metadata(
    client: &Client,
    url: &str,
    name: &str,
) -> std::result::Result<Option<Json>, kube::Error> {
    let req = Request::new(url)
        .get_metadata(name, &Default::default())
        .map_err(kube::Error::BuildRequest)?;
    match client.request::<Json>(req).await {
        Ok(v) => Ok(Some(v["metadata"].clone())),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

fn classify(meta: Option<&Json>, owner: &str) -> Existing {
    let Some(meta) = meta else {
        return Existing::Absent;
    };
    let ann = |k: &str| {
        meta.get("annotations")
            .and_then(|a| a.get(k))
            .and_then(Json::as_str)
    };
    match ann(ANNOTATION_OWNER) {
        Some(o) if o == owner => Existing::Ours,
        Some(o) => Existing::Foreign(format!("it belongs to release {o}")),
        None => {
            if let (Some(n), Some(ns)) = (
                ann("meta.helm.sh/release-name"),
                ann("meta.helm.sh/release-namespace"),
            ) {
                return Existing::Foreign(format!("it belongs to Helm release {ns}/{n}"));
            }
            let mut managers: Vec<&str> = meta
                .get("managedFields")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m["manager"].as_str())
                .collect();
            managers.sort();
            managers.dedup();
            if managers.is_empty() {
                Existing::Foreign("it exists and no kpack release owns it".into())
            } else {
                Existing::Foreign(format!(
                    "it exists and no kpack release owns it (managed by {})",
                    managers.join(", ")
                ))
            }
        }
    }
}

/// Existence and ownership of every prepared object, by index.
async fn check_ownership(
    client: &Client,
    items: &[Prepared],
    opts: &ApplyOptions,
    limit: usize,
) -> Result<Vec<Existing>> {
    let probes: Vec<(Resource, Option<String>, String)> = items
        .iter()
        .filter(|p| !p.unserved)
        .map(|p| {
            (
                p.resource.clone(),
                p.reference.namespace.clone(),
                p.reference.name.clone(),
            )
        })
        .collect();
    let mut found = existing_metadata(client, &probes, limit).await?.into_iter();
    Ok(items
        .iter()
        .map(|p| {
            if p.unserved {
                return Existing::Absent;
            }
            let meta = found.next().flatten();
            classify(meta.as_ref().map(|m| &m["metadata"]), &opts.owner)
        })
        .collect())
}

/// The metadata (`{"apiVersion", "kind", "metadata"}`) of each object that exists, `None`
/// for the others. Objects of one collection are learned with one metadata-only `LIST`
/// (paginated) when there are at least [`LIST_THRESHOLD`] of them, else with a `GET` each;
/// all concurrently, bounded by `limit`. Each object is expected once in `objects`.
pub async fn existing_metadata(
    client: &Client,
    objects: &[(Resource, Option<String>, String)],
    limit: usize,
) -> Result<Vec<Option<Json>>> {
    let mut buckets: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (r, ns, _)) in objects.iter().enumerate() {
        buckets
            .entry(r.collection_url(ns.as_deref()))
            .or_default()
            .push(i);
    }
    // Each unit of work is a LIST of a collection or the GET of one object.
    enum Probe {
        List(String),
        Get(String, usize),
    }
    let buckets = &buckets;
    let mut probes = Vec::new();
    for (url, idx) in buckets {
        if idx.len() >= LIST_THRESHOLD {
            probes.push(Probe::List(url.clone()));
        } else {
            probes.extend(idx.iter().map(|&i| Probe::Get(url.clone(), i)));
        }
    }
    let describe = |i: usize| {
        let (r, ns, name) = &objects[i];
        format!("{} {}", r.kind, display_name(ns.as_deref(), name))
    };
    type Found = std::result::Result<(String, HashMap<String, Json>), (String, kube::Error)>;
    let results: Vec<Found> = stream::iter(probes)
        .map(|p| async move {
            match p {
                Probe::List(url) => match list_metadata(client, &url).await {
                    Ok(m) => Ok((url, m)),
                    // Allowed to get but not to list: ask for each object instead.
                    Err(kube::Error::Api(s)) if s.code == 403 || s.code == 405 => {
                        let mut found = HashMap::new();
                        for &i in &buckets[&url] {
                            let name = &objects[i].2;
                            match get_metadata(client, &url, name).await {
                                Ok(Some(m)) => {
                                    found.insert(name.clone(), m);
                                }
                                Ok(None) => {}
                                Err(e) => return Err((describe(i), e)),
                            }
                        }
                        Ok((url, found))
                    }
                    Err(e) => Err((url, e)),
                },
                Probe::Get(url, i) => {
                    let name = &objects[i].2;
                    match get_metadata(client, &url, name).await {
                        Ok(m) => Ok((url, m.map(|m| (name.clone(), m)).into_iter().collect())),
                        Err(e) => Err((describe(i), e)),
                    }
                }
            }
        })
        .buffer_unordered(limit.max(1))
        .collect()
        .await;
    let mut found: HashMap<String, HashMap<String, Json>> = HashMap::new();
    for r in results {
        match r {
            Ok((url, m)) => found.entry(url).or_default().extend(m),
            Err((what, e)) => {
                return Err(remote_error(&format!("checking whether {what} exists"), e));
            }
        }
    }
    // Each object's metadata is moved out, not copied (an object is asked for once).
    Ok(objects
        .iter()
        .map(|(r, ns, name)| {
            let url = r.collection_url(ns.as_deref());
            let meta = found.get_mut(&url).and_then(|m| m.remove(name))?;
            let mut object = serde_json::Map::with_capacity(3);
            object.insert("apiVersion".into(), Json::String(r.api_version()));
            object.insert("kind".into(), Json::String(r.kind.clone()));
            object.insert("metadata".into(), meta);
            Some(Json::Object(object))
        })
        .collect())
}

/// Apply one install-order group (see the module doc). Returns the live objects the
/// server answered with, in the order of `docs`.
pub async fn apply_group(
    client: &Client,
    disc: &Discovery,
    docs: &[Document],
    opts: &ApplyOptions,
) -> Result<Vec<Json>> {
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let limit = if opts.concurrency == 0 {
        DEFAULT_CONCURRENCY
    } else {
        opts.concurrency
    };
    let items = prepare(client, disc, docs, opts).await?;
    let existing = check_ownership(client, &items, opts, limit).await?;
    if !opts.take_ownership {
        let foreign: Vec<String> = items
            .iter()
            .zip(&existing)
            .filter_map(|(p, e)| match e {
                Existing::Foreign(why) => Some(format!("  - {}: {why}", p.reference)),
                _ => None,
            })
            .collect();
        if !foreign.is_empty() {
            let owner = if opts.owner.is_empty() {
                "this release".to_string()
            } else {
                format!("release {}", opts.owner)
            };
            return Err(Error::remote(format!(
                "{} existing object(s) are not owned by {owner}; refusing to take them over:\n{}\n\
                 (delete them, rename them in the chart, or pass --take-ownership to adopt them)",
                foreign.len(),
                foreign.join("\n")
            )));
        }
    }
    let pp = PatchParams {
        dry_run: opts.dry_run,
        force: true,
        field_manager: Some(FIELD_MANAGER.into()),
        field_validation: None,
    };
    let results: Vec<std::result::Result<Json, String>> = stream::iter(items.iter())
        .map(|p| {
            let pp = &pp;
            async move {
                if p.unserved {
                    // Dry run of a custom resource whose CRD is not installed yet: the
                    // server cannot validate it; report the object as it would be sent.
                    return Ok(p.body.clone());
                }
                let url = p.resource.collection_url(p.reference.namespace.as_deref());
                let req = Request::new(url)
                    .patch(&p.reference.name, pp, &Patch::Apply(&p.body))
                    .map_err(|e| format!("{}: {e}", p.reference))?;
                client
                    .request::<Json>(req)
                    .await
                    .map_err(|e| remote_error(&p.reference.to_string(), e).to_string())
            }
        })
        .buffered(limit)
        .collect()
        .await;
    let mut out = Vec::with_capacity(results.len());
    let mut failed = Vec::new();
    let mut applied = Vec::new();
    for (p, r) in items.iter().zip(results) {
        match r {
            Ok(v) => {
                applied.push(p.reference.to_string());
                out.push(v);
            }
            Err(e) => failed.push(format!("  - {e}")),
        }
    }
    if !failed.is_empty() {
        // Say which of the group did get applied: after a partial failure (a server that
        // went away in the middle) the user must know what the cluster now holds.
        let done = if applied.is_empty() {
            String::new()
        } else {
            format!(
                "\nthe other {} were applied:\n  - {}",
                applied.len(),
                applied.join("\n  - ")
            )
        };
        return Err(Error::remote(format!(
            "applying {} of {} object(s) failed:\n{}{done}",
            failed.len(),
            items.len(),
            failed.join("\n")
        )));
    }
    if !opts.dry_run {
        for (p, live) in items.iter().zip(&out) {
            if is_crd(&p.reference.api_version, &p.reference.kind) {
                let r = crate::targets::kube::discovery::crd_resources(live);
                if let Some(first) = r.first() {
                    wait_crd_served(client, disc, first).await?;
                }
            }
        }
    }
    Ok(out)
}

/// Delete objects: runs of the same kind concurrently, runs in the given order; missing
/// objects and kinds the cluster no longer serves are skipped.
pub async fn delete_objects(
    client: &Client,
    disc: &Discovery,
    objects: &[crate::targets::ObjectRef],
) -> Result<()> {
    delete_objects_cascade(client, disc, objects, Cascade::Background).await
}

/// The propagation policy of a cascading strategy.
fn propagation(cascade: Cascade) -> PropagationPolicy {
    match cascade {
        Cascade::Background => PropagationPolicy::Background,
        Cascade::Foreground => PropagationPolicy::Foreground,
        Cascade::Orphan => PropagationPolicy::Orphan,
    }
}

/// [`delete_objects`] with the propagation policy `cascade` names.
pub async fn delete_objects_cascade(
    client: &Client,
    disc: &Discovery,
    objects: &[crate::targets::ObjectRef],
    cascade: Cascade,
) -> Result<()> {
    disc.prefetch(objects.iter().map(|o| o.api_version.clone()))
        .await?;
    let dp = DeleteParams {
        propagation_policy: Some(propagation(cascade)),
        ..Default::default()
    };
    let mut failed = Vec::new();
    let mut start = 0;
    while start < objects.len() {
        let kind = (&objects[start].api_version, &objects[start].kind);
        let mut end = start + 1;
        while end < objects.len() && (&objects[end].api_version, &objects[end].kind) == kind {
            end += 1;
        }
        let Some(resource) = disc.served(kind.0, kind.1).await? else {
            start = end;
            continue; // the kind is gone (its CRD was deleted): so are its objects
        };
        let run: Vec<_> = objects[start..end]
            .iter()
            .map(|o| (resource.clone(), o))
            .collect();
        failed.extend(delete_each(client, &run, &dp).await);
        start = end;
    }
    deletion_failures(failed)
}

/// Delete each object of `targets` (with its kind's resource) by `dp`, concurrently
/// (bounded); an object already absent is no failure. The failures, one line each.
async fn delete_each(
    client: &Client,
    targets: &[(Resource, &ObjectRef)],
    dp: &DeleteParams,
) -> Vec<String> {
    stream::iter(targets)
        .map(|(resource, o)| async move {
            let req = Request::new(resource.collection_url(o.namespace.as_deref()))
                .delete(&o.name, dp)
                .map_err(|e| format!("{o}: {e}"))?;
            match client.request::<Json>(req).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
                Err(e) => Err(remote_error(&format!("delete {o}"), e).to_string()),
            }
        })
        .buffer_unordered(DEFAULT_CONCURRENCY)
        .filter_map(|r: std::result::Result<(), String>| async move { r.err() })
        .collect()
        .await
}

/// `Ok` without failures, else one error listing them.
fn deletion_failures(failed: Vec<String>) -> Result<()> {
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::remote(format!(
            "deleting {} object(s) failed:\n  - {}",
            failed.len(),
            failed.join("\n  - ")
        )))
    }
}

/// Delete objects all held by release `release` (their [`LABEL_RELEASE`] value), as
/// [`delete_objects`] does, but by collection where it can: for each run of one kind in one
/// namespace with at least [`LIST_THRESHOLD`] objects, one metadata `LIST` with the
/// release's label selector tells whether every object the selector matches is among
/// those to delete; if so, one `deletecollection` with that selector deletes them. Each
/// object asked for that the answer does not list as deleted (nor was absent) is then
/// deleted on its own, so every recorded object is gone whatever the collection call did.
/// (Between the `LIST` and the `deletecollection`, milliseconds apart, a same-named
/// release of another namespace could create an object with the label there; nothing
/// else can put one in the selector's way.)
/// A collection holding any other object with the label (an object the release keeps, or
/// one of a same-named release of another namespace) is deleted object by object, so
/// nothing another owner holds is swept.
///
/// The collections go concurrently (deletion is in the background: the order of the calls
/// never decided the order in which objects went), then the objects left to delete one by
/// one, concurrently too; CustomResourceDefinitions and Namespaces, which take other
/// objects with them, go last, in the order given.
pub async fn delete_release_objects(
    client: &Client,
    disc: &Discovery,
    objects: &[ObjectRef],
    release: &str,
) -> Result<()> {
    delete_release_objects_cascade(client, disc, objects, release, Cascade::Background).await
}

/// [`delete_release_objects`] with the propagation policy `cascade` names.
pub async fn delete_release_objects_cascade(
    client: &Client,
    disc: &Discovery,
    objects: &[ObjectRef],
    release: &str,
    cascade: Cascade,
) -> Result<()> {
    disc.prefetch(objects.iter().map(|o| o.api_version.clone()))
        .await?;
    let dp = DeleteParams {
        propagation_policy: Some(propagation(cascade)),
        ..Default::default()
    };
    let selector = format!("{LABEL_RELEASE}={release}");
    let last = |o: &ObjectRef| {
        o.kind == "Namespace" && o.api_version == "v1" || is_crd(&o.api_version, &o.kind)
    };
    let (containers, rest): (Vec<ObjectRef>, Vec<ObjectRef>) =
        objects.iter().cloned().partition(|o| last(o));
    // Runs of one kind in one namespace.
    let mut by_run: BTreeMap<(String, String, Option<String>), Vec<ObjectRef>> = BTreeMap::new();
    for o in rest {
        by_run
            .entry((o.api_version.clone(), o.kind.clone(), o.namespace.clone()))
            .or_default()
            .push(o);
    }
    let mut one_by_one: Vec<ObjectRef> = Vec::new();
    let mut collections = Vec::new();
    for ((api_version, kind, namespace), run) in by_run {
        match disc.served(&api_version, &kind).await? {
            Some(r) if run.len() >= LIST_THRESHOLD => collections.push((r, namespace, run)),
            Some(_) => one_by_one.extend(run),
            None => {} // the kind is gone (its CRD was deleted): so are its objects
        }
    }
    let results: Vec<std::result::Result<Vec<ObjectRef>, String>> = stream::iter(&collections)
        .map(|(resource, namespace, run)| {
            let (selector, dp) = (&selector, &dp);
            async move {
                let url = resource.collection_url(namespace.as_deref());
                delete_collection(client, &url, selector, run, dp)
                    .await
                    .map_err(|e| {
                        remote_error(
                            &format!(
                                "delete {} {} of release {release}",
                                run.len(),
                                resource.kind
                            ),
                            e,
                        )
                        .to_string()
                    })
            }
        })
        .buffer_unordered(DEFAULT_CONCURRENCY)
        .collect()
        .await;
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok(left) => one_by_one.extend(left),
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return Err(Error::remote(format!(
            "deleting objects failed:\n  - {}",
            failed.join("\n  - ")
        )));
    }
    let mut targets = Vec::with_capacity(one_by_one.len());
    for o in &one_by_one {
        if let Some(r) = disc.served(&o.api_version, &o.kind).await? {
            targets.push((r, o));
        }
    }
    deletion_failures(delete_each(client, &targets, &dp).await)?;
    delete_objects_cascade(client, disc, &containers, cascade).await
}

/// One collection's part of [`delete_release_objects`]: the objects of `run` still to be
/// deleted one by one afterwards.
async fn delete_collection(
    client: &Client,
    url: &str,
    selector: &str,
    run: &[ObjectRef],
    dp: &DeleteParams,
) -> std::result::Result<Vec<ObjectRef>, kube::Error> {
    let wanted: std::collections::HashSet<&str> = run.iter().map(|o| o.name.as_str()).collect();
    let lp = ListParams {
        label_selector: Some(selector.to_string()),
        ..Default::default()
    };
    let req = Request::new(url)
        .list_metadata(&lp)
        .map_err(kube::Error::BuildRequest)?;
    let listed: Json = match client.request(req).await {
        Ok(l) => l,
        // Not allowed to list: one by one.
        Err(kube::Error::Api(s)) if s.code == 403 || s.code == 405 => return Ok(run.to_vec()),
        Err(e) => return Err(e),
    };
    let names: Vec<&str> = listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.pointer("/metadata/name").and_then(Json::as_str))
        .collect();
    let more = listed
        .pointer("/metadata/continue")
        .and_then(Json::as_str)
        .is_some_and(|c| !c.is_empty());
    if more || names.iter().any(|n| !wanted.contains(n)) {
        return Ok(run.to_vec());
    }
    let req = Request::new(url)
        .delete_collection(dp, &lp)
        .map_err(kube::Error::BuildRequest)?;
    let deleted: Json = match client.request(req).await {
        Ok(d) => d,
        Err(kube::Error::Api(s)) if s.code == 403 || s.code == 405 => return Ok(run.to_vec()),
        Err(e) => return Err(e),
    };
    let gone: std::collections::HashSet<&str> = deleted["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.pointer("/metadata/name").and_then(Json::as_str))
        .collect();
    // Not listed as deleted (absent, or its label was removed): deleted on its own (a
    // missing object is no error there).
    Ok(run
        .iter()
        .filter(|o| !gone.contains(o.name.as_str()))
        .cloned()
        .collect())
}
