//! Go's `fmt` for templates: `printf` ([`sprintf`], [`go_sprintf`]), `print` ([`go_sprint`]),
//! `println` ([`go_sprintln`]), and the number and string formatting the other helpers
//! share: `%v` floats ([`format_float`]) and `%q` quoting ([`go_quote`]).
//!
//! [`go_sprintf`] follows Go's `fmt.Sprintf` for the values templates hold (nil, bool,
//! int64, float64, string, `[]interface {}`, `map[string]interface {}`): every verb
//! (`%v %s %q %d %b %o %O %x %X %c %U %e %E %f %F %g %G %t %T %%`, floats in `%x`/`%b`
//! too), flags `+ - # 0 space`, width and precision (also `*` and `%[n]` argument
//! indexes), `%#v` Go syntax, lists and maps formatted element by element (keys sorted),
//! and Go's error forms: `%!d(string=x)` for a wrong type (with the flags applied inside,
//! as Go does), `%!d(MISSING)`, `%!(EXTRA type=value)`, `%!(NOVERB)`, `%!v(BADINDEX)`,
//! `%!(BADWIDTH)`, `%!(BADPREC)`.
//!
//! [`sprintf`] is the same with kpack's two leniencies for Jinja charts: `%s` prints any
//! value as `%v` would, and `%d` accepts whole floats.

use minijinja::Value;
use minijinja::value::ValueKind;

use super::value::{self, Num, is_nil, list_items, map_items, num};

/// Format like Go's `fmt.Sprintf(format, args...)`, with kpack's leniencies (`%s` of any
/// value, `%d` of a whole float).
pub fn sprintf(format: &str, args: &[Value]) -> String {
    Printer::new(true).do_printf(format, args)
}

/// Go's `fmt.Sprintf(format, args...)`, exactly.
pub fn go_sprintf(format: &str, args: &[Value]) -> String {
    Printer::new(false).do_printf(format, args)
}

