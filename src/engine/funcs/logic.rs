//! Flow and type helpers: `default`, `empty`, `coalesce`, `ternary`, Go template's `not`,
//! `and`, `or` and comparisons (`eq`, `ne`, `lt`, `le`, `gt`, `ge`), `required` and `fail`,
//! and the type probes `kindOf`, `kindIs`, `typeOf`, `typeIs`.

use std::cmp::Ordering;

use minijinja::value::ValueKind;
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

/// sprig's `typeIsLike type v`: `typeOf v` is `type` or `*type`.
pub fn type_is_like(a: &Args) -> Result<Value, Error> {
    let (want, ty) = (a.str(0), value::type_of(a.get(1)));
    Ok((ty == want || ty.strip_prefix('*') == Some(want.as_str())).into())
}

// --- Go-side variants: text/template's comparison rules -----------------------------------

/// The kinds Go's comparison functions distinguish.
#[derive(PartialEq, Clone, Copy)]
enum Basic {
    Bool,
    Int,
    Float,
    Str,
    /// Not a basic kind (nil, lists, maps).
    Other,
}

fn basic(v: &Value) -> Basic {
    match v.kind() {
        ValueKind::Bool => Basic::Bool,
        ValueKind::Number => match num(v) {
            Some(Num::F(_)) => Basic::Float,
            _ => Basic::Int,
        },
        ValueKind::String => Basic::Str,
        _ => Basic::Other,
    }
}

/// The Go type a comparison error names (a template's integer constants are `int`).
fn go_type(v: &Value) -> &'static str {
    match basic(v) {
        Basic::Int => "int",
        _ => value::type_of(v),
    }
}

/// Go's `eq arg1 arg2`: basic values of one kind compare by value; different kinds are an
/// error (`incompatible types for comparison: int and string`), except against nil;
/// lists and maps cannot be compared.
fn go_eq_one(a: &Args, x: &Value, y: &Value) -> Result<bool, Error> {
    let (kx, ky) = (basic(x), basic(y));
    if kx != ky {
        if is_nil(x) || is_nil(y) {
            return Ok(false);
        }
        return Err(a.err(format!(
            "incompatible types for comparison: {} and {}",
            go_type(x),
            go_type(y)
        )));
    }
    Ok(match kx {
        Basic::Bool => x.is_true() == y.is_true(),
        Basic::Int | Basic::Float => match (num(x), num(y)) {
            (Some(Num::I(p)), Some(Num::I(q))) => p == q,
            (Some(p), Some(q)) => as_f64(p) == as_f64(q),
            _ => false,
        },
        Basic::Str => x.as_str() == y.as_str(),
        Basic::Other => {
            if is_nil(x) || is_nil(y) {
                is_nil(x) && is_nil(y)
            } else {
                return Err(a.err(format!(
                    "non-comparable type {}: {}",
                    value::go_v(y),
                    value::type_of(y)
                )));
            }
        }
    })
}

/// `eq` as Go's templates run it: true when the first argument equals any other.
pub fn go_eq_fn(a: &Args) -> Result<Value, Error> {
    let first = a.get(0);
    for y in &a.vals[1..] {
        if go_eq_one(a, first, y)? {
            return Ok(true.into());
        }
    }
    Ok(false.into())
}

pub fn go_ne(a: &Args) -> Result<Value, Error> {
    Ok((!go_eq_one(a, a.get(0), a.get(1))?).into())
}

/// Go's `lt`: numbers, strings of one kind; anything else is an error.
fn go_less(a: &Args) -> Result<bool, Error> {
    let (x, y) = (a.get(0), a.get(1));
    let (kx, ky) = (basic(x), basic(y));
    if matches!(kx, Basic::Other | Basic::Bool) || matches!(ky, Basic::Other | Basic::Bool) {
        return Err(a.err("invalid type for comparison"));
    }
    if kx != ky {
        return Err(a.err(format!(
            "incompatible types for comparison: {} and {}",
            go_type(x),
            go_type(y)
        )));
    }
    Ok(match (num(x), num(y)) {
        (Some(Num::I(p)), Some(Num::I(q))) => p < q,
        (Some(p), Some(q)) => as_f64(p) < as_f64(q),
        _ => x.as_str() < y.as_str(),
    })
}

pub fn go_lt(a: &Args) -> Result<Value, Error> {
    Ok(go_less(a)?.into())
}

pub fn go_le(a: &Args) -> Result<Value, Error> {
    Ok((go_less(a)? || go_eq_one(a, a.get(0), a.get(1))?).into())
}

pub fn go_gt(a: &Args) -> Result<Value, Error> {
    Ok((!(go_less(a)? || go_eq_one(a, a.get(0), a.get(1))?)).into())
}

pub fn go_ge(a: &Args) -> Result<Value, Error> {
    Ok((!go_less(a)?).into())
}
