//! Chart version constraints in Helm's syntax (Masterminds semver), mapped onto the `semver`
//! crate: `1.2.3` (exactly), `^1.2`, `~1.2.3`, `>=1.0.0 <2.0.0` (space or comma = and),
//! `1.2.x`, `*`, `1.0 - 2.0` (inclusive range) and `||` (or). A leading `v` is accepted.
//! Pre-releases match only constraints that mention a pre-release, as in Helm.

use semver::{Version, VersionReq};

use crate::{Error, Result};

/// A parsed constraint: any of the alternatives (`||`) must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    any_of: Vec<VersionReq>,
    text: String,
}

fn strip_v(s: &str) -> &str {
    s.strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(s)
}

/// Parse a chart version written with an optional leading `v`.
pub fn parse_version(s: &str) -> Option<Version> {
    Version::parse(strip_v(s.trim())).ok()
}

const OPS: [&str; 7] = [">=", "<=", "!=", ">", "<", "=", "~"];

/// One `&&`-group, Masterminds style, into `semver` comparator syntax.
fn translate_group(group: &str) -> std::result::Result<String, String> {
    let g = group.trim();
    if g.is_empty() || g == "*" || g == "x" || g == "X" {
        return Ok("*".into());
    }
    // Hyphen range "a - b".
    if let Some((lo, hi)) = g.split_once(" - ") {
        return Ok(format!(
            ">={}, <={}",
            strip_v(lo.trim()),
            strip_v(hi.trim())
        ));
    }
    // Tokens: an operator may be separated from its version by spaces (">= 1.2").
    let raw: Vec<&str> = g
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    let mut parts = Vec::new();
    let mut pending_op: Option<&str> = None;
    for tok in raw {
        if pending_op.is_none() && (OPS.contains(&tok) || tok == "^" || tok == "~>") {
            pending_op = Some(tok);
            continue;
        }
        let tok = match pending_op.take() {
            Some(op) => format!("{op}{tok}"),
            None => tok.to_string(),
        };
        parts.push(translate_one(&tok)?);
    }
    if let Some(op) = pending_op {
        return Err(format!("operator {op:?} has no version after it"));
    }
    Ok(parts.join(", "))
}

fn translate_one(tok: &str) -> std::result::Result<String, String> {
    if tok == "!=" || tok.starts_with("!=") {
        return Err("`!=` is not supported; use a range instead".into());
    }
    let (op, ver) = if let Some(v) = tok.strip_prefix("~>") {
        ("~", v)
    } else if let Some(op) = ["^", ">=", "<=", ">", "<", "=", "~"]
        .iter()
        .find(|op| tok.starts_with(**op))
    {
        (*op, &tok[op.len()..])
    } else {
        // A bare version means exactly that version (wildcards make it a range).
        ("=", tok)
    };
    let ver = strip_v(ver);
    if ver == "*" || ver == "x" || ver == "X" {
        return Ok("*".into());
    }
    // `=1.2.x` in semver is written `1.2.*`; plain wildcards need no operator.
    let wild = ver.split('.').any(|p| matches!(p, "x" | "X" | "*"));
    if wild {
        let v: Vec<&str> = ver
            .split('.')
            .map(|p| if matches!(p, "x" | "X") { "*" } else { p })
            .collect();
        let v = v.join(".");
        return Ok(if op == "=" { v } else { format!("{op}{v}") });
    }
    Ok(format!("{op}{ver}"))
}

impl Constraint {
    /// Parse a constraint; the error names the text and what is wrong.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| {
            Error::usage(format!(
                "invalid version constraint {text:?}: {why} (examples: 1.2.3, ^1.2.0, ~1.2, >=1.0.0 <2.0.0, 1.x)"
            ))
        };
        let mut any_of = Vec::new();
        for alt in text.split("||") {
            let translated = translate_group(alt).map_err(bad)?;
            let req = VersionReq::parse(&translated).map_err(|e| bad(e.to_string()))?;
            any_of.push(req);
        }
        Ok(Constraint {
            any_of,
            text: text.trim().to_string(),
        })
    }

    /// Whether `v` satisfies the constraint.
    pub fn matches(&self, v: &Version) -> bool {
        self.any_of.iter().any(|r| r.matches(v))
    }

    /// The constraint as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the constraint names one exact version (`1.2.3`, `=1.2.3`), and which.
    pub fn exact(&self) -> Option<Version> {
        let t = self.text.trim().trim_start_matches('=').trim();
        if self.any_of.len() == 1 {
            parse_version(t)
        } else {
            None
        }
    }

    /// The highest of `versions` that satisfies the constraint.
    pub fn best<'a, I: IntoIterator<Item = &'a Version>>(
        &self,
        versions: I,
    ) -> Option<&'a Version> {
        versions.into_iter().filter(|v| self.matches(v)).max()
    }
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn m(c: &str, ver: &str) -> bool {
        Constraint::parse(c).unwrap().matches(&v(ver))
    }

    #[test]
    fn bare_version_is_exact() {
        assert!(m("1.2.3", "1.2.3"));
        assert!(!m("1.2.3", "1.2.4"));
        assert!(m("v1.2.3", "1.2.3"));
        assert_eq!(
            Constraint::parse("1.2.3").unwrap().exact(),
            Some(v("1.2.3"))
        );
        assert_eq!(Constraint::parse("^1.2.3").unwrap().exact(), None);
    }

    #[test]
    fn ranges() {
        assert!(m("^1.2", "1.9.0") && !m("^1.2", "2.0.0"));
        assert!(m("~1.2.3", "1.2.9") && !m("~1.2.3", "1.3.0"));
        assert!(m(">=1.0.0 <2.0.0", "1.5.0") && !m(">=1.0.0 <2.0.0", "2.0.0"));
        assert!(m(">= 1.0, < 2", "1.0.0"));
        assert!(m("1.2.x", "1.2.7") && !m("1.2.x", "1.3.0"));
        assert!(m("*", "3.0.0") && m("", "0.0.1"));
        assert!(m("1.0.0 - 2.0.0", "2.0.0") && !m("1.0.0 - 2.0.0", "2.0.1"));
        assert!(m("1.0 - 2.0", "2.0.5"), "partial upper bound covers 2.0.x");
        assert!(m("^1.0 || ^3.0", "3.1.0") && !m("^1.0 || ^3.0", "2.0.0"));
        assert!(m("~> 1.2", "1.2.5"));
    }

    #[test]
    fn prereleases_need_opt_in() {
        assert!(!m("^1.0.0", "1.1.0-rc.1"));
        assert!(m(">=1.1.0-rc.0", "1.1.0-rc.1"));
    }

    #[test]
    fn best_picks_highest_match() {
        let vs = [v("1.0.0"), v("1.4.0"), v("2.0.0"), v("1.3.9")];
        let c = Constraint::parse("^1").unwrap();
        assert_eq!(c.best(&vs), Some(&v("1.4.0")));
        assert_eq!(Constraint::parse("^3").unwrap().best(&vs), None);
    }

    #[test]
    fn errors_name_the_constraint() {
        let e = Constraint::parse(">= ").unwrap_err().to_string();
        assert!(e.contains("\">= \""), "{e}");
        assert!(Constraint::parse("banana").is_err());
        assert!(Constraint::parse("!=1.0.0").is_err());
    }
}
