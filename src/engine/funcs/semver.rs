//! The `semver` and `semverCompare` helpers, over [`crate::version`] (Helm's versions and
//! constraints, shared with dependencies, OCI tags and `kubeVersion`).

use minijinja::{Error, Value};

use super::Args;
use super::value::{Dict, DictMap};
use crate::version::{Version, semver_compare};

/// `semverCompare constraint version`.
pub fn semver_compare_fn(a: &Args) -> Result<Value, Error> {
    semver_compare(&a.str(0), &a.str(1))
        .map(Value::from)
        .map_err(|e| a.err(e))
}

/// `semver version`: a map with `Major`, `Minor`, `Patch`, `Prerelease`, `Metadata`,
/// `Original`.
pub fn semver_fn(a: &Args) -> Result<Value, Error> {
    let s = a.str(0);
    let v = Version::parse(&s).map_err(|e| a.err(e))?;
    let mut m = DictMap::default();
    m.insert("Major".to_string(), Value::from(v.major));
    m.insert("Minor".to_string(), Value::from(v.minor));
    m.insert("Patch".to_string(), Value::from(v.patch));
    m.insert("Prerelease".to_string(), Value::from(v.pre));
    m.insert("Metadata".to_string(), Value::from(v.meta));
    m.insert("Original".to_string(), Value::from(s));
    Ok(Dict::value(m))
}
