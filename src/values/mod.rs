//! Values: the data a chart is rendered with. `set` parses the `--set` family of flags,
//! `merge` implements Helm's coalescing rules (deep merge, null deletes, globals, subchart
//! scoping), `schema` validates against `values.schema.json`, `sources` layers every source
//! in Helm's order.

pub mod deps;
pub mod merge;
pub mod schema;
pub mod set;
pub mod sources;

/// A values tree: a JSON-model map that keeps key order.
pub type Map = serde_json::Map<String, serde_json::Value>;
pub use serde_json::Value;
