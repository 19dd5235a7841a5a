//! Helm's values coalescing, with key order kept:
//! - [`merge_maps`]: how `-f` files layer over each other (deep merge, later wins, nulls kept
//!   so that they can delete defaults later);
//! - [`coalesce`]: user values over chart defaults (maps merge deeply, scalars and lists
//!   replace, a user `null` deletes the default and otherwise stays null; in a subchart's
//!   section it stays, to delete the subchart's own default), then each subchart: its section
//!   (by name or alias) over its own defaults, with the parent's `global` copied in
//!   (parent globals win; every subchart has a `global` map). A parent that declares
//!   dependencies also hands its *default* globals down, under the user's: Helm bakes
//!   the subcharts' defaults, globals included, into the parent's defaults before it
//!   applies the user's values, so `--set global.region=null` removes `region` from the
//!   parent only, and its subcharts keep the parent's default.
//!
//! Key order: a chart's defaults keep the order of its `values.yaml`; keys only the user
//! gave follow, in the order given.

use super::{Map, Value};
use crate::chart::Chart;
use crate::{Error, Result};

/// The key whose map is shared with every subchart.
pub const GLOBAL: &str = "global";

/// Deep-merge `src` onto `dest`: maps merge recursively, anything else in `src` replaces.
/// Used to layer `-f` files in command-line order.
pub fn merge_maps(dest: &mut Map, src: Map) {
    for (k, v) in src {
        match (dest.get_mut(&k), v) {
            (Some(Value::Object(d)), Value::Object(s)) => merge_maps(d, s),
            (_, v) => {
                dest.insert(k, v);
            }
        }
    }
}

/// Coalesce user values over the chart tree's defaults, Helm's way. The result holds, for
/// each subchart, a section (under its name) with that subchart's full values and `global`.
pub fn coalesce(chart: &Chart, user: &Map) -> Result<Map> {
    let mut out = user.clone();
    coalesce_into(chart, &mut out, chart.name(), &Map::new())?;
    Ok(out)
}

/// `inherited`: the default globals this chart's parents hand down (empty at the top).
fn coalesce_into(chart: &Chart, dest: &mut Map, path: &str, inherited: &Map) -> Result<()> {
    let subcharts: Vec<&str> = chart.subcharts.iter().map(Chart::name).collect();
    let merged = overlay(
        &chart.values,
        std::mem::take(dest),
        Nulls::Delete,
        &subcharts,
        !chart.metadata.is_kpack(),
    );
    *dest = merged;
    for sub in &chart.subcharts {
        let name = sub.name().to_string();
        let section = match dest.get(&name) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return Err(Error::values(format!(
                    "values for subchart {name:?} (at {path}.{name}) must be a map, not {}",
                    kind_name(other)
                )));
            }
        };
        let mut section = section;
        copy_globals(dest, &mut section);
        // The globals this chart's defaults give (its parents' default globals win).
        let mut defaults = inherited.clone();
        if let Some(Value::Object(own)) = chart.values.get(GLOBAL) {
            fill_missing(&mut defaults, own);
        }
        if !chart.metadata.dependencies.is_empty()
            && let Some(Value::Object(g)) = section.get_mut(GLOBAL)
        {
            fill_missing(g, &defaults);
        }
        coalesce_into(sub, &mut section, &format!("{path}.{name}"), &defaults)?;
        dest.insert(name, Value::Object(section));
    }
    Ok(())
}

/// What a user `null` over a default does.
#[derive(Clone, Copy, PartialEq)]
enum Nulls {
    /// Deletes the default (a chart's own values).
    Delete,
    /// Stays, to delete the subchart's own default when the subchart is coalesced (a
    /// subchart's section in its parent's values).
    Keep,
}

/// User values over defaults: the defaults' key order first, then user-only keys. The
/// sections of `subcharts` (at the top level only) are overlaid keeping the user's nulls:
/// `--set sub.x=null` must delete `x` from the subchart's own defaults too, not only from
/// what the parent's values say for it, as in Helm.
///
/// `trim` (Helm charts): a `null` among the defaults, at any depth of their maps, is dropped
/// where the user does not set the key, as helm drops it (its `values.yaml` nulls only
/// serve to document a key); kpack charts keep such keys, null.
fn overlay(defaults: &Map, mut user: Map, nulls: Nulls, subcharts: &[&str], trim: bool) -> Map {
    let mut out = Map::with_capacity(defaults.len() + user.len());
    for (k, dv) in defaults {
        match user.shift_remove(k) {
            Some(Value::Null) if nulls == Nulls::Delete => {}
            Some(Value::Object(um)) => match dv {
                Value::Object(dm) => {
                    let nulls = if subcharts.contains(&k.as_str()) {
                        Nulls::Keep
                    } else {
                        nulls
                    };
                    out.insert(k.clone(), Value::Object(overlay(dm, um, nulls, &[], trim)));
                }
                _ => {
                    out.insert(k.clone(), Value::Object(um));
                }
            },
            Some(uv) => {
                out.insert(k.clone(), uv);
            }
            None if trim && nulls == Nulls::Delete => {
                if let Some(v) = without_nulls(dv) {
                    out.insert(k.clone(), v);
                }
            }
            None => {
                out.insert(k.clone(), dv.clone());
            }
        }
    }
    // A null without a default has nothing to delete; it stays null, as in Helm.
    out.extend(user);
    out
}

/// A default without the nulls of its maps (at any depth; list items stay); `None` for a
/// null.
fn without_nulls(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(m) => Some(Value::Object(
            m.iter()
                .filter_map(|(k, x)| without_nulls(x).map(|x| (k.clone(), x)))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

/// Copy the parent's `global` into a subchart section; the parent's globals win, the
/// subchart's own globals fill in what the parent does not set. Every subchart gets a
/// `global` map, empty when nobody sets one, as in Helm: subchart templates rely on
/// `Values.global.x | default(…)` working without any globals.
fn copy_globals(parent: &Map, section: &mut Map) {
    let mut g = match section.shift_remove(GLOBAL) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    if let Some(Value::Object(pg)) = parent.get(GLOBAL) {
        for (k, v) in pg {
            match (g.get_mut(k), v) {
                (Some(Value::Object(sub)), Value::Object(pv)) => {
                    let mut merged = pv.clone();
                    fill_missing(&mut merged, sub);
                    *sub = merged;
                }
                _ => {
                    g.insert(k.clone(), v.clone());
                }
            }
        }
    }
    section.insert(GLOBAL.to_string(), Value::Object(g));
}

/// Fill keys missing from `dest` with those of `src` (recursively for maps).
fn fill_missing(dest: &mut Map, src: &Map) {
    for (k, sv) in src {
        match (dest.get_mut(k), sv) {
            (Some(Value::Object(d)), Value::Object(s)) => fill_missing(d, s),
            (Some(_), _) => {}
            (None, v) => {
                dest.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A value's kind, for messages.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Look up a dotted path (`a.b.c`) in a values map.
pub fn lookup<'a>(values: &'a Map, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = values.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}
