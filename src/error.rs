//! The crate-wide error type: one variant per pipeline stage, each carrying a message that
//! already names the file, line, value path or resource it is about and what to do.
//! `main` maps the variant to an exit code.

use std::fmt;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, by pipeline stage. The message is complete and ready for a person.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A chart could not be found, read or validated (Chart.yaml, layout, archive).
    #[error("{0}")]
    Chart(String),
    /// A values source was malformed: a values file, a `--set` argument, a schema violation.
    #[error("{0}")]
    Values(String),
    /// A template failed to parse or render.
    #[error("{0}")]
    Template(String),
    /// Rendered output is not valid Kubernetes YAML.
    #[error("{0}")]
    Manifest(String),
    /// A file system or network operation failed.
    #[error("{0}")]
    Io(String),
    /// A registry, cluster or release-store operation failed.
    #[error("{0}")]
    Remote(String),
    /// The user asked for something that cannot be done as asked (bad flag combination...).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Build an I/O error that names the path involved.
    pub fn io(path: impl fmt::Display, err: impl fmt::Display) -> Self {
        Error::Io(format!("{path}: {err}"))
    }

    /// Process exit code for this error (1 for most failures, 2 for usage errors).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    /// Prefix the message with more context, keeping the variant.
    pub fn context(self, ctx: impl fmt::Display) -> Self {
        let wrap = |m: String| format!("{ctx}: {m}");
        match self {
            Error::Chart(m) => Error::Chart(wrap(m)),
            Error::Values(m) => Error::Values(wrap(m)),
            Error::Template(m) => Error::Template(wrap(m)),
            Error::Manifest(m) => Error::Manifest(wrap(m)),
            Error::Io(m) => Error::Io(wrap(m)),
            Error::Remote(m) => Error::Remote(wrap(m)),
            Error::Usage(m) => Error::Usage(wrap(m)),
        }
    }
}
