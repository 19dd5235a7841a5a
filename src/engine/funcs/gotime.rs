//! Go's `time` as sprig's date helpers use it from a Go template: a [`GoTime`] value (an
//! instant with its zone's offset and abbreviation, printed as Go's `Time.String()`), zones
//! loaded by name from the system's zoneinfo files as Go's `time.LoadLocation` does,
//! parsing with Go layouts (`toDate`), and Go's durations (`ParseDuration`,
//! `Duration.String()`).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Timelike, Utc};
use minijinja::value::{Object, ObjectRepr, Value};

use super::dates::go_format;

/// A Go `time.Time`: an instant, and the offset and zone abbreviation it is shown in.
#[derive(Debug, Clone)]
pub struct GoTime {
    /// The instant.
    pub utc: DateTime<Utc>,
    /// Seconds east of UTC.
    pub offset: i32,
    /// The zone abbreviation (`UTC`, `CET`), or `None` for a bare offset.
    pub zone: Option<String>,
}

impl GoTime {
    /// The instant in a zone.
    pub fn in_zone(utc: DateTime<Utc>, zone: &Zone) -> GoTime {
        let (offset, name) = zone.at(utc.timestamp());
        GoTime {
            utc,
            offset,
            zone: name,
        }
    }

    /// The wall-clock time with its offset.
    pub fn local(&self) -> DateTime<FixedOffset> {
        let off = FixedOffset::east_opt(self.offset).unwrap_or(FixedOffset::east_opt(0).unwrap());
        self.utc.with_timezone(&off)
    }

    /// Format with a Go layout.
    pub fn format(&self, layout: &str) -> String {
        go_format(&self.local(), layout, self.zone.as_deref())
    }

    /// Go's zero time, `0001-01-01 00:00:00 +0000 UTC`.
    pub fn zero() -> GoTime {
        let utc = NaiveDate::from_ymd_opt(1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or_default();
        GoTime {
            utc,
            offset: 0,
            zone: Some("UTC".into()),
        }
    }

    pub fn value(self) -> Value {
        Value::from_object(self)
    }
}

impl Object for GoTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    /// Go's niladic methods a template calls as fields (`.Year`, `.Unix`...).
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let t = self.local();
        Some(match key.as_str()? {
            "Year" => Value::from(t.year()),
            "Month" => Value::from(t.format("%B").to_string()),
            "Day" => Value::from(t.day()),
            "Hour" => Value::from(t.hour()),
            "Minute" => Value::from(t.minute()),
            "Second" => Value::from(t.second()),
            "Nanosecond" => Value::from(t.nanosecond()),
            "YearDay" => Value::from(t.ordinal()),
            "Weekday" => Value::from(t.format("%A").to_string()),
            "Unix" => Value::from(self.utc.timestamp()),
            "UnixMilli" => Value::from(self.utc.timestamp_millis()),
            "UnixNano" => Value::from(self.utc.timestamp_nanos_opt().unwrap_or(0)),
            "UTC" => GoTime::in_zone(self.utc, &Zone::Utc).value(),
            "Local" => GoTime::in_zone(self.utc, &Zone::local()).value(),
            "String" => Value::from(self.to_string()),
            _ => return None,
        })
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string())
    }
}

impl fmt::Display for GoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format("2006-01-02 15:04:05.999999999 -0700 MST"))
    }
}

/// A time zone as Go's `time.Location`.
pub enum Zone {
    Utc,
    /// A zone read from a zoneinfo file, with its name.
    Tz(Box<tz::TimeZone>),
}

