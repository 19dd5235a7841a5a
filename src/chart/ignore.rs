//! `.kpackignore` rules: which files of a chart directory are left out when it is loaded
//! or packaged. Same syntax and meaning as Helm's `.helmignore`:
//!
//! - one glob per line (`*`, `?`, `[a-z]`, `\` escapes; `*` never crosses `/`); blank lines
//!   and lines starting with `#` are skipped;
//! - a trailing `/` makes the rule match directories only (and so everything under them);
//! - a pattern without `/` matches the base name at any depth; a pattern with `/` matches
//!   the whole path relative to the chart root (a leading `/` only anchors it there);
//! - an ignored directory ignores everything under it.
//!
//! Beyond Helm: `!pattern` re-includes what an earlier rule ignored (the last matching rule
//! wins, as in `.gitignore`; a file under an ignored directory cannot be re-included), and
//! `**` may stand for any number of directories as a whole path component (`**/tmp`,
//! `docs/**`). Helm refuses `**` and gives `!` a confusing meaning.

use glob::{MatchOptions, Pattern};

use crate::{Error, Result};

/// Rules Helm always adds: hidden files in `templates/` are never templates.
pub const DEFAULT_RULES: &[&str] = &["templates/.?*"];

const MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

#[derive(Debug, Clone)]
struct Rule {
    pattern: Matcher,
    negate: bool,
    dir_only: bool,
    /// Match the whole relative path (pattern had a `/`), else only the base name.
    full_path: bool,
}

/// How a rule matches: most rules are a name (`.git`) or `*` and a name's end (`*.swp`),
/// checked without the glob machinery (every file of a chart is checked against every
/// rule, and against them again for each directory above it).
#[derive(Debug, Clone)]
enum Matcher {
    /// The whole subject.
    Literal(String),
    /// `*` then this: the subject ends with it, and the part `*` matches has no `/`.
    Suffix(String),
    Glob(Pattern),
}

impl Matcher {
    fn new(rule: &str) -> std::result::Result<Self, String> {
        let special = |s: &str| s.contains(['*', '?', '[', ']', '\\']);
        if !special(rule) {
            return Ok(Matcher::Literal(rule.to_string()));
        }
        if let Some(rest) = rule.strip_prefix('*')
            && !special(rest)
        {
            return Ok(Matcher::Suffix(rest.to_string()));
        }
        Pattern::new(&go_to_glob(rule))
            .map(Matcher::Glob)
            .map_err(|e| e.to_string())
    }

    fn matches(&self, subject: &str) -> bool {
        match self {
            Matcher::Literal(l) => subject == l,
            Matcher::Suffix(end) => subject
                .strip_suffix(end.as_str())
                .is_some_and(|star| !star.contains('/')),
            Matcher::Glob(p) => p.matches_with(subject, MATCH),
        }
    }
}

/// A parsed `.kpackignore` file.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    rules: Vec<Rule>,
    problems: Vec<String>,
}

impl Ignore {
    /// No rules: nothing is ignored.
    pub fn empty() -> Self {
        Ignore::default()
    }

    /// Parse rules leniently: a line that is not a valid glob matches nothing and is
    /// reported by [`Ignore::problems`] (use [`Ignore::try_parse`] to fail instead).
    pub fn parse(text: &str) -> Self {
        let mut out = Ignore::default();
        for (i, line) in text.lines().enumerate() {
            if let Err(msg) = out.add_rule(line) {
                out.problems.push(format!("line {}: {msg}", i + 1));
            }
        }
        out
    }

    /// Parse rules, failing on the first invalid line. `origin` names the file in the
    /// error (for example `mychart/.kpackignore`).
    pub fn try_parse(text: &str, origin: &str) -> Result<Self> {
        let parsed = Ignore::parse(text);
        match parsed.problems.first() {
            Some(p) => Err(Error::chart(format!("{origin}:{p}"))),
            None => Ok(parsed),
        }
    }

    /// Add [`DEFAULT_RULES`] (before the user's rules, so a `!` rule can undo them).
    pub fn with_defaults(mut self) -> Self {
        let mut defaults = Ignore::default();
        for r in DEFAULT_RULES {
            // The defaults are valid globs.
            let _ = defaults.add_rule(r);
        }
        defaults.rules.append(&mut self.rules);
        self.rules = defaults.rules;
        self
    }

