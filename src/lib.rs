//! kpack: a Kubernetes package manager. The library holds all the work; `src/cli/` only
//! parses flags and prints. The pipeline, one module per box:
//!
//! chart source → [`chart`] → [`values`] → [`engine`] → [`manifest`] → plan → target,
//! with [`action`] orchestrating the boxes for each command.

pub mod action;
pub mod archive;
pub mod chart;
pub mod confine;
pub mod diff;
pub mod engine;
pub mod error;
pub mod jsonpath;
pub mod keys;
pub mod manifest;
pub mod oci;
pub mod parallel;
pub mod provenance;
pub mod release;
pub mod repo;
pub mod runtime;
pub mod source;
pub mod targets;
pub mod tls;
pub mod values;
pub mod version;
pub mod yaml;

pub use error::{Error, Result};
