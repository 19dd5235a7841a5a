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
    must_to_toml(v).unwrap_or_else(|msg| msg)
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

/// The encoder panics on nil (`toToml nil`, in Helm an error of the call): its message.
pub fn nil_check(v: &Value) -> Result<(), String> {
    if is_nil(v) {
        Err("reflect: call of reflect.Value.Type on zero Value".into())
    } else {
        Ok(())
    }
}

/// `mustToToml`: the document, or what the encoder refuses as an error.
pub fn must_to_toml(v: &Value) -> Result<String, String> {
    let mut e = Encoder {
        out: String::new(),
        written: false,
    };
    let result = if v.kind() == ValueKind::Map {
        e.table(&[], v, 0)
    } else {
        e.element(v, 0)
    };
    result.map(|()| e.out)
}

/// `fromToml`: a TOML document as BurntSushi/toml decodes it into Go values (integers are
/// int64, floats float64, tables maps, date-times `time.Time`s: an offset one in a zone
/// of that offset, a local date-time, date or time in the zones `datetime-local`,
/// `date-local` and `time-local`); a document that does not parse gives a map whose
/// `Error` holds the parser's message (the words differ from BurntSushi's).
pub fn from_toml(s: &str) -> Value {
    match s.parse::<toml::Table>() {
        Ok(t) => table_value(t),
        Err(e) => {
            let mut m = super::value::DictMap::default();
            m.insert("Error".to_string(), Value::from(toml_error(s, &e)));
            super::value::Dict::value(m)
        }
    }
}

/// `toml: line N: message`, as BurntSushi starts its messages.
fn toml_error(s: &str, e: &toml::de::Error) -> String {
    let line = e
        .span()
        .map(|r| s[..r.start.min(s.len())].matches('\n').count() + 1)
        .unwrap_or(1);
    format!("toml: line {line}: {}", e.message().trim_end())
}

fn table_value(t: toml::Table) -> Value {
    let mut m = super::value::DictMap::default();
    for (k, v) in t {
        m.insert(k, toml_value(v));
    }
    super::value::Dict::value(m)
}

fn toml_value(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::from(b),
        toml::Value::Array(a) => Value::from(a.into_iter().map(toml_value).collect::<Vec<_>>()),
        toml::Value::Table(t) => table_value(t),
        toml::Value::Datetime(d) => datetime_value(&d),
    }
}

/// A TOML date-time as the `time.Time` BurntSushi gives.
fn datetime_value(d: &toml::value::Datetime) -> Value {
    use chrono::{NaiveDate, NaiveTime, TimeZone};
    let date = d
        .date
        .and_then(|x| NaiveDate::from_ymd_opt(x.year.into(), x.month.into(), x.day.into()))
        .or_else(|| NaiveDate::from_ymd_opt(0, 1, 1));
    let time = match d.time {
        Some(t) => NaiveTime::from_hms_nano_opt(
            t.hour.into(),
            t.minute.into(),
            t.second.into(),
            t.nanosecond,
        ),
        None => NaiveTime::from_hms_opt(0, 0, 0),
    };
    let (Some(date), Some(time)) = (date, time) else {
        return Value::from(d.to_string());
    };
    let wall = date.and_time(time);
    let (offset, zone) = match d.offset {
        Some(toml::value::Offset::Z) => (0, Some("UTC".to_string())),
        Some(toml::value::Offset::Custom { minutes }) => (i32::from(minutes) * 60, None),
        None => {
            let name = match (d.date.is_some(), d.time.is_some()) {
                (true, true) => "datetime-local",
                (true, false) => "date-local",
                _ => "time-local",
            };
            (0, Some(name.to_string()))
        }
    };
    let utc = chrono::Utc.from_utc_datetime(&(wall - chrono::Duration::seconds(offset.into())));
    super::gotime::GoTime { utc, offset, zone }.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document that does not parse: one `Error` entry naming the line (the wording is
    /// the parser's, not BurntSushi's).
    #[test]
    fn from_toml_errors_name_the_line() {
        let m = from_toml("x = 1\nx = 2");
        assert_eq!(m.len(), Some(1));
        assert_eq!(
            m.get_attr("Error").unwrap().as_str(),
            Some("toml: line 2: duplicate key")
        );
        let m = from_toml("x = ");
        let e = m.get_attr("Error").unwrap();
        assert!(e.as_str().unwrap().starts_with("toml: line 1: "), "{e}");
    }
}
