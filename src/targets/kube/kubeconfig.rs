//! Kubeconfig resolution as kubectl does it: which files are read (`--kubeconfig` alone;
//! else the `KUBECONFIG` list merged first-wins; else `~/.kube/config`; else the in-cluster
//! service account), which context is used (`--kube-context`, else `current-context`), and
//! which namespace (`-n`, else the context's, else `default`). Parsing, relative-path
//! handling and credentials (token, client certificate, exec plugin) are kube-rs's
//! [`Kubeconfig`] and [`Config`]; TLS is verified unless the cluster entry says
//! `insecure-skip-tls-verify`.

use super::ConnectOptions;
use crate::{Error, Result};
use kube::config::{Config, KubeConfigOptions, Kubeconfig};
use std::path::{Path, PathBuf};

/// Where the connection settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// One or more kubeconfig files (merged in this order).
    Files(Vec<PathBuf>),
    /// The pod's service account (`KUBERNETES_SERVICE_HOST`, token and CA files).
    InCluster,
    /// The `--kube-*` flags alone (`--kube-apiserver` and no kubeconfig file).
    Flags,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Files(files) => {
                let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
                write!(f, "kubeconfig {}", names.join(", "))
            }
            Source::InCluster => f.write_str("in-cluster configuration"),
            Source::Flags => f.write_str("--kube-apiserver"),
        }
    }
}

/// The outcome of resolution: a kube-rs [`Config`] plus what kpack reports about it.
pub struct Resolved {
    /// The client configuration (server, TLS, credentials).
    pub config: Config,
    /// The context used, when a kubeconfig was.
    pub context: Option<String>,
    /// The namespace in effect.
    pub namespace: String,
    /// Where the settings came from.
    pub source: Source,
}

/// The kubeconfig files kubectl would read, merged by its rules, without choosing a
/// context: `None` when no file applies (so the in-cluster configuration is next).
pub fn load(opts: &ConnectOptions) -> Result<Option<(Kubeconfig, Vec<PathBuf>)>> {
    if let Some(path) = &opts.kubeconfig {
        if !path.is_file() {
            return Err(Error::usage(format!(
                "--kubeconfig {}: no such file",
                path.display()
            )));
        }
        return Ok(Some((read_one(path)?, vec![path.clone()])));
    }
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            // As client-go: files of the list that do not exist are skipped; a file that
            // exists but does not parse is an error.
            let existing: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
            if existing.is_empty() {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                return Err(Error::usage(format!(
                    "KUBECONFIG names no existing file ({}); fix KUBECONFIG or pass --kubeconfig",
                    names.join(", ")
                )));
            }
            return Ok(Some((merge_files(&existing)?, existing)));
        }
    }
    if let Some(home) = std::env::home_dir() {
        let path = home.join(".kube").join("config");
        if path.is_file() {
            return Ok(Some((read_one(&path)?, vec![path])));
        }
    }
    Ok(None)
}

/// Merge kubeconfig files by kubectl's rules: the first file to set a value or a map key
/// wins, later files never change it (a later file's entry of the same name is dropped
/// whole, even its non-conflicting fields).
pub fn merge_files(paths: &[PathBuf]) -> Result<Kubeconfig> {
    let mut merged = Kubeconfig::default();
    for p in paths {
        let next = read_one(p)?;
        merged = merged.merge(next).map_err(|e| {
            Error::usage(format!(
                "kubeconfig {}: cannot be merged with the files before it: {e}",
                p.display()
            ))
        })?;
    }
    Ok(merged)
}

/// Read one file (relative paths inside it become relative to the file), treating empty
/// strings as unset the way client-go does, so an empty `current-context` does not win.
fn read_one(path: &Path) -> Result<Kubeconfig> {
    let mut kc = Kubeconfig::read_from(path)
        .map_err(|e| Error::usage(format!("kubeconfig {}: {e}", path.display())))?;
    if kc.current_context.as_deref() == Some("") {
        kc.current_context = None;
    }
    for c in &mut kc.contexts {
        if let Some(ctx) = &mut c.context
            && ctx.namespace.as_deref() == Some("")
        {
            ctx.namespace = None;
        }
    }
    Ok(kc)
}

/// Resolve the connection as kubectl does (see the module doc).
/// The `--kube-*` flags (Helm 4's, kubectl's `--server`, `--token`, `--as`, ...) override
/// what the kubeconfig says; `--kube-apiserver` with no kubeconfig file is a connection
/// made from the flags alone.
pub fn resolve(opts: &ConnectOptions) -> Result<Resolved> {
    let mut resolved = match load(opts)? {
        Some((kc, files)) => from_kubeconfig(kc, files, opts)?,
        None if opts.from_flags_only() => from_flags(opts)?,
        None => in_cluster(opts)?,
    };
    apply_flags(&mut resolved.config, opts)?;
    Ok(resolved)
}

/// `--kube-apiserver URL` without a kubeconfig: the server, credentials and TLS settings
/// all come from the flags (applied by [`apply_flags`]).
fn from_flags(opts: &ConnectOptions) -> Result<Resolved> {
    let mut config = Config::new(http::Uri::from_static("https://kubernetes.default.svc"));
    config.default_namespace = "default".into();
    let namespace = opts.namespace.clone().unwrap_or_else(|| "default".into());
    if let Some(ctx) = &opts.context {
        return Err(Error::usage(format!(
            "--kube-context {ctx}: no kubeconfig file was found (connecting with --kube-apiserver alone)"
        )));
    }
    Ok(Resolved {
        config,
        context: None,
        namespace,
        source: Source::Flags,
    })
}

