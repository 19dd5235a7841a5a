//! A small evaluator for the parity rows until kpack's Go template engine exists: text and
//! `{{ }}` actions with pipelines, parenthesised commands, field chains (`.Values.a.b`,
//! `$x.Cert`, `(semver "1.2.3").Major`), variables (`$x := ...`, `$x = ...`), Go literals
//! (strings with Go escapes, raw strings, ints, floats, `true`/`false`/`nil`) and `{{-`/`-}}`
//! trimming. Functions are looked up in the Go-side helper table and called with the
//! arguments Go would pass (the piped value last). No control flow: rows that need it wait
//! for the engine.

use std::collections::HashMap;

use kpack::engine::funcs::{Args, Helper, MANY, go, value};
use kpack::engine::gotmpl::signature::{self, Nil, Param};
use minijinja::Value;

/// Why a row did not render.
#[derive(Debug)]
pub enum Failure {
    /// A helper returned an error: its name and the message Go prints after
    /// `error calling NAME: `.
    Call { name: String, msg: String },
    /// The engine's own checks (arity, syntax, unknown function).
    Engine(String),
}

pub struct Eval {
    table: HashMap<&'static str, Helper>,
    root: Value,
    vars: HashMap<String, Value>,
}

/// A template constant written in the action, as Go's argument checks see it.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Int,
    Float,
    Str,
    Bool,
    Nil,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Int(i64),
    Float(f64),
    Ident(String),
    Field(String),
    /// A field chain written right after an operand (`$x.Cert`, `(f x).Major`).
    Chain(String),
    Dot,
    Var(String),
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
}

impl Eval {
    pub fn new(root: Value) -> Eval {
        let table = kpack::engine::funcs::go_helpers()
            .into_iter()
            .map(|h| (h.name, h))
            .collect();
        Eval {
            table,
            root,
            vars: HashMap::new(),
        }
    }

    /// Render one row: the text between actions as it is, each action's value printed as
    /// Go prints it.
    pub fn render(&mut self, src: &str) -> Result<Vec<u8>, Failure> {
        self.vars.clear();
        self.vars.insert("$".into(), self.root.clone());
        let mut out: Vec<u8> = Vec::new();
        let mut rest = src;
        while let Some(open) = rest.find("{{") {
            let mut text = &rest[..open];
            let mut action = &rest[open + 2..];
            if let Some(a) = action.strip_prefix("- ") {
                text = text.trim_end();
                action = a;
            }
            out.extend_from_slice(text.as_bytes());
            let close = action
                .find("}}")
                .ok_or_else(|| Failure::Engine("unclosed action".into()))?;
            let mut inner = &action[..close];
            rest = &action[close + 2..];
            if let Some(i) = inner.strip_suffix(" -") {
                inner = i;
                rest = rest.trim_start();
            }
            let inner = inner.trim();
            if inner.starts_with("/*") {
                continue;
            }
            if let Some(v) = self.action(inner)? {
                print(&mut out, &v);
            }
        }
        out.extend_from_slice(rest.as_bytes());
        Ok(out)
    }

    fn action(&mut self, src: &str) -> Result<Option<Value>, Failure> {
        let toks = lex(src)?;
        if let [Tok::Var(name), op @ (Tok::Declare | Tok::Assign), tail @ ..] = toks.as_slice() {
            let _ = op;
            let v = self.pipeline(tail)?;
            self.vars.insert(name.clone(), v);
            return Ok(None);
        }
        self.pipeline(&toks).map(Some)
    }

    fn pipeline(&mut self, toks: &[Tok]) -> Result<Value, Failure> {
        let mut piped: Option<Value> = None;
        for cmd in split_top(toks, &Tok::Pipe) {
            piped = Some(self.command(cmd, piped)?);
        }
        piped.ok_or_else(|| Failure::Engine("empty pipeline".into()))
    }

    fn command(&mut self, toks: &[Tok], piped: Option<Value>) -> Result<Value, Failure> {
        let Some(Tok::Ident(name)) = toks.first() else {
            if piped.is_some() {
                return Err(Failure::Engine("non-function in pipeline".into()));
            }
            let (v, used) = self.operand(toks)?;
            if used != toks.len() {
                return Err(Failure::Engine(format!(
                    "can't give argument to non-function {toks:?}"
                )));
            }
            return Ok(v);
        };
        if let Some(v) = literal_ident(name) {
            return Ok(v);
        }
        let mut args = Vec::new();
        let mut lits = Vec::new();
        let mut i = 1;
        while i < toks.len() {
            let (v, used) = self.operand(&toks[i..])?;
            lits.push((used == 1).then(|| literal(&toks[i])).flatten());
            args.push(v);
            i += used;
        }
        if let Some(p) = piped {
            args.push(p);
            lits.push(None);
        }
        self.call(name, &args, &lits)
    }