    /// Lines that could not be parsed, as `line N: reason`.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Add one rule line; blank lines and comments are accepted and add nothing.
    fn add_rule(&mut self, line: &str) -> std::result::Result<(), String> {
        let mut rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let dir_only = rule.ends_with('/');
        let rule = rule.trim_end_matches('/');
        let full_path = rule.contains('/');
        let rule = rule.trim_start_matches('/');
        if rule.is_empty() {
            return Err(format!("{line:?} is not a pattern"));
        }
        let pattern = Matcher::new(rule).map_err(|e| format!("invalid pattern {line:?}: {e}"))?;
        self.rules.push(Rule {
            pattern,
            negate,
            dir_only,
            full_path,
        });
        Ok(())
    }

    /// Whether `rel_path` (relative to the chart root, `/`-separated) is ignored. A path
    /// under an ignored directory is ignored too, so callers may ask about files only.
    /// The chart root itself (`""`, `.`) is never ignored.
    pub fn is_ignored(&self, rel_path: &str, is_dir: bool) -> bool {
        let path = rel_path.trim_start_matches("./").trim_matches('/');
        if path.is_empty() || path == "." || self.rules.is_empty() {
            return false;
        }
        if path.contains("//") {
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            return self.is_ignored(&parts.join("/"), is_dir);
        }
        // Every directory above the path (a prefix of it), then the path itself.
        path.match_indices('/')
            .any(|(i, _)| self.matches_one(&path[..i], true))
            || self.matches_one(path, is_dir)
    }

    /// The last rule that matches this one path decides; no ancestors considered.
    fn matches_one(&self, path: &str, is_dir: bool) -> bool {
        let base = path.rsplit('/').next().unwrap_or(path);
        let mut ignored = false;
        for r in &self.rules {
            if r.dir_only && !is_dir {
                continue;
            }
            let subject = if r.full_path { path } else { base };
            if r.pattern.matches(subject) {
                ignored = !r.negate;
            }
        }
        ignored
    }
}

/// One Go `filepath.Match` pattern, the syntax of `.helmignore` rules and of Helm's
/// `--show-only`: `*` and `?` never match `/`, `[a-z]`/`[^a-z]` classes, `\` escapes. As in
/// `.kpackignore`, `**` as a whole path component also matches any number of directories.
#[derive(Debug, Clone)]
pub struct GoPattern(Pattern);

impl GoPattern {
    /// Compile `pattern`; the error says what is wrong with it.
    pub fn new(pattern: &str) -> std::result::Result<Self, String> {
        Pattern::new(&go_to_glob(pattern))
            .map(GoPattern)
            .map_err(|e| e.msg.to_string())
    }

    /// Whether the whole of `path` (`/`-separated) matches.
    pub fn matches(&self, path: &str) -> bool {
        self.0.matches_with(path, MATCH)
    }
}

