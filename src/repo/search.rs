//! `kpack search repo`: Helm's search over the cached indexes of the configured
//! repositories, with Helm's results.
//!
//! Each chart version is one line, `NAME \v REPO/NAME \v DESCRIPTION \v KEYWORDS`. A
//! keyword matches as a case-insensitive substring (or, with `--regexp`, a regular
//! expression, case-sensitive as Helm's); its score is the field it matched in (0 the name,
//! 1 the repository-qualified name, 2 the description, 3 the keywords). Results are sorted
//! by score, then name, then version (newest first); then the version constraint
//! (`--version`, else `>0.0.0`, or `>0.0.0-0` with `--devel`) keeps, for each chart, the
//! newest matching version, or all matching versions with `--versions`.

use serde::Serialize;

use super::index::Listing;
use crate::version::{Constraints, Version};
use crate::{Error, Result};

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The keyword (several words are joined with a space, as Helm does); `None`: all.
    pub keyword: Option<String>,
    /// Treat the keyword as a regular expression.
    pub regexp: bool,
    /// Every matching version, not only the newest.
    pub versions: bool,
    /// A version constraint.
    pub version: Option<String>,
    /// Include prereleases (when no `version` is given).
    pub devel: bool,
}

/// One result, as `search repo` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// `REPO/CHART`.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// Application version.
    pub app_version: String,
    /// Description.
    pub description: String,
    /// Which field matched (lower is better).
    #[serde(skip)]
    pub score: usize,
}

enum Matcher {
    All,
    Literal(String),
    Regexp(regex::Regex),
}

impl Matcher {
    /// The score of `line`, if it matches.
    fn score(&self, line: &str) -> Option<usize> {
        let at = match self {
            Matcher::All => return Some(0),
            Matcher::Literal(term) => line.to_lowercase().find(term.as_str())?,
            Matcher::Regexp(re) => re.find(line)?.start(),
        };
        Some(line.as_bytes()[..at].iter().filter(|&&b| b == 0x0b).count())
    }
}

/// Search the cached indexes of the configured repositories. A repository whose cached
/// index is missing or unreadable is left out, with a warning (as Helm does).
pub fn search_configured(q: &Query, opts: &super::Options) -> Result<(Vec<Hit>, Vec<String>)> {
    let path = opts.config_path()?;
    let file = super::config::load(&path)?;
    if file.repositories.is_empty() {
        return Err(Error::usage(format!(
            "no repositories configured (in {}); add one with `kpack repo add NAME URL` (or `kpack repo add --from-helm`)",
            path.display()
        )));
    }
    let cache = opts.cache()?;
    let mut warnings = Vec::new();
    let mut listings = Vec::new();
    for e in &file.repositories {
        match cache.load(&e.name) {
            Ok(l) => listings.push((e.name.as_str(), l)),
            Err(err) => warnings.push(format!("repository {:?} is left out: {err}", e.name)),
        }
    }
    let refs: Vec<(&str, &Listing)> = listings.iter().map(|(n, l)| (*n, l)).collect();
    Ok((search(&refs, q)?, warnings))
}

