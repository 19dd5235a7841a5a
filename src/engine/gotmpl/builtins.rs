//! Go text/template's builtin functions (but `and`/`or`, which the executor evaluates
//! lazily, and `print`/`printf`/`println`, Go's fmt in the Go helper table): `not`,
//! `len`, `index`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `html`, `js`, `urlquery`, `call`,
//! with Go's rules and error messages
//! (`incompatible types for comparison`, `index out of range: 3`, `len of nil pointer`).

use crate::engine::funcs::value;
use minijinja::value::{Value, ValueKind};

/// Call the builtin `name`, if there is one.
pub fn call(name: &str, vals: &[Value]) -> Option<Result<Value, String>> {
    Some(match name {
        "not" => arity(name, vals, 1).map(|_| Value::from(!super::exec::truth(&vals[0]))),
        "len" => arity(name, vals, 1).and_then(|_| len(&vals[0])),
        "index" => index(vals),
        // print, printf and println are Go's fmt in the Go helper table.
        "eq" => eq(vals),
        "ne" => arity(name, vals, 2).and_then(|_| eq(vals).map(|v| Value::from(!v.is_true()))),
        "lt" => arity(name, vals, 2).and_then(|_| lt(&vals[0], &vals[1]).map(Value::from)),
        "le" => arity(name, vals, 2).and_then(|_| le(&vals[0], &vals[1]).map(Value::from)),
        "gt" => arity(name, vals, 2).and_then(|_| le(&vals[0], &vals[1]).map(|b| Value::from(!b))),
        "ge" => arity(name, vals, 2).and_then(|_| lt(&vals[0], &vals[1]).map(|b| Value::from(!b))),
        "html" => Ok(html(&eval_args(vals)).into()),
        "js" => Ok(js(&eval_args(vals)).into()),
        "urlquery" => Ok(query_escape(&eval_args(vals)).into()),
        // sprig's `dict`, here because the helper table registers its Jinja form apart.
        "dict" => {
            let mut map = crate::engine::funcs::value::DictMap::default();
            for pair in vals.chunks(2) {
                let key = value::go_string(&pair[0]);
                map.insert(key, pair.get(1).cloned().unwrap_or(Value::from("")));
            }
            Ok(crate::engine::funcs::Dict::value(map))
        }
        "call" => Err(match vals.first() {
            None => "wrong number of args for call: want at least 1 got 0".to_string(),
            Some(v) if value::is_nil(v) => "call of nil".to_string(),
            Some(v) => format!("non-function of type {}", value::type_of(v)),
        }),
        _ => return None,
    })
}

fn arity(name: &str, vals: &[Value], n: usize) -> Result<(), String> {
    if vals.len() != n {
        return Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            vals.len()
        ));
    }
    Ok(())
}

/// `fmt.Sprint`: a space between two operands when neither is a string.
pub fn sprint(vals: &[Value]) -> String {
    crate::engine::funcs::printf::go_sprint(vals)
}

/// Go's evalArgs: one string argument as it is, anything else through `fmt.Sprint`.
fn eval_args(vals: &[Value]) -> String {
    if let [v] = vals
        && let Some(s) = v.as_str()
    {
        return s.to_string();
    }
    sprint(vals)
}

fn len(v: &Value) -> Result<Value, String> {
    if value::is_nil(v) {
        return Err("len of nil pointer".into());
    }
    match v.kind() {
        ValueKind::String => Ok(Value::from(v.as_str().map_or(0, str::len) as i64)),
        ValueKind::Bytes => Ok(Value::from(v.as_bytes().map_or(0, <[u8]>::len) as i64)),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => Ok(Value::from(
            v.len()
                .unwrap_or_else(|| v.try_iter().map(|i| i.count()).unwrap_or(0)) as i64,
        )),
        _ => Err(format!("len of type {}", value::type_of(v))),
    }
}

