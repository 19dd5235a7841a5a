//! goyaml.v2's `Marshal`, byte for byte: the last step of Helm's `toYaml`
//! (`sigs.k8s.io/yaml.Marshal` = `encoding/json`, then goyaml.v2 reads the JSON and writes
//! it as YAML). The JSON step (number formatting, which strings survive it) is the
//! caller's ([`crate::engine::funcs::gojson`]); this module takes the data goyaml.v2 then
//! holds ([`Node`]) and writes it as its emitter (a port of libyaml's) does:
//!
//! - map keys in goyaml.v2's order: a "natural" order where runs of digits compare as
//!   numbers and letters sort after other characters ([`key_less`]);
//! - block style; a list under a map key is not indented (`key:\n- a`); empty maps and
//!   lists are `{}` and `[]`; a key longer than 128 bytes or with a line break is written
//!   as `? key` / `: value`;
//! - a string is plain unless goyaml.v2 would read it back as something else (see
//!   [`super::v2`]: `"yes"`, `"1"`, `"2024-01-02"`, `"12:30"`, `""` are double-quoted); a
//!   string plain style cannot carry (`: `, ` #`, leading indicators, leading or trailing
//!   spaces) is single-quoted; one with a line break is a literal block (`|`, `|-`, `|+`,
//!   with an indentation indicator when it starts with a space or a break); characters
//!   goyaml.v2 does not print raw (control characters, tabs, U+FEFF, anything beyond
//!   U+FFFF, such as emoji) force double quotes with escapes, as do trailing spaces on a
//!   line of a multi-line string;
//! - plain, single- and double-quoted strings fold at spaces once a line passes 80
//!   columns (a double-quoted one escapes a space that starts a continuation line).

use super::v2::{self, Scalar};

/// The data goyaml.v2 marshals: what `yaml.Unmarshal` of JSON text gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer (written in decimal).
    Int(i64),
    /// An integer above `i64::MAX`.
    Uint(u64),
    /// A float (written in Go's shortest `%g`: `1.5`, `1e+21`, `1e-06`).
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A map; [`marshal`] sorts it.
    Map(Vec<(String, Node)>),
}

/// `yaml.Marshal(node)`: the YAML document, ending with a newline.
pub fn marshal(node: &Node) -> String {
    emit(node, false)
}

/// goyaml.v3's `Encoder` with `SetIndent(2)` (Helm's `toYamlPretty`): the same emitter,
/// except that a list under a map key is indented (`key:\n  - a`), lines never fold, and
/// map keys follow goyaml.v3's order ([`key_less_v3`]).
pub fn marshal_v3(node: &Node) -> String {
    emit(node, true)
}

fn emit(node: &Node, v3: bool) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        v3,
        width: if v3 { usize::MAX } else { BEST_WIDTH },
    };
    e.node(node, -1, Ctx::Root);
    // Document end: finish the last line.
    e.write_indent(-1);
    e.out
}

/// goyaml.v2's map key order (its `keyList.Less` for string keys): character by
/// character; at the first difference two letters compare by code point, a letter sorts
/// after a non-letter, and otherwise the runs of digits starting there compare as numbers
/// (a shorter run first when equal, then the characters).
pub fn key_less(a: &str, b: &str) -> bool {
    natural_less(a, b, false)
}

/// goyaml.v3's map key order: [`key_less`], except that right after a digit both strings
/// share, a letter sorts before a non-letter (`a1b` before `a1-`).
pub fn key_less_v3(a: &str, b: &str) -> bool {
    natural_less(a, b, true)
}

