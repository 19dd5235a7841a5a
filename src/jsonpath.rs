//! kubectl's JSONPath templates, as `helm show values --jsonpath` runs them (Kubernetes'
//! `util/jsonpath` with missing keys allowed): text with `{...}` actions; an action is a
//! string literal (`{"\n"}`), `{range PATH}...{end}`, or a path: `$` (or `@`, the current
//! item inside a range) then `.name`, `..name` (every `name` below), `.*` and `[*]`,
//! `[n]` (negative from the end), `[a:b]` and `[a:b:step]`, `[n,m]`, `['name']` and
//! `[?(@.path OP literal)]` / `[?(@.path)]` filters. A path's results print separated by
//! spaces: a string as it is, anything else as Go's `json.Marshal` writes it (keys sorted,
//! Go's float spelling); `.*` over a map gives its values in key order, where helm's
//! order is Go's random map order. A template whose evaluation fails (a missing key, an index out of
//! range) prints nothing at all, as helm's does; the caller gets the reason.

use crate::yaml::helm::kind;
use crate::{Error, Result};
use serde_json::Value as Json;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Path(Path),
    Range(Path, Vec<Node>),
}

/// A path: where it starts (`$` the root, `@` the current item) and its steps.
#[derive(Debug, Clone, PartialEq)]
struct Path {
    root: bool,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Fields(Vec<String>),
    Recursive(String),
    Wildcard,
    Indices(Vec<i64>),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Filter(Path, Option<(String, Literal)>),
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

/// Run the template `text` over `data`. As helm does, a template whose evaluation fails (a
/// key that is not there, an index beyond the list, a field of something that is not a
/// map) prints nothing at all: `Ok` with the reason, for a warning.
pub fn render(text: &str, data: &Json) -> Result<Rendered> {
    let nodes = parse(text).map_err(|e| {
        Error::usage(format!(
            "error parsing jsonpath {text}: {e} (kubectl's JSONPath: {{.a.b}}, {{.list[0]}}, {{range .list[*]}}...{{end}})"
        ))
    })?;
    let mut out = String::new();
    Ok(match run(&nodes, data, data, &mut out)? {
        Ok(()) => Rendered {
            text: out,
            failed: None,
        },
        Err(why) => Rendered {
            text: String::new(),
            failed: Some(why),
        },
    })
}

/// What [`render`] printed, or why it printed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The output.
    pub text: String,
    /// Why the evaluation failed (the output is then empty, as helm's).
    pub failed: Option<String>,
}

type Eval<T> = std::result::Result<T, String>;

fn run(nodes: &[Node], root: &Json, current: &Json, out: &mut String) -> Result<Eval<()>> {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Path(p) => {
                let found = match eval(p, root, current) {
                    Ok(f) => f,
                    Err(e) => return Ok(Err(e)),
                };
                for (i, v) in found.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(&text_of(v)?);
                }
            }
            Node::Range(p, body) => {
                let items = match eval(p, root, current) {
                    Ok(f) => f,
                    Err(e) => return Ok(Err(e)),
                };
                for v in items {
                    if let Err(e) = run(body, root, v, out)? {
                        return Ok(Err(e));
                    }
                }
            }
        }
    }
    Ok(Ok(()))
}

/// A result as Kubernetes' JSONPath prints it.
fn text_of(v: &Json) -> Result<String> {
    if let Json::String(s) = v {
        return Ok(s.clone());
    }
    let value = crate::engine::funcs::value::value_from_json(v);
    let style = crate::engine::funcs::gojson::JsonStyle {
        html: true,
        pretty: false,
        go: true,
    };
    crate::engine::funcs::gojson::marshal(&value, style).map_err(Error::usage)
}

fn eval<'a>(p: &Path, root: &'a Json, current: &'a Json) -> Eval<Vec<&'a Json>> {
    let mut set = vec![if p.root { root } else { current }];
    for step in &p.steps {
        let mut next = Vec::new();
        for v in set {
            apply(step, v, root, &mut next)?;
        }
        set = next;
    }
    Ok(set)
}