fn index(vals: &[Value]) -> Result<Value, String> {
    let Some(first) = vals.first() else {
        return Err("wrong number of args for index: want at least 1 got 0".into());
    };
    let mut item = first.clone();
    for ix in &vals[1..] {
        if value::is_nil(&item) {
            return Err("index of untyped nil".into());
        }
        item = match item.kind() {
            ValueKind::Seq | ValueKind::Iterable | ValueKind::String | ValueKind::Bytes => {
                let len = match item.kind() {
                    ValueKind::String => item.as_str().map_or(0, str::len),
                    ValueKind::Bytes => item.as_bytes().map_or(0, <[u8]>::len),
                    _ => item.len().unwrap_or(0),
                };
                let i = index_arg(ix, len)?;
                // Go checks the index against the length with `>`, so one equal to it
                // reaches reflect, which panics with its own message (text/template makes
                // that the error).
                if i == len {
                    return Err(match item.kind() {
                        ValueKind::String => "reflect: string index out of range".into(),
                        _ => "reflect: slice index out of range".into(),
                    });
                }
                match item.kind() {
                    ValueKind::String => {
                        Value::from(item.as_str().map_or(0, |s| s.as_bytes()[i]) as i64)
                    }
                    ValueKind::Bytes => Value::from(item.as_bytes().map_or(0, |b| b[i]) as i64),
                    _ => item.get_item_by_index(i).unwrap_or(Value::from(())),
                }
            }
            ValueKind::Map => {
                if value::is_nil(ix) {
                    return Err("value is nil; should be of type string".into());
                }
                let Some(key) = ix.as_str() else {
                    return Err(format!(
                        "value has type {}; should be string",
                        value::type_of(ix)
                    ));
                };
                super::exec::lookup_key(&item, key).unwrap_or(Value::from(()))
            }
            _ => {
                return Err(format!(
                    "can't index item of type {}",
                    value::type_of(&item)
                ));
            }
        };
    }
    Ok(item)
}

fn index_arg(ix: &Value, len: usize) -> Result<usize, String> {
    if value::is_nil(ix) {
        return Err("cannot index slice/array with nil".into());
    }
    let i = match value::num(ix) {
        Some(value::Num::I(i)) => i,
        _ => {
            return Err(format!(
                "cannot index slice/array with type {}",
                value::type_of(ix)
            ));
        }
    };
    if i < 0 || i as usize > len {
        return Err(format!("index out of range: {i}"));
    }
    Ok(i as usize)
}

/// Go's basic kinds for comparisons.
#[derive(PartialEq, Clone, Copy, Debug)]
enum Basic {
    Bool,
    Int,
    Float,
    String,
    Other,
    Nil,
}

fn basic(v: &Value) -> Basic {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => Basic::Nil,
        ValueKind::Bool => Basic::Bool,
        ValueKind::Number => match value::num(v) {
            Some(value::Num::F(_)) => Basic::Float,
            _ => Basic::Int,
        },
        ValueKind::String => Basic::String,
        _ => Basic::Other,
    }
}

const BAD_COMPARISON: &str = "incompatible types for comparison";

/// Go's error for comparing `a` and `b` of different kinds, with their types.
fn bad_comparison(a: &Value, b: &Value) -> String {
    format!("{BAD_COMPARISON}: {} and {}", go_type(a), go_type(b))
}

/// The Go type a template value stands for in comparison errors (integers are `int`, the
/// type of integer constants and of `len`).
fn go_type(v: &Value) -> &'static str {
    match basic(v) {
        Basic::Int => "int",
        _ => value::type_of(v),
    }
}

