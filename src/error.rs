//! The crate-wide error type. An [`Error`] has a [`Kind`] (the pipeline stage it comes from,
//! which decides the exit code), a message that already names the file, line, value path or
//! resource it is about and what to do, an optional [`Reason`] that code may act on (instead
//! of matching message text), and an optional source error for the chain.
//!
//! Errors are built with one constructor per kind (`Error::chart(msg)`, ...), get more
//! context in one place ([`Error::context`], [`Error::with_suffix`]) and keep their kind,
//! reason and source through it.

use std::fmt;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The pipeline stage an error comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A chart could not be found, read or validated (Chart.yaml, layout, archive).
    Chart,
    /// A values source was malformed: a values file, a `--set` argument, a schema violation.
    Values,
    /// A template failed to parse or render.
    Template,
    /// Rendered output is not valid Kubernetes YAML.
    Manifest,
    /// A file system or network operation failed.
    Io,
    /// A registry, cluster or release-store operation failed.
    Remote,
    /// The user asked for something that cannot be done as asked (bad flag combination...).
    Usage,
}

/// Why an error happened, where code reacts to it (retries, hints, tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A size, count or depth limit was reached (archives, downloads, templates).
    LimitExceeded,
    /// A registry or cluster refused the credentials, or asked for some.
    Unauthorized,
    /// What was asked for does not exist.
    NotFound,
    /// Another operation holds the release (its pending revision is a live lock).
    Busy,
    /// Two writers raced for the same record; the other one won.
    Conflict,
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A kpack error: kind, complete message, optional reason and source.
pub struct Error {
    kind: Kind,
    message: String,
    reason: Option<Reason>,
    source: Option<Source>,
}

impl Error {
    /// An error of `kind` with a complete message.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            reason: None,
            source: None,
        }
    }

    /// [`Kind::Chart`].
    pub fn chart(message: impl Into<String>) -> Self {
        Error::new(Kind::Chart, message)
    }

    /// [`Kind::Values`].
    pub fn values(message: impl Into<String>) -> Self {
        Error::new(Kind::Values, message)
    }

    /// [`Kind::Template`].
    pub fn template(message: impl Into<String>) -> Self {
        Error::new(Kind::Template, message)
    }

    /// [`Kind::Manifest`].
    pub fn manifest(message: impl Into<String>) -> Self {
        Error::new(Kind::Manifest, message)
    }

    /// [`Kind::Remote`].
    pub fn remote(message: impl Into<String>) -> Self {
        Error::new(Kind::Remote, message)
    }

    /// [`Kind::Usage`].
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(Kind::Usage, message)
    }

    /// [`Kind::Io`] with a message that already says what failed.
    pub fn io_message(message: impl Into<String>) -> Self {
        Error::new(Kind::Io, message)
    }

    /// An I/O error that names the path involved (`PATH: what failed`).
    pub fn io(path: impl fmt::Display, err: impl fmt::Display) -> Self {
        Error::new(Kind::Io, format!("{path}: {err}"))
    }

    /// Attach the error this one was caused by (kept for [`std::error::Error::source`]).
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Say why the error happened, for code that reacts to it.
    pub fn with_reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The stage the error comes from.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Why it happened, when that is known.
    pub fn reason(&self) -> Option<Reason> {
        self.reason
    }

    /// The complete message (what `Display` prints).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Process exit code for this error: 1, whatever the kind, as helm and kubectl exit
    /// on any error (scripts test for non-zero; `kpack diff --detailed-exitcode` keeps 2
    /// for "changes", so no error may use it).
    pub fn exit_code(&self) -> i32 {
        1
    }

    /// Prefix the message with more context (`CTX: message`), keeping kind, reason and
    /// source. The one place context is added.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }

    /// Add text after the message (`; and the rollback failed too: …`), keeping kind,
    /// reason and source.
    pub fn with_suffix(mut self, suffix: &str) -> Self {
        self.message.push_str(suffix);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(r) = self.reason {
            d.field("reason", &r);
        }
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// An error's message followed by each cause in its chain that the message does not
/// already contain (`a: b: c`), for errors of other crates whose top message is terse.
pub fn chain_text(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_and_suffix_keep_kind_reason_and_source() {
        let io = std::io::Error::other("disk on fire");
        let e = Error::remote("upload failed")
            .with_reason(Reason::Unauthorized)
            .with_source(io)
            .context("push web-0.1.0.tgz")
            .with_suffix("; log in first");
        assert_eq!(
            e.to_string(),
            "push web-0.1.0.tgz: upload failed; log in first"
        );
        assert_eq!(e.kind(), Kind::Remote);
        assert_eq!(e.reason(), Some(Reason::Unauthorized));
        let src = std::error::Error::source(&e).expect("source kept");
        assert_eq!(src.to_string(), "disk on fire");
        assert_eq!(e.exit_code(), 1);
        assert_eq!(Error::usage("no").exit_code(), 1);
    }
}
