//! Which YAML a chart tree's rendered documents are read with: each by the language of the
//! chart whose template (or `crds/` file) it came from. A Helm chart's objects are typed as
//! helm sends them to the API server (YAML 1.1, [`crate::yaml::parse_kube`]: `0755` is
//! 493, `yes` is true); a kpack chart's as YAML 1.2 ([`crate::yaml::parse`]). In a tree
//! that mixes the two, a document names its chart by its source path
//! (`top/charts/sub/templates/x.yaml`), and release records keep the subcharts whose
//! language differs from their parent's so that a stored manifest reads back as rendered.

use crate::chart::Chart;
use crate::yaml::{self, YamlError};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The reading of a tree's documents: the top chart's, and the subcharts where it turns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typing {
    /// Whether the top chart's documents are YAML 1.1 (a Helm chart).
    yaml11: bool,
    /// `(source prefix, YAML 1.1)` of every subchart whose language differs from its
    /// parent's, longest prefix first: the first one a source starts with decides.
    turns: Vec<(String, bool)>,
}

/// The name a language has in a release record (`subchartLanguages`).
const HELM: &str = "helm";
const KPACK: &str = "kpack";

impl Typing {
    /// One reading for every document.
    pub fn uniform(yaml11: bool) -> Typing {
        Typing {
            yaml11,
            turns: Vec::new(),
        }
    }

    /// The reading of `chart`'s tree as it is rendered (template names are
    /// `name/charts/sub/...`, as the engines give them).
    pub fn of(chart: &Chart) -> Typing {
        let mut turns = Vec::new();
        collect(chart, chart.name(), &mut turns);
        Typing::new(!chart.metadata.is_kpack(), turns)
    }

    /// From a release record: the top chart's reading and its `subchartLanguages`.
    /// A language kpack does not know (a newer kpack's record) reads as the top chart's.
    pub fn from_record(yaml11: bool, languages: &BTreeMap<String, String>) -> Typing {
        let turns = languages.iter().filter_map(|(prefix, language)| {
            let sub = match language.as_str() {
                HELM => true,
                KPACK => false,
                _ => return None,
            };
            Some((prefix.clone(), sub))
        });
        Typing::new(yaml11, turns)
    }

    fn new(yaml11: bool, turns: impl IntoIterator<Item = (String, bool)>) -> Typing {
        let mut turns: Vec<(String, bool)> = turns.into_iter().collect();
        turns.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Typing { yaml11, turns }
    }

    /// What a release record keeps: source prefix → language of each turning subchart.
    pub fn record(&self) -> BTreeMap<String, String> {
        self.turns
            .iter()
            .map(|(p, y)| (p.clone(), if *y { HELM } else { KPACK }.to_string()))
            .collect()
    }

    /// Whether the document from `source` is read as YAML 1.1.
    pub fn yaml11(&self, source: &str) -> bool {
        self.turns
            .iter()
            .find(|(prefix, _)| source.starts_with(prefix.as_str()))
            .map_or(self.yaml11, |(_, y)| *y)
    }

    /// Parse the document `text` from `source` with its reading.
    pub fn parse(&self, source: &str, text: &str) -> Result<Json, YamlError> {
        if self.yaml11(source) {
            yaml::parse_kube(text)
        } else {
            yaml::parse_fast(text)
        }
    }

    /// The identity of the document `text` from `source` (see [`yaml::parse_head`]), with
    /// its reading: the whole document is checked as [`Typing::parse`] checks it.
    pub fn parse_head(&self, source: &str, text: &str) -> Result<Json, YamlError> {
        if self.yaml11(source) {
            yaml::parse_head_kube(text)
        } else {
            yaml::parse_head(text)
        }
    }
}

fn collect(chart: &Chart, prefix: &str, out: &mut Vec<(String, bool)>) {
    for sub in &chart.subcharts {
        let path = format!("{prefix}/charts/{}", sub.name());
        if sub.metadata.is_kpack() != chart.metadata.is_kpack() {
            out.push((format!("{path}/"), !sub.metadata.is_kpack()));
        }
        collect(sub, &path, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_decides() {
        let languages: BTreeMap<String, String> = [
            ("web/charts/redis/".to_string(), "helm".to_string()),
            (
                "web/charts/redis/charts/tool/".to_string(),
                "kpack".to_string(),
            ),
            ("web/charts/other/".to_string(), "cobol".to_string()),
        ]
        .into();
        let t = Typing::from_record(false, &languages);
        assert!(!t.yaml11("web/templates/a.yaml"));
        assert!(t.yaml11("web/charts/redis/templates/a.yaml"));
        assert!(t.yaml11("web/charts/redis/crds/a.yaml"));
        assert!(!t.yaml11("web/charts/redis/charts/tool/templates/a.yaml"));
        assert!(!t.yaml11("web/charts/redis-extra/templates/a.yaml"));
        assert!(!t.yaml11("web/charts/other/templates/a.yaml"));
        // What a record keeps reads back the same (the unknown language is not kept).
        languages_round_trip(&t);
        assert_eq!(
            t.parse("web/charts/redis/templates/a.yaml", "m: 0755")
                .unwrap()["m"],
            493
        );
        assert_eq!(
            t.parse("web/templates/a.yaml", "m: 0755").unwrap()["m"],
            "0755"
        );
    }

    fn languages_round_trip(t: &Typing) {
        assert_eq!(&Typing::from_record(t.yaml11, &t.record()), t);
    }
}