fn apply<'a>(step: &Step, v: &'a Json, root: &'a Json, out: &mut Vec<&'a Json>) -> Eval<()> {
    match step {
        Step::Fields(names) => {
            let Json::Object(m) = v else {
                return Err(format!(
                    "{} is {}, not a map with it",
                    names.join(", "),
                    kind(v)
                ));
            };
            for n in names {
                out.push(m.get(n).ok_or_else(|| format!("{n} is not found"))?);
            }
        }
        Step::Recursive(name) => {
            let before = out.len();
            recurse(v, name, out);
            if out.len() == before {
                return Err(format!("{name} is not found"));
            }
        }
        Step::Wildcard => match v {
            Json::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.extend(keys.into_iter().map(|k| &m[k]));
            }
            Json::Array(a) => out.extend(a.iter()),
            other => return Err(format!("* of {}", kind(other))),
        },
        Step::Indices(idx) => {
            let Json::Array(a) = v else {
                return Err(format!("an index of {}, not a list", kind(v)));
            };
            let len = a.len() as i64;
            for &i in idx {
                let at = if i < 0 { len + i } else { i };
                if !(0..len).contains(&at) {
                    return Err(format!(
                        "array index out of bounds: index {i}, length {len}"
                    ));
                }
                out.push(&a[at as usize]);
            }
        }
        Step::Slice(start, end, step) => {
            let Json::Array(a) = v else {
                return Err(format!("a slice of {}, not a list", kind(v)));
            };
            let len = a.len() as i64;
            let norm = |x: i64| if x < 0 { x + len } else { x };
            let (s, e) = (norm(start.unwrap_or(0)), norm(end.unwrap_or(len)));
            if !(0..len).contains(&s) || !(0..=len).contains(&e) || s > e {
                return Err(format!(
                    "array slice out of bounds: [{s}:{e}], length {len}"
                ));
            }
            let step = step.unwrap_or(1).max(1) as usize;
            out.extend(a[s as usize..e as usize].iter().step_by(step));
        }
        Step::Filter(path, test) => {
            let items: Vec<&Json> = match v {
                Json::Array(a) => a.iter().collect(),
                Json::Object(m) => {
                    let mut keys: Vec<&String> = m.keys().collect();
                    keys.sort();
                    keys.into_iter().map(|k| &m[k]).collect()
                }
                other => return Err(format!("a filter of {}", kind(other))),
            };
            for item in items {
                let found = eval(path, root, item)?;
                let keep = match test {
                    None => !found.is_empty(),
                    Some((op, lit)) => {
                        let mut any = false;
                        for x in &found {
                            any |= compare(x, op, lit)?;
                        }
                        any
                    }
                };
                if keep {
                    out.push(item);
                }
            }
        }
    }
    Ok(())
}

/// Every value under a key `name` at any depth below `v` (maps in key order).
fn recurse<'a>(v: &'a Json, name: &str, out: &mut Vec<&'a Json>) {
    match v {
        Json::Object(m) => {
            if let Some(x) = m.get(name) {
                out.push(x);
            }
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                recurse(&m[k], name, out);
            }
        }
        Json::Array(a) => {
            for x in a {
                recurse(x, name, out);
            }
        }
        _ => {}
    }
}

