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
    pub data: Data,
}

impl File {
    /// A file named `name` (relative to the chart root) holding `data`.
    pub fn new(name: String, data: impl Into<Data>) -> File {
        File {
            name,
            data: data.into(),
        }
    }
}

/// The contents of a chart file, shared, as bytes (`Deref<Target = [u8]>`). Contents read
/// as a whole (from a directory or an archive) are kept as text when they are UTF-8, as
/// nearly every chart file is: a template parser then takes them as they are, where
/// shared bytes would have to be copied into a string first.
#[derive(Debug, Clone)]
pub enum Data {
    /// UTF-8 text.
    Text(std::sync::Arc<String>),
    /// Bytes, UTF-8 or not.
    Bytes(std::sync::Arc<[u8]>),
}

impl Data {
    /// The contents as text, shared, when they are kept as text.
    pub fn text(&self) -> Option<&std::sync::Arc<String>> {
        match self {
            Data::Text(t) => Some(t),
            Data::Bytes(_) => None,
        }
    }
}

impl std::ops::Deref for Data {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Data::Text(t) => t.as_bytes(),
            Data::Bytes(b) => b,
        }
    }
}

impl AsRef<[u8]> for Data {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PartialEq for Data {
    fn eq(&self, other: &Data) -> bool {
        **self == **other
    }
}

/// Text when UTF-8, without a copy.
impl From<Vec<u8>> for Data {
    fn from(v: Vec<u8>) -> Data {
        match String::from_utf8(v) {
            Ok(t) => Data::Text(std::sync::Arc::new(t)),
            Err(e) => Data::Bytes(e.into_bytes().into()),
        }
    }
}

/// Text when UTF-8 (one copy either way).
impl From<&[u8]> for Data {
    fn from(b: &[u8]) -> Data {
        match std::str::from_utf8(b) {
            Ok(t) => Data::Text(std::sync::Arc::new(t.to_owned())),
            Err(_) => Data::Bytes(b.into()),
        }
    }
}

impl From<std::sync::Arc<[u8]>> for Data {
    fn from(b: std::sync::Arc<[u8]>) -> Data {
        Data::Bytes(b)
    }
}

impl From<String> for Data {
    fn from(t: String) -> Data {
        Data::Text(std::sync::Arc::new(t))
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

#[cfg(test)]
mod data_tests {
    use super::Data;

    #[test]
    fn contents_read_whole_are_kept_as_text_without_a_copy() {
        let bytes = b"apiVersion: v1\n".to_vec();
        let at = bytes.as_ptr();
        let data = Data::from(bytes);
        let text = data.text().expect("UTF-8 contents are text");
        assert_eq!(text.as_ptr(), at, "the bytes read are the text, not a copy");
        assert_eq!(&*data, b"apiVersion: v1\n");
        let binary = Data::from(vec![0xff, 0xfe, b'a']);
        assert!(binary.text().is_none());
        assert_eq!(&*binary, &[0xff, 0xfe, b'a']);
        // Equal contents are equal however they are held.
        let shared: std::sync::Arc<[u8]> = b"x: 1\n"[..].into();
        assert_eq!(Data::from(&b"x: 1\n"[..]), Data::from(shared));
        assert!(Data::from(&b"x: 1\n"[..]).text().is_some());
    }
}
