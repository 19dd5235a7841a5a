//! The stand-in's object semantics: server-side apply with per-manager field ownership
//! (`metadata.managedFields`, FieldsV1), conflicts with other managers unless `force`,
//! removal of fields a manager stopped applying; ownership for update operations
//! (create, replace, merge patch); JSON merge patch (RFC 7386); label selectors.
//!
//! Maps are merged key by key; lists and scalars are owned whole (a real server merges some
//! lists by key, which does not change anything kpack relies on).

use serde_json::{Map, Value as Json, json};
use std::collections::BTreeSet;

/// A field path (`["spec", "replicas"]`).
pub type Path = Vec<String>;

/// Fields that are never owned or applied: identity and server-set metadata.
fn skipped(path: &[String], status_subresource: bool) -> bool {
    match path {
        [k] if k == "apiVersion" || k == "kind" => true,
        [k] if k == "status" && status_subresource => true,
        [m, k] if m == "metadata" => matches!(
            k.as_str(),
            "name"
                | "namespace"
                | "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "managedFields"
                | "selfLink"
                | "deletionTimestamp"
        ),
        _ => false,
    }
}

/// The leaf paths of an object (non-empty maps are recursed, everything else is a leaf).
pub fn paths(obj: &Json, status_subresource: bool) -> BTreeSet<Path> {
    let mut out = BTreeSet::new();
    fn walk(v: &Json, prefix: &mut Path, out: &mut BTreeSet<Path>, status: bool) {
        match v {
            Json::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    prefix.push(k.clone());
                    if !skipped(prefix, status) {
                        walk(child, prefix, out, status);
                    }
                    prefix.pop();
                }
            }
            _ => {
                if !prefix.is_empty() {
                    out.insert(prefix.clone());
                }
            }
        }
    }
    walk(obj, &mut Vec::new(), &mut out, status_subresource);
    out
}

pub fn value_at<'a>(obj: &'a Json, path: &[String]) -> Option<&'a Json> {
    let mut cur = obj;
    for k in path {
        cur = cur.as_object()?.get(k)?;
    }
    Some(cur)
}

pub fn set_at(obj: &mut Json, path: &[String], value: Json) {
    let mut cur = obj;
    for k in &path[..path.len() - 1] {
        if !cur.is_object() {
            *cur = json!({});
        }
        let m = cur.as_object_mut().unwrap();
        cur = m.entry(k.clone()).or_insert_with(|| json!({}));
        if !cur.is_object() {
            *cur = json!({});
        }
    }
    if !cur.is_object() {
        *cur = json!({});
    }
    cur.as_object_mut()
        .unwrap()
        .insert(path[path.len() - 1].clone(), value);
}

/// Remove a field, then every map above it left empty.
pub fn remove_at(obj: &mut Json, path: &[String]) {
    fn rec(v: &mut Json, path: &[String]) -> bool {
        let Some(m) = v.as_object_mut() else {
            return false;
        };
        if path.len() == 1 {
            m.remove(&path[0]);
        } else if let Some(child) = m.get_mut(&path[0])
            && rec(child, &path[1..])
        {
            m.remove(&path[0]);
        }
        m.is_empty()
    }
    rec(obj, path);
}

/// FieldsV1 of a path set: `{"f:spec": {"f:replicas": {}}}`.
pub fn to_fields_v1(set: &BTreeSet<Path>) -> Json {
    let mut root = Map::new();
    for p in set {
        let mut cur = &mut root;
        for k in p {
            let entry = cur.entry(format!("f:{k}")).or_insert_with(|| json!({}));
            cur = entry.as_object_mut().unwrap();
        }
    }
    Json::Object(root)
}

/// Path set of FieldsV1.
pub fn from_fields_v1(f: &Json) -> BTreeSet<Path> {
    let mut out = BTreeSet::new();
    fn walk(v: &Json, prefix: &mut Path, out: &mut BTreeSet<Path>) {
        let Some(m) = v.as_object() else { return };
        let keys: Vec<&String> = m.keys().filter(|k| k.starts_with("f:")).collect();
        if keys.is_empty() {
            if !prefix.is_empty() {
                out.insert(prefix.clone());
            }
            return;
        }
        for k in keys {
            prefix.push(k[2..].to_string());
            walk(&m[k], prefix, out);
            prefix.pop();
        }
    }
    walk(f, &mut Vec::new(), &mut out);
    out
}