fn eq(vals: &[Value]) -> Result<Value, String> {
    let Some(a) = vals.first() else {
        return Err("wrong number of args for eq: want at least 1 got 0".into());
    };
    if vals.len() < 2 {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic(a);
    for b in &vals[1..] {
        let k2 = basic(b);
        let truth = if k1 != k2 {
            if k1 != Basic::Nil && k2 != Basic::Nil {
                return Err(bad_comparison(a, b));
            }
            false
        } else {
            match k1 {
                Basic::Nil => true,
                Basic::Bool => a.is_true() == b.is_true(),
                Basic::Int | Basic::Float => {
                    value::as_f64(value::num(a).unwrap_or(value::Num::I(0)))
                        == value::as_f64(value::num(b).unwrap_or(value::Num::I(0)))
                        && match (value::num(a), value::num(b)) {
                            (Some(value::Num::I(x)), Some(value::Num::I(y))) => x == y,
                            _ => true,
                        }
                }
                Basic::String => a.as_str() == b.as_str(),
                Basic::Other => {
                    return Err(format!(
                        "non-comparable type {}: {}",
                        value::go_v(b),
                        value::type_of(b)
                    ));
                }
            }
        };
        if truth {
            return Ok(Value::from(true));
        }
    }
    Ok(Value::from(false))
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (basic(a), basic(b));
    for k in [k1, k2] {
        if matches!(k, Basic::Nil | Basic::Other) {
            return Err("invalid type for comparison".into());
        }
    }
    if k1 != k2 {
        return Err(bad_comparison(a, b));
    }
    match k1 {
        Basic::Bool => Err("invalid type for comparison".into()),
        Basic::Int => match (value::num(a), value::num(b)) {
            (Some(value::Num::I(x)), Some(value::Num::I(y))) => Ok(x < y),
            _ => Ok(false),
        },
        Basic::Float => Ok(value::as_f64(value::num(a).unwrap_or(value::Num::I(0)))
            < value::as_f64(value::num(b).unwrap_or(value::Num::I(0)))),
        Basic::String => Ok(a.as_str() < b.as_str()),
        _ => Err("invalid type for comparison".into()),
    }
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(&[a.clone(), b.clone()]).map(|v| v.is_true())
}

/// Go's `template.HTMLEscapeString`.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) < 0x80 => out.push(c),
            c if is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

fn is_print(c: char) -> bool {
    !(c.is_control()
        || matches!(c as u32, 0xFFFD | 0x2028 | 0x2029 | 0xFEFF)
        || c.is_whitespace() && c != ' ')
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: impl Into<Value>) -> Value {
        x.into()
    }

    #[test]
    fn comparisons() {
        assert_eq!(eq(&[v(1), v(2), v(1)]).unwrap(), v(true));
        assert_eq!(eq(&[v("a"), v("b")]).unwrap(), v(false));
        assert_eq!(eq(&[Value::UNDEFINED, v("b")]).unwrap(), v(false));
        assert_eq!(eq(&[Value::UNDEFINED, Value::from(())]).unwrap(), v(true));
        assert_eq!(
            eq(&[v(1), v(1.0)]).unwrap_err(),
            "incompatible types for comparison: int and float64"
        );
        assert_eq!(
            eq(&[v(1), v("1")]).unwrap_err(),
            "incompatible types for comparison: int and string"
        );
        assert!(lt(&v(1), &v(2)).unwrap());
        assert!(lt(&v("a"), &v("b")).unwrap());
        assert_eq!(
            lt(&Value::UNDEFINED, &v(2)).unwrap_err(),
            "invalid type for comparison"
        );
        assert_eq!(
            lt(&v(1.5), &v(2)).unwrap_err(),
            "incompatible types for comparison: float64 and int"
        );
    }

    #[test]
    fn indexing() {
        let list = v(vec![v(1), v(2)]);
        assert_eq!(index(&[list.clone(), v(1)]).unwrap(), v(2));
        assert_eq!(index(&[list, v(5)]).unwrap_err(), "index out of range: 5");
        assert_eq!(
            index(&[Value::UNDEFINED, v("a")]).unwrap_err(),
            "index of untyped nil"
        );
        assert_eq!(len(&Value::UNDEFINED).unwrap_err(), "len of nil pointer");
    }

    #[test]
    fn escapes() {
        assert_eq!(
            html("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;"
        );
        assert_eq!(js("a'b\"<=>\n"), "a\\'b\\\"\\u003C\\u003D\\u003E\\u000A");
        assert_eq!(query_escape("a b&c/é"), "a+b%26c%2F%C3%A9");
    }
}
