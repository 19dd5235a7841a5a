//! Semantic versions the way Helm charts use them (Masterminds/semver v3): `semver` parses a
//! version into a map, `semverCompare` checks a version against a constraint string.
//!
//! Versions: optional leading `v`, one to three numeric parts (missing parts are 0), optional
//! `-prerelease` and `+metadata` (`v1.22.3-gke.100`, `1.2`, `v2`).
//!
//! Constraints: alternatives separated by `||`; within one, constraints separated by commas
//! or spaces are all required (`>= 1.19, < 1.25`, `>=1.19 <1.25`). Operators `=` (or none),
//! `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>` (same minor; `~1` same major), `^` (same
//! major; for 0.x same minor, for 0.0.x same patch); wildcards `x`, `X`, `*` and missing
//! parts (`1.x`, `1.2`, `*`); hyphen ranges `1.2 - 1.4.5`.
//!
//! Prereleases: a version with a prerelease only satisfies a constraint whose own version
//! has a prerelease. That is why charts write `>=1.21.0-0`: the `-0` (lowest possible
//! prerelease) admits `v1.22.3-gke.100`, which plain `>=1.21.0` rejects.

use std::cmp::Ordering;
use std::sync::OnceLock;

use minijinja::{Error, Value};
use regex::Regex;

use super::Args;
use super::value::{Dict, DictMap};

/// A parsed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major part.
    pub major: u64,
    /// Minor part (0 when missing).
    pub minor: u64,
    /// Patch part (0 when missing).
    pub patch: u64,
    /// Prerelease without the `-` (empty when none).
    pub pre: String,
    /// Build metadata without the `+` (empty when none).
    pub meta: String,
}

const PRE: &str =
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?";

impl Version {
    /// Parse a version (`v1.2.3-rc.1+build`, `1.2`, `v2`).
    pub fn parse(s: &str) -> Result<Version, String> {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(&format!(r"^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?{PRE}$"))
                .expect("static regex")
        });
        let c = re
            .captures(s.trim())
            .ok_or_else(|| format!("invalid semantic version {s:?}"))?;
        let part = |i: usize| -> Result<u64, String> {
            match c.get(i) {
                Some(m) => m
                    .as_str()
                    .parse()
                    .map_err(|_| format!("invalid semantic version {s:?}: number too large")),
                None => Ok(0),
            }
        };
        Ok(Version {
            major: part(1)?,
            minor: part(2)?,
            patch: part(3)?,
            pre: c.get(4).map(|m| m.as_str().to_string()).unwrap_or_default(),
            meta: c.get(5).map(|m| m.as_str().to_string()).unwrap_or_default(),
        })
    }

    fn cmp_version(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

/// Semver precedence of prereleases: numeric identifiers compare as numbers and sort
/// before alphanumeric ones; a shorter list of equal identifiers sorts first.
fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (xs, ys): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for (x, y) in xs.iter().zip(ys.iter()) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(p), Ok(q)) => p.cmp(&q),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    xs.len().cmp(&ys.len())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Tilde,
    Caret,
}