/// One `managedFields` entry.
#[derive(Debug, Clone)]
pub struct Managed {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: BTreeSet<Path>,
}

impl Managed {
    fn same_actor(&self, manager: &str, operation: &str, subresource: Option<&str>) -> bool {
        self.manager == manager
            && self.operation == operation
            && self.subresource.as_deref() == subresource
    }
}

pub fn read_managed(obj: &Json) -> Vec<Managed> {
    obj.pointer("/metadata/managedFields")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|m| Managed {
            manager: m["manager"].as_str().unwrap_or_default().to_string(),
            operation: m["operation"].as_str().unwrap_or("Update").to_string(),
            api_version: m["apiVersion"].as_str().unwrap_or_default().to_string(),
            time: m["time"].as_str().unwrap_or_default().to_string(),
            subresource: m["subresource"].as_str().map(str::to_string),
            fields: from_fields_v1(&m["fieldsV1"]),
        })
        .collect()
}

pub fn write_managed(obj: &mut Json, managed: &[Managed]) {
    let entries: Vec<Json> = managed
        .iter()
        .filter(|m| !m.fields.is_empty())
        .map(|m| {
            let mut e = json!({
                "manager": m.manager,
                "operation": m.operation,
                "apiVersion": m.api_version,
                "time": m.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&m.fields),
            });
            if let Some(s) = &m.subresource {
                e["subresource"] = json!(s);
            }
            e
        })
        .collect();
    obj["metadata"]["managedFields"] = json!(entries);
}

