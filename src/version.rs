//! Versions and version constraints, the one place kpack reads them, with Helm's rules
//! (Masterminds/semver v3): `semverCompare` in templates, a chart's `kubeVersion`,
//! dependency ranges in Chart.yaml, OCI tags and repository indexes all use [`Constraints`].
//!
//! Versions ([`Version::parse`]): optional leading `v`, one to three numeric parts (missing
//! parts are 0), optional `-prerelease` and `+metadata` (`v1.22.3-gke.100`, `1.2`, `v2`).
//! A chart's own version must be strict SemVer 2 ([`Version::parse_strict`]).
//!
//! Constraints: alternatives separated by `||`; within one, constraints separated by commas
//! or spaces are all required (`>= 1.19, < 1.25`, `>=1.19 <1.25`). Operators `=` (or none),
//! `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>` (same minor; `~1` same major), `^` (same
//! major; for 0.x same minor, for 0.0.x same patch); wildcards `x`, `X`, `*` and missing
//! parts (`1.x`, `1.2`, `*`); hyphen ranges `1.2 - 1.4.5`; an empty constraint is `*`.
//!
//! Prereleases: a version with a prerelease only satisfies a constraint whose own version
//! has a prerelease. That is why charts write `>=1.21.0-0`: the `-0` (lowest possible
//! prerelease) admits `v1.22.3-gke.100`, which plain `>=1.21.0` rejects.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex_lite::Regex;

/// A parsed version.
#[derive(Debug, Clone)]
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

/// `[0-9A-Za-z-]`: a character of a prerelease or build identifier.
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Dot-separated identifiers, each non-empty, of `[0-9A-Za-z-]`, and each passing `ok`.
fn dotted(s: &str, ok: impl Fn(&str) -> bool) -> bool {
    s.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(is_ident_byte) && ok(id))
}

/// `CORE[-PRE][+META]`: the core (no `-` or `+` can be in it), the prerelease and the build
/// metadata, each without its marker. A `-` after the `+` belongs to the metadata.
fn split_parts(s: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, meta) = match s.split_once('+') {
        Some((rest, meta)) => (rest, Some(meta)),
        None => (s, None),
    };
    match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre), meta),
        None => (rest, None, meta),
    }
}

/// Whether a prerelease and build metadata, where present, are dotted identifiers (the
/// loose form's rule for both).
fn labels_ok(pre: Option<&str>, meta: Option<&str>) -> bool {
    [pre, meta]
        .into_iter()
        .flatten()
        .all(|l| dotted(l, |_| true))
}

/// The dot-separated parts of a version's core, at most three, each passing `ok`; the
/// missing ones empty. `None` when there are more or one fails.
fn core_parts(core: &str, ok: impl Fn(&str) -> bool) -> Option<[&str; 3]> {
    let mut parts = [""; 3];
    for (i, p) in core.split('.').enumerate() {
        if i == 3 || !ok(p) {
            return None;
        }
        parts[i] = p;
    }
    Some(parts)
}

impl Version {
    /// Parse a version (`v1.2.3-rc.1+build`, `1.2`, `v2`), as Masterminds/semver's loose
    /// form: `v?N(.N(.N)?)?(-PRE)?(+META)?` after trimming spaces, missing numbers 0.
    pub fn parse(s: &str) -> Result<Version, String> {
        let invalid = || format!("invalid semantic version {s:?}");
        let (core, pre, meta) = split_parts(s.trim());
        let digits = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        let parts = core_parts(core.strip_prefix('v').unwrap_or(core), digits)
            .filter(|_| labels_ok(pre, meta))
            .ok_or_else(invalid)?;
        let number = |n: &str| -> Result<u64, String> {
            if n.is_empty() {
                return Ok(0);
            }
            n.parse()
                .map_err(|_| format!("invalid semantic version {s:?}: number too large"))
        };
        Ok(Version {
            major: number(parts[0])?,
            minor: number(parts[1])?,
            patch: number(parts[2])?,
            pre: pre.unwrap_or_default().to_string(),
            meta: meta.unwrap_or_default().to_string(),
        })
    }

