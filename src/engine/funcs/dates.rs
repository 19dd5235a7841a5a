//! Time helpers: `now`, `date` and `dateInZone`, formatting with Go's reference-time layouts
//! (`"2006-01-02T15:04:05Z07:00"`, `"Jan 2, 2006"`, `"15:04"`...).
//!
//! kpack has no time type: `now` returns an RFC 3339 string in local time. `date` accepts
//! such strings (RFC 3339, `2006-01-02 15:04:05`, `2006-01-02`), integers (Unix seconds)
//! and nil (now). As in sprig, `date` formats in the local time zone; `dateInZone` takes
//! `UTC`, `Local`, a numeric offset such as `+02:00` or a zone name (`Europe/Paris`, read
//! from the system's zoneinfo as Go does; an unknown zone is UTC, as in sprig).
//!
//! sprig's time values (`toDate`, and `now` in a Go template) are [`GoTime`]s; the
//! Go-side variants (`go_*`) read arguments as sprig's Go code does: a time or Unix
//! seconds, anything else meaning now.
//!
//! Helm 4.3's duration helpers (`mustToDuration`, `durationSeconds`...,
//! `durationRoundTo`, `durationTruncateTo`) read a duration, a Go duration string or a
//! number of seconds, and give numbers or [`GoDuration`]s, as Go's `time.Duration` methods.

use chrono::{
    DateTime, Datelike, FixedOffset, Local, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone,
    Timelike, Utc,
};
use minijinja::{Error, Value};

use super::Args;
use super::gotime::{self, GoDuration, GoTime, Zone, time_arg};
use super::value::{self, Num, is_nil, num};

pub fn now(_a: &Args) -> Result<Value, Error> {
    Ok(Local::now()
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
        .into())
}

/// The instant argument `i` names (now for nil).
fn instant(a: &Args, i: usize) -> Result<DateTime<Utc>, Error> {
    let v = a.get(i);
    if is_nil(v) {
        return Ok(Utc::now());
    }
    if let Some(t) = v.downcast_object_ref::<GoTime>() {
        return Ok(t.utc);
    }
    match num(v) {
        Some(Num::I(secs)) => {
            return Utc
                .timestamp_opt(secs, 0)
                .single()
                .ok_or_else(|| a.err(format!("timestamp {secs} out of range")));
        }
        Some(Num::F(f)) => {
            return Utc
                .timestamp_opt(f.trunc() as i64, (f.fract().abs() * 1e9) as u32)
                .single()
                .ok_or_else(|| a.err(format!("timestamp {f} out of range")));
        }
        None => {}
    }
    let s = a.str(i);
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    // Go's time.String(): "2006-01-02 15:04:05.999999999 -0700 MST" (zone name optional).
    let without_name = match s.rsplit_once(' ') {
        Some((head, name)) if name.chars().all(|c| c.is_ascii_alphabetic()) => head,
        _ => s,
    };
    if let Ok(t) = DateTime::parse_from_str(without_name, "%Y-%m-%d %H:%M:%S%.f %z") {
        return Ok(t.with_timezone(&Utc));
    }
    for layout in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, layout) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err(a.err(format!("cannot parse {s:?} as a time")))
}

/// A zone by name: `UTC`/empty, `Local`, or a numeric offset; anything else is UTC.
fn zone(name: &str, at: &DateTime<Utc>) -> (FixedOffset, Option<String>) {
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    match name.trim() {
        "" | "UTC" | "utc" | "Z" => (utc, Some("UTC".to_string())),
        "Local" => (*at.with_timezone(&Local).offset(), None),
        other => match DateTime::parse_from_str(
            &format!("2000-01-01 00:00 {other}"),
            "%Y-%m-%d %H:%M %z",
        ) {
            Ok(t) => (*t.offset(), None),
            Err(_) => match Zone::load(other) {
                Some(z) => {
                    let (secs, name) = z.at(at.timestamp());
                    (FixedOffset::east_opt(secs).unwrap_or(utc), name)
                }
                None => (utc, Some("UTC".to_string())),
            },
        },
    }
}

/// `date layout t`: t in local time, formatted with a Go layout.
pub fn date(a: &Args) -> Result<Value, Error> {
    let t = instant(a, 1)?;
    let (off, name) = zone("Local", &t);
    Ok(go_format(&t.with_timezone(&off), &a.str(0), name.as_deref()).into())
}

