//! How goyaml.v2 (the YAML library behind Helm's `sigs.k8s.io/yaml`) types a plain scalar:
//! YAML 1.1 with its own twists. One resolver serves both directions: the values reader
//! ([`super::helm`]) types what it reads with it, and the `toYaml` emitter
//! ([`super::goyaml`]) quotes every string that it would read back as something else.
//!
//! The rules, as goyaml.v2 applies them to a plain (unquoted, untagged) scalar:
//! - `~`, `null`, `Null`, `NULL` and the empty scalar are null;
//! - `y`, `Y`, `yes`, `Yes`, `YES`, `on`, `On`, `ON`, `true`, `True`, `TRUE` are true and
//!   `n`, `N`, `no`, `No`, `NO`, `off`, `Off`, `OFF`, `false`, `False`, `FALSE` false (no
//!   other spelling: `yES` is a string);
//! - `.inf`, `+.inf`, `-.inf`, `.nan` (each also `.Inf`, `.INF`, `.NaN`, `.NAN`) are floats;
//! - `<<` is the merge key;
//! - a scalar starting with a digit or a sign is, in this order: a timestamp (`2024-01-02`,
//!   `2024-1-2T10:00:00Z`, `2024-01-02 10:00:00`), an integer as Go's
//!   `strconv.ParseInt(s, 0, 64)` reads it once every `_` is removed (`0x1F`, `0o17`, `0b101`,
//!   `0777` octal, `+5`, `1_000`), an unsigned integer up to 2⁶⁴−1, a float matching
//!   `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (so `08` is the float 8 and `1e400`,
//!   which overflows, is a string), or an integer too big for 64 bits written with a base
//!   prefix (`0x1FFFFFFFFFFFFFFFFF`);
//! - a scalar starting with `.` is a float when Go's `strconv.ParseFloat` accepts it (`.5`);
//! - anything else is a string. Sexagesimal numbers (`1:30`) are strings when read, but the
//!   emitter still quotes them ([`is_base60_float`]).

/// A number as JSON holds it: with `ints`, as `sigs.k8s.io/yaml` hands a manifest to the
/// API server (goyaml.v2's integer stays an integer, and a float with no fraction is printed
/// by Go's JSON encoder as one, so it is one here too while it fits an `i64`); without, as
/// Helm holds values (every number a float64). `None` for what is not a number, and for an
/// infinity or NaN (JSON has none).
pub fn number_json(s: &Scalar, ints: bool) -> Option<serde_json::Value> {
    let f = match *s {
        Scalar::Int(i) if ints => return Some(i.into()),
        Scalar::Uint(u) if ints => return Some(u.into()),
        Scalar::Float(f) if ints && f.fract() == 0.0 && f.abs() < 9.0e18 => {
            return Some((f as i64).into());
        }
        Scalar::Int(i) => i as f64,
        Scalar::Uint(u) => u as f64,
        Scalar::Float(f) => f,
        _ => return None,
    };
    serde_json::Number::from_f64(f).map(serde_json::Value::Number)
}

/// What a plain scalar means to goyaml.v2.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// `~`, `null`, empty.
    Null,
    /// A YAML 1.1 boolean.
    Bool(bool),
    /// An integer that fits `int64`.
    Int(i64),
    /// An integer above `int64` that fits `uint64`.
    Uint(u64),
    /// A float, possibly infinite or NaN.
    Float(f64),
    /// A timestamp (kept as its text: goyaml.v2 hands timestamps to `interface{}` as strings).
    Timestamp,
    /// The merge key `<<`.
    Merge,
    /// A string.
    Str,
}

/// Type a plain scalar as goyaml.v2's `resolve("", s)` does.
pub fn resolve(s: &str) -> Scalar {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return Scalar::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            word(s).unwrap_or(Scalar::Str)
        }
        b'.' => match s {
            ".nan" | ".NaN" | ".NAN" => Scalar::Float(f64::NAN),
            ".inf" | ".Inf" | ".INF" => Scalar::Float(f64::INFINITY),
            _ => match parse_go_float_dot(s) {
                Some(f) => Scalar::Float(f),
                None => Scalar::Str,
            },
        },
        b'+' | b'-' => match s {
            "+.inf" | "+.Inf" | "+.INF" => Scalar::Float(f64::INFINITY),
            "-.inf" | "-.Inf" | "-.INF" => Scalar::Float(f64::NEG_INFINITY),
            _ => number(s),
        },
        b'0'..=b'9' => number(s),
        b'<' if s == "<<" => Scalar::Merge,
        _ => Scalar::Str,
    }
}