/// Search the listings of `repos` (name, listing), in the order given.
pub fn search(repos: &[(&str, &Listing)], q: &Query) -> Result<Vec<Hit>> {
    let matcher = match &q.keyword {
        None => Matcher::All,
        Some(k) if q.regexp => Matcher::Regexp(regex::Regex::new(k).map_err(|e| {
            Error::usage(format!(
                "--regexp: {k:?} is not a valid regular expression: {e}"
            ))
        })?),
        Some(k) => Matcher::Literal(k.to_lowercase()),
    };
    let constraint_text = match (&q.version, q.devel) {
        (Some(v), _) if !v.trim().is_empty() => v.trim().to_string(),
        (_, true) => ">0.0.0-0".to_string(),
        _ => ">0.0.0".to_string(),
    };
    let constraint = Constraints::parse(&constraint_text).map_err(|e| {
        Error::usage(format!(
            "--version {constraint_text:?} is not a version constraint: {e}"
        ))
    })?;
    let mut hits: Vec<(Hit, Option<Version>)> = Vec::new();
    let mut line = String::new();
    for (repo, listing) in repos {
        for chart in &listing.charts {
            for v in &chart.versions {
                line.clear();
                line.push_str(&chart.name);
                line.push('\x0b');
                line.push_str(repo);
                line.push('/');
                line.push_str(&chart.name);
                line.push('\x0b');
                line.push_str(&v.description);
                line.push('\x0b');
                line.push_str(&v.keywords.join(" "));
                let Some(score) = matcher.score(&line) else {
                    continue;
                };
                hits.push((
                    Hit {
                        name: format!("{repo}/{}", chart.name),
                        version: v.version.clone(),
                        app_version: v.app_version.clone(),
                        description: v.description.clone(),
                        score,
                    },
                    Version::parse(&v.version).ok(),
                ));
            }
        }
    }
    hits.sort_by(|(a, av), (b, bv)| {
        a.score
            .cmp(&b.score)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| bv.cmp(av))
    });
    let mut out: Vec<Hit> = Vec::new();
    let mut found = std::collections::HashSet::new();
    for (hit, v) in hits {
        if !q.versions && found.contains(&hit.name) {
            continue;
        }
        if v.is_some_and(|v| constraint.matches(&v)) {
            found.insert(hit.name.clone());
            out.push(hit);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::index::{Listed, ListedChart};

    fn listing() -> Listing {
        let v = |version: &str, desc: &str, kw: &[&str]| Listed {
            version: version.into(),
            app_version: "1.0".into(),
            description: desc.into(),
            keywords: kw.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        Listing {
            charts: vec![
                ListedChart {
                    name: "cache".into(),
                    versions: vec![v("2.0.0", "In-memory store", &["redis", "web"])],
                },
                ListedChart {
                    name: "nginx".into(),
                    versions: vec![
                        v("1.1.0-rc.1", "Web server", &[]),
                        v("1.0.0", "Web server", &[]),
                        v("0.9.0", "Web server", &[]),
                    ],
                },
                ListedChart {
                    name: "webapp".into(),
                    versions: vec![v("0.1.0", "An app", &[])],
                },
            ],
        }
    }

    fn names(hits: &[Hit]) -> Vec<String> {
        hits.iter()
            .map(|h| format!("{} {}", h.name, h.version))
            .collect()
    }

    #[test]
    fn scores_and_orders_as_helm() {
        let l = listing();
        let r = [("local", &l)];
        let q = |k: &str| Query {
            keyword: Some(k.into()),
            ..Default::default()
        };
        // Name match (webapp, 0) before description (nginx, 2) before keyword (cache, 3).
        assert_eq!(
            names(&search(&r, &q("WEB")).unwrap()),
            [
                "local/webapp 0.1.0",
                "local/nginx 1.0.0",
                "local/cache 2.0.0"
            ]
        );
        // The repository-qualified name matches too.
        assert_eq!(
            names(&search(&r, &q("local/ng")).unwrap()),
            ["local/nginx 1.0.0"]
        );
        assert!(search(&r, &q("zzz")).unwrap().is_empty());
        // No keyword: everything, newest stable versions.
        assert_eq!(
            names(&search(&r, &Query::default()).unwrap()),
            [
                "local/cache 2.0.0",
                "local/nginx 1.0.0",
                "local/webapp 0.1.0"
            ]
        );
    }

    #[test]
    fn versions_devel_constraints_and_regexps() {
        let l = listing();
        let r = [("local", &l)];
        let base = Query {
            keyword: Some("nginx".into()),
            ..Default::default()
        };
        let all = Query {
            versions: true,
            ..base.clone()
        };
        assert_eq!(
            names(&search(&r, &all).unwrap()),
            ["local/nginx 1.0.0", "local/nginx 0.9.0"]
        );
        let devel = Query {
            devel: true,
            ..base.clone()
        };
        assert_eq!(
            names(&search(&r, &devel).unwrap()),
            ["local/nginx 1.1.0-rc.1"]
        );
        let ranged = Query {
            version: Some("<1.0.0".into()),
            ..base.clone()
        };
        assert_eq!(names(&search(&r, &ranged).unwrap()), ["local/nginx 0.9.0"]);
        let re = Query {
            keyword: Some("^web|Web s".into()),
            regexp: true,
            ..Default::default()
        };
        assert_eq!(
            names(&search(&r, &re).unwrap()),
            ["local/webapp 0.1.0", "local/nginx 1.0.0"]
        );
        let bad = Query {
            keyword: Some("(".into()),
            regexp: true,
            ..Default::default()
        };
        assert!(
            search(&r, &bad)
                .unwrap_err()
                .to_string()
                .contains("--regexp")
        );
        let bad = Query {
            version: Some("nope".into()),
            ..Default::default()
        };
        assert!(
            search(&r, &bad)
                .unwrap_err()
                .to_string()
                .contains("--version")
        );
    }
}