/// The server URL of `--kube-apiserver`: `https://` is assumed when no scheme is given,
/// as client-go does.
fn apiserver_url(s: &str) -> Result<http::Uri> {
    let full = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let uri: http::Uri = full.parse().map_err(|e| {
        Error::usage(format!(
            "--kube-apiserver {s:?}: not a server address ({e}); write https://HOST:PORT"
        ))
    })?;
    if uri.host().is_none() || !matches!(uri.scheme_str(), Some("https" | "http")) {
        return Err(Error::usage(format!(
            "--kube-apiserver {s:?}: not a server address; write https://HOST:PORT"
        )));
    }
    Ok(uri)
}

/// The certificates of a PEM bundle, as DER.
fn read_ca_file(path: &Path) -> Result<Vec<Vec<u8>>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let bytes = std::fs::read(path)
        .map_err(|e| Error::usage(format!("--kube-ca-file {}: {e}", path.display())))?;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&bytes)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
            Error::usage(format!(
                "--kube-ca-file {}: not a PEM certificate bundle: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::usage(format!(
            "--kube-ca-file {}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}

/// Apply the `--kube-*` flags over a resolved configuration.
fn apply_flags(config: &mut Config, opts: &ConnectOptions) -> Result<()> {
    if let Some(server) = &opts.apiserver {
        config.cluster_url = apiserver_url(server)?;
    }
    if let Some(path) = &opts.ca_file {
        config.root_cert = Some(read_ca_file(path)?);
        config.root_cert_file = None;
    }
    if opts.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    if let Some(name) = &opts.tls_server_name {
        config.tls_server_name = Some(name.clone());
    }
    if let Some(token) = &opts.token {
        // The token replaces the user's other credentials (client certificates stay: they
        // are a TLS matter), as a kubectl --token does.
        let auth = &mut config.auth_info;
        auth.token = Some(token.clone().into());
        auth.token_file = None;
        auth.username = None;
        auth.password = None;
        auth.exec = None;
        auth.auth_provider = None;
    }
    if let Some(user) = &opts.as_user {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !opts.as_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(opts.as_groups.clone());
    }
    Ok(())
}

fn in_cluster(opts: &ConnectOptions) -> Result<Resolved> {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
        return Err(Error::usage(
            "no cluster configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, \
             or run kpack inside a pod (KUBERNETES_SERVICE_HOST is not set)",
        ));
    }
    if let Some(ctx) = &opts.context {
        return Err(Error::usage(format!(
            "--kube-context {ctx}: no kubeconfig file was found (running with the in-cluster configuration)"
        )));
    }
    let config =
        Config::incluster().map_err(|e| Error::remote(format!("in-cluster configuration: {e}")))?;
    let namespace = opts
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    Ok(Resolved {
        config,
        context: None,
        namespace,
        source: Source::InCluster,
    })
}

fn from_kubeconfig(kc: Kubeconfig, files: Vec<PathBuf>, opts: &ConnectOptions) -> Result<Resolved> {
    let source = Source::Files(files);
    let names: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
    let listing = if names.is_empty() {
        "it defines no contexts".to_string()
    } else {
        format!("contexts: {}", names.join(", "))
    };
    let context = match opts.context.clone().or_else(|| kc.current_context.clone()) {
        Some(c) => c,
        None => {
            return Err(Error::usage(format!(
                "{source} has no current-context; pass --kube-context ({listing})"
            )));
        }
    };
    let Some(entry) = kc.contexts.iter().find(|c| c.name == context) else {
        let how = if opts.context.is_some() {
            "--kube-context"
        } else {
            "current-context"
        };
        return Err(Error::usage(format!(
            "{how} {context:?} is not defined in {source} ({listing})"
        )));
    };
    let ctx = entry.context.clone().unwrap_or_default();
    let cluster = kc.clusters.iter().find(|c| c.name == ctx.cluster);
    match cluster.and_then(|c| c.cluster.as_ref()) {
        None => {
            return Err(Error::usage(format!(
                "context {context:?} names cluster {:?}, which is not defined in {source}",
                ctx.cluster
            )));
        }
        Some(c) if c.server.as_deref().unwrap_or("").is_empty() => {
            return Err(Error::usage(format!(
                "cluster {:?} of context {context:?} has no server in {source}",
                ctx.cluster
            )));
        }
        Some(_) => {}
    }
    let namespace = opts
        .namespace
        .clone()
        .or_else(|| ctx.namespace.clone())
        .unwrap_or_else(|| "default".into());
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        cluster: None,
        user: None,
    };
    let config = block_on_local(Config::from_custom_kubeconfig(kc, &options))
        .map_err(|e| Error::usage(format!("{source}, context {context:?}: {e}")))?;
    Ok(Resolved {
        config,
        context: Some(context),
        namespace,
        source,
    })
}

/// `Config::from_custom_kubeconfig` is `async` but never awaits anything that needs a
/// reactor; drive it on a throwaway current-thread runtime so resolution stays sync.
fn block_on_local<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}