/// The null and boolean words.
fn word(s: &str) -> Option<Scalar> {
    Some(match s {
        "~" | "null" | "Null" | "NULL" => Scalar::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Scalar::Bool(false)
        }
        _ => return None,
    })
}

/// A scalar starting with a digit or a sign.
fn number(s: &str) -> Scalar {
    if is_timestamp(s) {
        return Scalar::Timestamp;
    }
    let plain: std::borrow::Cow<'_, str> = if s.contains('_') {
        s.replace('_', "").into()
    } else {
        s.into()
    };
    match parse_go_uint_signed(&plain) {
        Some((false, u)) if u <= i64::MAX as u64 => return Scalar::Int(u as i64),
        Some((false, u)) => return Scalar::Uint(u),
        Some((true, u)) if u <= 1 << 63 => return Scalar::Int((u as i64).wrapping_neg()),
        _ => {}
    }
    // Go's ParseFloat reports overflow (`1e400`) as an error: the scalar stays a string.
    if is_yaml_style_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
        && f.is_finite()
    {
        return Scalar::Float(f);
    }
    Scalar::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)` digits, as (negative, magnitude): a sign, then a `0x`,
/// `0o`, `0b` or `0` (octal) prefix. `None` for anything that is not a number or overflows
/// 64 bits. The caller checks the int64 range.
fn parse_go_uint_signed(s: &str) -> Option<(bool, u64)> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    parse_go_uint(rest).map(|u| (neg, u))
}

/// Go's `strconv.ParseUint(s, 0, 64)` (with no `_` in `s`).
fn parse_go_uint(s: &str) -> Option<u64> {
    let (radix, digits) = base_and_digits(s)?;
    let mut n: u64 = 0;
    for c in digits.bytes() {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' => c - b'a' + 10,
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        } as u64;
        if d >= radix {
            return None;
        }
        n = n.checked_mul(radix)?.checked_add(d)?;
    }
    Some(n)
}

/// The radix and digits of an unsigned Go integer literal with base 0.
fn base_and_digits(s: &str) -> Option<(u64, &str)> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    if b[0] != b'0' {
        return Some((10, s));
    }
    if b.len() >= 3 {
        match b[1] {
            b'x' | b'X' => return Some((16, &s[2..])),
            b'o' | b'O' => return Some((8, &s[2..])),
            b'b' | b'B' => return Some((2, &s[2..])),
            _ => {}
        }
    }
    Some((8, &s[1..]))
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return false;
        }
        i = end;
    } else {
        let end = digits(i);
        if end == i {
            return false;
        }
        i = end;
        if b.get(i) == Some(&b'.') {
            i = digits(i + 1);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return false;
        }
        i = end;
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for a string starting with `.` (`.5`, `.5e-3`).
fn parse_go_float_dot(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let frac = 1 + b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if frac == 1 {
        return None;
    }
    let mut i = frac;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let end = i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if end == i {
            return None;
        }
        i = end;
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// YAML 1.1 sexagesimal floats (`1:30`, `-190:20:30.15`), which goyaml.v2 reads as strings
/// but quotes when writing: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // `[0-5]?[0-9]`: one digit, or two with the first at most 5.
        match (b.get(i), b.get(i + 1)) {
            (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Whether goyaml.v2 reads `s` as a timestamp: Go's `time.Parse` with one of the layouts
/// `2006-1-2T15:4:5.999999999Z07:00` (also with a lower-case `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`, consuming the whole string, with Go's range
/// checks (month 1–12, a day that exists in that month, hour < 24, minute and second < 60).
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    let mut i = 5;
    let Some(month) = num12(b, &mut i) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num12(b, &mut i) else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let (Some(h), true, Some(m), true, Some(sec)) = (
        num12(b, &mut i),
        eat(b, &mut i, b':'),
        num12(b, &mut i),
        eat(b, &mut i, b':'),
        num12(b, &mut i),
    ) else {
        return false;
    };
    if h >= 24 || m >= 60 || sec >= 60 {
        return false;
    }
    // Optional fraction: a `.` or `,` followed by at least one digit, then any digits.
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if !zoned {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            // ±hh:mm
            let z = &b[i + 1..];
            z.len() == 5
                && z[0].is_ascii_digit()
                && z[1].is_ascii_digit()
                && z[2] == b':'
                && z[3].is_ascii_digit()
                && z[4].is_ascii_digit()
                && (z[0] - b'0') * 10 + (z[1] - b'0') <= 24
                && (z[3] - b'0') * 10 + (z[4] - b'0') <= 60
        }
        _ => false,
    }
}

/// One or two digits (Go's `getnum(value, false)`).
fn num12(b: &[u8], i: &mut usize) -> Option<u32> {
    let d1 = *b.get(*i).filter(|c| c.is_ascii_digit())?;
    *i += 1;
    let mut n = u32::from(d1 - b'0');
    if let Some(d2) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        n = n * 10 + u32::from(d2 - b'0');
        *i += 1;
    }
    Some(n)
}

fn eat(b: &[u8], i: &mut usize, c: u8) -> bool {
    if b.get(*i) == Some(&c) {
        *i += 1;
        true
    } else {
        false
    }
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(resolve("yes"), Scalar::Bool(true));
        assert_eq!(resolve("Off"), Scalar::Bool(false));
        assert_eq!(resolve("yES"), Scalar::Str);
        assert_eq!(resolve("~"), Scalar::Null);
        assert_eq!(resolve(""), Scalar::Null);
        assert_eq!(resolve("nan"), Scalar::Str);
        assert_eq!(resolve("<<"), Scalar::Merge);
    }

    #[test]
    fn numbers() {
        assert_eq!(resolve("0777"), Scalar::Int(511));
        assert_eq!(resolve("0x1F"), Scalar::Int(31));
        assert_eq!(resolve("-0x1F"), Scalar::Int(-31));
        assert_eq!(resolve("0o17"), Scalar::Int(15));
        assert_eq!(resolve("0b101"), Scalar::Int(5));
        assert_eq!(resolve("1_000"), Scalar::Int(1000));
        assert_eq!(resolve("1__"), Scalar::Int(1));
        assert_eq!(resolve("+5"), Scalar::Int(5));
        assert_eq!(resolve("08"), Scalar::Float(8.0));
        assert_eq!(resolve("1e3"), Scalar::Float(1000.0));
        assert_eq!(resolve("1."), Scalar::Float(1.0));
        assert_eq!(resolve(".5"), Scalar::Float(0.5));
        assert_eq!(resolve("-.5"), Scalar::Float(-0.5));
        assert_eq!(resolve("1e400"), Scalar::Str);
        assert_eq!(resolve("1e"), Scalar::Str);
        assert_eq!(resolve("-9223372036854775808"), Scalar::Int(i64::MIN));
        assert_eq!(
            resolve("12345678901234567890"),
            Scalar::Uint(12345678901234567890)
        );
        assert_eq!(
            resolve("123456789012345678901"),
            Scalar::Float(1.2345678901234568e20)
        );
        assert_eq!(resolve("0x1FFFFFFFFFFFFFFFF"), Scalar::Str);
        assert_eq!(resolve("12:30"), Scalar::Str);
        assert!(is_base60_float("12:30"));
        assert!(is_base60_float("-190:20:30.15"));
        assert!(!is_base60_float("12:60"));
        assert!(!is_base60_float("12"));
    }

    #[test]
    fn timestamps() {
        for t in [
            "2024-01-02",
            "2024-1-2",
            "2024-01-02T10:00:00Z",
            "2024-01-02t10:00:00.5+01:00",
            "2024-01-02 10:00:00",
            "2024-02-29",
        ] {
            assert!(is_timestamp(t), "{t}");
        }
        for t in [
            "2024-01-02T10:00:00",
            "2023-02-29",
            "2024-13-01",
            "2024-01-02x",
            "2024-01-02 10:00",
            "2024-001-02",
            "20240102",
        ] {
            assert!(!is_timestamp(t), "{t}");
        }
    }
}
