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

/// The items of list argument `i` (nil is empty); anything else is sprig's error, where
/// `what` completes "Cannot ... on type KIND" (`find first`, `push`, `compact`...).
fn items(a: &Args, i: usize, what: &str) -> Result<Vec<Value>, Error> {
    items_or(a, i, |kind| format!("Cannot {what} on type {kind}"))
}

/// The items of list argument `i`, or the error `msg(kind)`.
fn items_or(a: &Args, i: usize, msg: impl Fn(&str) -> String) -> Result<Vec<Value>, Error> {
    let v = a.get(i);
    if is_nil(v) {
        return Ok(Vec::new());
    }
    value::list_items(v).ok_or_else(|| a.err(msg(value::kind_of(v))))
}

/// sprig's `slice`: items `start` (default 0) up to `end` (default the length).
pub fn slice(a: &Args) -> Result<Value, Error> {
    let l = items_or(a, 0, |k| {
        format!("list should be type of slice or array but {k}")
    })?;
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
    Ok(items(a, 0, "find first")?
        .into_iter()
        .next()
        .unwrap_or(Value::from(())))
}

pub fn last(a: &Args) -> Result<Value, Error> {
    Ok(items(a, 0, "find last")?.pop().unwrap_or(Value::from(())))
}

pub fn rest(a: &Args) -> Result<Value, Error> {
    let l = items(a, 0, "find rest")?;
    Ok(Value::from(l.into_iter().skip(1).collect::<Vec<_>>()))
}

pub fn initial(a: &Args) -> Result<Value, Error> {
    let mut l = items(a, 0, "find initial")?;
    l.pop();
    Ok(Value::from(l))
}

/// Reverse a list (or, as a convenience, a string).
pub fn reverse(a: &Args) -> Result<Value, Error> {
    if let Some(s) = a.get(0).as_str() {
        return Ok(s.chars().rev().collect::<String>().into());
    }
    let mut l = items(a, 0, "find reverse")?;
    l.reverse();
    Ok(Value::from(l))
}

pub fn uniq(a: &Args) -> Result<Value, Error> {
    let mut out: Vec<Value> = Vec::new();
    for v in items(a, 0, "find uniq")? {
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
        items(a, 0, "find without")?
            .into_iter()
            .filter(|v| !drop.iter().any(|d| go_eq(d, v)))
            .collect::<Vec<_>>(),
    ))
}

/// `has needle list`.
pub fn has(a: &Args) -> Result<Value, Error> {
    let needle = a.get(0);
    Ok(items(a, 1, "find has")?
        .iter()
        .any(|v| go_eq(v, needle))
        .into())
}

pub fn append(a: &Args) -> Result<Value, Error> {
    let mut l = items(a, 0, "push")?;
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
        out.extend(items_or(a, i, |k| {
            format!("Cannot concat type {k} as list")
        })?);
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

/// sprig's `chunk size list`: the list cut into lists of `size` items (the last shorter).
pub fn chunk(a: &Args) -> Result<Value, Error> {
    let size = a.int(0)?;
    let l = items_or(a, 1, |k| format!("Cannot chunk type {k}"))?;
    if size <= 0 {
        return Err(a.err("runtime error: makeslice: len out of range"));
    }
    Ok(Value::from(
        l.chunks(size as usize)
            .map(|c| Value::from(c.to_vec()))
            .collect::<Vec<_>>(),
    ))
}

// --- Go-side variants ---------------------------------------------------------------------

/// Go's `reflect.DeepEqual` on template values: the same types (`1` and `1.0` differ) and
/// contents.
fn deep_eq(x: &Value, y: &Value) -> bool {
    match (value::value_to_json(x), value::value_to_json(y)) {
        (Ok(p), Ok(q)) => p == q,
        _ => false,
    }
}

/// `uniq` with Go's equality (`1`, `1.0` and `"1"` are three items).
pub fn go_uniq(a: &Args) -> Result<Value, Error> {
    let mut out: Vec<Value> = Vec::new();
    for v in items(a, 0, "find uniq")? {
        if !out.iter().any(|x| deep_eq(x, &v)) {
            out.push(v);
        }
    }
    Ok(Value::from(out))
}

/// `without` with Go's equality.
pub fn go_without(a: &Args) -> Result<Value, Error> {
    let drop = &a.vals[1..];
    Ok(Value::from(
        items(a, 0, "find without")?
            .into_iter()
            .filter(|v| !drop.iter().any(|d| deep_eq(d, v)))
            .collect::<Vec<_>>(),
    ))
}

/// `has` with Go's equality.
pub fn go_has(a: &Args) -> Result<Value, Error> {
    let needle = a.get(0);
    Ok(items(a, 1, "find has")?
        .iter()
        .any(|v| deep_eq(v, needle))
        .into())
}

/// Go's `len`: a string's length in bytes.
pub fn go_len(a: &Args) -> Result<Value, Error> {
    if let ValueKind::String | ValueKind::Bytes = a.get(0).kind() {
        return Ok(super::strings::arg_bytes(a, 0).len().into());
    }
    len(a)
}

/// Go's `index`: a string indexes to its bytes (numbers).
pub fn go_index(a: &Args) -> Result<Value, Error> {
    let v = a.get(0);
    if a.len() == 2 && matches!(v.kind(), ValueKind::String | ValueKind::Bytes) {
        let bytes = super::strings::arg_bytes(a, 0);
        let i = match num(a.get(1)) {
            Some(value::Num::I(i)) => i,
            _ => return Err(a.err("cannot index string with non-integer")),
        };
        return match usize::try_from(i).ok().and_then(|i| bytes.get(i)) {
            Some(b) => Ok(Value::from(*b)),
            None => Err(a.err(format!("index out of range: {i}"))),
        };
    }
    index(a)
}

/// Go's slice error for `slice`.
pub fn go_slice(a: &Args) -> Result<Value, Error> {
    slice(a).map_err(|e| match e.detail() {
        Some(d) if d.contains("bounds out of range") => {
            a.err("reflect.Value.Slice: slice index out of bounds")
        }
        _ => e,
    })
}