/// Go's `fmt.Sprint(args...)`: operands as `%v`, a space between two operands when neither
/// is a string.
pub fn go_sprint(args: &[Value]) -> String {
    let mut p = Printer::new(false);
    let mut prev_string = false;
    for (i, v) in args.iter().enumerate() {
        let is_string = v.kind() == ValueKind::String;
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(v, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// Go's `fmt.Sprintln(args...)`: operands as `%v` separated by spaces, and a newline.
pub fn go_sprintln(args: &[Value]) -> String {
    let mut p = Printer::new(false);
    for (i, v) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(v, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// `%v` of one value (Go's `fmt.Sprint(v)`).
pub fn go_format_v(v: &Value) -> String {
    let mut p = Printer::new(false);
    p.print_arg(v, 'v');
    p.buf
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

/// A value as Go's `fmt` dispatches on it.
enum Arg<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(std::borrow::Cow<'a, str>),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
}

fn classify(v: &Value) -> Arg<'_> {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => Arg::Nil,
        ValueKind::Bool => Arg::Bool(v.is_true()),
        ValueKind::Number => match num(v) {
            Some(Num::I(i)) => Arg::Int(i),
            Some(Num::F(f)) => Arg::Float(f),
            None => Arg::Str(v.to_string().into()),
        },
        ValueKind::String | ValueKind::Bytes => Arg::Str(value::text(v)),
        ValueKind::Seq | ValueKind::Iterable => Arg::List(list_items(v).unwrap_or_default()),
        ValueKind::Map => {
            let mut items = map_items(v).unwrap_or_default();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            Arg::Map(items)
        }
        _ => Arg::Str(v.to_string().into()),
    }
}

/// Go's type name for a value (`%T`, error forms).
fn type_name(v: &Value) -> &'static str {
    value::type_of(v)
}

struct Printer {
    buf: String,
    f: Flags,
    lenient: bool,
    depth: usize,
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

impl Printer {
    fn new(lenient: bool) -> Self {
        Printer {
            buf: String::new(),
            f: Flags::default(),
            lenient,
            depth: 0,
        }
    }

    fn do_printf(mut self, format: &str, args: &[Value]) -> String {
        let b = format.as_bytes();
        let end = b.len();
        let mut arg_num = 0usize;
        let mut reordered = false;
        let mut i = 0;
        while i < end {
            let mut good_arg_num = true;
            let last = i;
            while i < end && b[i] != b'%' {
                i += 1;
            }
            if i > last {
                self.buf.push_str(&format[last..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while i < end {
                match b[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            // An explicit argument index?
            let mut after_index;
            (arg_num, i, after_index) = arg_number(
                arg_num,
                format,
                i,
                args.len(),
                &mut good_arg_num,
                &mut reordered,
            );
            // Width.
            if i < end && b[i] == b'*' {
                i += 1;
                let (w, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                if ok {
                    if w < 0 {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    self.f.wid = Some(w.unsigned_abs() as usize);
                }
                after_index = false;
            } else {
                let (w, present, next) = parse_num(b, i, end);
                i = next;
                if present {
                    self.f.wid = Some(w);
                    if after_index {
                        good_arg_num = false;
                    }
                }
            }
            // Precision.
            if i + 1 < end && b[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) = arg_number(
                    arg_num,
                    format,
                    i,
                    args.len(),
                    &mut good_arg_num,
                    &mut reordered,
                );
                if i < end && b[i] == b'*' {
                    i += 1;
                    let (p, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    if ok && p >= 0 {
                        self.f.prec = Some(p as usize);
                    } else {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, _, next) = parse_num(b, i, end);
                    i = next;
                    self.f.prec = Some(p);
                }
            }
            if !after_index {
                (arg_num, i, _) = arg_number(
                    arg_num,
                    format,
                    i,
                    args.len(),
                    &mut good_arg_num,
                    &mut reordered,
                );
            }
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();
            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(BADINDEX)");
            } else if arg_num >= args.len() {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, a) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if is_nil(a) {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(type_name(a));
                    self.buf.push('=');
                    self.print_arg(a, 'v');
                }
            }
            self.buf.push(')');
        }
        self.buf
    }

    /// Go's `printArg` (and `printValue` for nested values, `depth` > 0).
    fn print_arg(&mut self, v: &Value, verb: char) {
        if self.depth > 512 {
            self.buf.push_str("...");
            return;
        }
        let arg = classify(v);
        if let Arg::Nil = arg {
            if self.depth > 0 {
                // A nil inside a list or map.
                if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str("<nil>");
                }
                return;
            }
            match verb {
                'T' | 'v' => self.pad_str("<nil>"),
                _ => self.bad_verb(verb, v),
            }
            return;
        }
        if verb == 'T' {
            self.fmt_s(type_name(v));
            return;
        }
        match arg {
            Arg::Nil => {}
            Arg::Bool(b) => match verb {
                't' | 'v' => self.pad_str(if b { "true" } else { "false" }),
                _ => self.bad_verb(verb, v),
            },
            Arg::Int(i) => self.fmt_int(i, verb, v),
            Arg::Float(f) => self.fmt_float_verb(f, verb, v),
            Arg::Str(s) => self.fmt_string(&s, verb, v),
            Arg::List(items) => {
                if self.f.sharp_v {
                    self.buf.push_str("[]interface {}{");
                } else {
                    self.buf.push('[');
                }
                for (k, x) in items.iter().enumerate() {
                    if k > 0 {
                        self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                    }
                    self.nested(x, verb);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Arg::Map(items) => {
                if self.f.sharp_v {
                    self.buf.push_str("map[string]interface {}{");
                } else {
                    self.buf.push_str("map[");
                }
                for (k, (key, x)) in items.iter().enumerate() {
                    if k > 0 {
                        self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                    }
                    self.nested(&Value::from(key.as_str()), verb);
                    self.buf.push(':');
                    self.nested(x, verb);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
        }
    }

    fn nested(&mut self, v: &Value, verb: char) {
        self.depth += 1;
        self.print_arg(v, verb);
        self.depth -= 1;
    }

    /// `%!verb(type=value)`, the value printed with `%v` and the same flags.
    fn bad_verb(&mut self, verb: char, v: &Value) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if is_nil(v) {
            self.buf.push_str("<nil>");
        } else {
            self.buf.push_str(type_name(v));
            self.buf.push('=');
            let depth = self.depth;
            self.depth = 0;
            self.print_arg(v, 'v');
            self.depth = depth;
        }
        self.buf.push(')');
    }

    fn write_padding(&mut self, n: usize) {
        let c = if self.f.zero && !self.f.minus {
            '0'
        } else {
            ' '
        };
        for _ in 0..n {
            self.buf.push(c);
        }
    }

    /// Pad to the width: on the left, or on the right with `-`.
    fn pad_str(&mut self, s: &str) {
        let Some(w) = self.f.wid.filter(|w| *w > 0) else {
            self.buf.push_str(s);
            return;
        };
        let n = w.saturating_sub(s.chars().count());
        if self.f.minus {
            self.buf.push_str(s);
            self.write_padding(n);
        } else {
            self.write_padding(n);
            self.buf.push_str(s);
        }
    }

    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        match self.f.prec {
            Some(p) => match s.char_indices().nth(p) {
                Some((i, _)) => &s[..i],
                None => s,
            },
            None => s,
        }
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad_str(s);
    }

    fn fmt_string(&mut self, s: &str, verb: char, v: &Value) {
        match verb {
            'v' if self.f.sharp_v => self.fmt_q(s),
            'v' | 's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, HEX_LOWER),
            'X' => self.fmt_sx(s, HEX_UPPER),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(s) {
            self.pad_str(&format!("`{s}`"));
            return;
        }
        let mut q = String::new();
        push_quoted(&mut q, s, '"', self.f.plus);
        self.pad_str(&q);
    }

    fn fmt_sx(&mut self, s: &str, digits: &[u8; 16]) {
        let b = s.as_bytes();
        let length = match self.f.prec {
            Some(p) if p < b.len() => p,
            _ => b.len(),
        };
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if let Some(w) = self.f.wid {
                self.write_padding(w);
            }
            return;
        }
        let wid = self.f.wid.unwrap_or(0);
        if wid > width && !self.f.minus {
            self.write_padding(wid - width);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(if digits == HEX_UPPER { 'X' } else { 'x' });
        }
        for (k, c) in b[..length].iter().enumerate() {
            if self.f.space && k > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(if digits == HEX_UPPER { 'X' } else { 'x' });
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xF) as usize] as char);
        }
        if wid > width && self.f.minus {
            self.write_padding(wid - width);
        }
    }

    fn fmt_int(&mut self, i: i64, verb: char, v: &Value) {
        let u = i as u64;
        match verb {
            'v' | 'd' => self.fmt_integer(u, 10, true, verb, HEX_LOWER),
            's' if self.lenient => self.fmt_integer(u, 10, true, 'd', HEX_LOWER),
            'b' => self.fmt_integer(u, 2, true, verb, HEX_LOWER),
            'o' | 'O' => self.fmt_integer(u, 8, true, verb, HEX_LOWER),
            'x' => self.fmt_integer(u, 16, true, verb, HEX_LOWER),
            'X' => self.fmt_integer(u, 16, true, verb, HEX_UPPER),
            'c' => {
                let c = char::from_u32(u32::try_from(u).unwrap_or(0xFFFD)).unwrap_or('\u{FFFD}');
                let c = if u > 0x10FFFF { '\u{FFFD}' } else { c };
                self.pad_str(&c.to_string());
            }
            'q' => {
                let c = if u > 0x10FFFF {
                    '\u{FFFD}'
                } else {
                    char::from_u32(u as u32).unwrap_or('\u{FFFD}')
                };
                let mut q = String::new();
                push_quoted(&mut q, &c.to_string(), '\'', self.f.plus);
                self.pad_str(&q);
            }
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb(verb, v),
        }
    }

    /// Go's `fmt.fmtInteger`.
    fn fmt_integer(&mut self, u: u64, base: u64, signed: bool, verb: char, digits: &[u8; 16]) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative {
            (u as i64).unsigned_abs()
        } else {
            u
        };
        let mut prec = 0usize;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && u == 0 {
                let old = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid.unwrap_or(0));
                self.f.zero = old;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid.is_some() {
            prec = self.f.wid.unwrap_or(0);
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            out.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while out.len() < prec {
            out.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => out.extend_from_slice(b"b0"),
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => {
                    out.push(if digits == HEX_UPPER { b'X' } else { b'x' });
                    out.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            out.extend_from_slice(b"o0");
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        let s = String::from_utf8(out).unwrap_or_default();
        let old = self.f.zero;
        self.f.zero = false;
        self.pad_str(&s);
        self.f.zero = old;
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut prec = 4;
        if let Some(p) = self.f.prec.filter(|p| *p > 4) {
            prec = p;
        }
        let mut hex = format!("{u:X}");
        while hex.len() < prec {
            hex.insert(0, '0');
        }
        let mut s = format!("U+{hex}");
        if self.f.sharp
            && u <= 0x10FFFF
            && let Some(c) = char::from_u32(u as u32).filter(|c| is_printable(*c))
        {
            s.push_str(&format!(" '{c}'"));
        }
        let old = self.f.zero;
        self.f.zero = false;
        self.pad_str(&s);
        self.f.zero = old;
    }

    fn fmt_float_verb(&mut self, f: f64, verb: char, v: &Value) {
        match verb {
            'v' => self.fmt_float(f, 'g', None),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float(f, verb, None),
            'f' | 'e' | 'E' | 'F' => self.fmt_float(f, verb, Some(6)),
            's' if self.lenient => self.fmt_float(f, 'g', None),
            'd' if self.lenient && f.fract() == 0.0 && f.abs() < 9.2e18 => {
                self.fmt_integer(f as i64 as u64, 10, true, 'd', HEX_LOWER)
            }
            _ => self.bad_verb(verb, v),
        }
    }

    /// Go's `fmt.fmtFloat`: `prec` None is the shortest representation.
    fn fmt_float(&mut self, v: f64, verb: char, default_prec: Option<usize>) {
        let prec = self.f.prec.or(default_prec);
        let mut num = strconv_float(v, verb, prec);
        if !num.starts_with(['-', '+']) {
            num.insert(0, '+');
        }
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(0..1, " ");
        }
        let second = num[1..].chars().next().unwrap_or('0');
        if second == 'I' || second == 'N' {
            let old = self.f.zero;
            self.f.zero = false;
            if second == 'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad_str(&num);
            self.f.zero = old;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: isize = 0;
            if matches!(verb, 'v' | 'g' | 'G' | 'x') {
                digits = prec.map_or(6, |p| p as isize);
            }
            let mut tail = String::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let bytes: Vec<char> = num.chars().collect();
            let mut body: Vec<char> = vec![bytes[0]];
            let mut k = 1;
            while k < bytes.len() {
                let c = bytes[k];
                match c {
                    '.' => {
                        has_point = true;
                        body.push(c);
                    }
                    'p' | 'P' => {
                        tail = bytes[k..].iter().collect();
                        break;
                    }
                    'e' | 'E' if verb != 'x' && verb != 'X' => {
                        tail = bytes[k..].iter().collect();
                        break;
                    }
                    _ => {
                        if c != '0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                        body.push(c);
                    }
                }
                k += 1;
            }
            if !has_point {
                if body.len() == 2 && body[1] == '0' {
                    digits -= 1;
                }
                body.push('.');
            }
            while digits > 0 {
                body.push('0');
                digits -= 1;
            }
            num = body.into_iter().collect::<String>() + &tail;
        }
        if self.f.plus || !num.starts_with('+') {
            let len = num.chars().count();
            if self.f.zero && !self.f.minus && self.f.wid.is_some_and(|w| w > len) {
                let (sign, rest) = num.split_at(1);
                self.buf.push_str(sign);
                self.write_padding(self.f.wid.unwrap_or(0) - len);
                self.buf.push_str(rest);
                return;
            }
            self.pad_str(&num);
            return;
        }
        let rest = num[1..].to_string();
        self.pad_str(&rest);
    }
}

/// Go's `strconv.FormatFloat(v, verb, prec, 64)` for `e E f F g G x X b`.
fn strconv_float(v: f64, verb: char, prec: Option<usize>) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    match verb {
        'x' | 'X' => hex_float(v, prec, verb == 'X'),
        'b' => {
            let bits = v.to_bits();
            let neg = bits >> 63 == 1;
            let mut exp = ((bits >> 52) & 0x7FF) as i64;
            let mut mant = bits & ((1 << 52) - 1);
            if exp == 0 {
                exp += 1;
            } else {
                mant |= 1 << 52;
            }
            exp += -1023 - 52;
            format!(
                "{}{mant}p{}{exp}",
                if neg { "-" } else { "" },
                if exp >= 0 { "+" } else { "" }
            )
        }
        _ => format_float(v, verb, prec),
    }
}

/// `%x` of a float: `-0x1.yyyyp±dd`.
fn hex_float(v: f64, prec: Option<usize>, upper: bool) -> String {
    let bits = v.to_bits();
    let neg = bits >> 63 == 1;
    let mut exp = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1 << 52;
    }
    exp -= 1023;
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = prec.filter(|p| *p < 15) {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex = if upper { HEX_UPPER } else { HEX_LOWER };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push('0');
    out.push(if upper { 'X' } else { 'x' });
    out.push((b'0' + ((mant >> 60) & 1) as u8) as char);
    mant <<= 4;
    match prec {
        None if mant != 0 => {
            out.push('.');
            while mant != 0 {
                out.push(hex[((mant >> 60) & 15) as usize] as char);
                mant <<= 4;
            }
        }
        Some(p) if p > 0 => {
            out.push('.');
            for _ in 0..p {
                out.push(hex[((mant >> 60) & 15) as usize] as char);
                mant <<= 4;
            }
        }
        _ => {}
    }
    out.push(if upper { 'P' } else { 'p' });
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
    out
}

/// Go's `argNumber`: a `[n]` argument index at `i`.
fn arg_number(
    arg_num: usize,
    format: &str,
    i: usize,
    num_args: usize,
    good: &mut bool,
    reordered: &mut bool,
) -> (usize, usize, bool) {
    let b = format.as_bytes();
    if b.len() <= i || b[i] != b'[' {
        return (arg_num, i, false);
    }
    *reordered = true;
    let rest = &b[i..];
    if rest.len() < 3 {
        *good = false;
        return (arg_num, i + 1, false);
    }
    for k in 1..rest.len() {
        if rest[k] == b']' {
            let (n, ok, next) = parse_num(rest, 1, k);
            if !ok || next != k {
                *good = false;
                return (arg_num, i + k + 1, false);
            }
            let index = n as isize - 1;
            if index >= 0 && (index as usize) < num_args {
                return (index as usize, i + k + 1, true);
            }
            *good = false;
            return (arg_num, i + k + 1, true);
        }
    }
    *good = false;
    (arg_num, i + 1, false)
}

/// Go's `parsenum`: digits from `start` (before `end`), whether any, and where they stop.
fn parse_num(b: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut n = 0usize;
    let mut any = false;
    let mut i = start;
    while i < end && b[i].is_ascii_digit() {
        if n > 1_000_000 {
            return (0, false, end);
        }
        n = n * 10 + (b[i] - b'0') as usize;
        any = true;
        i += 1;
    }
    (n, any, i)
}

/// Go's `intFromArg`: an integer argument for `*`.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    match args.get(arg_num) {
        Some(v) => match num(v) {
            Some(Num::I(n)) if n.unsigned_abs() <= 1_000_000 => (n, true, arg_num + 1),
            _ => (0, false, arg_num + 1),
        },
        None => (0, false, arg_num),
    }
}

/// Go's `strconv.CanBackquote`.
fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7f}')))
}

/// The decimal digits and exponent of |f|: `digits` without trailing zeros (at least "0"),
/// value = 0.d1d2d3... × 10^(exp+1). `prec` = significant digits, or shortest when None.
fn decimal_digits(f: f64, prec: Option<usize>, bits32: bool) -> (Vec<u8>, i32) {
    let s = match (prec, bits32) {
        (None, false) => format!("{:e}", f.abs()),
        (None, true) => format!("{:e}", (f as f32).abs()),
        (Some(p), _) => format!("{:.*e}", p.saturating_sub(1), f.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp)
}

fn fmt_e(digits: &[u8], exp: i32, decimals: usize, upper: bool) -> String {
    let mut s = String::new();
    s.push(digits[0] as char);
    if decimals > 0 {
        s.push('.');
        for i in 0..decimals {
            s.push(*digits.get(i + 1).unwrap_or(&b'0') as char);
        }
    }
    s.push(if upper { 'E' } else { 'e' });
    s.push(if exp < 0 { '-' } else { '+' });
    s.push_str(&format!("{:02}", exp.unsigned_abs()));
    s
}

fn fmt_f(digits: &[u8], exp: i32, decimals: usize) -> String {
    let dp = exp + 1; // digits before the decimal point
    let digit = |i: i32| -> char {
        if i < 0 || i as usize >= digits.len() {
            '0'
        } else {
            digits[i as usize] as char
        }
    };
    let mut s = String::new();
    if dp > 0 {
        for i in 0..dp {
            s.push(digit(i));
        }
    } else {
        s.push('0');
    }
    if decimals > 0 {
        s.push('.');
        for i in 0..decimals as i32 {
            s.push(digit(dp + i));
        }
    }
    s
}

/// Format |f| and its sign like Go's `strconv.FormatFloat(f, verb, prec, 64)` for verbs
/// `e E f F g G` (`prec` None = shortest); `v` is `g`. Infinities are `+Inf`/`-Inf`.
pub fn format_float(f: f64, verb: char, prec: Option<usize>) -> String {
    format_float_bits(f, verb, prec, false)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest form that reads back as the
/// same float32 (how `sigs.k8s.io/yaml` prints a float map key).
pub fn format_float32_shortest(f: f32) -> String {
    format_float_bits(f64::from(f), 'g', None, true)
}

/// [`format_float`] for a float64 (`bits32` false) or a float32 (`f` rounded to float32).
fn format_float_bits(f: f64, verb: char, prec: Option<usize>, bits32: bool) -> String {
    let f = if bits32 { f64::from(f as f32) } else { f };
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let neg = if f.is_sign_negative() { "-" } else { "" };
    let body = match verb {
        'e' | 'E' => {
            let p = prec.unwrap_or(6);
            let s = format!("{:.*e}", p, f.abs());
            let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
            let exp: i32 = exp.parse().unwrap_or(0);
            let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
            fmt_e(&digits, exp, p, verb == 'E')
        }
        'f' | 'F' => format!("{:.*}", prec.unwrap_or(6), f.abs()),
        _ => {
            let upper = verb == 'G';
            let shortest = prec.is_none();
            let p = prec.map(|p| p.max(1));
            let (digits, exp) = decimal_digits(f, p, bits32);
            let nd = digits.len() as i32;
            let dp = exp + 1;
            let mut eprec = p.map(|p| p as i32).unwrap_or(nd);
            if !shortest && eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            if exp < -4 || exp >= eprec {
                let mut pr = p.map(|p| p as i32).unwrap_or(nd);
                if pr > nd {
                    pr = nd;
                }
                fmt_e(&digits, exp, (pr - 1).max(0) as usize, upper)
            } else {
                let mut pr = p.map(|p| p as i32).unwrap_or(nd);
                if pr > dp {
                    pr = nd;
                }
                fmt_f(&digits, exp, (pr - dp).max(0) as usize)
            }
        }
    };
    format!("{neg}{body}")
}

/// Go's `strconv.Quote`: a double-quoted string with Go escapes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_go_quote(&mut out, s);
    out
}

/// Append [`go_quote`] of `s`.
pub fn push_go_quote(out: &mut String, s: &str) {
    push_quoted(out, s, '"', false);
}

/// Go's `strconv.Quote` (`'"'`), `QuoteRune` (`'\''`), and with `ascii` their `…ToASCII`
/// forms.
fn push_quoted(out: &mut String, s: &str, quote: char, ascii: bool) {
    out.reserve(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        if c == quote || c == '\\' {
            out.push('\\');
            out.push(c);
            continue;
        }
        if ascii {
            if c.is_ascii() && is_printable(c) {
                out.push(c);
                continue;
            }
        } else if is_printable(c) {
            out.push(c);
            continue;
        }
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            _ => {
                let u = c as u32;
                let (prefix, digits) = if u < 0x20 || u == 0x7f {
                    ("\\x", 2)
                } else if u < 0x10000 {
                    ("\\u", 4)
                } else {
                    ("\\U", 8)
                };
                out.push_str(prefix);
                for k in (0..digits).rev() {
                    out.push(HEX_LOWER[((u >> (4 * k)) & 0xF) as usize] as char);
                }
            }
        }
    }
    out.push(quote);
}

/// Approximates Go's `strconv.IsPrint`: not a control or format character, not private
/// use, not a noncharacter.
fn is_printable(c: char) -> bool {
    !c.is_control()
        && !matches!(c,
            '\u{ad}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{fff9}'..='\u{fffb}'
            | '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}' | '\u{fffe}' | '\u{ffff}')
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn floats_like_go() {
        assert_eq!(format_float(1e6, 'g', None), "1e+06");
        assert_eq!(format_float(100000.0, 'g', None), "100000");
        assert_eq!(format_float(1234567.0, 'g', None), "1.234567e+06");
        assert_eq!(format_float(0.5, 'g', None), "0.5");
        assert_eq!(format_float(0.00001, 'g', None), "1e-05");
        assert_eq!(format_float(3.0, 'g', None), "3");
        assert_eq!(format_float(-2.5, 'g', None), "-2.5");
        assert_eq!(format_float(1.0, 'g', Some(3)), "1");
        assert_eq!(format_float(1.23456, 'g', Some(3)), "1.23");
        assert_eq!(format_float(1234.5678, 'g', Some(2)), "1.2e+03");
        assert_eq!(format_float(1.23556, 'f', Some(2)), "1.24");
        assert_eq!(format_float(1.5, 'e', None), "1.500000e+00");
        assert_eq!(format_float(0.0, 'g', None), "0");
    }
}