/// Translate Go `filepath.Match` syntax (what `.helmignore` uses) to the `glob` crate's:
/// `\c` escapes become `[c]` (or plain `c`), and a class `[^...]` becomes `[!...]`.
fn go_to_glob(rule: &str) -> String {
    let mut out = String::with_capacity(rule.len());
    let mut chars = rule.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if !in_class => match chars.next() {
                Some(e @ ('*' | '?' | '[' | ']')) => {
                    out.push('[');
                    out.push(e);
                    out.push(']');
                }
                Some(e) => out.push(e),
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('!');
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ig(text: &str) -> Ignore {
        let i = Ignore::parse(text);
        assert!(i.problems().is_empty(), "{:?}", i.problems());
        i
    }

    #[test]
    fn empty_ignores_nothing() {
        let i = Ignore::empty();
        assert!(!i.is_ignored("a", false));
        assert!(!ig("# only a comment\n\n   \n").is_ignored("x", false));
    }

    #[test]
    fn basename_patterns_match_at_any_depth() {
        let i = ig("*.tmp\n.git\n");
        assert!(i.is_ignored("a.tmp", false));
        assert!(i.is_ignored("templates/deep/b.tmp", false));
        assert!(!i.is_ignored("a.tmpl", false));
        assert!(i.is_ignored(".git", true));
        assert!(
            i.is_ignored(".git/config", false),
            "under an ignored directory"
        );
        assert!(i.is_ignored("sub/.git/HEAD", false));
    }

    #[test]
    fn slash_patterns_match_the_relative_path() {
        let i = ig("templates/*.txt\n/secret.yaml\n");
        assert!(i.is_ignored("templates/a.txt", false));
        assert!(
            !i.is_ignored("templates/x/a.txt", false),
            "* does not cross /"
        );
        assert!(!i.is_ignored("a.txt", false));
        assert!(i.is_ignored("secret.yaml", false));
        assert!(
            !i.is_ignored("sub/secret.yaml", false),
            "leading / anchors at the root"
        );
    }

    #[test]
    fn trailing_slash_matches_directories_only() {
        let i = ig("build/\n");
        assert!(i.is_ignored("build", true));
        assert!(!i.is_ignored("build", false));
        assert!(i.is_ignored("build/out.yaml", false));
        assert!(i.is_ignored("x/build/y", false));
    }

    #[test]
    fn globs_and_classes() {
        let i = ig("file?.yaml\n[ab].txt\nweird\\*name\n");
        assert!(i.is_ignored("file1.yaml", false));
        assert!(!i.is_ignored("file10.yaml", false));
        assert!(i.is_ignored("a.txt", false));
        assert!(!i.is_ignored("c.txt", false));
        assert!(i.is_ignored("weird*name", false));
        assert!(!i.is_ignored("weirdXname", false));
        let n = ig("[^a]x\n");
        assert!(n.is_ignored("bx", false));
        assert!(!n.is_ignored("ax", false));
    }

    #[test]
    fn negation_reincludes_last_match_wins() {
        let i = ig("*.md\n!README.md\n");
        assert!(i.is_ignored("NOTES.md", false));
        assert!(!i.is_ignored("README.md", false));
        let j = ig("docs/\n!docs/keep.md\n");
        assert!(
            j.is_ignored("docs/keep.md", false),
            "parent directory stays ignored"
        );
    }

    #[test]
    fn a_star_then_a_name_does_not_cross_slashes() {
        let i = ig("*/cache\n*~\n");
        assert!(i.is_ignored("a/cache", false));
        assert!(
            i.is_ignored("a/cache/x.yaml", false),
            "under an ignored directory"
        );
        assert!(!i.is_ignored("a/b/cache", false));
        assert!(!i.is_ignored("cache", false));
        assert!(i.is_ignored("values.yaml~", false));
        assert!(
            i.is_ignored("templates/x/~", false),
            "* matches nothing too"
        );
        assert!(!i.is_ignored("values.yaml", false));
        assert!(i.is_ignored("a//cache", false), "repeated slashes");
    }

    #[test]
    fn double_star() {
        let i = ig("**/tmp\ndocs/**\n");
        assert!(i.is_ignored("tmp", true));
        assert!(i.is_ignored("a/b/tmp", false));
        assert!(i.is_ignored("docs/a/b.md", false));
        assert!(!i.is_ignored("docs", true));
    }

    #[test]
    fn defaults_ignore_hidden_templates() {
        let i = Ignore::empty().with_defaults();
        assert!(i.is_ignored("templates/.swp", false));
        assert!(!i.is_ignored("templates/a.yaml", false));
        assert!(!i.is_ignored(".hidden", false));
        let undo = Ignore::parse("!templates/.keep").with_defaults();
        assert!(!undo.is_ignored("templates/.keep", false));
    }

    #[test]
    fn root_never_ignored_and_paths_normalised() {
        let i = ig("*\n");
        assert!(!i.is_ignored("", true));
        assert!(!i.is_ignored(".", true));
        assert!(i.is_ignored("./x", false));
    }

    #[test]
    fn invalid_lines_are_reported() {
        let i = Ignore::parse("ok\n[unclosed\n");
        assert_eq!(i.problems().len(), 1);
        assert!(i.problems()[0].starts_with("line 2:"), "{:?}", i.problems());
        assert!(i.is_ignored("ok", false));
        let e = Ignore::try_parse("a**b\n", "c/.kpackignore")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c/.kpackignore:line 1:"), "{e}");
    }
}
