//! `oci://host[:port]/repo/name[:tag][@sha256:...]` references: parsing, validation and
//! printing. The first path component is always the registry host (as in Helm), so
//! `oci://localhost:5000/charts/x` and `oci://myregistry/x` both name their host.

use std::fmt;

use crate::{Error, Result};

/// The scheme prefix of a registry reference.
pub const SCHEME: &str = "oci://";

/// Whether `s` is an `oci://` reference rather than a path.
pub fn is_oci(s: &str) -> bool {
    s.starts_with(SCHEME)
}

/// The OCI tag for a chart version: `+` is not allowed in tags, so it becomes `_` (as Helm).
pub fn version_to_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// The chart version a tag stands for (`_` back to `+`).
pub fn tag_to_version(tag: &str) -> String {
    tag.replace('_', "+")
}

/// A parsed registry reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRef {
    /// `host` or `host:port`.
    pub host: String,
    /// Repository path inside the registry (`charts/nginx`); may be empty for `oci://host`.
    pub repository: String,
    /// Tag, when given (`:1.2.3`).
    pub tag: Option<String>,
    /// Digest, when given (`@sha256:...`).
    pub digest: Option<String>,
}

fn valid_host(h: &str) -> bool {
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (h, None),
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// One repository path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or one or more "-".
        let start = i;
        while i < b.len() && matches!(b[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok || i == start {
            return false;
        }
    }
    true
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

impl OciRef {
    /// Parse `oci://host[:port][/repo...][:tag][@digest]`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::usage(format!(
                "invalid registry reference {s:?}: {why} (expected oci://HOST[:PORT]/REPOSITORY[:TAG])"
            ))
        };
        let rest = s
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("it must start with oci://"))?;
        let rest = rest.trim_end_matches('/');
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => {
                super::cache::digest_hex(d).map_err(|e| bad(&e.to_string()))?;
                (r, Some(d.to_string()))
            }
            None => (rest, None),
        };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !valid_host(host) {
            return Err(bad(&format!("{host:?} is not a registry host")));
        }
        let (path, tag) = match path.rsplit_once('/') {
            Some((dir, last)) => match last.split_once(':') {
                Some((name, tag)) => (format!("{dir}/{name}"), Some(tag.to_string())),
                None => (path.to_string(), None),
            },
            None => match path.split_once(':') {
                Some((name, tag)) => (name.to_string(), Some(tag.to_string())),
                None => (path.to_string(), None),
            },
        };
        if !path.is_empty()
            && let Some(c) = path.split('/').find(|c| !valid_component(c))
        {
            return Err(bad(&format!(
                "repository component {c:?} is invalid (use lowercase letters, digits and . _ -)"
            )));
        }
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(bad(&format!("tag {t:?} is invalid")));
        }
        if tag.is_some() && path.is_empty() {
            return Err(bad("a tag needs a repository"));
        }
        Ok(OciRef {
            host: host.to_string(),
            repository: path,
            tag,
            digest,
        })
    }

    /// The last repository component: the chart name for a chart reference.
    pub fn name(&self) -> &str {
        self.repository.rsplit('/').next().unwrap_or("")
    }

    /// This reference with `name` appended to the repository, without tag or digest
    /// (`oci://host/charts` + `nginx` → `oci://host/charts/nginx`).
    pub fn join(&self, name: &str) -> Result<OciRef> {
        if !valid_component(name) {
            return Err(Error::usage(format!(
                "chart name {name:?} cannot be used in a registry repository path"
            )));
        }
        let repository = if self.repository.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.repository)
        };
        Ok(OciRef {
            host: self.host.clone(),
            repository,
            tag: None,
            digest: None,
        })
    }

    /// This reference with `tag` (and no digest).
    pub fn with_tag(&self, tag: &str) -> OciRef {
        OciRef {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        }
    }

    /// The reference for `oci-client`.
    pub(crate) fn to_client_ref(&self) -> oci_client::Reference {
        match (&self.tag, &self.digest) {
            (Some(t), Some(d)) => oci_client::Reference::with_tag_and_digest(
                self.host.clone(),
                self.repository.clone(),
                t.clone(),
                d.clone(),
            ),
            (None, Some(d)) => oci_client::Reference::with_digest(
                self.host.clone(),
                self.repository.clone(),
                d.clone(),
            ),
            (t, None) => oci_client::Reference::with_tag(
                self.host.clone(),
                self.repository.clone(),
                t.clone().unwrap_or_else(|| "latest".into()),
            ),
        }
    }
}

impl fmt::Display for OciRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}", self.host)?;
        if !self.repository.is_empty() {
            write!(f, "/{}", self.repository)?;
        }
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_repo_tag_digest() {
        let r = OciRef::parse("oci://127.0.0.1:5000/charts/nginx:1.2.3_build.1").unwrap();
        assert_eq!(r.host, "127.0.0.1:5000");
        assert_eq!(r.repository, "charts/nginx");
        assert_eq!(r.tag.as_deref(), Some("1.2.3_build.1"));
        assert_eq!(r.name(), "nginx");
        assert_eq!(
            r.to_string(),
            "oci://127.0.0.1:5000/charts/nginx:1.2.3_build.1"
        );
        let d = format!("sha256:{}", "a".repeat(64));
        let r = OciRef::parse(&format!("oci://reg/x@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.tag, None);
        let r = OciRef::parse("oci://myregistry").unwrap();
        assert_eq!((r.host.as_str(), r.repository.as_str()), ("myregistry", ""));
        let r = OciRef::parse("oci://localhost:5000/a/").unwrap();
        assert_eq!(r.repository, "a");
    }

    #[test]
    fn join_and_with_tag() {
        let r = OciRef::parse("oci://h:1/charts").unwrap();
        let j = r.join("web").unwrap().with_tag("0.1.0");
        assert_eq!(j.to_string(), "oci://h:1/charts/web:0.1.0");
        assert_eq!(
            OciRef::parse("oci://h")
                .unwrap()
                .join("x")
                .unwrap()
                .repository,
            "x"
        );
        assert!(r.join("Bad").is_err());
    }

    #[test]
    fn refuses_malformed() {
        for s in [
            "http://h/x",
            "oci://",
            "oci:///x",
            "oci://h/UPPER",
            "oci://h/a//b",
            "oci://h/a-",
            "oci://h/x:",
            "oci://h/x:bad+tag",
            "oci://h:port/x",
            "oci://h/x@sha256:zz",
            "oci://h:5000",
        ] {
            // "oci://h:5000" is fine (host and port only); everything else is not.
            if s == "oci://h:5000" {
                assert!(OciRef::parse(s).is_ok());
                continue;
            }
            assert!(OciRef::parse(s).is_err(), "{s} should be refused");
        }
        let e = OciRef::parse("oci://h/UP").unwrap_err().to_string();
        assert!(e.contains("\"UP\""), "{e}");
    }

    #[test]
    fn components() {
        for ok in ["a", "a.b", "a_b", "a__b", "a---b", "nginx-ingress", "x1"] {
            assert!(valid_component(ok), "{ok}");
        }
        for bad in ["", "-a", "a.", "a..b", "a___b", "a._b", "A"] {
            assert!(!valid_component(bad), "{bad}");
        }
    }

    #[test]
    fn tags_and_versions() {
        assert_eq!(version_to_tag("1.0.0+abc"), "1.0.0_abc");
        assert_eq!(tag_to_version("1.0.0_abc"), "1.0.0+abc");
        assert!(is_oci("oci://x") && !is_oci("./oci"));
    }
}
