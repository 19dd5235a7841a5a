//! List helpers (sprig's lists plus Go's `index` and `len`): building, slicing, searching,
//! de-duplicating and sorting lists. Lists are never changed in place: `append` and friends
//! return a new list, as in sprig.

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::Args;
use super::strings::strslice;
use super::value::{self, go_eq, is_empty, is_nil, num};

pub fn list(a: &Args) -> Result<Value, Error> {
    Ok(Value::from(a.vals.to_vec()))
}

fn items(a: &Args, i: usize, what: &str) -> Result<Vec<Value>, Error> {
    let v = a.get(i);
    if is_nil(v) {
        return Ok(Vec::new());
    }
    value::list_items(v)
        .ok_or_else(|| a.err(format!("cannot find {what} on type {}", value::kind_of(v))))
}

/// sprig's `slice`: items `start` (default 0) up to `end` (default the length).
pub fn slice(a: &Args) -> Result<Value, Error> {
    let l = items(a, 0, "slice")?;
    let start = if a.len() > 1 { a.int(1)? } else { 0 };
    let end = if a.len() > 2 {
        a.int(2)?
    } else {
        l.len() as i64
    };
    if start < 0 || end < start || end > l.len() as i64 {
        return Err(a.err(format!(
            "slice bounds out of range [{start}:{end}] with length {}",
            l.len()
        )));
    }
    Ok(Value::from(l[start as usize..end as usize].to_vec()))
}

pub fn first(a: &Args) -> Result<Value, Error> {
    Ok(items(a, 0, "first")?
        .into_iter()
        .next()
        .unwrap_or(Value::from(())))
}

pub fn last(a: &Args) -> Result<Value, Error> {
    Ok(items(a, 0, "last")?.pop().unwrap_or(Value::from(())))
}

pub fn rest(a: &Args) -> Result<Value, Error> {
    let l = items(a, 0, "rest")?;
    Ok(Value::from(l.into_iter().skip(1).collect::<Vec<_>>()))
}

pub fn initial(a: &Args) -> Result<Value, Error> {
    let mut l = items(a, 0, "initial")?;
    l.pop();
    Ok(Value::from(l))
}

/// Reverse a list (or, as a convenience, a string).
pub fn reverse(a: &Args) -> Result<Value, Error> {
    if let Some(s) = a.get(0).as_str() {
        return Ok(s.chars().rev().collect::<String>().into());
    }
    let mut l = items(a, 0, "reverse")?;
    l.reverse();
    Ok(Value::from(l))
}

pub fn uniq(a: &Args) -> Result<Value, Error> {
    let mut out: Vec<Value> = Vec::new();
    for v in items(a, 0, "uniq")? {
        if !out.iter().any(|x| go_eq(x, &v)) {
            out.push(v);
        }
    }
    Ok(Value::from(out))
}

pub fn compact(a: &Args) -> Result<Value, Error> {
    Ok(Value::from(
        items(a, 0, "compact")?
            .into_iter()
            .filter(|v| !is_empty(v))
            .collect::<Vec<_>>(),
    ))
}

/// `without list v...`: the list minus every item equal to one of the values.
pub fn without(a: &Args) -> Result<Value, Error> {
    let drop = &a.vals[1..];
    Ok(Value::from(
        items(a, 0, "without")?
            .into_iter()
            .filter(|v| !drop.iter().any(|d| go_eq(d, v)))
            .collect::<Vec<_>>(),
    ))
}

/// `has needle list`.
pub fn has(a: &Args) -> Result<Value, Error> {
    let needle = a.get(0);
    Ok(items(a, 1, "has")?.iter().any(|v| go_eq(v, needle)).into())
}

pub fn append(a: &Args) -> Result<Value, Error> {
    let mut l = items(a, 0, "append")?;
    l.push(a.get(1).clone());
    Ok(Value::from(l))
}

pub fn prepend(a: &Args) -> Result<Value, Error> {
    let mut l = items(a, 0, "prepend")?;
    l.insert(0, a.get(1).clone());
    Ok(Value::from(l))
}

pub fn concat(a: &Args) -> Result<Value, Error> {
    let mut out = Vec::new();
    for i in 0..a.len() {
        out.extend(items(a, i, "concat")?);
    }
    Ok(Value::from(out))
}

/// Sort as strings, byte-wise (non-lists become a one-item list).
pub fn sort_alpha(a: &Args) -> Result<Value, Error> {
    let mut l = strslice(a.get(0));
    l.sort();
    Ok(Value::from(
        l.into_iter().map(Value::from).collect::<Vec<_>>(),
    ))
}

/// Go's `index coll k...`: map keys give nil when missing, list indexes must be in range.
pub fn index(a: &Args) -> Result<Value, Error> {
    let mut cur = a.get(0).clone();
    for key in &a.vals[1..] {
        cur = match cur.kind() {
            ValueKind::Map => {
                let k = value::go_string(key);
                value::map_items(&cur)
                    .unwrap_or_default()
                    .into_iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v)
                    .unwrap_or(Value::from(()))
            }
            ValueKind::Seq | ValueKind::Iterable => {
                let l = value::list_items(&cur).unwrap_or_default();
                let i = match num(key) {
                    Some(value::Num::I(i)) => i,
                    _ => {
                        return Err(a.err(format!(
                            "cannot index slice with type {}",
                            value::type_of(key)
                        )));
                    }
                };
                if i < 0 || i as usize >= l.len() {
                    return Err(a.err(format!("index out of range: {i}")));
                }
                l[i as usize].clone()
            }
            ValueKind::Undefined | ValueKind::None => {
                return Err(a.err("index of untyped nil"));
            }
            _ => {
                return Err(a.err(format!("can't index item of type {}", value::type_of(&cur))));
            }
        };
    }
    Ok(cur)
}

/// Length of a string (in characters), list or map; nil is 0.
pub fn len(a: &Args) -> Result<Value, Error> {
    let v = a.get(0);
    if is_nil(v) {
        return Ok(0.into());
    }
    match v.kind() {
        ValueKind::String | ValueKind::Bytes | ValueKind::Seq | ValueKind::Map => {
            Ok(v.len().unwrap_or(0).into())
        }
        ValueKind::Iterable => Ok(value::list_items(v).unwrap_or_default().len().into()),
        _ => Err(a.err(format!("len of type {}", value::type_of(v)))),
    }
}
