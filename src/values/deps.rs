//! Subcharts as the parent's `Chart.yaml` declares them: aliases (a subchart known under
//! another name, possibly several times), `condition` and `tags` (which subcharts are
//! enabled), `import-values` (child values lifted into the parent), and the check that
//! every declared dependency is present under `charts/`.
//!
//! Rules (Helm's): a condition is a comma-separated list of values paths relative to the
//! parent; the first that holds a boolean decides and overrides tags. Tags: a subchart is
//! disabled when at least one of its tags is set under `tags:` and none of those set is
//! true. Subcharts under `charts/` that `Chart.yaml` does not list are always enabled.
//! Imports: `exports.X` form (`- X`) merges the child's `exports.X` map into the parent's
//! root; `{child: a.b, parent: c}` copies the child's `a.b` to the parent's `c`. Imports
//! are read from the child's defaults and rank as the parent's defaults: the parent's own
//! values and then the user's win over them.

use super::merge::{coalesce, lookup};
use super::{Map, Value};
use crate::chart::Chart;
use crate::{Error, Result};

/// Apply aliases and enablement to a chart tree, using the user's values to evaluate
/// conditions and tags. Returns the tree of enabled subcharts, renamed by alias.
pub fn process(chart: &Chart, user: &Map) -> Result<Chart> {
    Ok(process_with_values(chart, user)?.0)
}

/// [`process`], and the tree's values ([`coalesce_with_imports`] of the processed tree)
/// when the values computed to decide which subcharts are enabled are already those: no
/// subchart was disabled and no chart imports values.
pub fn process_with_values(chart: &Chart, user: &Map) -> Result<(Chart, Option<Map>)> {
    let mut out = resolve_aliases(chart)?;
    let values = coalesce(&out, user)?;
    let disabled = disable(&mut out, &values, &values_tags(&values));
    let same = !disabled && !has_imports(&out);
    Ok((out, same.then_some(values)))
}

fn values_tags(values: &Map) -> Map {
    match values.get("tags") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// Give each declared dependency its subchart (copied once per alias); error for a
/// dependency that is missing from `charts/`.
fn resolve_aliases(chart: &Chart) -> Result<Chart> {
    let mut out = chart.without_subcharts();
    let mut subs = Vec::new();
    let mut used = vec![false; chart.subcharts.len()];
    for dep in &chart.metadata.dependencies {
        let idx = chart.subcharts.iter().position(|s| s.name() == dep.name).ok_or_else(|| {
            Error::chart(format!(
                "{}/Chart.yaml: dependency {:?} is declared but missing from charts/; run `kpack dependency update {}`",
                chart.origin, dep.name, chart.origin
            ))
        })?;
        // As in Helm: an entry whose version range the chart under charts/ does not
        // satisfy is ignored (with its alias); the chart then stays under its own name.
        if !version_fits(&dep.version, &chart.subcharts[idx].metadata.version) {
            continue;
        }
        used[idx] = true;
        let mut sub = resolve_aliases(&chart.subcharts[idx])?;
        if let Some(alias) = &dep.alias {
            sub.metadata.name = alias.clone();
        }
        if subs.iter().any(|s: &Chart| s.name() == sub.name()) {
            return Err(Error::chart(format!(
                "{}/Chart.yaml: two dependencies are both named {:?}; give one an alias",
                chart.origin,
                sub.name()
            )));
        }
        subs.push(sub);
    }
    for (i, s) in chart.subcharts.iter().enumerate() {
        if !used[i] {
            subs.push(resolve_aliases(s)?);
        }
    }
    out.subcharts = subs;
    // As Helm: a dependency goes by its alias (`.Chart.Dependencies`, release records).
    for dep in &mut out.metadata.dependencies {
        if let Some(alias) = &dep.alias {
            dep.name = alias.clone();
        }
    }
    Ok(out)
}

/// Helm's `IsCompatibleRange`: whether `version` satisfies the range `constraint` (an
/// empty range admits any version; one that does not parse admits none).
fn version_fits(constraint: &str, version: &str) -> bool {
    if constraint.trim().is_empty() {
        return true;
    }
    match (
        crate::version::Constraints::parse(constraint),
        crate::version::Version::parse(version),
    ) {
        (Ok(c), Ok(v)) => c.matches(&v),
        _ => false,
    }
}

/// Remove disabled subcharts, recursively. `values` are the chart's coalesced values.
/// Returns whether any subchart of the tree was removed.
fn disable(chart: &mut Chart, values: &Map, tags: &Map) -> bool {
    let before = chart.subcharts.len();
    let deps = chart.metadata.dependencies.clone();
    let mut off = Vec::new();
    chart.subcharts.retain(|sub| {
        let on = enabled(&deps, sub, values, tags);
        if !on {
            off.push(sub.name().to_string());
        }
        on
    });
    // As Helm: a disabled dependency leaves Chart.yaml's list too, the others are enabled.
    chart
        .metadata
        .dependencies
        .retain(|d| !off.contains(&d.name));
    for dep in &mut chart.metadata.dependencies {
        dep.enabled = Some(true);
    }
    let mut removed = chart.subcharts.len() < before;
    let none = Map::new();
    for sub in &mut chart.subcharts {
        let sub_values = match values.get(sub.name()) {
            Some(Value::Object(m)) => m,
            _ => &none,
        };
        removed |= disable(sub, sub_values, tags);
    }
    removed
}

/// Whether the subchart `sub` stays: its dependency's condition (the first of its paths
/// that holds a boolean), else its tags (any of them true), else yes. `deps` are named as
/// [`resolve_aliases`] leaves them: by alias when they have one, as their subcharts are.
fn enabled(deps: &[crate::chart::Dependency], sub: &Chart, values: &Map, tags: &Map) -> bool {
    let Some(dep) = deps.iter().find(|d| d.name == sub.name()) else {
        return true;
    };
    if let Some(cond) = &dep.condition {
        for path in cond.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(Value::Bool(b)) = lookup(values, path) {
                return *b;
            }
        }
    }
    let set: Vec<bool> = dep
        .tags
        .iter()
        .filter_map(|t| tags.get(t).and_then(Value::as_bool))
        .collect();
    set.is_empty() || set.iter().any(|b| *b)
}

