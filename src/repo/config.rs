//! The list of chart repositories: `repositories.yaml` in kpack's configuration directory
//! (`$KPACK_CONFIG_HOME`, else `$XDG_CONFIG_HOME/kpack`, else `~/.config/kpack`), in
//! Helm's format (`name`, `url`, `username`, `password`, `certFile`, `keyFile`, `caFile`,
//! `insecure_skip_tls_verify`, `pass_credentials_all`), so Helm's own file can be imported
//! as it is ([`helm_path`]: `$HELM_REPOSITORY_CONFIG`, else Helm's default location).
//!
//! The file may hold passwords: it is written with mode 0600, atomically (temporary file,
//! then rename), under an exclusive lock on `repositories.lock` beside it so two kpack runs
//! never lose each other's changes. Passwords are never printed ([`Entry`]'s `Debug` masks
//! them).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// File name of the repository list in the configuration directory.
pub const FILE_NAME: &str = "repositories.yaml";

/// One configured repository.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The name charts are referred to by (`NAME/CHART`).
    pub name: String,
    /// The repository URL (where `index.yaml` is).
    pub url: String,
    /// Basic-auth user name.
    #[serde(default)]
    pub username: String,
    /// Basic-auth password.
    #[serde(default)]
    pub password: String,
    /// Client certificate (PEM) for TLS client authentication.
    #[serde(default, rename = "certFile")]
    pub cert_file: String,
    /// Its private key (PEM).
    #[serde(default, rename = "keyFile")]
    pub key_file: String,
    /// CA bundle (PEM) to verify the server with, instead of the system's.
    #[serde(default, rename = "caFile")]
    pub ca_file: String,
    /// Accept any server certificate.
    #[serde(default)]
    pub insecure_skip_tls_verify: bool,
    /// Send the credentials to chart URLs on other hosts too.
    #[serde(default)]
    pub pass_credentials_all: bool,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("ca_file", &self.ca_file)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("pass_credentials_all", &self.pass_credentials_all)
            .finish()
    }
}

impl Entry {
    /// How to reach this repository.
    pub fn transport(&self) -> super::http::Transport {
        super::http::Transport {
            username: self.username.clone(),
            password: self.password.clone(),
            tls: crate::tls::Files {
                ca_file: non_empty(&self.ca_file),
                cert_file: non_empty(&self.cert_file),
                key_file: non_empty(&self.key_file),
            },
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            pass_credentials_all: self.pass_credentials_all,
            timeout: None,
        }
    }
}

fn non_empty(s: &str) -> Option<PathBuf> {
    (!s.is_empty()).then(|| PathBuf::from(s))
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFile {
    /// Format version (`v1`; Helm writes an empty string).
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// When it was written (RFC 3339).
    #[serde(default)]
    pub generated: String,
    /// The repositories, in the order they were added.
    #[serde(default)]
    pub repositories: Vec<Entry>,
}

impl RepoFile {
    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.repositories.iter().find(|e| e.name == name)
    }

    /// The first entry whose URL is `url` (trailing slashes ignored).
    pub fn by_url(&self, url: &str) -> Option<&Entry> {
        let want = url.trim_end_matches('/');
        self.repositories
            .iter()
            .find(|e| e.url.trim_end_matches('/') == want)
    }

    /// The configured names, in order (for error messages).
    pub fn names(&self) -> Vec<&str> {
        self.repositories.iter().map(|e| e.name.as_str()).collect()
    }
}

fn nonempty_env(k: &str) -> Option<PathBuf> {
    std::env::var_os(k)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// kpack's configuration directory: `$KPACK_CONFIG_HOME`, `$XDG_CONFIG_HOME/kpack` or
/// `~/.config/kpack`.
pub fn config_dir() -> Result<PathBuf> {
    if let Some(d) = nonempty_env("KPACK_CONFIG_HOME") {
        return Ok(d);
    }
    if let Some(d) = nonempty_env("XDG_CONFIG_HOME") {
        return Ok(d.join("kpack"));
    }
    if let Some(h) = nonempty_env("HOME") {
        return Ok(h.join(".config").join("kpack"));
    }
    Err(Error::io_message(
        "cannot find a configuration directory: set KPACK_CONFIG_HOME (or XDG_CONFIG_HOME or HOME)",
    ))
}

/// The repository list kpack uses: `explicit`, else [`config_dir`]/repositories.yaml.
pub fn path(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(p) => Ok(p.to_path_buf()),
        None => Ok(config_dir()?.join(FILE_NAME)),
    }
}