fn natural_less(a: &str, b: &str, v3: bool) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            digits = ar[i].is_numeric();
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if v3 && digits { al } else { bl };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Sort map entries in [`key_less`] order (a merge sort, stable, that never panics).
///
/// goyaml.v2's order is not transitive for some keys with zero-led digit runs
/// (`a0b` < `a1` < `a01` < `a0b`); Go sorts the keys of a map in its random iteration order,
/// so helm itself prints such maps in a different order from run to run. kpack's order is
/// a stable one for them.
fn sort_entries(entries: &mut [(String, Node)], v3: bool) {
    let less = if v3 { key_less_v3 } else { key_less };
    let n = entries.len();
    if n < 2 {
        return;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    let mut buf = idx.clone();
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j, mut k) = (start, mid, start);
            while i < mid && j < end {
                if less(&entries[idx[j]].0, &entries[idx[i]].0) {
                    buf[k] = idx[j];
                    j += 1;
                } else {
                    buf[k] = idx[i];
                    i += 1;
                }
                k += 1;
            }
            buf[k..k + mid - i].copy_from_slice(&idx[i..mid]);
            k += mid - i;
            buf[k..k + end - j].copy_from_slice(&idx[j..end]);
            start = end;
        }
        std::mem::swap(&mut idx, &mut buf);
        width *= 2;
    }
    let mut taken: Vec<Option<(String, Node)>> = entries
        .iter_mut()
        .map(|e| Some(std::mem::replace(e, (String::new(), Node::Null))))
        .collect();
    for (slot, &from) in entries.iter_mut().zip(idx.iter()) {
        if let Some(e) = taken[from].take() {
            *slot = e;
        }
    }
}

/// Where a node is written.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Root,
    /// A map value (after `key:`).
    MapValue,
    /// A list item (after `-`).
    Item,
    /// A map key that fits on the line (`key:`).
    SimpleKey,
    /// A map key after `? `.
    ComplexKey,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: i64 = 2;