impl Zone {
    /// Go's `time.LoadLocation`: `""` and `UTC` are UTC, `Local` the machine's zone,
    /// anything else a zoneinfo file (`$ZONEINFO`, then `/usr/share/zoneinfo`); `None` for an
    /// unknown zone.
    pub fn load(name: &str) -> Option<Zone> {
        match name {
            "" | "UTC" => Some(Zone::Utc),
            "Local" => Some(Zone::local()),
            n if n.contains("..") || n.starts_with('/') || n.contains('\\') => None,
            n => {
                let dirs = std::env::var("ZONEINFO").into_iter().chain([
                    "/usr/share/zoneinfo".to_string(),
                    "/usr/share/lib/zoneinfo".to_string(),
                    "/usr/lib/locale/TZ".to_string(),
                ]);
                dirs.filter_map(|d| std::fs::read(std::path::Path::new(&d).join(n)).ok())
                    .find_map(|bytes| tz::TimeZone::from_tz_data(&bytes).ok())
                    .map(|z| Zone::Tz(Box::new(z)))
            }
        }
    }

    /// The machine's zone, as Go finds it: `$TZ` (empty is UTC), else `/etc/localtime`.
    pub fn local() -> Zone {
        match std::env::var("TZ") {
            Ok(tz) if tz.is_empty() || tz == "UTC" => Zone::Utc,
            Ok(tz) => Zone::load(tz.trim_start_matches(':')).unwrap_or(Zone::Utc),
            Err(_) => std::fs::read("/etc/localtime")
                .ok()
                .and_then(|b| tz::TimeZone::from_tz_data(&b).ok())
                .map(|z| Zone::Tz(Box::new(z)))
                .unwrap_or(Zone::Utc),
        }
    }

    /// The offset and abbreviation at a Unix time.
    pub fn at(&self, unix: i64) -> (i32, Option<String>) {
        match self {
            Zone::Utc => (0, Some("UTC".into())),
            Zone::Tz(z) => match z.find_local_time_type(unix) {
                Ok(t) => (t.ut_offset(), Some(t.time_zone_designation().to_string())),
                Err(_) => (0, Some("UTC".into())),
            },
        }
    }
}

/// The instant a helper argument names, as sprig's date helpers read it: a time value, or
/// an integer of Unix seconds; anything else is `None` (sprig then uses now).
pub fn time_arg(v: &Value) -> Option<DateTime<Utc>> {
    if let Some(t) = v.downcast_object_ref::<GoTime>() {
        return Some(t.utc);
    }
    match super::value::num(v) {
        Some(super::value::Num::I(secs)) => Utc.timestamp_opt(secs, 0).single(),
        _ => None,
    }
}

// --- durations ----------------------------------------------------------------------------

/// Go's `time.ParseDuration`: `1h30m`, `-1.5s`, `300ms`, `2h45m10.5s`...
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration \"{s}\"");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..num_end];
        if number.is_empty() || number == "." {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration \"{s}\"")),
            u => return Err(format!("time: unknown unit \"{u}\" in duration \"{s}\"")),
        };
        total += value * unit;
        rest = &rest[unit_end..];
    }
    if total > i64::MAX as f64 {
        return Err(invalid());
    }
    let n = total.round() as i64;
    Ok(if neg { -n } else { n })
}

/// Go's `Duration.String()`: `1h0m0s`, `1.5s`, `300ms`, `0s`.
pub fn format_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Below a second: the largest unit that keeps an integer part.
        let (unit, scale) = if u < 1_000 {
            ("ns", 1u64)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&fraction(u, scale));
        out.push_str(unit);
    } else {
        let secs = u / 1_000_000_000;
        let (h, m) = (secs / 3600, (secs / 60) % 60);
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&fraction(u % 60_000_000_000, 1_000_000_000));
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `n / scale` with the remainder as decimals without trailing zeros.
fn fraction(n: u64, scale: u64) -> String {
    let (int, rem) = (n / scale, n % scale);
    if rem == 0 {
        return int.to_string();
    }
    let width = scale.ilog10() as usize;
    let frac = format!("{rem:0width$}");
    format!("{int}.{}", frac.trim_end_matches('0'))
}

