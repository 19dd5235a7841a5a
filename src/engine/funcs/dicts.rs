//! Map helpers (sprig's dicts): `dict`, `get`, `set`, `unset`, `hasKey`, `dig`, `keys`,
//! `values`, `pick`, `omit`, `merge`, `mergeOverwrite`, `deepCopy`, and Helm's `lookup`
//! (always an empty map: kpack renders without a cluster).
//!
//! `set`, `unset`, `merge` and `mergeOverwrite` change their first map in place when it is a
//! [`Dict`] (every map a helper creates, and the context when built with
//! `value_from_json`), and return it; other maps are copied, changed, and the copy returned.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Error, Value};

use super::Args;
use super::value::{self, Dict, DictMap, go_string, is_nil};

/// `dict k1 v1 k2 v2...` (keys as strings; a missing last value is `""`), plus any
/// keyword arguments.
pub fn dict(a: &Args, kwargs: Option<Kwargs>) -> Result<Value, Error> {
    let mut map = DictMap::with_capacity_and_hasher(a.len().div_ceil(2), Default::default());
    for pair in a.vals.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or(Value::from(""));
        map.insert(go_string(&pair[0]), v);
    }
    if let Some(kw) = kwargs {
        for k in kw.args().map(str::to_string).collect::<Vec<_>>() {
            let v: Value = kw.get(&k)?;
            map.insert(k, v);
        }
    }
    Ok(Dict::value(map))
}

/// The entries of map argument `i` (nil is empty; a non-map is an error).
fn entries(a: &Args, i: usize) -> Result<DictMap, Error> {
    Ok(a.map(i)?.into_iter().collect())
}

fn lookup_key(v: &Value, key: &str) -> Option<Value> {
    if let Some(d) = v.downcast_object_ref::<Dict>() {
        return d.get(key);
    }
    value::map_items(v)?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, x)| x)
}

pub fn has_key(a: &Args) -> Result<Value, Error> {
    a.map(0)?;
    Ok(lookup_key(a.get(0), &a.str(1)).is_some().into())
}

/// `get d key`: the value, or `""` when the key is missing.
pub fn get(a: &Args) -> Result<Value, Error> {
    a.map(0)?;
    Ok(lookup_key(a.get(0), &a.str(1)).unwrap_or(Value::from("")))
}

/// `set d key value`: d with key set.
pub fn set(a: &Args) -> Result<Value, Error> {
    let (target, k, v) = (a.get(0), a.str(1), a.get(2).clone());
    if let Some(d) = target.downcast_object_ref::<Dict>() {
        d.insert(k, v);
        return Ok(target.clone());
    }
    let mut map = entries(a, 0)?;
    map.insert(k, v);
    Ok(Dict::value(map))
}

/// `unset d key`: d without key.
pub fn unset(a: &Args) -> Result<Value, Error> {
    let (target, k) = (a.get(0), a.str(1));
    if let Some(d) = target.downcast_object_ref::<Dict>() {
        d.remove(&k);
        return Ok(target.clone());
    }
    let mut map = entries(a, 0)?;
    map.shift_remove(&k);
    Ok(Dict::value(map))
}

/// `dig k1 k2... default d`: follow the keys through nested maps; `default` when a key is
/// missing or a step is not a map.
pub fn dig(a: &Args) -> Result<Value, Error> {
    let n = a.len();
    let default = a.get(n - 2);
    let mut cur = a.get(n - 1).clone();
    for i in 0..n - 2 {
        if cur.kind() != ValueKind::Map {
            return Ok(default.clone());
        }
        match lookup_key(&cur, &a.str(i)) {
            Some(v) => cur = v,
            None => return Ok(default.clone()),
        }
    }
    Ok(cur)
}

/// `keys d...`: the keys of every map, in order.
pub fn keys(a: &Args) -> Result<Value, Error> {
    let mut out = Vec::new();
    for i in 0..a.len() {
        out.extend(a.map(i)?.into_iter().map(|(k, _)| Value::from(k)));
    }
    Ok(Value::from(out))
}

pub fn values(a: &Args) -> Result<Value, Error> {
    Ok(Value::from(
        a.map(0)?.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    ))
}

/// `pick d k...`: a new map with only the listed keys that exist (in argument order).
pub fn pick(a: &Args) -> Result<Value, Error> {
    let src = entries(a, 0)?;
    let mut out = DictMap::default();
    for i in 1..a.len() {
        let k = a.str(i);
        if let Some(v) = src.get(&k) {
            out.insert(k, v.clone());
        }
    }
    Ok(Dict::value(out))
}

/// `omit d k...`: a new map without the listed keys.
pub fn omit(a: &Args) -> Result<Value, Error> {
    let drop: Vec<String> = (1..a.len()).map(|i| a.str(i)).collect();
    Ok(Dict::value(
        entries(a, 0)?
            .into_iter()
            .filter(|(k, _)| !drop.contains(k))
            .collect(),
    ))
}

/// Deep-merge `src` into `dst`. Maps on both sides merge recursively; otherwise with
/// `overwrite` a non-null src value replaces dst's, and without it src only fills keys
/// dst lacks or holds as null.
fn merge_into(dst: &mut DictMap, src: &[(String, Value)], overwrite: bool) -> Result<(), Error> {
    for (k, sv) in src {
        let existing = dst.get(k).cloned();
        match existing {
            Some(dv) if dv.kind() == ValueKind::Map && sv.kind() == ValueKind::Map => {
                let merged = merge_values(&dv, sv, overwrite)?;
                dst.insert(k.clone(), merged);
            }
            Some(dv) if !is_nil(&dv) => {
                if overwrite && !is_nil(sv) {
                    dst.insert(k.clone(), value::deep_copy(sv)?);
                }
            }
            _ => {
                dst.insert(k.clone(), value::deep_copy(sv)?);
            }
        }
    }
    Ok(())
}

