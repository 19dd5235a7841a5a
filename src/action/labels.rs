//! Labels on release records (Helm 4's `--labels k=v,...` of install and upgrade) and the
//! label selector of `kpack list -l/--selector`. Labels are kept in the record and, on a
//! cluster, on the record's Secret, as Helm keeps them; Helm's system label names
//! (`name`, `owner`, `status`, `version`, `createdAt`, `modifiedAt`) are reserved. An
//! upgrade merges its labels over the previous revision's; the value `null` removes one.

use crate::{Error, Result};
use std::collections::BTreeMap;

/// Label names Helm (and kpack's record Secrets) use themselves.
pub const RESERVED: &[&str] = &[
    "name",
    "owner",
    "status",
    "version",
    "createdAt",
    "modifiedAt",
];

/// Labels as given: `Some(value)` sets, `None` (`key=null`) removes on upgrade.
pub type Given = BTreeMap<String, Option<String>>;

/// Parse `--labels` values (`k=v,k2=v2`, repeatable; later wins).
pub fn parse(flags: &[String]) -> Result<Given> {
    let mut out = Given::new();
    for flag in flags {
        for pair in flag.split(',').filter(|p| !p.is_empty()) {
            let Some((k, v)) = pair.split_once('=') else {
                return Err(Error::usage(format!(
                    "--labels {flag:?}: {pair:?} is not KEY=VALUE (write e.g. --labels team=web,tier=1)"
                )));
            };
            let k = k.trim();
            if k.is_empty() {
                return Err(Error::usage(format!("--labels {flag:?}: empty label name")));
            }
            if RESERVED.contains(&k) {
                return Err(Error::usage(format!(
                    "--labels {flag:?}: {k:?} is a system label of release records (reserved: {}); choose another name",
                    RESERVED.join(", ")
                )));
            }
            out.insert(k.to_string(), (v != "null").then(|| v.to_string()));
        }
    }
    Ok(out)
}

/// `previous` with `given` merged over it (`None` removes).
pub fn merge(previous: &BTreeMap<String, String>, given: &Given) -> BTreeMap<String, String> {
    let mut out = previous.clone();
    for (k, v) in given {
        match v {
            Some(v) => {
                out.insert(k.clone(), v.clone());
            }
            None => {
                out.remove(k);
            }
        }
    }
    out
}

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq)]
enum Req {
    Eq(String, String),
    Ne(String, String),
}

/// A label selector as `helm list -l` takes it: `k=v`, `k==v`, `k!=v`, comma-separated,
/// all of which must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector(Vec<Req>);

impl Selector {
    /// Parse a selector.
    pub fn parse(s: &str) -> Result<Selector> {
        let mut reqs = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let req = if let Some((k, v)) = part.split_once("!=") {
                Req::Ne(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once("==") {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once('=') {
                Req::Eq(k.trim().into(), v.trim().into())
            } else {
                return Err(Error::usage(format!(
                    "--selector {s:?}: {part:?} is not KEY=VALUE, KEY==VALUE or KEY!=VALUE"
                )));
            };
            if matches!(&req, Req::Eq(k, _) | Req::Ne(k, _) if k.is_empty()) {
                return Err(Error::usage(format!(
                    "--selector {s:?}: empty label name in {part:?}"
                )));
            }
            reqs.push(req);
        }
        Ok(Selector(reqs))
    }

    /// Whether `labels` satisfy every requirement (`k!=v` holds when `k` is absent).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => labels.get(k) == Some(v),
            Req::Ne(k, v) => labels.get(k) != Some(v),
        })
    }
}

/// The labels a record's storage object carries besides the system ones (for a release
/// Helm recorded, its `--labels`).
pub fn user_labels(object_labels: &serde_json::Value) -> BTreeMap<String, String> {
    object_labels
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parse_merge_select() {
        let g = parse(&["team=web,tier=1".into(), "tier=2".into()]).unwrap();
        assert_eq!(merge(&m(&[]), &g), m(&[("team", "web"), ("tier", "2")]));
        let g = parse(&["tier=null,env=prod".into()]).unwrap();
        assert_eq!(
            merge(&m(&[("team", "web"), ("tier", "2")]), &g),
            m(&[("env", "prod"), ("team", "web")])
        );
        let e = parse(&["owner=me".into()]).unwrap_err();
        assert!(e.to_string().contains("\"owner\" is a system label"), "{e}");
        assert!(parse(&["nokey".into()]).is_err());
        let s = Selector::parse("team=web,env!=dev").unwrap();
        assert!(s.matches(&m(&[("team", "web")])));
        assert!(s.matches(&m(&[("team", "web"), ("env", "prod")])));
        assert!(!s.matches(&m(&[("team", "web"), ("env", "dev")])));
        assert!(!s.matches(&m(&[("team", "db")])));
        assert!(
            Selector::parse("team==web")
                .unwrap()
                .matches(&m(&[("team", "web")]))
        );
        assert!(Selector::parse("team").is_err());
        assert_eq!(
            user_labels(&serde_json::json!({"name": "web", "owner": "helm", "team": "a"})),
            m(&[("team", "a")])
        );
    }
}