/// Where Helm keeps its repository list: `$HELM_REPOSITORY_CONFIG`, else
/// `$HELM_CONFIG_HOME/repositories.yaml`, else Helm's default configuration directory
/// (`$XDG_CONFIG_HOME/helm`, `~/.config/helm`; on macOS `~/Library/Preferences/helm`).
pub fn helm_path() -> Result<PathBuf> {
    if let Some(p) = nonempty_env("HELM_REPOSITORY_CONFIG") {
        return Ok(p);
    }
    if let Some(d) = nonempty_env("HELM_CONFIG_HOME") {
        return Ok(d.join(FILE_NAME));
    }
    if let Some(d) = nonempty_env("XDG_CONFIG_HOME") {
        return Ok(d.join("helm").join(FILE_NAME));
    }
    let home = nonempty_env("HOME").ok_or_else(|| {
        Error::io_message(
            "cannot find Helm's repositories.yaml: set HELM_REPOSITORY_CONFIG (or HOME)",
        )
    })?;
    Ok(if cfg!(target_os = "macos") {
        home.join("Library/Preferences/helm").join(FILE_NAME)
    } else {
        home.join(".config/helm").join(FILE_NAME)
    })
}

/// Read a repository list; a missing file is an empty list.
pub fn load(path: &Path) -> Result<RepoFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RepoFile::default()),
        Err(e) => return Err(Error::io(path.display(), e)),
    };
    if text.trim().is_empty() {
        return Ok(RepoFile::default());
    }
    let file: RepoFile = crate::yaml::from_str(&text).map_err(|e| {
        Error::usage(format!(
            "{}; fix the file or remove it (it lists the chart repositories)",
            e.at(&path.display().to_string())
        ))
    })?;
    for (i, e) in file.repositories.iter().enumerate() {
        if e.name.is_empty() || e.url.is_empty() {
            return Err(Error::usage(format!(
                "{}: repositories[{i}] needs both a name and a url",
                path.display()
            )));
        }
    }
    Ok(file)
}

/// An exclusive lock on the repository list, held while it is read, changed and written.
pub struct Locked {
    path: PathBuf,
    _lock: std::fs::File,
    /// The list as read under the lock.
    pub file: RepoFile,
}

impl Locked {
    /// Lock the list at `path` (creating its directory) and read it.
    pub fn open(path: &Path) -> Result<Locked> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        let lock_path = path.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(lock_path.display(), e))?;
        fs2::FileExt::lock_exclusive(&lock).map_err(|e| Error::io(lock_path.display(), e))?;
        let file = load(path)?;
        Ok(Locked {
            path: path.to_path_buf(),
            _lock: lock,
            file,
        })
    }

    /// Write the list back (mode 0600, atomically).
    pub fn save(&mut self) -> Result<()> {
        if self.file.api_version.is_empty() {
            self.file.api_version = "v1".into();
        }
        self.file.generated = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let text = crate::yaml::to_string(&self.file).map_err(|e| {
            Error::io_message(format!("{}: cannot encode: {e}", self.path.display()))
        })?;
        write_private(&self.path, text.as_bytes())
    }
}

/// Write `bytes` to `path` atomically, readable by the owner only (it may hold passwords).
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let res = opts
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path.display(), e)
    })
}

/// Whether `name` can name a repository: not empty, no `/` (it prefixes `NAME/CHART`),
/// no spaces and not starting with `.` or `@`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '@'])
        && !name.contains(['/', '\\'])
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_helms_file_and_writes_its_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("repositories.yaml");
        std::fs::write(
            &p,
            "apiVersion: \"\"\ngenerated: \"0001-01-01T00:00:00Z\"\nrepositories:\n- caFile: \"/ca.pem\"\n  certFile: \"\"\n  insecure_skip_tls_verify: false\n  keyFile: \"\"\n  name: local\n  pass_credentials_all: true\n  password: pw\n  url: http://127.0.0.1:1/\n  username: me\n",
        )
        .unwrap();
        let f = load(&p).unwrap();
        let e = f.get("local").unwrap();
        assert_eq!(e.ca_file, "/ca.pem");
        assert!(e.pass_credentials_all);
        assert_eq!(f.by_url("http://127.0.0.1:1").unwrap().name, "local");
        let dbg = format!("{e:?}");
        assert!(!dbg.contains("pw") && dbg.contains("***"), "{dbg}");

        let mut l = Locked::open(&p).unwrap();
        l.file.repositories[0].name = "renamed".into();
        l.save().unwrap();
        drop(l);
        let again = load(&p).unwrap();
        assert_eq!(again.names(), ["renamed"]);
        assert_eq!(again.api_version, "v1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn missing_or_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            load(&dir.path().join("none.yaml"))
                .unwrap()
                .repositories
                .is_empty()
        );
        let p = dir.path().join("bad.yaml");
        std::fs::write(&p, "repositories: [\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("bad.yaml") && e.contains("fix the file"), "{e}");
        std::fs::write(&p, "repositories:\n- name: x\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("missing field `url`"), "{e}");
        std::fs::write(&p, "repositories:\n- name: x\n  url: \"\"\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("repositories[0] needs both"), "{e}");
    }

    #[test]
    fn names() {
        assert!(valid_name("bitnami"));
        assert!(valid_name("my-repo_2"));
        for bad in ["", "a/b", ".x", "@x", "a b"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