    fn call(
        &mut self,
        name: &str,
        args: &[Value],
        lits: &[Option<(Lit, String)>],
    ) -> Result<Value, Failure> {
        let h = *self
            .table
            .get(name)
            .ok_or_else(|| Failure::Engine(format!("function {name:?} not defined")))?;
        if args.len() < h.min || args.len() > h.max {
            let want = if h.min == h.max {
                h.min.to_string()
            } else if h.max == MANY {
                format!("at least {}", h.min)
            } else {
                format!("{} to {}", h.min, h.max)
            };
            return Err(Failure::Engine(format!(
                "wrong number of args for {name}: want {want} got {}",
                args.len()
            )));
        }
        check_args(name, args, lits)?;
        (h.f)(&Args {
            name: h.name,
            vals: args,
        })
        .map_err(|e| Failure::Call {
            name: name.to_string(),
            msg: go::call_error(name, &e),
        })
    }

    /// One operand at the start of `toks`, and how many tokens it used.
    fn operand(&mut self, toks: &[Tok]) -> Result<(Value, usize), Failure> {
        let (mut v, mut used) = match &toks[0] {
            Tok::Str(s) => (Value::from(s.as_str()), 1),
            Tok::Int(i) => (Value::from(*i), 1),
            Tok::Float(f) => (Value::from(*f), 1),
            Tok::Dot => (self.root.clone(), 1),
            Tok::Field(f) => (field(&self.root, f), 1),
            Tok::Var(name) => (
                self.vars
                    .get(name)
                    .cloned()
                    .ok_or_else(|| Failure::Engine(format!("undefined variable {name}")))?,
                1,
            ),
            Tok::Ident(name) => match literal_ident(name) {
                Some(v) => (v, 1),
                None => (self.call(name, &[], &[])?, 1),
            },
            Tok::LParen => {
                let mut depth = 0;
                let close = toks
                    .iter()
                    .position(|t| {
                        match t {
                            Tok::LParen => depth += 1,
                            Tok::RParen => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .ok_or_else(|| Failure::Engine("unclosed (".into()))?;
                (self.pipeline(&toks[1..close])?, close + 1)
            }
            t => return Err(Failure::Engine(format!("unexpected {t:?}"))),
        };
        while let Some(Tok::Chain(f)) = toks.get(used) {
            v = field(&v, f);
            used += 1;
        }
        Ok((v, used))
    }
}

/// The constant a single-token operand is, with its source text.
fn literal(t: &Tok) -> Option<(Lit, String)> {
    Some(match t {
        Tok::Int(i) => (Lit::Int, i.to_string()),
        Tok::Float(f) => (Lit::Float, f.to_string()),
        Tok::Str(s) => (Lit::Str, format!("{s:?}")),
        Tok::Ident(n) if n == "true" || n == "false" => (Lit::Bool, n.clone()),
        Tok::Ident(n) if n == "nil" => (Lit::Nil, "nil".into()),
        _ => return None,
    })
}

/// Go's conversion of each argument to its parameter's type (the engine's signature table).
fn check_args(name: &str, args: &[Value], lits: &[Option<(Lit, String)>]) -> Result<(), Failure> {
    let Some(sig) = signature::of(name) else {
        return Ok(());
    };
    for (i, (v, lit)) in args.iter().zip(lits).enumerate() {
        let p = sig.param(i);
        let msg = match (p, lit) {
            (Param::Any, _) => continue,
            (Param::Int | Param::Uint32, Some((Lit::Int, _))) => continue,
            (Param::Int | Param::Uint32, Some((_, text))) => {
                format!("expected integer; found {text}")
            }
            (Param::Float64, Some((Lit::Int | Lit::Float, _))) => continue,
            (Param::String, Some((Lit::Str, _))) => continue,
            (Param::String, Some((_, text))) => format!("expected string; found {text}"),
            (Param::Bool, Some((Lit::Bool, _))) => continue,
            (Param::Bool, Some((_, text))) => format!("expected bool; found {text}"),
            (Param::List | Param::Map, Some((Lit::Nil, _))) => continue,
            (_, Some((_, text))) => format!("can't handle {text} for arg of type {}", p.go_name()),
            (_, None) => match signature::check(p, v, Nil::Invalid) {
                None => continue,
                Some(m) => m,
            },
        };
        return Err(Failure::Engine(msg));
    }
    Ok(())
}

fn literal_ident(name: &str) -> Option<Value> {
    match name {
        "true" => Some(Value::from(true)),
        "false" => Some(Value::from(false)),
        "nil" => Some(Value::from(())),
        _ => None,
    }
}

/// `.a.b` on a value: map keys and object attributes; missing is nil.
fn field(v: &Value, path: &str) -> Value {
    let mut cur = v.clone();
    for name in path.split('.').filter(|s| !s.is_empty()) {
        cur = cur.get_attr(name).unwrap_or(Value::UNDEFINED);
    }
    cur
}

fn split_top<'t>(toks: &'t [Tok], sep: &Tok) -> Vec<&'t [Tok]> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::LParen => depth += 1,
            Tok::RParen => depth -= 1,
            t if t == sep && depth == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    out
}

/// Go prints a value in an action with fmt's `%v`, and a nil as `<no value>`.
fn print(out: &mut Vec<u8>, v: &Value) {
    if v.is_undefined() || v.is_none() {
        out.extend_from_slice(b"<no value>");
    } else if let Some(b) = v.as_bytes().filter(|_| v.as_str().is_none()) {
        out.extend_from_slice(b);
    } else {
        out.extend_from_slice(value::go_v(v).as_bytes());
    }
}

fn lex(src: &str) -> Result<Vec<Tok>, Failure> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let bad = |m: String| Failure::Engine(m);
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' => i += 1,
            b'(' => {
                toks.push(Tok::LParen);
                i += 1
            }
            b')' => {
                toks.push(Tok::RParen);
                i += 1
            }
            b'|' => {
                toks.push(Tok::Pipe);
                i += 1
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                toks.push(Tok::Declare);
                i += 2
            }
            b'=' => {
                toks.push(Tok::Assign);
                i += 1
            }
            b'"' => {
                let (s, n) =
                    go_string(&src[i..]).ok_or_else(|| bad(format!("bad string in {src}")))?;
                toks.push(Tok::Str(s));
                i += n;
            }
            b'`' => {
                let end = src[i + 1..]
                    .find('`')
                    .ok_or_else(|| bad("unclosed raw string".into()))?;
                toks.push(Tok::Str(src[i + 1..i + 1 + end].to_string()));
                i += end + 2;
            }
            b'.' | b'$' => {
                let start = i;
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                {
                    i += 1;
                }
                let word = &src[start..i];
                match word {
                    "." => toks.push(Tok::Dot),
                    w if start > 0 && b[start - 1] == b')' => toks.push(Tok::Chain(w.to_string())),
                    w if w.starts_with('$') => match w.find('.') {
                        Some(d) => {
                            toks.push(Tok::Var(w[..d].to_string()));
                            toks.push(Tok::Chain(w[d..].to_string()));
                        }
                        None => toks.push(Tok::Var(w.to_string())),
                    },
                    w => toks.push(Tok::Field(w.to_string())),
                }
            }
            b'-' | b'+' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'.'
                        || b[i] == b'_'
                        || ((b[i] == b'-' || b[i] == b'+') && matches!(b[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                let word = &src[start..i];
                if let Some(n) = value::parse_go_int(word).filter(|_| !word.contains('.')) {
                    toks.push(Tok::Int(n));
                } else {
                    let f: f64 = word
                        .replace('_', "")
                        .parse()
                        .map_err(|_| bad(format!("bad number {word}")))?;
                    toks.push(Tok::Float(f));
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                toks.push(Tok::Ident(src[start..i].to_string()));
                // `(x).Field` and `ident.Field` chains are fields of the operand before.
            }
            _ => return Err(bad(format!("unexpected {:?} in {src}", c as char))),
        }
    }
    Ok(toks)
}

/// A Go interpreted string literal at the start of `s`: its value and length.
fn go_string(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Some((String::from_utf8(out).ok()?, i + 1)),
            b'\\' => {
                i += 1;
                let hex =
                    |from: usize, n: usize| u32::from_str_radix(s.get(from..from + n)?, 16).ok();
                match b.get(i)? {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    b'\\' => out.push(b'\\'),
                    b'"' => out.push(b'"'),
                    b'\'' => out.push(b'\''),
                    b'x' => {
                        out.push(hex(i + 1, 2)? as u8);
                        i += 2;
                    }
                    b'u' => {
                        let c = char::from_u32(hex(i + 1, 4)?)?;
                        out.extend_from_slice(c.to_string().as_bytes());
                        i += 4;
                    }
                    b'U' => {
                        let c = char::from_u32(hex(i + 1, 8)?)?;
                        out.extend_from_slice(c.to_string().as_bytes());
                        i += 8;
                    }
                    _ => return None,
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    None
}
