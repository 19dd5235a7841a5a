//! Go's `fmt.Sprintf` for templates (`printf`), plus the Go number and string formatting the
//! other helpers share: `%v` floats (`format_float`) and `%q` quoting (`go_quote`).
//!
//! Supported: verbs `%v %s %q %d %b %o %O %x %X %c %U %e %E %f %F %g %G %t %T %%`, flags
//! `+ - # 0 space`, width and precision (also `*`). Go's error markers are kept:
//! `%!d(string=x)` for a wrong type, `%!d(MISSING)`, `%!(EXTRA ...)`, `%!(NOVERB)`.
//! Two leniencies: `%s` prints any value as `%v` would, and `%d` accepts whole floats.

use minijinja::Value;

use super::value::{self, Num, go_v, is_nil, num};

#[derive(Default, Clone, Copy, PartialEq)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Format like Go's `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let b = format.as_bytes();
    let mut i = 0;
    let mut next_arg = 0;
    while i < b.len() {
        // Text up to the next `%` is copied as it is.
        let text_end = b[i..]
            .iter()
            .position(|&c| c == b'%')
            .map_or(b.len(), |p| i + p);
        out.push_str(&format[i..text_end]);
        if text_end == b.len() {
            break;
        }
        // Everything up to the verb is ASCII, so `i` stays on a character boundary.
        i = text_end + 1;
        let mut spec = Spec::default();
        while i < b.len() {
            match b[i] {
                b'+' => spec.plus = true,
                b'-' => spec.minus = true,
                b'#' => spec.sharp = true,
                b'0' => spec.zero = true,
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        // width
        if i < b.len() && b[i] == b'*' {
            i += 1;
            match args.get(next_arg).and_then(num) {
                Some(Num::I(w)) => {
                    if w < 0 {
                        spec.minus = true;
                    }
                    spec.width = Some(w.unsigned_abs() as usize);
                }
                _ => out.push_str("%!(BADWIDTH)"),
            }
            next_arg += 1;
        } else {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i > start {
                spec.width = format[start..i].parse().ok();
            }
        }
        // precision
        if i < b.len() && b[i] == b'.' {
            i += 1;
            if i < b.len() && b[i] == b'*' {
                i += 1;
                match args.get(next_arg).and_then(num) {
                    Some(Num::I(p)) if p >= 0 => spec.prec = Some(p as usize),
                    _ => out.push_str("%!(BADPREC)"),
                }
                next_arg += 1;
            } else {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                spec.prec = Some(format[start..i].parse().unwrap_or(0));
            }
        }
        let Some(verb) = format[i..].chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(MISSING)");
            continue;
        };
        next_arg += 1;
        if spec == Spec::default() && push_plain(&mut out, verb, arg) {
            continue;
        }
        out.push_str(&format_one(verb, spec, arg));
    }
    if next_arg < args.len() {
        let extra: Vec<String> = args[next_arg..].iter().map(bad_arg).collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

/// The common verbs without flags, width or precision, written straight to `out`: `%s` of
/// anything, `%v` of a string, `%d` and `%v` of an integer. `false` for anything else (then
/// [`format_one`] formats it, with the same result for these).
fn push_plain(out: &mut String, verb: char, v: &Value) -> bool {
    match verb {
        's' => out.push_str(&value::go_str(v)),
        'v' | 'd' => match (v.as_str(), num(v)) {
            (Some(s), _) if verb == 'v' => out.push_str(s),
            (_, Some(Num::I(i))) => crate::yaml::emit::push_i64(out, i),
            _ => return false,
        },
        _ => return false,
    }
    true
}

/// `type=value`, as in Go's error markers (`<nil>` for nil).
fn bad_arg(v: &Value) -> String {
    if is_nil(v) {
        "<nil>".to_string()
    } else {
        format!("{}={}", value::type_of(v), go_v(v))
    }
}

fn bad_verb(verb: char, v: &Value) -> String {
    format!("%!{verb}({})", bad_arg(v))
}

/// Pad to the width: left with spaces, right with `-`, or with zeros after the sign.
fn pad(s: String, spec: Spec, numeric: bool) -> String {
    let Some(width) = spec.width else { return s };
    let len = s.chars().count();
    if len >= width {
        return s;
    }
    let fill = width - len;
    if spec.minus {
        return format!("{s}{}", " ".repeat(fill));
    }
    if spec.zero && numeric {
        // Zeros go after the sign.
        let sign_len = usize::from(s.starts_with(['+', '-', ' ']));
        let (head, tail) = s.split_at(sign_len);
        return format!("{head}{}{tail}", "0".repeat(fill));
    }
    format!("{}{s}", " ".repeat(fill))
}

fn sign(neg: bool, spec: Spec) -> &'static str {
    if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn format_int(i: i128, verb: char, spec: Spec) -> String {
    let neg = i < 0;
    let m = i.unsigned_abs();
    let (mut digits, prefix) = match verb {
        'b' => (format!("{m:b}"), if spec.sharp { "0b" } else { "" }),
        'o' => (format!("{m:o}"), if spec.sharp { "0" } else { "" }),
        'O' => (format!("{m:o}"), "0o"),
        'x' => (format!("{m:x}"), if spec.sharp { "0x" } else { "" }),
        'X' => (format!("{m:X}"), if spec.sharp { "0X" } else { "" }),
        _ => (m.to_string(), ""),
    };
    if let Some(p) = spec.prec {
        if p == 0 && m == 0 {
            digits.clear();
        } else if digits.len() < p {
            digits = format!("{}{digits}", "0".repeat(p - digits.len()));
        }
    }
    let sign = sign(neg, spec);
    // Go ignores the 0 flag when a precision or `-` is given; zeros go after sign and prefix.
    if let (Some(w), true, None, false) = (spec.width, spec.zero, spec.prec, spec.minus) {
        let used = sign.len() + prefix.len() + digits.len();
        if used < w {
            digits = format!("{}{digits}", "0".repeat(w - used));
        }
    }
    pad(format!("{sign}{prefix}{digits}"), spec, false)
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

fn format_float_spec(f: f64, verb: char, spec: Spec) -> String {
    let mut s = format_float(f, verb, spec.prec);
    if !s.starts_with(['-', '+']) {
        s = format!("{}{s}", sign(false, spec));
    }
    let numeric = f.is_finite();
    pad(s, spec, numeric)
}

/// Go's `strconv.Quote`: a double-quoted string with Go escapes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_go_quote(&mut out, s);
    out
}

/// Append [`go_quote`] of `s`; runs of characters that need no escape are copied whole.
pub fn push_go_quote(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{b}' => "\\v",
            ' '..='~' => continue,
            c if is_printable(c) => continue,
            _ => "",
        };
        out.push_str(&s[start..i]);
        start = i + c.len_utf8();
        if !esc.is_empty() {
            out.push_str(esc);
            continue;
        }
        let u = c as u32;
        let (prefix, digits) = if u < 0x80 {
            ("\\x", 2)
        } else if u < 0x10000 {
            ("\\u", 4)
        } else {
            ("\\U", 8)
        };
        out.push_str(prefix);
        for k in (0..digits).rev() {
            out.push(HEX[((u >> (4 * k)) & 0xF) as usize] as char);
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Approximates Go's `strconv.IsPrint`.
fn is_printable(c: char) -> bool {
    !c.is_control()
        && !matches!(c,
            '\u{ad}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{fff9}'..='\u{fffb}')
}

fn format_one(verb: char, spec: Spec, v: &Value) -> String {
    match verb {
        'v' => match num(v) {
            Some(Num::I(i)) => format_int(i as i128, 'd', spec),
            Some(Num::F(f)) => format_float_spec(f, 'g', spec),
            None => pad(go_v(v), spec, false),
        },
        's' => {
            let mut s = value::go_string(v);
            if let Some(p) = spec.prec {
                s = s.chars().take(p).collect();
            }
            pad(s, spec, false)
        }
        'q' => match (v.as_str(), num(v)) {
            (Some(s), _) => pad(go_quote(s), spec, false),
            (None, Some(Num::I(i))) => match u32::try_from(i).ok().and_then(char::from_u32) {
                Some(c) => {
                    let q = go_quote(&c.to_string());
                    let inner = &q[1..q.len() - 1];
                    let inner = if c == '\'' {
                        "\\'"
                    } else if c == '"' {
                        "\""
                    } else {
                        inner
                    };
                    pad(format!("'{inner}'"), spec, false)
                }
                None => bad_verb(verb, v),
            },
            _ if is_nil(v) => bad_verb(verb, v),
            _ => pad(go_quote(&go_v(v)), spec, false),
        },
        'd' | 'b' | 'o' | 'O' | 'x' | 'X' => match num(v) {
            Some(Num::I(i)) => format_int(i as i128, verb, spec),
            Some(Num::F(f)) if verb == 'd' && f.fract() == 0.0 && f.abs() < 9.2e18 => {
                format_int(f as i128, 'd', spec)
            }
            _ => match (verb, v.as_bytes()) {
                ('x' | 'X', Some(bytes)) if v.kind() != minijinja::value::ValueKind::Number => {
                    let bytes = match spec.prec {
                        Some(p) => &bytes[..p.min(bytes.len())],
                        None => bytes,
                    };
                    let mut s = hex::encode(bytes);
                    if verb == 'X' {
                        s = s.to_uppercase();
                    }
                    pad(s, spec, false)
                }
                _ => bad_verb(verb, v),
            },
        },
        'c' => match num(v).and_then(|n| match n {
            Num::I(i) => u32::try_from(i).ok().and_then(char::from_u32),
            _ => None,
        }) {
            Some(c) => pad(c.to_string(), spec, false),
            None => bad_verb(verb, v),
        },
        'U' => match num(v) {
            Some(Num::I(i)) if i >= 0 => pad(format!("U+{i:04X}"), spec, false),
            _ => bad_verb(verb, v),
        },
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => match num(v) {
            Some(n) => format_float_spec(value::as_f64(n), verb, spec),
            None => bad_verb(verb, v),
        },
        't' => match v.kind() {
            minijinja::value::ValueKind::Bool => pad(v.is_true().to_string(), spec, false),
            _ => bad_verb(verb, v),
        },
        'T' => pad(value::type_of(v).to_string(), spec, false),
        _ => bad_verb(verb, v),
    }
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
