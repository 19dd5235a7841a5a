//! Charts: the in-memory model of a chart tree (metadata, default values, schema, templates,
//! CRDs, other files, subcharts) and where it is loaded from (`load`: directory or `.tgz`).

pub mod dependency;
pub mod ignore;
pub mod load;
pub mod metadata;
pub mod prefetch;

pub use load::{load, load_bytes, load_dir};
pub use metadata::{Dependency, Metadata};

use crate::values::Map;

/// A file of a chart, by its path relative to the chart root (`templates/deploy.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// Path relative to the chart root, `/`-separated.
    pub name: String,
    /// Raw content (shared: cloning a chart tree does not copy file contents).
    pub data: std::sync::Arc<[u8]>,
}

impl File {
    /// A file named `name` (relative to the chart root) holding `data`.
    pub fn new(name: String, data: impl Into<std::sync::Arc<[u8]>>) -> File {
        File {
            name,
            data: data.into(),
        }
    }
}

/// A loaded chart and its subcharts.
#[derive(Debug, Clone)]
pub struct Chart {
    /// `Chart.yaml`.
    pub metadata: Metadata,
    /// `values.yaml` parsed (empty when absent). Shared: processing a tree copies its charts.
    pub values: std::sync::Arc<Map>,
    /// `values.yaml` as written, for `kpack show values`.
    pub values_source: std::sync::Arc<str>,
    /// Whether the chart has a `values.yaml` at all (it may be empty).
    pub has_values_file: bool,
    /// `values.schema.json`, when present.
    pub schema: Option<std::sync::Arc<serde_json::Value>>,
    /// Everything under `templates/` except `NOTES.txt`, sorted by name.
    pub templates: Vec<File>,
    /// `templates/NOTES.txt`, when present.
    pub notes: Option<File>,
    /// Everything under `crds/` (never templated), sorted by name.
    pub crds: Vec<File>,
    /// Every other file (the `Files` object), sorted by name.
    pub files: Vec<File>,
    /// `README.md` (any case) when present (also in `files`; text read when shown).
    pub readme: Option<File>,
    /// Subcharts found under `charts/`, as directories or archives.
    pub subcharts: Vec<Chart>,
    /// Where the chart came from, for messages (a directory, an archive, `parent/charts/x`).
    pub origin: String,
}

impl Chart {
    /// The chart's name (its alias once dependencies are processed).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// A copy of the chart alone, without its subcharts (cloning the whole tree to replace
    /// them costs a copy of every subchart's values at every level).
    pub fn without_subcharts(&self) -> Chart {
        Chart {
            metadata: self.metadata.clone(),
            values: self.values.clone(),
            values_source: self.values_source.clone(),
            has_values_file: self.has_values_file,
            schema: self.schema.clone(),
            templates: self.templates.clone(),
            notes: self.notes.clone(),
            crds: self.crds.clone(),
            files: self.files.clone(),
            readme: self.readme.clone(),
            subcharts: Vec::new(),
            origin: self.origin.clone(),
        }
    }
}