/// A filter's comparison, with Go's rule that only values of one kind compare (anything
/// else is an error): values read from YAML are float64s, so `@.port==443` (an integer) is
/// an error and `@.port==443.0` compares.
fn compare(v: &Json, op: &str, lit: &Literal) -> Eval<bool> {
    use std::cmp::Ordering;
    let ord = match (v, lit) {
        (Json::Number(n), Literal::Float(f)) if !n.is_i64() && !n.is_u64() => {
            n.as_f64().and_then(|x| x.partial_cmp(f))
        }
        (Json::Number(n), Literal::Int(i)) if n.is_i64() => n.as_i64().map(|x| x.cmp(i)),
        (Json::String(s), Literal::Str(t)) => Some(s.as_str().cmp(t.as_str())),
        (Json::Bool(b), Literal::Bool(c)) if op == "==" || op == "!=" => Some(if b == c {
            Ordering::Equal
        } else {
            Ordering::Less
        }),
        _ => {
            let other = match lit {
                Literal::Int(_) => "an integer (values are floats: write 443.0)",
                Literal::Float(_) => "a float",
                Literal::Str(_) => "a string",
                Literal::Bool(_) => "a boolean",
            };
            return Err(format!(
                "incompatible types for comparison: {} and {other}",
                kind(v)
            ));
        }
    };
    let Some(ord) = ord else {
        return Ok(false);
    };
    Ok(match op {
        "==" => ord == Ordering::Equal,
        "!=" => ord != Ordering::Equal,
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        ">" => ord == Ordering::Greater,
        ">=" => ord != Ordering::Less,
        _ => false,
    })
}

// --- parsing ------------------------------------------------------------------------------

fn parse(text: &str) -> std::result::Result<Vec<Node>, String> {
    let mut stack: Vec<(Option<Path>, Vec<Node>)> = vec![(None, Vec::new())];
    let mut rest = text;
    while !rest.is_empty() {
        let Some(open) = rest.find('{') else {
            push_text(&mut stack, rest);
            break;
        };
        push_text(&mut stack, &rest[..open]);
        let close = action_end(&rest[open + 1..]).ok_or("unclosed action")?;
        let action = rest[open + 1..open + 1 + close].trim();
        rest = &rest[open + 2 + close..];
        if action == "end" {
            let (path, body) = stack
                .pop()
                .filter(|_| !stack.is_empty())
                .ok_or("not in range, nothing to end")?;
            let path = path.ok_or("not in range, nothing to end")?;
            stack
                .last_mut()
                .expect("the outer level")
                .1
                .push(Node::Range(path, body));
        } else if let Some(p) = action.strip_prefix("range ") {
            stack.push((Some(parse_path(p.trim())?), Vec::new()));
        } else if action.starts_with('"') {
            let s = string_literal(action)?;
            push_text(&mut stack, &s);
        } else {
            let p = parse_path(action)?;
            stack.last_mut().expect("a level").1.push(Node::Path(p));
        }
    }
    if stack.len() != 1 {
        return Err("unclosed range (a {range} needs an {end})".into());
    }
    Ok(stack.pop().expect("one level").1)
}

fn push_text(stack: &mut [(Option<Path>, Vec<Node>)], t: &str) {
    if !t.is_empty() {
        stack
            .last_mut()
            .expect("a level")
            .1
            .push(Node::Text(t.to_string()));
    }
}

/// Where the action that starts here ends (its `}`), skipping quoted strings.
fn action_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '}') => return Some(i),
            _ => {}
        }
    }
    None
}

fn string_literal(s: &str) -> std::result::Result<String, String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| format!("unterminated string {s}"))?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(o) => out.push(o),
            None => return Err(format!("unterminated string {s}")),
        }
    }
    Ok(out)
}

fn parse_path(s: &str) -> std::result::Result<Path, String> {
    let (root, mut rest) = match s.as_bytes().first() {
        Some(b'$') => (true, &s[1..]),
        Some(b'@') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("..") {
            let end = name_end(r);
            if end == 0 {
                return Err(format!("a name must follow .. in {s}"));
            }
            steps.push(Step::Recursive(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix(".*") {
            steps.push(Step::Wildcard);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = name_end(r);
            if end > 0 {
                steps.push(Step::Fields(vec![r[..end].to_string()]));
            }
            rest = &r[end..];
        } else if rest.starts_with('[') {
            let close = bracket_end(rest).ok_or_else(|| format!("unclosed [ in {s}"))?;
            steps.push(bracket(&rest[1..close])?);
            rest = &rest[close + 1..];
        } else {
            return Err(format!("unrecognized identifier {rest}"));
        }
    }
    Ok(Path { root, steps })
}

fn name_end(s: &str) -> usize {
    s.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '/')))
        .unwrap_or(s.len())
}

