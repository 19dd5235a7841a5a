//! Helm's `toToml`: BurntSushi/toml's encoder as Helm runs it on template values.
//!
//! A map's keys are sorted, plain values first, then tables (`[a]`, `[a.b]`) and arrays of
//! tables (`[[a]]`); a table nested in a table and every key in it are indented two spaces
//! per level, a top-level table and every `[[...]]` get a blank line before them; nil values
//! are left out; a key that is not `[A-Za-z0-9_-]+` is quoted; floats always show a
//! fraction or an exponent (`3.0`, `1.5`, `1e+06`); strings are TOML basic strings. A value
//! TOML cannot hold gives the encoder's error text, which Helm prints in its place.

use minijinja::Value;
use minijinja::value::ValueKind;

use super::value::{Num, is_nil, list_items, map_items, num, text};

/// `toToml`: the document, or the encoder's error message.
pub fn to_toml(v: &Value) -> String {
    let mut e = Encoder {
        out: String::new(),
        written: false,
    };
    let result = if v.kind() == ValueKind::Map {
        e.table(&[], v, 0)
    } else {
        e.element(v, 0)
    };
    match result {
        Ok(()) => e.out,
        Err(msg) => msg,
    }
}

struct Encoder {
    out: String,
    written: bool,
}

fn is_table(v: &Value) -> bool {
    v.kind() == ValueKind::Map
}

fn is_table_array(v: &Value) -> bool {
    matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable)
        && list_items(v).is_some_and(|items| !items.is_empty() && items.iter().all(is_table))
}

fn bare(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn quoted_key(k: &str) -> String {
    if bare(k) { k.to_string() } else { quote(k) }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Encoder {
    fn newline(&mut self) {
        if self.written {
            self.out.push('\n');
        }
    }

    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.written = true;
    }

    fn indent(&mut self, levels: usize) {
        for _ in 0..levels {
            self.out.push_str("  ");
        }
    }

    fn key_path(path: &[String]) -> String {
        path.iter()
            .map(|k| quoted_key(k))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The entries of a map at `path`: plain values, then tables and arrays of tables.
    fn table(&mut self, path: &[String], v: &Value, depth: usize) -> Result<(), String> {
        if depth > 512 {
            return Err("toml: value nested too deeply".into());
        }
        let mut entries = map_items(v).unwrap_or_default();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let (sub, direct): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .filter(|(_, x)| !is_nil(x))
            .partition(|(_, x)| is_table(x) || is_table_array(x));
        for (k, x) in &direct {
            self.indent(path.len());
            self.write(&format!("{} = ", quoted_key(k)));
            self.element(x, depth + 1)?;
            self.newline();
        }
        for (k, x) in &sub {
            let mut p = path.to_vec();
            p.push(k.clone());
            if is_table(x) {
                if p.len() == 1 {
                    self.newline();
                }
                self.indent(p.len() - 1);
                self.write(&format!("[{}]", Self::key_path(&p)));
                self.newline();
                self.table(&p, x, depth + 1)?;
            } else {
                for item in list_items(x).unwrap_or_default() {
                    self.newline();
                    self.indent(p.len() - 1);
                    self.write(&format!("[[{}]]", Self::key_path(&p)));
                    self.newline();
                    self.table(&p, &item, depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// An inline value.
    fn element(&mut self, v: &Value, depth: usize) -> Result<(), String> {
        if depth > 512 {
            return Err("toml: value nested too deeply".into());
        }
        match v.kind() {
            ValueKind::Bool => self.write(if v.is_true() { "true" } else { "false" }),
            ValueKind::Number => match num(v) {
                Some(Num::I(i)) => self.write(&i.to_string()),
                Some(Num::F(f)) => self.write(&float(f)),
                None => self.write(&v.to_string()),
            },
            ValueKind::String | ValueKind::Bytes => self.write(&quote(&text(v))),
            ValueKind::Seq | ValueKind::Iterable => {
                self.write("[");
                let items = list_items(v).unwrap_or_default();
                for (i, x) in items.iter().enumerate() {
                    if is_nil(x) {
                        return Err("toml: cannot encode array with nil element".into());
                    }
                    self.element(x, depth + 1)?;
                    if i + 1 != items.len() {
                        self.write(", ");
                    }
                }
                self.write("]");
            }
            ValueKind::Map => {
                // An inline table.
                self.write("{");
                let mut entries = map_items(v).unwrap_or_default();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let entries: Vec<_> = entries.into_iter().filter(|(_, x)| !is_nil(x)).collect();
                for (i, (k, x)) in entries.iter().enumerate() {
                    self.write(&format!("{} = ", quoted_key(k)));
                    self.element(x, depth + 1)?;
                    if i + 1 != entries.len() {
                        self.write(", ");
                    }
                }
                self.write("}");
            }
            _ => return Err("toml: cannot encode a nil value".into()),
        }
        Ok(())
    }
}

/// A float as the encoder writes it: Go's shortest `%g`, with `.0` when it shows neither a
/// fraction nor an exponent; `nan`, `inf`, `-inf`.
fn float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = super::printf::format_float(f, 'g', None);
    if s.contains(['.', 'e']) {
        s
    } else {
        format!("{s}.0")
    }
}