/// Coalesce the user's values over a processed tree, with `import-values` applied as Helm
/// applies them: what a parent imports is read from its children's default values (after
/// the children's own imports) and joins the parent's defaults, under the parent's own
/// values. The user's values then apply over everything: `--set` on a child's value does
/// not change what its parent imported, and `--set key=null` deletes an imported key like
/// any other default.
pub fn coalesce_with_imports(chart: &Chart, user: &Map) -> Result<Map> {
    if !has_imports(chart) {
        return coalesce(chart, user);
    }
    let mut tree = chart.clone();
    import_into_defaults(&mut tree)?;
    coalesce(&tree, user)
}

/// Whether `chart` itself declares `import-values`.
fn imports_here(chart: &Chart) -> bool {
    chart
        .metadata
        .dependencies
        .iter()
        .any(|d| !d.import_values.is_empty())
}

fn has_imports(chart: &Chart) -> bool {
    imports_here(chart) || chart.subcharts.iter().any(has_imports)
}

/// Put what each chart of the tree imports into its defaults, children first.
fn import_into_defaults(chart: &mut Chart) -> Result<()> {
    for sub in &mut chart.subcharts {
        import_into_defaults(sub)?;
    }
    // Coalescing a subtree costs its whole size: only charts that import need it.
    if !imports_here(chart) {
        return Ok(());
    }
    let defaults = coalesce(chart, &Map::new())?;
    let imported = imported_values(chart, &defaults);
    if !imported.is_empty() {
        // The parent's own values win over what is imported.
        let own = std::mem::take(&mut chart.values);
        let mut values = imported;
        super::merge::merge_maps(&mut values, std::sync::Arc::unwrap_or_clone(own));
        chart.values = values.into();
    }
    Ok(())
}

/// What `chart` imports from its enabled children, given the tree's coalesced `values`.
fn imported_values(chart: &Chart, values: &Map) -> Map {
    let mut imported = Map::new();
    let empty = Map::new();
    for dep in &chart.metadata.dependencies {
        let name = dep.alias.as_deref().unwrap_or(&dep.name);
        if !chart.subcharts.iter().any(|s| s.name() == name) {
            continue;
        }
        let child = match values.get(name) {
            Some(Value::Object(m)) => m,
            _ => &empty,
        };
        for iv in &dep.import_values {
            match iv {
                Value::String(key) => {
                    if let Some(Value::Object(exp)) = lookup(child, &format!("exports.{key}")) {
                        super::merge::merge_maps(&mut imported, exp.clone());
                    }
                }
                Value::Object(m) => {
                    let c = m.get("child").and_then(Value::as_str).unwrap_or("");
                    let p = m.get("parent").and_then(Value::as_str).unwrap_or("");
                    if let Some(v) = lookup(child, c) {
                        let mut nested = Map::new();
                        set_path(&mut nested, p, v.clone());
                        super::merge::merge_maps(&mut imported, nested);
                    }
                }
                _ => {}
            }
        }
    }
    imported
}

fn set_path(dest: &mut Map, path: &str, v: Value) {
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        if let Value::Object(m) = v {
            super::merge::merge_maps(dest, m);
        }
        return;
    }
    let mut cur = dest;
    for p in &parts[..parts.len() - 1] {
        let e = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !e.is_object() {
            *e = Value::Object(Map::new());
        }
        cur = e.as_object_mut().expect("map");
    }
    cur.insert(parts[parts.len() - 1].to_string(), v);
}