/// The `]` closing the bracket `s` starts with (brackets and quotes inside skipped).
fn bracket_end(s: &str) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn bracket(inner: &str) -> std::result::Result<Step, String> {
    let t = inner.trim();
    if t == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(f) = t.strip_prefix("?(").and_then(|r| r.strip_suffix(')')) {
        return filter(f.trim());
    }
    if t.starts_with('\'') {
        let names = t
            .split(',')
            .map(|p| {
                let p = p.trim();
                p.strip_prefix('\'')
                    .and_then(|r| r.strip_suffix('\''))
                    .map(str::to_string)
                    .ok_or_else(|| format!("invalid field name {p}"))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        return Ok(Step::Fields(names));
    }
    let int = |p: &str| -> std::result::Result<Option<i64>, String> {
        let p = p.trim();
        if p.is_empty() {
            return Ok(None);
        }
        p.parse::<i64>()
            .map(Some)
            .map_err(|_| format!("invalid array index {p}"))
    };
    if t.contains(':') {
        let parts: Vec<&str> = t.split(':').collect();
        if parts.len() > 3 {
            return Err(format!("invalid array slice {t:?}"));
        }
        return Ok(Step::Slice(
            int(parts[0])?,
            int(parts[1])?,
            parts.get(2).map(|p| int(p)).transpose()?.flatten(),
        ));
    }
    let idx = t
        .split(',')
        .map(|p| int(p)?.ok_or_else(|| format!("invalid array index {t}")))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Step::Indices(idx))
}

fn filter(f: &str) -> std::result::Result<Step, String> {
    for op in ["==", "!=", "<=", ">=", "<", ">"] {
        if let Some((l, r)) = f.split_once(op) {
            let path = parse_path(l.trim())?;
            return Ok(Step::Filter(
                path,
                Some((op.to_string(), literal(r.trim())?)),
            ));
        }
    }
    Ok(Step::Filter(parse_path(f)?, None))
}

fn literal(s: &str) -> std::result::Result<Literal, String> {
    if let Some(q) = s
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
    {
        return Ok(Literal::Str(q.to_string()));
    }
    match s {
        "true" => return Ok(Literal::Bool(true)),
        "false" => return Ok(Literal::Bool(false)),
        _ => {}
    }
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Literal::Int(i));
    }
    s.parse::<f64>()
        .map(Literal::Float)
        .map_err(|_| format!("unrecognized filter value {s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_template_and_what_is_wrong() {
        let data = serde_json::json!({"a": [1]});
        let e = |t: &str| render(t, &data).unwrap_err().to_string();
        assert!(
            e("{.a[x]}").starts_with("error parsing jsonpath {.a[x]}: invalid array index x ("),
            "{}",
            e("{.a[x]}")
        );
        assert!(e("{range .a[*]}{@}").contains("unclosed range (a {range} needs an {end})"));
        assert!(e("{end}").contains("not in range, nothing to end"));
        assert!(e("{.a").contains("unclosed action"));
        let ok = |t: &str| render(t, &data).unwrap();
        assert_eq!(ok("{range .a[*]}<{@}>{end}").text, "<1>");
        let missing = ok("x{.a[0]}{.b}");
        assert_eq!(missing.text, "");
        assert_eq!(missing.failed.as_deref(), Some("b is not found"));
        assert_eq!(
            ok("{.a[3]}").failed.as_deref(),
            Some("array index out of bounds: index 3, length 1")
        );
    }
}