// --- parsing with Go layouts --------------------------------------------------------------

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The layout elements Go recognises, longest first where one is a prefix of another.
const ELEMENTS: &[&str] = &[
    "January",
    "Monday",
    "2006",
    "-07:00:00",
    "Z07:00:00",
    "-0700",
    "Z0700",
    "-07:00",
    "Z07:00",
    "-07",
    "Z07",
    "Jan",
    "Mon",
    "MST",
    "002",
    "__2",
    "_2",
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "15",
    "PM",
    "pm",
    "1",
    "2",
    "3",
    "4",
    "5",
];

/// Go's `time.ParseInLocation(layout, value, loc)`, with Go's error text.
pub fn parse(layout: &str, value: &str, loc: &Zone) -> Result<GoTime, String> {
    let err = |v: &str, e: &str| {
        format!("parsing time {value:?} as {layout:?}: cannot parse {v:?} as {e:?}")
    };
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (1i32, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut zone_name: Option<String> = None;
    let (mut l, mut v) = (layout, value);
    while !l.is_empty() {
        // Fractional seconds after a seconds element: ".000" / ".999" in the layout.
        if let Some(rest) = l.strip_prefix('.').or_else(|| l.strip_prefix(','))
            && let Some(d) = rest.chars().next().filter(|c| *c == '0' || *c == '9')
        {
            let n = rest.chars().take_while(|c| *c == d).count();
            let next = rest[n..].chars().next();
            if !next.is_some_and(|c| c.is_ascii_digit()) {
                l = &rest[n..];
                if let Some(vr) = v.strip_prefix(['.', ',']) {
                    let digits = vr.chars().take_while(|c| c.is_ascii_digit()).count();
                    if d == '0' && digits != n {
                        return Err(err(v, &format!(".{}", "0".repeat(n))));
                    }
                    nanos = frac_nanos(&vr[..digits]);
                    v = &vr[digits..];
                } else if d == '0' {
                    return Err(err(v, &format!(".{}", "0".repeat(n))));
                }
                continue;
            }
        }
        let Some(elem) = ELEMENTS.iter().find(|e| l.starts_with(**e)) else {
            let c = l.chars().next().unwrap_or(' ');
            if !v.starts_with(c) {
                return Err(err(v, &l[..c.len_utf8()]));
            }
            l = &l[c.len_utf8()..];
            v = &v[c.len_utf8()..];
            continue;
        };
        l = &l[elem.len()..];
        let digits = |v: &str, min: usize, max: usize| -> Option<(u32, usize)> {
            let n = v
                .chars()
                .take(max)
                .take_while(|c| c.is_ascii_digit())
                .count();
            (n >= min)
                .then(|| v[..n].parse().ok().map(|x| (x, n)))
                .flatten()
        };
        let bad = || err(v, elem);
        match *elem {
            "2006" => {
                let (y, n) = digits(v, 4, 4).ok_or_else(bad)?;
                year = y as i32;
                v = &v[n..];
            }
            "06" => {
                let (y, n) = digits(v, 2, 2).ok_or_else(bad)?;
                year = if y >= 69 {
                    1900 + y as i32
                } else {
                    2000 + y as i32
                };
                v = &v[n..];
            }
            "01" | "1" => {
                let (m, n) = digits(v, if *elem == "01" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                if !(1..=12).contains(&m) {
                    return Err(format!("parsing time {value:?}: month out of range"));
                }
                month = m;
                v = &v[n..];
            }
            "Jan" | "January" => {
                let long = *elem == "January";
                let idx = MONTHS
                    .iter()
                    .position(|m| {
                        let name = if long { m } else { &m[..3] };
                        v.get(..name.len())
                            .is_some_and(|p| p.eq_ignore_ascii_case(name))
                    })
                    .ok_or_else(bad)?;
                month = idx as u32 + 1;
                v = &v[if long { MONTHS[idx].len() } else { 3 }..];
            }
            "Mon" | "Monday" => {
                let long = *elem == "Monday";
                let name = DAYS
                    .iter()
                    .map(|d| if long { *d } else { &d[..3] })
                    .find(|d| v.get(..d.len()).is_some_and(|p| p.eq_ignore_ascii_case(d)))
                    .ok_or_else(bad)?;
                v = &v[name.len()..];
            }
            "02" | "2" | "_2" => {
                let s = if *elem == "_2" {
                    v.strip_prefix(' ').unwrap_or(v)
                } else {
                    v
                };
                let (d, n) = digits(s, if *elem == "02" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                day = d;
                v = &s[n..];
            }
            "002" | "__2" => {
                let (_, n) = digits(v.trim_start(), 1, 3).ok_or_else(bad)?;
                v = &v.trim_start()[n..];
            }
            "15" => {
                let (h, n) = digits(v, 1, 2).ok_or_else(bad)?;
                hour = h;
                v = &v[n..];
            }
            "03" | "3" => {
                let (h, n) = digits(v, if *elem == "03" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                hour = h % 12;
                v = &v[n..];
            }
            "04" | "4" => {
                let (m, n) = digits(v, if *elem == "04" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                min = m;
                v = &v[n..];
            }
            "05" | "5" => {
                let (s, n) = digits(v, if *elem == "05" { 2 } else { 1 }, 2).ok_or_else(bad)?;
                sec = s;
                v = &v[n..];
                // Go accepts a fraction after the seconds even when the layout has none.
                if let Some(vr) = v.strip_prefix('.')
                    && !l.starts_with('.')
                {
                    let digits = vr.chars().take_while(|c| c.is_ascii_digit()).count();
                    if digits > 0 {
                        nanos = frac_nanos(&vr[..digits]);
                        v = &vr[digits..];
                    }
                }
            }
            "PM" | "pm" => {
                let p = v.get(..2).ok_or_else(bad)?;
                pm = Some(match p.to_ascii_uppercase().as_str() {
                    "PM" => true,
                    "AM" => false,
                    _ => return Err(bad()),
                });
                v = &v[2..];
            }
            "MST" => {
                let n = v.chars().take_while(|c| c.is_ascii_uppercase()).count();
                if n < 3 {
                    return Err(bad());
                }
                zone_name = Some(v[..n].to_string());
                v = &v[n..];
            }
            z => {
                // Offsets: Z-forms accept a literal Z for UTC.
                if z.starts_with('Z') && v.starts_with('Z') {
                    offset = Some(0);
                    v = &v[1..];
                    continue;
                }
                let sign = match v.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(bad()),
                };
                let body = z.trim_start_matches(['Z', '-']);
                let want: Vec<usize> = body.split(':').map(str::len).collect();
                let mut rest = &v[1..];
                let mut parts = Vec::new();
                for (i, w) in want.iter().enumerate() {
                    if i > 0 {
                        rest = rest.strip_prefix(':').ok_or_else(bad)?;
                    }
                    let (x, n) = digits(rest, *w.min(&2), 2).ok_or_else(bad)?;
                    parts.push(x as i32);
                    rest = &rest[n..];
                    if *w == 4 {
                        // "0700": hours and minutes without a colon.
                        let (m, n) = digits(rest, 2, 2).unwrap_or((0, 0));
                        parts.push(m as i32);
                        rest = &rest[n..];
                    }
                }
                let secs = parts.first().copied().unwrap_or(0) * 3600
                    + parts.get(1).copied().unwrap_or(0) * 60
                    + parts.get(2).copied().unwrap_or(0);
                offset = Some(sign * secs);
                v = rest;
            }
        }
    }
    if !v.is_empty() {
        return Err(format!("parsing time {value:?}: extra text: {v:?}"));
    }
    if pm == Some(true) {
        hour += 12;
    }
    let naive = NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_nano_opt(hour, min, sec, nanos))
        .ok_or_else(|| format!("parsing time {value:?}: day out of range"))?;
    if let Some(off) = offset {
        let utc = naive.and_utc() - chrono::Duration::seconds(off as i64);
        let zone = if off == 0 && zone_name.is_none() {
            Some("UTC".into())
        } else {
            zone_name
        };
        return Ok(GoTime {
            utc,
            offset: off,
            zone,
        });
    }
    // No offset in the text: the wall time is in `loc` (offsets near a change are taken
    // from the UTC reading, which is right except inside the change itself).
    let guess = naive.and_utc();
    let (off, name) = loc.at(guess.timestamp());
    let utc = guess - chrono::Duration::seconds(off as i64);
    let (off, name) = match loc.at(utc.timestamp()) {
        (o, n) if o == off => (o, n),
        _ => (off, name),
    };
    Ok(GoTime {
        utc,
        offset: off,
        zone: zone_name.or(name),
    })
}

fn frac_nanos(digits: &str) -> u32 {
    let mut d = digits.to_string();
    d.truncate(9);
    while d.len() < 9 {
        d.push('0');
    }
    d.parse().unwrap_or(0)
}

/// A Go `time.Duration` (nanoseconds), as Helm's duration helpers return it: printed as
/// Go's `Duration.String()` (`1m30s`), its niladic methods callable as fields (`.Seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoDuration(pub i64);

impl GoDuration {
    /// As a template value.
    pub fn value(self) -> Value {
        Value::from_object(self)
    }

    /// Go's `Duration.Seconds()`.
    pub fn seconds(self) -> f64 {
        self.in_units(1_000_000_000)
    }

    /// Go's `Duration.Minutes()`.
    pub fn minutes(self) -> f64 {
        self.in_units(60_000_000_000)
    }

    /// Go's `Duration.Hours()`.
    pub fn hours(self) -> f64 {
        self.in_units(3_600_000_000_000)
    }

    /// Whole units and the fraction, added as Go adds them (exact for whole units).
    fn in_units(self, unit: i64) -> f64 {
        (self.0 / unit) as f64 + (self.0 % unit) as f64 / unit as f64
    }

    /// Go's `Duration.Round(m)`: to the nearest multiple of `m`, halves away from zero;
    /// `m <= 0` leaves it; a result beyond the range is the range's end.
    pub fn round(self, m: i64) -> GoDuration {
        let d = self.0;
        if m <= 0 {
            return self;
        }
        let less_than_half = |x: i64| (x as u64).wrapping_add(x as u64) < m as u64;
        let mut r = d % m;
        if d < 0 {
            r = -r;
            if less_than_half(r) {
                return GoDuration(d + r);
            }
            let d1 = d.wrapping_sub(m).wrapping_add(r);
            return GoDuration(if d1 < d { d1 } else { i64::MIN });
        }
        if less_than_half(r) {
            return GoDuration(d - r);
        }
        let d1 = d.wrapping_add(m).wrapping_sub(r);
        GoDuration(if d1 > d { d1 } else { i64::MAX })
    }

    /// Go's `Duration.Truncate(m)`: toward zero to a multiple of `m`; `m <= 0` leaves it.
    pub fn truncate(self, m: i64) -> GoDuration {
        if m <= 0 {
            self
        } else {
            GoDuration(self.0 - self.0 % m)
        }
    }
}

impl Object for GoDuration {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    /// Go's niladic methods a template calls as fields (`.Seconds`, `.Milliseconds`...).
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let d = **self;
        Some(match key.as_str()? {
            "Nanoseconds" => Value::from(d.0),
            "Microseconds" => Value::from(d.0 / 1_000),
            "Milliseconds" => Value::from(d.0 / 1_000_000),
            "Seconds" => Value::from(d.seconds()),
            "Minutes" => Value::from(d.minutes()),
            "Hours" => Value::from(d.hours()),
            "Abs" => GoDuration(if d.0 == i64::MIN { i64::MAX } else { d.0.abs() }).value(),
            "String" => Value::from(format_duration(d.0)),
            _ => return None,
        })
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}