struct Emitter {
    out: String,
    /// Characters on the current line.
    column: usize,
    /// The last thing written was whitespace (or nothing).
    whitespace: bool,
    /// Only indentation has been written on the current line.
    indention: bool,
    /// goyaml.v3's emitter rules ([`marshal_v3`]).
    v3: bool,
    /// The column past which a space may become a line break.
    width: usize,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        self.indention = true;
    }

    /// Write a line break character that is part of a scalar (LS, PS: copied as they are).
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
            self.indention = true;
        }
    }

    fn write_indent(&mut self, indent: i64) {
        let indent = indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, s: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in s.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, node: &Node, indent: i64, ctx: Ctx) {
        match node {
            Node::Map(entries) if !entries.is_empty() => {
                let mut sorted = entries.clone();
                sort_entries(&mut sorted, self.v3);
                let indent = if indent < 0 { 0 } else { indent + BEST_INDENT };
                for (k, v) in &sorted {
                    self.write_indent(indent);
                    let style = requested_style(k);
                    let a = analyze(k);
                    if !a.multiline && k.len() <= 128 {
                        self.scalar(k, style, &a, indent, Ctx::SimpleKey);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.scalar(k, style, &a, indent, Ctx::ComplexKey);
                        self.write_indent(indent);
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(v, indent, Ctx::MapValue);
                }
            }
            Node::Seq(items) if !items.is_empty() => {
                let indentless = !self.v3 && ctx == Ctx::MapValue && !self.indention;
                let indent = if indent < 0 {
                    0
                } else if indentless {
                    indent
                } else {
                    indent + BEST_INDENT
                };
                for item in items {
                    self.write_indent(indent);
                    self.write_indicator("-", true, false, true);
                    self.node(item, indent, Ctx::Item);
                }
            }
            Node::Map(_) => {
                self.write_indicator("{", true, true, false);
                self.write_indicator("}", false, false, false);
            }
            Node::Seq(_) => {
                self.write_indicator("[", true, true, false);
                self.write_indicator("]", false, false, false);
            }
            Node::Str(s) => {
                let a = analyze(s);
                self.scalar(s, requested_style(s), &a, indent, ctx);
            }
            other => {
                let text = match other {
                    Node::Null => "null".to_string(),
                    Node::Bool(b) => b.to_string(),
                    Node::Int(i) => i.to_string(),
                    Node::Uint(u) => u.to_string(),
                    Node::Float(f) => float_text(*f),
                    _ => String::new(),
                };
                let a = analyze(&text);
                self.scalar(&text, Style::Plain, &a, indent, ctx);
            }
        }
    }

    /// Write a scalar in the style goyaml.v2's emitter settles on.
    fn scalar(&mut self, s: &str, requested: Style, a: &Analysis, indent: i64, ctx: Ctx) {
        let simple_key = ctx == Ctx::SimpleKey;
        let mut style = requested;
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && !a.block_plain_allowed {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        let indent = if indent < 0 {
            BEST_INDENT
        } else {
            indent + BEST_INDENT
        };
        let breaks = !simple_key;
        match style {
            Style::Plain => self.plain(s, indent, breaks),
            Style::Single => self.single_quoted(s, indent, breaks),
            Style::Double => self.double_quoted(s, indent, breaks),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn plain(&mut self, s: &str, indent: i64, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > self.width && chars.peek() != Some(&' ')
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, s: &str, indent: i64, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let n = s.chars().count();
        let mut chars = s.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            if c == ' ' {
                let next_space = chars.peek().map(|(_, c)| *c) == Some(' ');
                if allow_breaks
                    && !spaces
                    && self.column > self.width
                    && i != 0
                    && i != n - 1
                    && !next_space
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, s: &str, indent: i64, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let mut spaces = false;
        let n = s.chars().count();
        let mut chars = s.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let v = c as u32;
                        let (letter, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for k in (0..width).rev() {
                            let d = (v >> (4 * k)) & 0xF;
                            self.put(char::from_digit(d, 16).unwrap_or('0').to_ascii_uppercase());
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > self.width && i != 0 && i != n - 1 {
                    self.write_indent(indent);
                    if chars.peek().map(|(_, c)| *c) == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str, indent: i64) {
        self.write_indicator("|", true, false, false);
        // Block scalar hints: an indentation indicator when the text starts with a space or
        // a break; `-` without a final break, `+` when the text ends with two breaks (or is
        // a single break).
        if s.starts_with(|c: char| c == ' ' || is_break(c)) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let mut rev = s.chars().rev();
        let chomp = match rev.next() {
            None => Some("-"),
            Some(c) if !is_break(c) => Some("-"),
            Some(_) => match rev.next() {
                None => Some("+"),
                Some(c) if is_break(c) => Some("+"),
                Some(_) => None,
            },
        };
        if let Some(h) = chomp {
            self.write_indicator(h, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// The style goyaml.v2's encoder asks for: a literal block for a string with a newline,
/// plain when the string reads back as the same string, double quotes otherwise.
fn requested_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if matches!(v2::resolve(s), Scalar::Str | Scalar::Merge) && !v2::is_base60_float(s) {
        Style::Plain
    } else {
        Style::Double
    }
}

/// A float as goyaml.v2 writes it: Go's `strconv.FormatFloat(f, 'g', -1, 64)`, with
/// YAML's names for infinities and NaN.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    crate::engine::funcs::printf::format_float(f, 'g', None)
}

/// goyaml.v2's printable set: `\n`, ASCII from space to `~`, U+00A0–U+D7FF and
/// U+E000–U+FFFD except U+FEFF. Nothing beyond U+FFFF.
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: Option<char>) -> bool {
    matches!(c, Some(' ' | '\t'))
}

/// What goyaml.v2's emitter (libyaml's `yaml_emitter_analyze_scalar`) allows for a scalar.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut chars = s.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let followed_by_ws = last || is_blank(next);
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t' | '\0') || is_break(c);
        first = false;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(entries: &[(&str, Node)]) -> Node {
        Node::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn layout() {
        let n = m(&[
            ("b", Node::Seq(vec![Node::Int(1), m(&[("x", Node::Null)])])),
            (
                "a",
                m(&[("c", Node::Seq(vec![])), ("d", Node::Map(vec![]))]),
            ),
        ]);
        assert_eq!(marshal(&n), "a:\n  c: []\n  d: {}\nb:\n- 1\n- x: null\n");
        assert_eq!(marshal(&Node::Str("yes".into())), "\"yes\"\n");
        assert_eq!(marshal(&Node::Float(1e21)), "1e+21\n");
    }

    #[test]
    fn natural_key_order() {
        let mut keys = vec!["a10", "a2", "a_", "aB", "a1", "b", "A", "_x"];
        keys.sort_by(|a, b| {
            if key_less(a, b) {
                std::cmp::Ordering::Less
            } else if key_less(b, a) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        assert_eq!(keys, ["_x", "A", "a_", "a1", "a2", "a10", "aB", "b"]);
    }
}
