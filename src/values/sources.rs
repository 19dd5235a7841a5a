//! The user's values sources, layered in Helm's order: `-f/--values` files in command-line
//! order (`-` is standard input), then `--set-json`, `--set`, `--set-string`, `--set-file`,
//! `--set-literal`. The result is the "user values" map that [`super::merge::coalesce`]
//! lays over the chart defaults.

use super::Map;
use super::set::{self, SetKind};
use crate::{Error, Result, yaml};
use std::io::Read;

/// Every values flag of a command, as given.
#[derive(Debug, Clone, Default)]
pub struct ValueOptions {
    /// `-f/--values` files (or URLs are not supported; `-` reads standard input).
    pub files: Vec<String>,
    /// `--set-json` arguments.
    pub set_json: Vec<String>,
    /// `--set` arguments.
    pub set: Vec<String>,
    /// `--set-string` arguments.
    pub set_string: Vec<String>,
    /// `--set-file` arguments.
    pub set_file: Vec<String>,
    /// `--set-literal` arguments.
    pub set_literal: Vec<String>,
}

impl ValueOptions {
    /// Whether no values flag was given at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
            && self.set_json.is_empty()
            && self.set.is_empty()
            && self.set_string.is_empty()
            && self.set_file.is_empty()
            && self.set_literal.is_empty()
    }

    /// Read and layer every source into one map of user values.
    pub fn merge(&self) -> Result<Map> {
        let mut base = Map::new();
        for f in &self.files {
            let (name, text) = if f == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| Error::io("<stdin>", e))?;
                ("<stdin>".to_string(), s)
            } else {
                let text = std::fs::read_to_string(f).map_err(|e| {
                    Error::values(format!(
                        "values file {f}: {e} (check the path given to -f/--values)"
                    ))
                })?;
                (f.clone(), text)
            };
            let m = parse_values_text(&text, &name)?;
            super::merge::merge_maps(&mut base, m);
        }
        // Every --set flag of the command spends one bound on the list elements they create.
        let mut budget = set::Budget::default();
        for (args, kind) in [
            (&self.set_json, SetKind::Json),
            (&self.set, SetKind::Auto),
            (&self.set_string, SetKind::String),
            (&self.set_file, SetKind::File),
            (&self.set_literal, SetKind::Literal),
        ] {
            for a in args {
                set::apply_within(&mut base, a, kind, &mut budget)?;
            }
        }
        Ok(base)
    }
}

/// Parse a values file (YAML read as Helm reads it: YAML 1.1, numbers as floats, several
/// `---` documents merged; see [`yaml::helm`]); every document must be a map. `name`
/// names it in errors.
pub fn parse_values_text(text: &str, name: &str) -> Result<Map> {
    yaml::parse_values(text).map_err(|e| Error::values(e.at(name)))
}