#[derive(Debug, Clone)]
struct Constraint {
    op: Op,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

/// A parsed constraint string: alternatives of conjunctions.
#[derive(Debug, Clone)]
pub struct Constraints {
    any_of: Vec<Vec<Constraint>>,
}

const OPS: &str = r"(!=|>=|=>|<=|=<|~>|=|>|<|~|\^)?";
const CV: &str = r"v?([0-9xX*]+)(\.[0-9xX*]+)?(\.[0-9xX*]+)?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?:[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?";

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraints {
    /// Parse a Masterminds-style constraint string.
    pub fn parse(s: &str) -> Result<Constraints, String> {
        static RES: OnceLock<(Regex, Regex, Regex)> = OnceLock::new();
        let (range_re, valid_re, find_re) = RES.get_or_init(|| {
            (
                Regex::new(&format!(r"\s*({CVN})\s+-\s+({CVN})\s*", CVN = noncap(CV)))
                    .expect("static regex"),
                Regex::new(&format!(
                    r"^(\s*{OPS}\s*{cv}\s*)((?:\s+|,\s*){OPS}\s*{cv}\s*)*$",
                    cv = noncap(CV)
                ))
                .expect("static regex"),
                Regex::new(&format!(r"{OPS}\s*({cv})", cv = noncap(CV))).expect("static regex"),
            )
        });
        let rewritten = range_re.replace_all(s, " >= $1, <= $2 ");
        let mut any_of = Vec::new();
        for group in rewritten.split("||") {
            let group = group.trim();
            if group.is_empty() {
                // An empty constraint (or alternative) matches anything, like `*`.
                any_of.push(vec![Constraint {
                    op: Op::Eq,
                    con: Version::parse("0.0.0").expect("valid"),
                    dirty: true,
                    minor_dirty: false,
                    patch_dirty: false,
                }]);
                continue;
            }
            if !valid_re.is_match(group) {
                return Err(format!("improper constraint: {group}"));
            }
            let mut all = Vec::new();
            for m in find_re.captures_iter(group) {
                let op = m.get(1).map(|o| o.as_str()).unwrap_or("");
                all.push(parse_one(op, &m[2])?);
            }
            any_of.push(all);
        }
        Ok(Constraints { any_of })
    }

    /// Does the version satisfy the constraints?
    pub fn matches(&self, v: &Version) -> bool {
        self.any_of.iter().any(|all| all.iter().all(|c| c.check(v)))
    }
}

/// Make every group of a pattern non-capturing.
fn noncap(p: &str) -> String {
    p.replace("(?:", "(").replace('(', "(?:")
}

fn parse_one(op: &str, ver: &str) -> Result<Constraint, String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(&format!("^{CV}$")).expect("static regex"));
    let c = re
        .captures(ver)
        .ok_or_else(|| format!("improper constraint: {op}{ver}"))?;
    let major = &c[1];
    let minor = c.get(2).map(|m| &m.as_str()[1..]).unwrap_or("");
    let patch = c.get(3).map(|m| &m.as_str()[1..]).unwrap_or("");
    let pre = c
        .get(4)
        .map(|m| format!("-{}", m.as_str()))
        .unwrap_or_default();
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let text = if is_x(major) {
        dirty = true;
        format!("0.0.0{pre}")
    } else if minor.is_empty() || is_x(minor) {
        dirty = true;
        minor_dirty = true;
        format!("{major}.0.0{pre}")
    } else if patch.is_empty() || is_x(patch) {
        dirty = true;
        patch_dirty = true;
        format!("{major}.{minor}.0{pre}")
    } else {
        format!("{major}.{minor}.{patch}{pre}")
    };
    let con = Version::parse(&text).map_err(|_| format!("improper constraint: {op}{ver}"))?;
    let op = match op {
        "" | "=" => Op::Eq,
        "!=" => Op::Ne,
        ">" => Op::Gt,
        "<" => Op::Lt,
        ">=" | "=>" => Op::Ge,
        "<=" | "=<" => Op::Le,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        other => return Err(format!("improper constraint operator {other:?}")),
    };
    Ok(Constraint {
        op,
        con,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version) -> bool {
        let c = &self.con;
        // A prerelease version only matches constraints that mention a prerelease.
        if !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        let ord = v.cmp_version(c);
        match self.op {
            Op::Eq => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    ord == Ordering::Equal
                }
            }
            Op::Ne => {
                if !self.dirty {
                    return ord != Ordering::Equal;
                }
                if c.major != v.major {
                    true
                } else if self.minor_dirty {
                    false
                } else if c.minor != v.minor {
                    true
                } else if self.patch_dirty {
                    (!v.pre.is_empty() || !c.pre.is_empty())
                        && compare_prerelease(&v.pre, &c.pre) != Ordering::Equal
                } else {
                    ord != Ordering::Equal
                }
            }
            Op::Gt => {
                if !self.dirty {
                    return ord == Ordering::Greater;
                }
                if v.major != c.major {
                    v.major > c.major
                } else if self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    ord == Ordering::Greater
                }
            }
            Op::Lt => ord == Ordering::Less,
            Op::Ge => ord != Ordering::Less,
            Op::Le => {
                if !self.dirty {
                    return ord != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => {
                if ord == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                v.patch == c.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.cmp_version(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }
}

/// Does `version` satisfy `constraint`? Errors name the part that does not parse.
pub fn semver_compare(constraint: &str, version: &str) -> Result<bool, String> {
    let cs = Constraints::parse(constraint)?;
    let v = Version::parse(version)?;
    Ok(cs.matches(&v))
}

/// `semverCompare constraint version`.
pub fn semver_compare_fn(a: &Args) -> Result<Value, Error> {
    semver_compare(&a.str(0), &a.str(1))
        .map(Value::from)
        .map_err(|e| a.err(e))
}

/// `semver version`: a map with `Major`, `Minor`, `Patch`, `Prerelease`, `Metadata`,
/// `Original`.
pub fn semver_fn(a: &Args) -> Result<Value, Error> {
    let s = a.str(0);
    let v = Version::parse(&s).map_err(|e| a.err(e))?;
    let mut m = DictMap::default();
    m.insert("Major".to_string(), Value::from(v.major));
    m.insert("Minor".to_string(), Value::from(v.minor));
    m.insert("Patch".to_string(), Value::from(v.patch));
    m.insert("Prerelease".to_string(), Value::from(v.pre));
    m.insert("Metadata".to_string(), Value::from(v.meta));
    m.insert("Original".to_string(), Value::from(s));
    Ok(Dict::value(m))
}

#[cfg(test)]
mod tests {
    use super::semver_compare;

    #[track_caller]
    fn check(c: &str, v: &str, want: bool) {
        assert_eq!(semver_compare(c, v), Ok(want), "{v} against {c}");
    }

    #[test]
    fn operators() {
        check(">=1.20.0", "1.20.0", true);
        check(">=1.20.0", "v1.19.9", false);
        check(">1.2.3", "1.2.4", true);
        check("<1.2.3", "1.2.3", false);
        check("<=1.2.3", "1.2.3", true);
        check("=1.2.3", "1.2.3+build", true);
        check("1.2.3", "1.2.4", false);
        check("!=1.2.3", "1.2.4", true);
        check("!=1.2.3", "1.2.3", false);
    }

    #[test]
    fn ranges() {
        check("~1.2.3", "1.2.9", true);
        check("~1.2.3", "1.3.0", false);
        check("~1", "1.9.0", true);
        check("~1", "2.0.0", false);
        check("^1.2", "1.9.0", true);
        check("^1.2", "2.0.0", false);
        check("^1.2", "1.1.0", false);
        check("^0.2.3", "0.2.9", true);
        check("^0.2.3", "0.3.0", false);
        check("^0.0.3", "0.0.4", false);
        check("1.x", "1.5.0", true);
        check("1.x", "2.0.0", false);
        check("1.2", "1.2.7", true);
        check("*", "3.4.5", true);
        check(">=1.2.x", "1.2.0", true);
        check("<=2.x", "2.9.9", true);
        check("<=2.x", "3.0.0", false);
        check(">11", "11.5.0", false);
        check(">11", "12.0.0", true);
        check(">11.1", "11.1.9", false);
        check(">11.1", "11.2.0", true);
        check(">= 1.19, < 1.25", "1.24.3", true);
        check(">= 1.19, < 1.25", "1.25.0", false);
        check(">=1.19 <1.25", "1.18.0", false);
        check("<1.19 || >=1.25", "1.25.1", true);
        check("<1.19 || >=1.25", "1.20.0", false);
        check("1.2 - 1.4.5", "1.4.5", true);
        check("1.2 - 1.4.5", "1.4.6", false);
        check("1.2 - 1.4.5", "1.1.9", false);
    }

    #[test]
    fn prereleases() {
        check(">=1.21.0", "v1.22.3-gke.100", false);
        check(">=1.21-0", "v1.22.3-gke.100", true);
        check(">=1.20.0-0", "v1.20.0-eks-1", true);
        check(">=1.20.0-0 <1.25.0-0", "v1.24.9-eks-abc", true);
        check(">=1.20.0-0 <1.25.0-0", "v1.25.0", false);
        check(">=1.2.3-alpha.1", "1.2.3-alpha.2", true);
        check(">=1.2.3-alpha.10", "1.2.3-alpha.9", false);
        check(">=1.2.3-alpha", "1.2.3-alpha.1", true);
        check("<1.2.3", "1.2.3-rc.1", false);
        check("<1.2.3-0", "1.2.3-rc.1", false);
        check("<1.2.3-z", "1.2.3-rc.1", true);
    }

    #[test]
    fn errors() {
        assert!(semver_compare(">=1.2.3", "not-a-version").is_err());
        assert!(semver_compare(">>1.2", "1.2.3").is_err());
        assert!(semver_compare("", "1.2.3").unwrap());
    }
}