    /// Parse a strict SemVer 2 version (`MAJOR.MINOR.PATCH[-pre][+meta]`, no `v`, no
    /// leading zeros in numbers), saying what is wrong otherwise.
    pub fn parse_strict(s: &str) -> Result<Version, String> {
        // A number: `0` or no leading zero.
        let number = |n: &str| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n == "0" || !n.starts_with('0'))
        };
        let (core, pre, meta) = split_parts(s);
        let core_ok = core_parts(core, number).is_some_and(|p| !p[2].is_empty());
        // A prerelease identifier: a number, or anything with a letter or `-` in it.
        let pre_ok = pre.is_none_or(|p| {
            dotted(p, |id| {
                number(id) || id.bytes().any(|b| !b.is_ascii_digit())
            })
        });
        if !(core_ok && pre_ok && labels_ok(None, meta)) {
            return Err(if s.trim() != s {
                "leading or trailing spaces".to_string()
            } else if s.starts_with(['v', 'V']) {
                "no leading 'v' is allowed".to_string()
            } else if s.split(['-', '+']).next().unwrap_or("").split('.').count() != 3 {
                "it needs exactly three numbers, MAJOR.MINOR.PATCH".to_string()
            } else {
                "numbers without leading zeros, then an optional -prerelease and +build".to_string()
            });
        }
        Version::parse(s)
    }

    /// `MAJOR.MINOR.PATCH[-pre][+meta]`.
    pub fn canonical(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.meta.is_empty() {
            s.push('+');
            s.push_str(&self.meta);
        }
        s
    }

    /// Whether this is a prerelease (`1.2.3-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
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

