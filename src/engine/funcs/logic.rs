//! Flow and type helpers: `default`, `empty`, `coalesce`, `ternary`, Go template's `not`,
//! `and`, `or` and comparisons (`eq`, `ne`, `lt`, `le`, `gt`, `ge`), `required` and `fail`,
//! and the type probes `kindOf`, `kindIs`, `typeOf`, `typeIs`.

use std::cmp::Ordering;

use minijinja::{Error, ErrorKind, Value};

use super::Args;
use super::value::{self, Num, as_f64, go_eq, is_empty, is_nil, num};

/// `default d given`: `given` unless it is empty (nil, "", 0, false, empty list or map).
pub fn default(a: &Args) -> Result<Value, Error> {
    if a.len() < 2 || is_empty(a.get(1)) {
        Ok(a.get(0).clone())
    } else {
        Ok(a.get(1).clone())
    }
}

pub fn empty(a: &Args) -> Result<Value, Error> {
    Ok(is_empty(a.get(0)).into())
}

/// The first non-empty argument, or nil.
pub fn coalesce(a: &Args) -> Result<Value, Error> {
    Ok(a.vals
        .iter()
        .find(|v| !is_empty(v))
        .cloned()
        .unwrap_or(Value::from(())))
}

/// `ternary vt vf cond`: vt when cond is true.
pub fn ternary(a: &Args) -> Result<Value, Error> {
    Ok(if is_empty(a.get(2)) {
        a.get(1)
    } else {
        a.get(0)
    }
    .clone())
}

pub fn not(a: &Args) -> Result<Value, Error> {
    Ok(is_empty(a.get(0)).into())
}

/// Go's `and`: the first empty argument, or the last one.
pub fn and(a: &Args) -> Result<Value, Error> {
    Ok(a.vals
        .iter()
        .find(|v| is_empty(v))
        .unwrap_or(a.last())
        .clone())
}

/// Go's `or`: the first non-empty argument, or the last one.
pub fn or(a: &Args) -> Result<Value, Error> {
    Ok(a.vals
        .iter()
        .find(|v| !is_empty(v))
        .unwrap_or(a.last())
        .clone())
}

/// `eq a b c...`: a equals any of the others.
pub fn eq(a: &Args) -> Result<Value, Error> {
    let first = a.get(0);
    Ok(a.vals[1..].iter().any(|v| go_eq(first, v)).into())
}

pub fn ne(a: &Args) -> Result<Value, Error> {
    Ok((!go_eq(a.get(0), a.get(1))).into())
}

fn compare(a: &Args) -> Result<Ordering, Error> {
    let (x, y) = (a.get(0), a.get(1));
    match (num(x), num(y)) {
        (Some(Num::I(p)), Some(Num::I(q))) => return Ok(p.cmp(&q)),
        (Some(p), Some(q)) => {
            return as_f64(p)
                .partial_cmp(&as_f64(q))
                .ok_or_else(|| a.err("cannot compare NaN"));
        }
        _ => {}
    }
    if let (Some(p), Some(q)) = (x.as_str(), y.as_str()) {
        return Ok(p.cmp(q));
    }
    Err(a.err(format!(
        "incompatible types for comparison: {} and {}",
        value::type_of(x),
        value::type_of(y)
    )))
}

pub fn lt(a: &Args) -> Result<Value, Error> {
    Ok((compare(a)? == Ordering::Less).into())
}

pub fn le(a: &Args) -> Result<Value, Error> {
    Ok((compare(a)? != Ordering::Greater).into())
}

pub fn gt(a: &Args) -> Result<Value, Error> {
    Ok((compare(a)? == Ordering::Greater).into())
}

pub fn ge(a: &Args) -> Result<Value, Error> {
    Ok((compare(a)? != Ordering::Less).into())
}

/// `required msg v`: v, or an error carrying exactly `msg` when v is nil or `""`.
pub fn required(a: &Args) -> Result<Value, Error> {
    let v = a.get(1);
    if is_nil(v) || v.as_str() == Some("") {
        return Err(Error::new(ErrorKind::InvalidOperation, a.str(0)));
    }
    Ok(v.clone())
}

/// `fail msg`: an error carrying exactly `msg`.
pub fn fail(a: &Args) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, a.str(0)))
}

pub fn kind_of(a: &Args) -> Result<Value, Error> {
    Ok(value::kind_of(a.get(0)).into())
}

/// `kindIs kind v`. Numbers also answer to Helm's kinds: any number is a `float64` (Helm
/// reads every number in values as float64) and integers are also `int`.
pub fn kind_is(a: &Args) -> Result<Value, Error> {
    let (want, v) = (a.str(0), a.get(1));
    let kind = value::kind_of(v);
    let yes = kind == want
        || match num(v) {
            Some(Num::I(_)) => matches!(want.as_str(), "float64" | "int"),
            _ => false,
        };
    Ok(yes.into())
}

pub fn type_of(a: &Args) -> Result<Value, Error> {
    Ok(value::type_of(a.get(0)).into())
}

/// `typeIs type v`, with the same number leniency as `kindIs`.
pub fn type_is(a: &Args) -> Result<Value, Error> {
    let (want, v) = (a.str(0), a.get(1));
    let ty = value::type_of(v);
    let yes = ty == want
        || match num(v) {
            Some(Num::I(_)) => matches!(want.as_str(), "float64" | "int"),
            _ => false,
        };
    Ok(yes.into())
}

/// sprig's `all`: whether every argument is non-empty (true for none).
pub fn all(a: &Args) -> Result<Value, Error> {
    Ok(a.vals.iter().all(|v| !is_empty(v)).into())
}

/// sprig's `any`: whether some argument is non-empty.
pub fn any(a: &Args) -> Result<Value, Error> {
    Ok(a.vals.iter().any(|v| !is_empty(v)).into())
}

/// sprig's `deepEqual` (Go's `reflect.DeepEqual` on values from YAML): same structure, same
/// types (`1` and `1.0` differ) and same contents; maps compare regardless of key order.
pub fn deep_equal(a: &Args) -> Result<Value, Error> {
    let x = value::value_to_json(a.get(0))?;
    let y = value::value_to_json(a.get(1))?;
    Ok((x == y).into())
}