/// Merge map `src` into map `dst`, in place when dst is a [`Dict`].
fn merge_values(dst: &Value, src: &Value, overwrite: bool) -> Result<Value, Error> {
    let src_items = value::map_items(src).unwrap_or_default();
    if let Some(d) = dst.downcast_object_ref::<Dict>() {
        let mut map = d.snapshot();
        merge_into(&mut map, &src_items, overwrite)?;
        for (k, v) in map {
            d.insert(k, v);
        }
        return Ok(dst.clone());
    }
    let mut map: DictMap = value::map_items(dst)
        .unwrap_or_default()
        .into_iter()
        .collect();
    merge_into(&mut map, &src_items, overwrite)?;
    Ok(Dict::value(map))
}

fn merge_all(a: &Args, overwrite: bool) -> Result<Value, Error> {
    for i in 0..a.len() {
        a.map(i)?;
    }
    let mut dst = a.get(0).clone();
    if is_nil(&dst) {
        dst = Dict::value(DictMap::default());
    }
    for src in &a.vals[1..] {
        if is_nil(src) {
            continue;
        }
        dst = merge_values(&dst, src, overwrite)?;
    }
    Ok(dst)
}

/// `merge dst src...`: deep merge where dst (then earlier sources) win.
pub fn merge(a: &Args) -> Result<Value, Error> {
    merge_all(a, false)
}

/// `mergeOverwrite dst src...`: deep merge where later sources win.
pub fn merge_overwrite(a: &Args) -> Result<Value, Error> {
    merge_all(a, true)
}

pub fn deep_copy(a: &Args) -> Result<Value, Error> {
    value::deep_copy(a.get(0)).map_err(|e| a.err(e))
}

/// Helm's `lookup apiVersion kind namespace name`: always an empty map, as when Helm
/// renders without a cluster (`helm template`).
pub fn lookup(_a: &Args) -> Result<Value, Error> {
    Ok(Dict::value(DictMap::default()))
}

/// sprig's `pluck`: the value of `key` in each map that has it, in argument order.
pub fn pluck(a: &Args) -> Result<Value, Error> {
    let key = a.str(0);
    let mut out = Vec::new();
    for i in 1..a.len() {
        if let Some((_, v)) = a.map(i)?.into_iter().find(|(k, _)| *k == key) {
            out.push(v);
        }
    }
    Ok(Value::from(out))
}

// --- Go-side variants ---------------------------------------------------------------------

/// sprig's `merge`/`mergeOverwrite` rules (mergo's, on `map[string]interface{}`), for one
/// source map merged into `dst`:
/// - a nil source value replaces the destination's only with `overwrite` (and never adds
///   a key);
/// - maps on both sides merge recursively;
/// - a list replaces the destination's with `overwrite`, or fills a missing or empty one;
/// - anything else replaces the destination's value with `overwrite`, or when that value
///   is missing or empty (`""`, `0`, `false`, nil, an empty list or map);
/// - a non-empty destination value is never replaced by a map or list it cannot merge
///   with, unless with `overwrite`.
fn mergo(dst: &mut DictMap, src: &[(String, Value)], overwrite: bool) -> Result<(), Error> {
    for (k, sv) in src {
        if is_nil(sv) {
            if overwrite {
                dst.insert(k.clone(), Value::from(()));
            }
            continue;
        }
        let dv = dst.get(k).cloned();
        let dv_empty = dv.as_ref().is_none_or(value::is_empty);
        match sv.kind() {
            ValueKind::Map => {
                if let Some(d) = dv.as_ref().filter(|d| d.kind() == ValueKind::Map) {
                    let merged = mergo_values(d, sv, overwrite)?;
                    if !dv_empty {
                        dst.insert(k.clone(), merged);
                        continue;
                    }
                }
            }
            ValueKind::Seq | ValueKind::Iterable if !dv_empty => {
                if overwrite {
                    dst.insert(k.clone(), sv.clone());
                }
                continue;
            }
            _ => {}
        }
        if overwrite || dv_empty {
            dst.insert(k.clone(), sv.clone());
        }
    }
    Ok(())
}

/// Merge map `src` into map `dst` with [`mergo`], in place when dst is a [`Dict`].
fn mergo_values(dst: &Value, src: &Value, overwrite: bool) -> Result<Value, Error> {
    let src_items = value::map_items(src).unwrap_or_default();
    if let Some(d) = dst.downcast_object_ref::<Dict>() {
        let mut map = d.snapshot();
        mergo(&mut map, &src_items, overwrite)?;
        for (k, v) in map {
            d.insert(k, v);
        }
        return Ok(dst.clone());
    }
    let mut map: DictMap = value::map_items(dst)
        .unwrap_or_default()
        .into_iter()
        .collect();
    mergo(&mut map, &src_items, overwrite)?;
    Ok(Dict::value(map))
}

fn go_merge_all(a: &Args, overwrite: bool) -> Result<Value, Error> {
    for i in 0..a.len() {
        a.map(i)?;
    }
    let mut dst = a.get(0).clone();
    if is_nil(&dst) {
        dst = Dict::value(DictMap::default());
    }
    for src in &a.vals[1..] {
        if !is_nil(src) {
            dst = mergo_values(&dst, src, overwrite)?;
        }
    }
    Ok(dst)
}

/// `merge` with sprig's rules: the destination wins, except where its value is empty.
pub fn go_merge(a: &Args) -> Result<Value, Error> {
    go_merge_all(a, false)
}

/// `mergeOverwrite` with sprig's rules: later maps win, even with empty values.
pub fn go_merge_overwrite(a: &Args) -> Result<Value, Error> {
    go_merge_all(a, true)
}
