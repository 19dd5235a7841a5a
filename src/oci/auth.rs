//! Registry credentials in the docker-style config file (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`), shared with docker, podman, oras and helm.
//!
//! Reading honours, in order: `credHelpers[host]` (runs `docker-credential-NAME get`), an
//! `auths[host]` entry (`auth` = base64 `user:password`, or `username`/`password`, or
//! `registrytoken` for a bearer token), then `credsStore`. Writing (`kpack registry login`)
//! stores `auths[host].auth` and keeps every other setting of the file; the file is created
//! with mode 0600.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value};

use crate::{Error, Result};

/// How to authenticate to one registry.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    Anonymous,
    /// User name and password (or access token used as a password); exchanged for a bearer
    /// token when the registry asks for one.
    Basic {
        /// User name.
        username: String,
        /// Password or token.
        password: String,
    },
    /// A ready bearer token (`registrytoken` in the config file).
    Bearer(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Anonymous => f.write_str("Anonymous"),
            Auth::Basic { username, .. } => write!(f, "Basic({username:?}, <redacted>)"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// The docker config file: `override_path`, else `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
pub fn config_path(override_path: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = override_path {
        return Ok(p.to_path_buf());
    }
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = nonempty("DOCKER_CONFIG") {
        return Ok(PathBuf::from(d).join("config.json"));
    }
    if let Some(h) = nonempty("HOME") {
        return Ok(PathBuf::from(h).join(".docker").join("config.json"));
    }
    Err(Error::io_message(
        "cannot find the registry credentials file: set DOCKER_CONFIG or HOME",
    ))
}

/// Docker Hub's historical key in `auths`.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The host a config key refers to: `https://host/v1/` → `host`; Docker Hub aliases → one name.
fn normalize_host(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let k = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match k.as_str() {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        _ => k,
    }
}

fn read_config(path: &Path) -> Result<Option<Map<String, Value>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path.display(), e)),
    };
    if text.trim().is_empty() {
        return Ok(Some(Map::new()));
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err(Error::io_message(format!(
            "{}: not a JSON object; fix or remove the file",
            path.display()
        ))),
        Err(e) => Err(Error::io_message(format!(
            "{}: invalid JSON at line {} column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))),
    }
}

fn entry_auth(entry: &Value, path: &Path, key: &str) -> Result<Option<Auth>> {
    let s = |k: &str| {
        entry
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    if let Some(tok) = s("registrytoken") {
        return Ok(Some(Auth::Bearer(tok.to_string())));
    }
    if let Some(enc) = s("auth") {
        let raw = B64.decode(enc.trim()).map_err(|e| {
            Error::io_message(format!(
                "{}: auths.{key:?}.auth is not valid base64 ({e}); log in again",
                path.display()
            ))
        })?;
        let text = String::from_utf8(raw).map_err(|_| {
            Error::io_message(format!(
                "{}: auths.{key:?}.auth is not UTF-8 text; log in again",
                path.display()
            ))
        })?;
        let (u, p) = text.split_once(':').ok_or_else(|| {
            Error::io_message(format!(
                "{}: auths.{key:?}.auth is not of the form user:password; log in again",
                path.display()
            ))
        })?;
        return Ok(Some(Auth::Basic {
            username: u.to_string(),
            password: p.to_string(),
        }));
    }
    if let (Some(u), Some(p)) = (s("username"), s("password")) {
        return Ok(Some(Auth::Basic {
            username: u.to_string(),
            password: p.to_string(),
        }));
    }
    Ok(None)
}

/// Ask `docker-credential-<helper>` for the host's credentials. `None` when the helper is
/// not installed or holds nothing for the host.
fn from_helper(helper: &str, host: &str) -> Result<Option<Auth>> {
    let prog = format!("docker-credential-{helper}");
    let child = Command::new(&prog)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io_message(format!("running {prog}: {e}"))),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(host.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::io_message(format!("running {prog}: {e}")))?;
    if !out.status.success() {
        // "credentials not found" and the like: nothing stored for this host.
        return Ok(None);
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| Error::io_message(format!("{prog} get: unreadable answer: {e}")))?;
    let username = v.get("Username").and_then(Value::as_str).unwrap_or("");
    let secret = v.get("Secret").and_then(Value::as_str).unwrap_or("");
    if secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Auth::Basic {
        username: username.to_string(),
        password: secret.to_string(),
    }))
}

/// The credentials stored for `host` (`host[:port]`) in the config file at `path`;
/// [`Auth::Anonymous`] when there are none or the file does not exist.
pub fn lookup(host: &str, path: &Path) -> Result<Auth> {
    let Some(cfg) = read_config(path)? else {
        return Ok(Auth::Anonymous);
    };
    let want = normalize_host(host);
    if let Some(helpers) = cfg.get("credHelpers").and_then(Value::as_object) {
        for (k, h) in helpers {
            if normalize_host(k) == want
                && let Some(h) = h.as_str()
                && let Some(a) = from_helper(h, k)?
            {
                return Ok(a);
            }
        }
    }
    if let Some(auths) = cfg.get("auths").and_then(Value::as_object) {
        for (k, entry) in auths {
            if normalize_host(k) == want
                && let Some(a) = entry_auth(entry, path, k)?
            {
                return Ok(a);
            }
        }
    }
    if let Some(store) = cfg.get("credsStore").and_then(Value::as_str)
        && !store.is_empty()
    {
        let key = if want == "docker.io" {
            DOCKER_HUB_KEY
        } else {
            host
        };
        if let Some(a) = from_helper(store, key)? {
            return Ok(a);
        }
    }
    Ok(Auth::Anonymous)
}