/// `dateInZone layout t zone`.
pub fn date_in_zone(a: &Args) -> Result<Value, Error> {
    let t = instant(a, 1)?;
    let (off, name) = zone(&a.str(2), &t);
    Ok(go_format(&t.with_timezone(&off), &a.str(0), name.as_deref()).into())
}

const LONG_MONTHS: [&str; 12] = [
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
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn offset_text(secs: i32, colon: bool, with_minutes: bool, with_seconds: bool) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let s = secs.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
    let sep = if colon { ":" } else { "" };
    let mut out = format!("{sign}{h:02}");
    if with_minutes {
        out.push_str(&format!("{sep}{m:02}"));
    }
    if with_seconds {
        out.push_str(&format!("{sep}{sec:02}"));
    }
    out
}

/// Format with a Go reference-time layout (`Mon Jan 2 15:04:05 MST 2006`).
pub fn go_format(t: &DateTime<FixedOffset>, layout: &str, zone_name: Option<&str>) -> String {
    let b = layout.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let off = t.offset().local_minus_utc();
    let at = |i: usize, s: &str| layout[i..].starts_with(s);
    while i < b.len() {
        let rest = &layout[i..];
        // (token length, replacement)
        let tok: Option<(usize, String)> = match b[i] {
            b'J' if at(i, "January") => Some((7, LONG_MONTHS[t.month0() as usize].to_string())),
            b'J' if at(i, "Jan") => Some((3, LONG_MONTHS[t.month0() as usize][..3].to_string())),
            b'M' if at(i, "Monday") => Some((
                6,
                LONG_DAYS[t.weekday().num_days_from_monday() as usize].to_string(),
            )),
            b'M' if at(i, "Mon") => Some((
                3,
                LONG_DAYS[t.weekday().num_days_from_monday() as usize][..3].to_string(),
            )),
            b'M' if at(i, "MST") => Some((
                3,
                match zone_name {
                    Some(n) => n.to_string(),
                    None if off == 0 => "UTC".to_string(),
                    None => offset_text(off, false, true, false),
                },
            )),
            b'0' if at(i, "002") => Some((3, format!("{:03}", t.ordinal()))),
            b'0' if b.get(i + 1).is_some_and(|c| (b'1'..=b'6').contains(c)) => Some((
                2,
                match b[i + 1] {
                    b'1' => format!("{:02}", t.month()),
                    b'2' => format!("{:02}", t.day()),
                    b'3' => format!("{:02}", hour12(t.hour())),
                    b'4' => format!("{:02}", t.minute()),
                    b'5' => format!("{:02}", t.second()),
                    _ => format!("{:02}", t.year().rem_euclid(100)),
                },
            )),
            b'1' if at(i, "15") => Some((2, format!("{:02}", t.hour()))),
            b'1' => Some((1, t.month().to_string())),
            b'2' if at(i, "2006") => Some((4, format!("{:04}", t.year()))),
            b'2' => Some((1, t.day().to_string())),
            b'_' if at(i, "_2006") => Some((5, format!("_{:04}", t.year()))),
            b'_' if at(i, "__2") => Some((3, format!("{:>3}", t.ordinal()))),
            b'_' if at(i, "_2") => Some((2, format!("{:>2}", t.day()))),
            b'3' => Some((1, hour12(t.hour()).to_string())),
            b'4' => Some((1, t.minute().to_string())),
            b'5' => Some((1, t.second().to_string())),
            b'P' if at(i, "PM") => Some((2, if t.hour() >= 12 { "PM" } else { "AM" }.into())),
            b'p' if at(i, "pm") => Some((2, if t.hour() >= 12 { "pm" } else { "am" }.into())),
            b'-' | b'Z' => {
                let z = b[i] == b'Z';
                let body = &rest[1..];
                let forms: [(&str, bool, bool, bool); 5] = [
                    ("070000", false, true, true),
                    ("07:00:00", true, true, true),
                    ("0700", false, true, false),
                    ("07:00", true, true, false),
                    ("07", false, false, false),
                ];
                forms
                    .iter()
                    .find(|(f, ..)| body.starts_with(f))
                    .map(|(f, colon, mins, secs)| {
                        let text = if z && off == 0 {
                            "Z".to_string()
                        } else {
                            offset_text(off, *colon, *mins, *secs)
                        };
                        (f.len() + 1, text)
                    })
            }
            b'.' | b',' if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let digit = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == digit {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    None
                } else {
                    let n = j - i - 1;
                    let nanos = format!("{:09}", t.nanosecond() % 1_000_000_000);
                    let mut frac = nanos[..n.min(9)].to_string();
                    if digit == b'9' {
                        frac = frac.trim_end_matches('0').to_string();
                    }
                    let text = if frac.is_empty() {
                        String::new()
                    } else {
                        format!("{}{frac}", b[i] as char)
                    };
                    Some((j - i, text))
                }
            }
            _ => None,
        };
        match tok {
            Some((len, text)) => {
                out.push_str(&text);
                i += len;
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

fn hour12(h: u32) -> u32 {
    match h % 12 {
        0 => 12,
        x => x,
    }
}

// --- sprig's time values (shared) and the Go-side variants --------------------------------

fn now_local() -> GoTime {
    GoTime::in_zone(Utc::now(), &Zone::local())
}

/// The instant of a time argument as sprig reads it from Go: a time, or Unix seconds;
/// anything else is now.
fn go_instant(v: &Value) -> DateTime<Utc> {
    time_arg(v).unwrap_or_else(Utc::now)
}

fn format_in(layout: &str, t: DateTime<Utc>, zone: &str) -> String {
    let zone = Zone::load(zone).unwrap_or(Zone::Utc);
    GoTime::in_zone(t, &zone).format(layout)
}

/// `now` as a Go template sees it: a time value in the local zone.
pub fn go_now(_a: &Args) -> Result<Value, Error> {
    Ok(now_local().value())
}

/// `date layout t` as sprig's Go code: a time or Unix seconds, otherwise now; local zone.
pub fn go_date(a: &Args) -> Result<Value, Error> {
    Ok(format_in(&a.str(0), go_instant(a.get(1)), "Local").into())
}

/// `dateInZone layout t zone`: an unknown zone is UTC, as in sprig.
pub fn go_date_in_zone(a: &Args) -> Result<Value, Error> {
    Ok(format_in(&a.str(0), go_instant(a.get(1)), &a.str(2)).into())
}

/// `htmlDate t`: `2006-01-02` in the local zone.
pub fn html_date(a: &Args) -> Result<Value, Error> {
    Ok(format_in("2006-01-02", go_instant(a.get(0)), "Local").into())
}

/// `htmlDateInZone t zone`.
pub fn html_date_in_zone(a: &Args) -> Result<Value, Error> {
    Ok(format_in("2006-01-02", go_instant(a.get(0)), &a.str(1)).into())
}

/// `toDate layout s`: the time `s` names in the layout (local zone unless it says
/// otherwise); Go's zero time when it does not parse.
pub fn to_date(a: &Args) -> Result<Value, Error> {
    Ok(gotime::parse(&a.str(0), &a.str(1), &Zone::local())
        .unwrap_or_else(|_| GoTime::zero())
        .value())
}

/// `mustToDate layout s`: `toDate`, failing with Go's parse error.
pub fn must_to_date(a: &Args) -> Result<Value, Error> {
    gotime::parse(&a.str(0), &a.str(1), &Zone::local())
        .map(GoTime::value)
        .map_err(|e| a.err(e))
}

/// The time argument of the helpers that take only a time.
fn time_of(a: &Args, i: usize) -> Result<GoTime, Error> {
    let v = a.get(i);
    if let Some(t) = v.downcast_object_ref::<GoTime>() {
        return Ok(t.clone());
    }
    match time_arg(v) {
        Some(utc) => Ok(GoTime::in_zone(utc, &Zone::local())),
        None => Err(a.err(format!(
            "expected a time (from now or toDate), got {}",
            value::type_of(v)
        ))),
    }
}

/// `unixEpoch t`: the Unix seconds of a time, as a string.
pub fn unix_epoch(a: &Args) -> Result<Value, Error> {
    Ok(time_of(a, 0)?.utc.timestamp().to_string().into())
}

fn modified(a: &Args) -> Result<(GoTime, Result<i64, String>), Error> {
    let t = time_of(a, 1)?;
    Ok((t, gotime::parse_duration(&a.str(0))))
}

/// `dateModify duration t`: t moved by a Go duration (`-1h30m`); unchanged when the
/// duration does not parse.
pub fn date_modify(a: &Args) -> Result<Value, Error> {
    let (t, d) = modified(a)?;
    Ok(match d {
        Ok(ns) => shift(&t, ns).value(),
        Err(_) => t.value(),
    })
}

/// `mustDateModify duration t`: `dateModify`, failing on a bad duration.
pub fn must_date_modify(a: &Args) -> Result<Value, Error> {
    let (t, d) = modified(a)?;
    Ok(shift(&t, d.map_err(|e| a.err(e))?).value())
}

fn shift(t: &GoTime, ns: i64) -> GoTime {
    let utc = t.utc + chrono::Duration::nanoseconds(ns);
    GoTime {
        utc,
        offset: t.offset,
        zone: t.zone.clone(),
    }
}

/// `duration seconds`: Go's text of a number of seconds (`95` → `1m35s`). As in sprig from
/// a Go template, only a string or an int64 counts; kpack's integers are read as Go `int`s
/// (template constants), which sprig ignores, so they give `0s`.
pub fn duration(a: &Args) -> Result<Value, Error> {
    let v = a.get(0);
    let secs = match v.as_str() {
        Some(s) => s.parse::<i64>().unwrap_or(0),
        None => 0,
    };
    Ok(gotime::format_duration(secs.saturating_mul(1_000_000_000)).into())
}

/// `durationRound d`: the largest whole unit of a duration (`2h10m` → `2h`, `720h` → `30d`,
/// `9000h` → `1y`); a string is a Go duration, a time counts from then to now.
pub fn duration_round(a: &Args) -> Result<Value, Error> {
    let v = a.get(0);
    let ns: i64 = if let Some(t) = v.downcast_object_ref::<GoTime>() {
        (Utc::now() - t.utc).num_nanoseconds().unwrap_or(i64::MAX)
    } else if let Some(s) = v.as_str() {
        gotime::parse_duration(s).unwrap_or(0)
    } else {
        0
    };
    let u = ns.unsigned_abs();
    let (second, minute, hour) = (1_000_000_000u64, 60_000_000_000u64, 3_600_000_000_000u64);
    let (day, month, year) = (24 * hour, 30 * 24 * hour, 365 * 24 * hour);
    let out = [
        (year, "y"),
        (month, "mo"),
        (day, "d"),
        (hour, "h"),
        (minute, "m"),
        (second, "s"),
    ]
    .iter()
    .find(|(unit, _)| u > *unit)
    .map_or_else(
        || "0s".to_string(),
        |(unit, name)| format!("{}{name}", u / unit),
    );
    Ok(out.into())
}

/// `ago t`: how long ago a time (or Unix seconds) was, rounded to the second.
pub fn ago(a: &Args) -> Result<Value, Error> {
    let then = go_instant(a.get(0));
    let ns = (Utc::now() - then).num_nanoseconds().unwrap_or(i64::MAX);
    let rounded = (ns + ns.signum() * 500_000_000) / 1_000_000_000 * 1_000_000_000;
    Ok(gotime::format_duration(rounded).into())
}

// --- Helm 4.3's duration helpers ----------------------------------------------------------

/// A value read as a duration, as Helm's duration helpers read it: a duration as it is; a
/// string as a Go duration (`90s`, `1h30m`), else as a number of seconds (`1.5`); an
/// integer or float as seconds. `Err` is Go's message for what is not a duration.
fn as_duration(v: &Value) -> Result<GoDuration, String> {
    if let Some(d) = v.downcast_object_ref::<GoDuration>() {
        return Ok(*d);
    }
    if value::is_nil(v) {
        return Err("invalid duration".into());
    }
    if let Some(s) = v.as_str() {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty duration".into());
        }
        if let Ok(ns) = gotime::parse_duration(t) {
            return Ok(GoDuration(ns));
        }
        return match t.parse::<f64>() {
            Ok(f) => Ok(float_seconds(f)),
            Err(_) => Err(format!(
                "could not parse duration {}",
                super::printf::go_quote(s)
            )),
        };
    }
    match value::num(v) {
        Some(Num::I(secs)) => Ok(GoDuration(secs.wrapping_mul(1_000_000_000))),
        Some(Num::F(f)) => Ok(float_seconds(f)),
        None => Err(format!("unsupported duration type {}", value::type_of(v))),
    }
}

/// Go's `time.Duration(f * float64(time.Second))`: truncated toward zero; out of range (or
/// NaN) it is what amd64 gives, the smallest duration.
fn float_seconds(f: f64) -> GoDuration {
    // [-2^63, 2^63): what fits an int64 (NaN is in no range).
    const RANGE: std::ops::Range<f64> = -9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0;
    let ns = f * 1e9;
    if RANGE.contains(&ns) {
        GoDuration(ns as i64)
    } else {
        GoDuration(i64::MIN)
    }
}

/// `mustToDuration v`: `v` as a duration (printed as Go prints one: `1m30s`); an error
/// for what is not one.
pub fn must_to_duration(a: &Args) -> Result<Value, Error> {
    as_duration(a.get(0))
        .map(GoDuration::value)
        .map_err(|e| a.err(e))
}

/// The duration helpers that read one value (0 for what is not a duration) and give one
/// number: `durationSeconds`, `durationMilliseconds`... as Go's `Duration` methods.
fn duration_number(a: &Args, f: fn(GoDuration) -> Value) -> Result<Value, Error> {
    Ok(as_duration(a.get(0)).map_or_else(|_| f(GoDuration(0)), f))
}

pub fn duration_seconds(a: &Args) -> Result<Value, Error> {
    duration_number(a, |d| d.seconds().into())
}

pub fn duration_milliseconds(a: &Args) -> Result<Value, Error> {
    duration_number(a, |d| (d.0 / 1_000_000).into())
}

pub fn duration_microseconds(a: &Args) -> Result<Value, Error> {
    duration_number(a, |d| (d.0 / 1_000).into())
}

pub fn duration_nanoseconds(a: &Args) -> Result<Value, Error> {
    duration_number(a, |d| d.0.into())
}

pub fn duration_minutes(a: &Args) -> Result<Value, Error> {
    duration_number(a, |d| d.minutes().into())
}

pub fn duration_hours(a: &Args) -> Result<Value, Error> {
    duration_number(a, |d| d.hours().into())
}

pub fn duration_days(a: &Args) -> Result<Value, Error> {
    duration_number(a, |d| (d.hours() / 24.0).into())
}

pub fn duration_weeks(a: &Args) -> Result<Value, Error> {
    duration_number(a, |d| (d.hours() / 24.0 / 7.0).into())
}

/// `durationRoundTo v m` and `durationTruncateTo v m`: `v` rounded (or truncated) to a
/// multiple of `m`; 0 when `v` is not a duration, `v` when `m` is not one.
fn duration_to(a: &Args, f: fn(GoDuration, i64) -> GoDuration) -> Result<Value, Error> {
    let d = match as_duration(a.get(0)) {
        Ok(d) => d,
        Err(_) => return Ok(GoDuration(0).value()),
    };
    Ok(match as_duration(a.get(1)) {
        Ok(m) => f(d, m.0),
        Err(_) => d,
    }
    .value())
}

pub fn duration_round_to(a: &Args) -> Result<Value, Error> {
    duration_to(a, GoDuration::round)
}

pub fn duration_truncate_to(a: &Args) -> Result<Value, Error> {
    duration_to(a, GoDuration::truncate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let t = FixedOffset::east_opt(2 * 3600)
            .unwrap()
            .with_ymd_and_hms(2024, 3, 5, 14, 7, 9)
            .unwrap();
        assert_eq!(go_format(&t, "2006-01-02", None), "2024-03-05");
        assert_eq!(
            go_format(&t, "2006-01-02T15:04:05Z07:00", None),
            "2024-03-05T14:07:09+02:00"
        );
        assert_eq!(
            go_format(&t, "Mon Jan _2 3:04PM", None),
            "Tue Mar  5 2:07PM"
        );
        assert_eq!(
            go_format(&t, "Monday, January 2 06 -0700", None),
            "Tuesday, March 5 24 +0200"
        );
        assert_eq!(go_format(&t, "15:04:05.000", None), "14:07:09.000");
        assert_eq!(go_format(&t, "15:04:05.999", None), "14:07:09");
        assert_eq!(go_format(&t, "002 MST", None), "065 +0200");
    }
}