fn overlaps(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// A field conflict of an apply.
pub struct Conflict {
    pub manager: String,
    pub api_version: String,
    pub path: Path,
}

/// Server-side apply of `config` by `manager` onto `live` (`None` to create). Returns the
/// new object or the conflicts.
pub fn apply(
    live: Option<&Json>,
    config: &Json,
    manager: &str,
    force: bool,
    status_subresource: bool,
    now: &str,
) -> Result<Json, Vec<Conflict>> {
    let api_version = config["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let new_set = paths(config, status_subresource);
    let Some(live) = live else {
        let mut obj = config.clone();
        if status_subresource && let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
        let entry = Managed {
            manager: manager.into(),
            operation: "Apply".into(),
            api_version,
            time: now.into(),
            subresource: None,
            fields: new_set,
        };
        write_managed(&mut obj, &[entry]);
        return Ok(obj);
    };
    let mut managed = read_managed(live);
    let mut conflicts = Vec::new();
    for m in managed.iter_mut() {
        if m.same_actor(manager, "Apply", None) || m.subresource.is_some() {
            continue;
        }
        let mut lost = Vec::new();
        for owned in &m.fields {
            for p in &new_set {
                if overlaps(owned, p) {
                    let short = if owned.len() <= p.len() { owned } else { p };
                    if value_at(live, short) != value_at(config, short) {
                        lost.push(owned.clone());
                        conflicts.push(Conflict {
                            manager: m.manager.clone(),
                            api_version: m.api_version.clone(),
                            path: owned.clone(),
                        });
                    }
                }
            }
        }
        if force {
            for p in lost {
                m.fields.remove(&p);
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    let mut obj = live.clone();
    let old_set: BTreeSet<Path> = managed
        .iter()
        .find(|m| m.same_actor(manager, "Apply", None))
        .map(|m| m.fields.clone())
        .unwrap_or_default();
    for p in old_set.difference(&new_set) {
        let shared = managed.iter().any(|m| {
            !m.same_actor(manager, "Apply", None) && m.fields.iter().any(|o| overlaps(o, p))
        });
        if !shared {
            remove_at(&mut obj, p);
        }
    }
    for p in &new_set {
        // A leaf replacing a map (or the reverse) replaces the whole subtree.
        set_at(
            &mut obj,
            p,
            value_at(config, p).cloned().unwrap_or(Json::Null),
        );
    }
    match managed
        .iter_mut()
        .find(|m| m.same_actor(manager, "Apply", None))
    {
        Some(m) => {
            m.fields = new_set;
            m.api_version = api_version;
            m.time = now.into();
        }
        None => managed.push(Managed {
            manager: manager.into(),
            operation: "Apply".into(),
            api_version,
            time: now.into(),
            subresource: None,
            fields: new_set,
        }),
    }
    managed.retain(|m| !m.fields.is_empty());
    write_managed(&mut obj, &managed);
    Ok(obj)
}

/// Ownership after an update operation (create, replace, patch) by `manager` that turned
/// `old` into `new`: changed and added fields move to the manager; removed fields leave
/// every owner.
pub fn record_update(
    old: Option<&Json>,
    new: &mut Json,
    manager: &str,
    subresource: Option<&str>,
    status_subresource: bool,
    now: &str,
) {
    let api_version = new["apiVersion"].as_str().unwrap_or_default().to_string();
    let mut managed = old.map(read_managed).unwrap_or_default();
    let new_set = paths(new, status_subresource && subresource.is_none());
    let old_set = old
        .map(|o| paths(o, status_subresource && subresource.is_none()))
        .unwrap_or_default();
    let changed: BTreeSet<Path> = new_set
        .iter()
        .filter(|p| old.and_then(|o| value_at(o, p)) != value_at(new, p))
        .cloned()
        .collect();
    let removed: BTreeSet<Path> = old_set.difference(&new_set).cloned().collect();
    for m in managed.iter_mut() {
        m.fields
            .retain(|p| !changed.iter().any(|c| overlaps(c, p)) && !removed.contains(p));
    }
    if !changed.is_empty() {
        match managed
            .iter_mut()
            .find(|m| m.same_actor(manager, "Update", subresource))
        {
            Some(m) => {
                m.fields.extend(changed);
                m.time = now.into();
            }
            None => managed.push(Managed {
                manager: manager.into(),
                operation: "Update".into(),
                api_version,
                time: now.into(),
                subresource: subresource.map(str::to_string),
                fields: changed,
            }),
        }
    }
    managed.retain(|m| !m.fields.is_empty());
    write_managed(new, &managed);
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Json, patch: &Json) {
    match patch {
        Json::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            let t = target.as_object_mut().unwrap();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Json::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// A parsed label selector term.
#[derive(Debug)]
enum Term {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A label selector (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`).
#[derive(Debug)]
pub struct Selector(Vec<Term>);

impl Selector {
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut terms = Vec::new();
        let mut depth = 0;
        let mut cur = String::new();
        let mut parts = Vec::new();
        for c in s.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(c);
        }
        parts.push(cur);
        for p in parts {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            let set = |rest: &str| -> Result<Vec<String>, String> {
                let rest = rest.trim();
                let inner = rest
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or(format!("bad set in {p:?}"))?;
                Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
            };
            let term = if let Some(k) = p.strip_prefix('!') {
                Term::NotExists(k.trim().into())
            } else if let Some((k, v)) = p.split_once("!=") {
                Term::Ne(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = p.split_once("==") {
                Term::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = p.split_once('=') {
                Term::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = p.split_once(" notin ") {
                Term::NotIn(k.trim().into(), set(rest)?)
            } else if let Some((k, rest)) = p.split_once(" in ") {
                Term::In(k.trim().into(), set(rest)?)
            } else {
                if p.contains(' ') {
                    return Err(format!("unable to parse requirement: {p:?}"));
                }
                Term::Exists(p.into())
            };
            terms.push(term);
        }
        Ok(Selector(terms))
    }

    pub fn matches(&self, labels: Option<&Json>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Json::as_str);
        self.0.iter().all(|t| match t {
            Term::Eq(k, v) => get(k) == Some(v.as_str()),
            Term::Ne(k, v) => get(k) != Some(v.as_str()),
            Term::Exists(k) => get(k).is_some(),
            Term::NotExists(k) => get(k).is_none(),
            Term::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Term::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        })
    }
}