fn write_config(path: &Path, cfg: &Map<String, Value>) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
    }
    let mut text = serde_json::to_string_pretty(cfg)
        .map_err(|e| Error::io_message(format!("{}: {e}", path.display())))?;
    text.push('\n');
    let tmp = path.with_extension(format!("json.tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(|e| Error::io(tmp.display(), e))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(tmp.display(), e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path.display(), e)
    })
}

/// Store `username`/`password` for `host` in the config file at `path` (created if
/// missing), keeping the file's other settings.
pub fn store(host: &str, username: &str, password: &str, path: &Path) -> Result<()> {
    if username.contains(':') {
        return Err(Error::usage(format!(
            "user name {username:?} contains ':', which the credentials file cannot store"
        )));
    }
    let mut cfg = read_config(path)?.unwrap_or_default();
    let auths = cfg
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    let auths = auths.as_object_mut().expect("just made an object");
    let want = normalize_host(host);
    auths.retain(|k, _| normalize_host(k) != want);
    let key = if want == "docker.io" {
        DOCKER_HUB_KEY
    } else {
        host
    };
    let mut entry = Map::new();
    entry.insert(
        "auth".into(),
        Value::String(B64.encode(format!("{username}:{password}"))),
    );
    auths.insert(key.to_string(), Value::Object(entry));
    write_config(path, &cfg)
}

/// Remove the stored credentials for `host` from the config file at `path`. Returns whether
/// there were any.
pub fn remove(host: &str, path: &Path) -> Result<bool> {
    let Some(mut cfg) = read_config(path)? else {
        return Ok(false);
    };
    let want = normalize_host(host);
    let mut removed = false;
    if let Some(auths) = cfg.get_mut("auths").and_then(Value::as_object_mut) {
        let before = auths.len();
        auths.retain(|k, _| normalize_host(k) != want);
        removed = auths.len() != before;
    }
    if removed {
        write_config(path, &cfg)?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_lookup_remove_round_trip_keeps_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/config.json");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            &p,
            r#"{"auths":{"other.io":{"auth":"eDp5"}},"psFormat":"table"}"#,
        )
        .unwrap();
        store("127.0.0.1:5000", "alice", "s3:cret", &p).unwrap();
        assert_eq!(
            lookup("127.0.0.1:5000", &p).unwrap(),
            Auth::Basic {
                username: "alice".into(),
                password: "s3:cret".into()
            }
        );
        assert_eq!(
            lookup("other.io", &p).unwrap(),
            Auth::Basic {
                username: "x".into(),
                password: "y".into()
            }
        );
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("psFormat"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(remove("127.0.0.1:5000", &p).unwrap());
        assert!(!remove("127.0.0.1:5000", &p).unwrap());
        assert_eq!(lookup("127.0.0.1:5000", &p).unwrap(), Auth::Anonymous);
        assert_ne!(lookup("other.io", &p).unwrap(), Auth::Anonymous);
    }

    #[test]
    fn keys_with_scheme_and_path_match_the_host() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(
            &p,
            r#"{"auths":{"https://reg.example.com/v1/":{"username":"u","password":"p"},
                "https://index.docker.io/v1/":{"registrytoken":"tok"}}}"#,
        )
        .unwrap();
        assert_eq!(
            lookup("reg.example.com", &p).unwrap(),
            Auth::Basic {
                username: "u".into(),
                password: "p".into()
            }
        );
        assert_eq!(
            lookup("registry-1.docker.io", &p).unwrap(),
            Auth::Bearer("tok".into())
        );
        assert_eq!(lookup("else.io", &p).unwrap(), Auth::Anonymous);
    }

    #[test]
    fn missing_file_is_anonymous_and_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        assert_eq!(lookup("h", &p).unwrap(), Auth::Anonymous);
        std::fs::write(&p, "{not json").unwrap();
        let e = lookup("h", &p).unwrap_err().to_string();
        assert!(
            e.contains("config.json") && e.contains("invalid JSON"),
            "{e}"
        );
        std::fs::write(&p, r#"{"auths":{"h":{"auth":"!!!"}}}"#).unwrap();
        let e = lookup("h", &p).unwrap_err().to_string();
        assert!(e.contains("base64"), "{e}");
    }

    #[test]
    fn missing_helper_falls_through() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(
            &p,
            r#"{"credsStore":"kpack-test-absent","credHelpers":{"h":"kpack-test-absent"},
                "auths":{"h":{"auth":"dTpw"}}}"#,
        )
        .unwrap();
        assert_eq!(
            lookup("h", &p).unwrap(),
            Auth::Basic {
                username: "u".into(),
                password: "p".into()
            }
        );
        assert_eq!(lookup("g", &p).unwrap(), Auth::Anonymous);
    }

    #[test]
    fn debug_redacts_secrets() {
        let a = Auth::Basic {
            username: "u".into(),
            password: "secret".into(),
        };
        assert!(!format!("{a:?}").contains("secret"));
        assert!(!format!("{:?}", Auth::Bearer("secret".into())).contains("secret"));
    }
}