/// Versions order by SemVer precedence; build metadata breaks ties (so that sorting is
/// total and stable), and two versions that differ only in metadata are not equal.
impl Ord for Version {
    fn cmp(&self, o: &Version) -> Ordering {
        self.cmp_version(o).then_with(|| self.meta.cmp(&o.meta))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, o: &Version) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl PartialEq for Version {
    fn eq(&self, o: &Version) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for Version {}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.canonical())
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

/// A parsed constraint string: alternatives of conjunctions, and the text as written.
#[derive(Debug, Clone)]
pub struct Constraints {
    any_of: Vec<Vec<Constraint>>,
    text: String,
}

const OPS: &str = r"(!=|>=|=>|<=|=<|~>|=|>|<|~|\^)?";
const CV: &str = r"v?([0-9xX*]+)(\.[0-9xX*]+)?(\.[0-9xX*]+)?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?:[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?";

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraints {
    /// Parse a Masterminds-style constraint string.
    pub fn parse(s: &str) -> Result<Constraints, String> {
        if let Some(one) = single_constraint(s) {
            return Ok(Constraints {
                any_of: vec![vec![one?]],
                text: s.trim().to_string(),
            });
        }
        Self::parse_general(s)
    }

    /// [`Constraints::parse`] by Masterminds/semver's expressions, for every form.
    fn parse_general(s: &str) -> Result<Constraints, String> {
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
        Ok(Constraints {
            any_of,
            text: s.trim().to_string(),
        })
    }

    /// Does the version satisfy the constraints?
    pub fn matches(&self, v: &Version) -> bool {
        self.any_of.iter().any(|all| all.iter().all(|c| c.check(v)))
    }

    /// The constraint as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The one version the constraint admits when it names it exactly (`1.2.3`, `=1.2.3`,
    /// `v1.2.3`), so a download can ask for that tag without listing the others.
    pub fn exact(&self) -> Option<Version> {
        match self.any_of.as_slice() {
            [one] => match one.as_slice() {
                // Parsed again from the text: the constraint itself ignores build metadata,
                // a tag named `1.3.0+build.7` does not.
                [c] if c.op == Op::Eq && !c.dirty => {
                    Version::parse(self.text.trim_start_matches('=').trim()).ok()
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The highest of `versions` that satisfies the constraints.
    pub fn best<'a, I: IntoIterator<Item = &'a Version>>(
        &self,
        versions: I,
    ) -> Option<&'a Version> {
        versions.into_iter().filter(|v| self.matches(v)).max()
    }
}

/// Make every group of a pattern non-capturing.
fn noncap(p: &str) -> String {
    p.replace("(?:", "(").replace('(', "(?:")
}

/// The parts of a constraint's version as the expression `CV` splits all of `ver`: major,
/// minor and patch (digits or a wildcard `x`, `X`, `*`; empty when missing) and the
/// prerelease (build metadata is checked and dropped).
fn split_cv(ver: &str) -> Option<CvParts<'_>> {
    let (core, pre, meta) = split_parts(ver);
    let part = |p: &str| {
        !p.is_empty() && (p.bytes()).all(|b| b.is_ascii_digit() || matches!(b, b'x' | b'X' | b'*'))
    };
    let [major, minor, patch] = core_parts(core.strip_prefix('v').unwrap_or(core), part)?;
    labels_ok(pre, meta).then_some((major, minor, patch, pre))
}

/// The parts of a constraint's version, as [`split_cv`] gives them.
type CvParts<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

/// A constraint that is one operator and one version (`^1.2`, `>= 1.19.0-0`, `2.x.x`), the
/// form nearly every chart writes, read without the expressions (which take longer to
/// build than a small chart takes to render); `None` for anything else.
fn single_constraint(s: &str) -> Option<Result<Constraint, String>> {
    const OPS: [&str; 11] = ["!=", ">=", "=>", "<=", "=<", "~>", "=", ">", "<", "~", "^"];
    let s = s.trim_matches(' ');
    let op = OPS.into_iter().find(|op| s.starts_with(op)).unwrap_or("");
    let ver = s[op.len()..].trim_start_matches(' ');
    if ver.is_empty()
        || ver
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b == b',' || b == b'|')
    {
        return None;
    }
    Some(from_parts(op, ver, split_cv(ver)?))
}

fn parse_one(op: &str, ver: &str) -> Result<Constraint, String> {
    let parts = split_cv(ver).ok_or_else(|| format!("improper constraint: {op}{ver}"))?;
    from_parts(op, ver, parts)
}

/// The constraint `op` `ver`, from the parts of `ver`.
fn from_parts(
    op: &str,
    ver: &str,
    (major, minor, patch, pre): CvParts,
) -> Result<Constraint, String> {
    let pre = pre.map(|p| format!("-{p}")).unwrap_or_default();
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

impl std::fmt::Display for Constraints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parse a version constraint the user wrote (`--version`, a dependency's `version:`): the
/// error names the text and shows the forms that work.
pub fn constraint(text: &str) -> crate::Result<Constraints> {
    Constraints::parse(text).map_err(|why| {
        crate::Error::usage(format!(
            "invalid version constraint {text:?}: {why} (examples: 1.2.3, ^1.2.0, ~1.2, >=1.0.0 <2.0.0, 1.x)"
        ))
    })
}

/// Does `version` satisfy `constraint`? Errors name the part that does not parse.
pub fn semver_compare(constraint: &str, version: &str) -> Result<bool, String> {
    let cs = Constraints::parse(constraint)?;
    let v = Version::parse(version)?;
    Ok(cs.matches(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        check("1.0 - 2.0", "2.0.5", true);
        check("~> 1.2", "1.2.5", true);
        check("^1.0 || ^3.0", "3.1.0", true);
        check("^1.0 || ^3.0", "2.0.0", false);
        check("", "0.0.1", true);
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

    #[test]
    fn exact_best_and_order() {
        let v = |s: &str| Version::parse(s).unwrap();
        let c = Constraints::parse("1.2.3").unwrap();
        assert_eq!(c.exact(), Some(v("1.2.3")));
        assert_eq!(
            Constraints::parse("=v1.2.3").unwrap().exact(),
            Some(v("1.2.3"))
        );
        assert_eq!(Constraints::parse("1.2").unwrap().exact(), None);
        let with_meta = Constraints::parse("1.3.0+build.7")
            .unwrap()
            .exact()
            .unwrap();
        assert_eq!(with_meta.to_string(), "1.3.0+build.7");
        assert_eq!(Constraints::parse("^1.2.3").unwrap().exact(), None);
        assert_eq!(Constraints::parse("1.2.3 || 1.2.4").unwrap().exact(), None);
        let vs = [
            v("1.0.0"),
            v("1.4.0"),
            v("2.0.0"),
            v("1.3.9"),
            v("1.5.0-rc.1"),
        ];
        assert_eq!(
            Constraints::parse("^1").unwrap().best(&vs),
            Some(&v("1.4.0"))
        );
        assert_eq!(Constraints::parse("^3").unwrap().best(&vs), None);
        assert_eq!(
            Constraints::parse(">=1.5.0-0").unwrap().best(&vs),
            Some(&v("2.0.0"))
        );
        assert!(v("1.0.0-rc.1") < v("1.0.0") && v("1.0.0-rc.2") < v("1.0.0-rc.10"));
        assert_eq!(Constraints::parse(" ^1.2 ").unwrap().to_string(), "^1.2");
    }

    /// A single constraint read without the expressions reads as they read it.
    #[test]
    fn single_constraints_read_as_the_general_parser_reads_them() {
        let cases = [
            "1.2.3",
            "v1.2.3",
            "=1.2.3",
            "!=1.2",
            ">=1.19.0-0",
            "=> 1.2",
            "<=2",
            "=<2.x",
            "~>1.2.3",
            "~1.2",
            "^0.1.2",
            "^1",
            ">1.2.3-rc.1+build.5",
            "<1.0.0-0",
            "2.x.x",
            "1.X",
            "*",
            "x",
            "  >=   1.2.3  ",
            ">=",
            "^",
            "1.2.3.4",
            "1.02.3",
            "1.2.3-",
            "1.2.3+",
            "01",
            "^1.x.x-alpha",
            ">= 1.2 <= 2",
            "1.2 - 1.4",
            "1.2,",
            "1||2",
            ">=1.2-rc..1",
            "~>1.2.3+b+c",
            "v",
            "=v1",
            "=> v1.2.x",
        ];
        for c in cases {
            let general = Constraints::parse_general(c);
            match single_constraint(c) {
                None => assert!(
                    c.contains([' ', ',', '|']) && c.trim().contains([' ', ',', '|'])
                        || general.is_err(),
                    "{c:?} should be read by the fast path"
                ),
                Some(fast) => {
                    let general = general.map(|g| format!("{:?}", g.any_of));
                    let fast = fast.map(|f| format!("{:?}", [[f]]));
                    assert_eq!(fast, general, "{c:?}");
                }
            }
        }
    }

    /// The loose and strict parsers read exactly what the regular expressions of
    /// Masterminds/semver (helm's) accept.
    #[test]
    fn parsers_accept_what_semvers_expressions_accept() {
        let pre =
            r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?";
        let loose =
            Regex::new(&format!(r"^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?{pre}$")).unwrap();
        let (n, id) = (
            r"(?:0|[1-9][0-9]*)",
            r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)",
        );
        let strict = Regex::new(&format!(
            r"^{n}\.{n}\.{n}(?:-{id}(?:\.{id})*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
        ))
        .unwrap();
        let cases = [
            "1",
            "v1",
            "V1",
            "1.2",
            "1.2.3",
            "v1.2.3",
            "1.2.3.4",
            "1..3",
            ".1",
            "1.",
            "01.2.3",
            "1.02.3",
            "0.0.0",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-rc.1",
            "1.2.3-rc..1",
            "1.2.3-rc.01",
            "1.2.3-01",
            "1.2.3-0",
            "1.2.3-0a",
            "1.2.3-a-b",
            "1.2.3--",
            "1.2.3-rc+b.1",
            "1.2.3+b-1",
            "1.2.3+b+c",
            "1.2.3-a+b-c",
            "1.2-rc",
            "v1-rc.1",
            " 1.2.3 ",
            "1.2.3 ",
            "1.2.3-é",
            "1.2.3+é",
            "",
            "v",
            "-1.2.3",
            "+1",
            "1.2.x",
            "1.2.3-rc.1.",
            "1.2.3+.b",
        ];
        for c in cases {
            assert_eq!(
                Version::parse(c).is_ok(),
                loose.is_match(c.trim()),
                "loose {c:?}"
            );
            assert_eq!(
                Version::parse_strict(c).is_ok(),
                strict.is_match(c),
                "strict {c:?}"
            );
            if let Ok(v) = Version::parse(c) {
                let caps = loose.captures(c.trim()).unwrap();
                let part = |i| caps.get(i).map_or("", |m| m.as_str());
                let num = |i| part(i).parse::<u64>().unwrap_or(0);
                assert_eq!(
                    (v.major, v.minor, v.patch),
                    (num(1), num(2), num(3)),
                    "{c:?}"
                );
                assert_eq!(
                    (v.pre.as_str(), v.meta.as_str()),
                    (part(4), part(5)),
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn strict_versions() {
        for ok in [
            "0.1.0",
            "1.2.3-rc.1+build.5",
            "10.20.30",
            "1.0.0-0.3.7",
            "1.0.0-x-y",
        ] {
            assert!(Version::parse_strict(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("1.2", "three numbers"),
            ("v1.2.3", "leading 'v'"),
            ("01.2.3", "leading zeros"),
            ("1.2.3-01", "leading zeros"),
            ("1.2.3 ", "spaces"),
        ] {
            let e = Version::parse_strict(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
