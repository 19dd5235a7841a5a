//! Charts in OCI registries: push, pull, tag listing and login, in Helm's artifact format so
//! helm, oras and other OCI tools interoperate. The registry client is `oci-client` (async);
//! every public function here is synchronous and runs its own current-thread runtime.
//!
//! An artifact is an OCI image manifest whose config is the chart's `Chart.yaml` as JSON
//! ([`CONFIG_MEDIA_TYPE`]) and whose one layer is the chart `.tgz` ([`CHART_MEDIA_TYPE`]),
//! tagged with the chart version (`+` written `_`). Downloaded chart layers are kept in the
//! digest-addressed [`cache`] and verified on every reuse. Registry failures name the call,
//! the reference, the HTTP status and the registry's own message.

pub mod auth;
pub mod cache;
pub mod http;
pub mod reference;

use std::future::Future;
use std::path::{Path, PathBuf};

use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};
use serde_json::json;

pub use auth::Auth;
pub use cache::Cache;
pub use reference::{OciRef, is_oci};

use crate::archive::{self, Limits};
use crate::chart::Metadata;
use crate::error::Reason;
use crate::version::Version;
use crate::{Error, Result};

/// Media type of a Helm chart artifact's config blob (the chart metadata as JSON).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// Media type of a Helm chart artifact's content layer (the chart `.tgz`).
pub const CHART_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// Layer media type of charts pushed by Helm before 3.8; still accepted on pull.
pub const LEGACY_CHART_MEDIA_TYPE: &str = "application/tar+gzip";
/// Media type of a provenance layer (`.prov`); recognised, not used.
pub const PROV_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";

/// Largest chart layer kpack downloads.
const MAX_LAYER_BYTES: i64 = 100 * 1024 * 1024;

/// How to reach registries: transport, credentials, config and cache locations.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Speak plain HTTP instead of HTTPS (local registries).
    pub plain_http: bool,
    /// Accept any TLS certificate (self-signed local registries).
    pub insecure_skip_tls_verify: bool,
    /// A CA bundle to trust instead of the system's, and a client certificate
    /// (`--ca-file`, `--cert-file`, `--key-file`).
    pub tls: crate::tls::Files,
    /// Credentials to use instead of the stored ones.
    pub auth: Option<Auth>,
    /// The docker-style credentials file; default [`auth::config_path`].
    pub registry_config: Option<PathBuf>,
    /// The cache directory; default [`cache::default_dir`].
    pub cache_dir: Option<PathBuf>,
}

impl Options {
    fn auth_for(&self, host: &str) -> Result<Auth> {
        if let Some(a) = &self.auth {
            return Ok(a.clone());
        }
        let path = auth::config_path(self.registry_config.as_deref())?;
        auth::lookup(host, &path)
    }
}

/// What [`push`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The full reference, tag included (`oci://host/repo/name:1.0.0`).
    pub reference: String,
    /// Digest of the manifest (what `@sha256:...` references pin).
    pub digest: String,
    /// Digest of the chart layer (the `.tgz` bytes).
    pub chart_digest: String,
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
}

/// What [`pull`] fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The full reference, tag included.
    pub reference: String,
    /// Digest of the manifest.
    pub digest: String,
    /// Digest of the chart layer (the `.tgz` bytes), verified.
    pub chart_digest: String,
    /// Chart name, from the chart's `Chart.yaml`.
    pub name: String,
    /// Chart version, from the chart's `Chart.yaml`.
    pub version: String,
    /// The chart `.tgz`.
    pub bytes: Vec<u8>,
    /// Whether the chart layer came from the local cache.
    pub cached: bool,
}

/// Run a registry call from synchronous code.
fn block_on<F: Future + Send>(fut: F) -> Result<F::Output>
where
    F::Output: Send,
{
    crate::runtime::block_on("registry", fut)
}

fn status_text(code: u16) -> &'static str {
    match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// The HTTP status the distribution spec gives an error code (used when the client library
/// kept the code but not the status).
fn status_of(code: &OciErrorCode) -> u16 {
    use OciErrorCode as C;
    match code {
        C::BlobUnknown
        | C::BlobUploadUnknown
        | C::ManifestBlobUnknown
        | C::ManifestUnknown
        | C::NameUnknown
        | C::NotFound => 404,
        C::Unauthorized => 401,
        C::Denied => 403,
        C::Unsupported => 405,
        C::Toomanyrequests => 429,
        _ => 400,
    }
}

/// The registry's messages from an OCI error body, else the body itself (shortened).
fn registry_message(body: &str) -> String {
    if let Ok(env) = serde_json::from_str::<oci_client::errors::OciEnvelope>(body) {
        let msgs: Vec<String> = env
            .errors
            .iter()
            .map(|e| {
                let code = serde_json::to_value(&e.code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                if e.message.is_empty() {
                    code
                } else {
                    format!("{code}: {}", e.message)
                }
            })
            .collect();
        if !msgs.is_empty() {
            return msgs.join("; ");
        }
    }
    let t = body.trim();
    if t.is_empty() {
        return "(no message)".into();
    }
    let mut s: String = t.chars().take(400).collect();
    if s.len() < t.len() {
        s.push('…');
    }
    s
}

/// The registry call an error comes from: it names the call in the message and decides
/// the hint for refused credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    UploadLayer,
    UploadConfig,
    PushManifest,
    ListTags,
    FetchManifest,
    DownloadLayer,
    Login,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Call::UploadLayer => "upload chart layer to",
            Call::UploadConfig => "upload config blob to",
            Call::PushManifest => "push manifest to",
            Call::ListTags => "list tags of",
            Call::FetchManifest => "fetch manifest of",
            Call::DownloadLayer => "download chart layer of",
            Call::Login => "log in to",
        })
    }
}

/// Turn a client error into an [`Kind::Remote`](crate::error::Kind::Remote) naming the call, the reference, the HTTP
/// status and the registry's message.
fn remote_error(call: Call, target: &str, host: &str, e: OciDistributionError) -> Error {
    use OciDistributionError as E;
    let login_hint = if call == Call::Login {
        "check the user name and password".to_string()
    } else {
        format!("log in with `kpack registry login {host}`, or check the credentials")
    };
    let reason = match &e {
        E::UnauthorizedError { .. } | E::AuthenticationFailure(_) => Some(Reason::Unauthorized),
        E::ServerError { code, .. } => reason_of_status(*code),
        E::RegistryError { envelope, .. } => envelope
            .errors
            .first()
            .and_then(|x| reason_of_status(status_of(&x.code))),
        E::RequestError(r) => r.status().and_then(|s| reason_of_status(s.as_u16())),
        _ => None,
    };
    let detail = match e {
        E::RegistryError { envelope, url } => {
            let code = envelope
                .errors
                .first()
                .map(|x| status_of(&x.code))
                .unwrap_or(400);
            let body = serde_json::to_string(&envelope).unwrap_or_default();
            let hint = if code == 401 || code == 403 {
                format!(" ({login_hint})")
            } else {
                String::new()
            };
            format!(
                "HTTP {code} {} from {url}: {}{hint}",
                status_text(code),
                registry_message(&body)
            )
        }
        E::ServerError { code, url, message } => {
            let hint = if code == 401 || code == 403 {
                format!(" ({login_hint})")
            } else {
                String::new()
            };
            format!(
                "HTTP {code} {} from {url}: {}{hint}",
                status_text(code),
                registry_message(&message)
            )
        }
        E::UnauthorizedError { url } => format!(
            "HTTP 401 Unauthorized from {url}: authentication required or credentials refused ({login_hint})"
        ),
        E::AuthenticationFailure(reason) => format!(
            "the registry's token service refused the credentials: {} ({login_hint})",
            registry_message(&reason)
        ),
        E::DigestError(d) => format!("{d}; refusing the download"),
        E::RequestError(r) => {
            let status = r
                .status()
                .map(|s| format!("HTTP {} ", s.as_u16()))
                .unwrap_or_default();
            let mut m = format!("{status}{}", crate::error::chain_text(&r));
            match crate::tls::error_in(&r) {
                Some(rustls::Error::InvalidMessage(_)) => {
                    m.push_str(" (the registry seems to speak plain HTTP: pass --plain-http)")
                }
                Some(t) => m.push_str(&format!(" ({})", crate::tls::hint(t))),
                None if r.is_connect() || r.is_timeout() => {
                    m.push_str(" (is the registry running and reachable?)")
                }
                None => {}
            }
            m
        }
        other => crate::error::chain_text(&other),
    };
    let err = Error::remote(format!("{call} {target}: {detail}"));
    match reason {
        Some(r) => err.with_reason(r),
        None => err,
    }
}

/// The [`Reason`] an HTTP status stands for.
fn reason_of_status(code: u16) -> Option<Reason> {
    match code {
        401 | 403 => Some(Reason::Unauthorized),
        404 => Some(Reason::NotFound),
        _ => None,
    }
}

/// Read a chart archive's name and version (and metadata) from its `Chart.yaml`.
fn chart_metadata(bytes: &[u8], origin: &str) -> Result<Metadata> {
    let (_, files) = archive::read_chart_tgz(bytes, origin, &Limits::default())?;
    let (_, chart_yaml) = files
        .iter()
        .find(|(p, _)| p == "Chart.yaml")
        .ok_or_else(|| Error::chart(format!("{origin}: no Chart.yaml in the archive")))?;
    let text = String::from_utf8_lossy(chart_yaml);
    let meta: Metadata = crate::yaml::from_str(&text)
        .map_err(|e| Error::chart(e.at(&format!("{origin}: Chart.yaml"))))?;
    if meta.name.is_empty() || meta.version.is_empty() {
        return Err(Error::chart(format!(
            "{origin}: Chart.yaml needs a name and a version"
        )));
    }
    Version::parse_strict(&meta.version).map_err(|e| {
        Error::chart(format!(
            "{origin}: Chart.yaml version {:?} is not SemVer 2 ({e})",
            meta.version
        ))
    })?;
    Ok(meta)
}

/// Build the Helm-style manifest (and config) for a chart archive.
/// Returns (manifest bytes, config bytes, chart digest).
fn build_manifest(meta: &Metadata, chart: &[u8]) -> Result<(Vec<u8>, Vec<u8>, String)> {
    let config = serde_json::to_vec(meta)
        .map_err(|e| Error::chart(format!("cannot encode chart metadata: {e}")))?;
    let chart_digest = cache::sha256_digest(chart);
    let mut annotations = serde_json::Map::new();
    if !meta.description.is_empty() {
        annotations.insert(
            "org.opencontainers.image.description".into(),
            json!(meta.description),
        );
    }
    annotations.insert("org.opencontainers.image.title".into(), json!(meta.name));
    annotations.insert(
        "org.opencontainers.image.version".into(),
        json!(meta.version),
    );
    if !meta.home.is_empty() {
        annotations.insert("org.opencontainers.image.url".into(), json!(meta.home));
    }
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MEDIA_TYPE,
        "config": {
            "mediaType": CONFIG_MEDIA_TYPE,
            "digest": cache::sha256_digest(&config),
            "size": config.len(),
        },
        "layers": [{
            "mediaType": CHART_MEDIA_TYPE,
            "digest": chart_digest,
            "size": chart.len(),
        }],
        "annotations": annotations,
    });
    let bytes = serde_json::to_vec(&manifest)
        .map_err(|e| Error::chart(format!("cannot encode the manifest: {e}")))?;
    Ok((bytes, config, chart_digest))
}

/// Push a chart archive to `target` (`oci://host/repo`): the chart goes to
/// `repo/NAME:VERSION`. Returns the reference and digests.
pub fn push(chart: &[u8], origin: &str, target: &str, opts: &Options) -> Result<Pushed> {
    let base = OciRef::parse(target)?;
    if base.tag.is_some() || base.digest.is_some() {
        return Err(Error::usage(format!(
            "push target {target} must not carry a tag or digest: the chart version is the tag (give oci://HOST/REPO)"
        )));
    }
    // What the registry will hand out must be a chart kpack (and `show chart`) can load.
    crate::chart::load_bytes(chart, origin)?;
    let meta = chart_metadata(chart, origin)?;
    let dest = base
        .join(&meta.name)?
        .with_tag(&reference::version_to_tag(&meta.version));
    let (manifest, config, chart_digest) = build_manifest(&meta, chart)?;
    let manifest_digest = cache::sha256_digest(&manifest);
    let auth = opts.auth_for(&dest.host)?;
    let mut session = http::Session::new(opts, &dest, auth, &dest.to_string())?;
    let tag = dest.tag.clone().unwrap_or_default();
    let chart_owned = bytes::Bytes::copy_from_slice(chart);
    block_on(async move {
        let config_digest = cache::sha256_digest(&config);
        session
            .upload_blob(Call::UploadLayer, chart_owned, &chart_digest)
            .await?;
        session
            .upload_blob(Call::UploadConfig, config.into(), &config_digest)
            .await?;
        session
            .put_manifest(&tag, manifest.into(), OCI_IMAGE_MEDIA_TYPE)
            .await
    })??;
    Ok(Pushed {
        reference: dest.to_string(),
        digest: manifest_digest,
        chart_digest: cache::sha256_digest(chart),
        name: meta.name,
        version: meta.version,
    })
}

/// Every tag of the repository `reference` names (tag and digest ignored).
pub fn list_tags(reference: &str, opts: &Options) -> Result<Vec<String>> {
    let r = OciRef::parse(reference)?;
    list_tags_of(&r, opts)
}

fn list_tags_of(r: &OciRef, opts: &Options) -> Result<Vec<String>> {
    if r.repository.is_empty() {
        return Err(Error::usage(format!(
            "{r} names no repository: give oci://HOST/REPO/CHART"
        )));
    }
    let auth = opts.auth_for(&r.host)?;
    let shown = OciRef {
        tag: None,
        digest: None,
        ..r.clone()
    }
    .to_string();
    let mut session = http::Session::new(opts, &r.with_tag("latest"), auth, &shown)?;
    block_on(async move { session.tags().await })?
}

/// The chart versions in the repository, highest first (tags that are not SemVer skipped).
pub fn list_versions(reference: &str, opts: &Options) -> Result<Vec<Version>> {
    let mut v: Vec<Version> = list_tags(reference, opts)?
        .iter()
        .filter_map(|t| Version::parse(&reference::tag_to_version(t)).ok())
        .collect();
    v.sort_by(|a, b| b.cmp(a));
    v.dedup();
    Ok(v)
}

/// The tag to fetch for `r` given an optional version or constraint: the reference's own
/// tag, the exact version, or the highest version in the repository that matches (any
/// stable version when no constraint is given).
pub fn resolve_tag(r: &OciRef, version: Option<&str>, opts: &Options) -> Result<String> {
    let version = version.map(str::trim).filter(|v| !v.is_empty());
    match (&r.tag, version) {
        (Some(t), Some(v)) if reference::tag_to_version(t) != v => {
            return Err(Error::usage(format!(
                "{r} already names tag {t:?}; drop --version {v} or the tag"
            )));
        }
        (Some(t), _) => return Ok(t.clone()),
        _ => {}
    }
    if r.digest.is_some() && version.is_none() {
        return Ok(String::new());
    }
    let constraint = crate::version::constraint(version.unwrap_or("*"))?;
    if let Some(exact) = constraint.exact() {
        return Ok(reference::version_to_tag(&exact.to_string()));
    }
    let tags = list_tags_of(r, opts)?;
    let versions: Vec<(Version, &String)> = tags
        .iter()
        .filter_map(|t| {
            Version::parse(&reference::tag_to_version(t))
                .ok()
                .map(|v| (v, t))
        })
        .collect();
    let best = versions
        .iter()
        .filter(|(v, _)| constraint.matches(v))
        .max_by(|a, b| a.0.cmp(&b.0));
    match best {
        Some((_, t)) => Ok((*t).clone()),
        None => {
            let mut have: Vec<String> = versions.iter().map(|(v, _)| v.to_string()).collect();
            have.sort();
            Err(Error::remote(format!(
                "{r}: no version matches {:?}{}",
                constraint.as_str(),
                if have.is_empty() {
                    " (the repository has no SemVer tags)".to_string()
                } else {
                    format!(" (available: {})", have.join(", "))
                }
            )))
        }
    }
}

/// Fetch and check the manifest of `r` (which carries a tag or digest). Returns the manifest
/// digest and the chart layer descriptor.
async fn fetch_chart_manifest(
    session: &mut http::Session,
    r: &OciRef,
) -> Result<(String, OciDescriptor)> {
    let shown = r.to_string();
    let reference = r
        .digest
        .clone()
        .or_else(|| r.tag.clone())
        .unwrap_or_else(|| "latest".into());
    let (body, claimed) = session
        .manifest(
            &reference,
            &[
                OCI_IMAGE_MEDIA_TYPE,
                "application/vnd.oci.artifact.manifest.v1+json",
            ],
        )
        .await?;
    if let Some(d) = &r.digest {
        cache::verify(&body, d, &format!("manifest of {shown}"))?;
    }
    let digest = http::manifest_digest(&body, claimed.as_deref(), &shown)?;
    let layer = chart_layer(&body, &shown)?;
    Ok((digest, layer))
}

/// The chart layer a Helm chart manifest (`body`, from `shown`) lists, checked: the
/// config media type, exactly one chart layer, a sha256 digest, a size within
/// `MAX_LAYER_BYTES`. Its foreign `urls`, if any, are dropped: kpack fetches blobs from the
/// registry only.
pub fn chart_layer(body: &[u8], shown: &str) -> Result<OciDescriptor> {
    let manifest: OciImageManifest = serde_json::from_slice(body).map_err(|e| {
        Error::remote(format!(
            "{shown}: the registry sent an unreadable manifest: {e}"
        ))
    })?;
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(Error::remote(format!(
            "{shown} is not a Helm chart: its config media type is {:?}, expected {CONFIG_MEDIA_TYPE:?}",
            crate::archive::printable(&manifest.config.media_type)
        )));
    }
    let layers: Vec<&OciDescriptor> = manifest
        .layers
        .iter()
        .filter(|l| l.media_type == CHART_MEDIA_TYPE || l.media_type == LEGACY_CHART_MEDIA_TYPE)
        .collect();
    let mut layer = match layers.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(Error::remote(format!(
                "{shown}: the manifest has no chart layer ({CHART_MEDIA_TYPE})"
            )));
        }
        _ => {
            return Err(Error::remote(format!(
                "{shown}: the manifest has {} chart layers; expected one",
                layers.len()
            )));
        }
    };
    cache::digest_hex(&layer.digest)
        .map_err(|e| Error::remote(format!("{shown}: chart layer: {e}")))?;
    if !(0..=MAX_LAYER_BYTES).contains(&layer.size) {
        return Err(Error::remote(format!(
            "{shown}: the manifest declares a chart layer of {} bytes, over kpack's limit of {MAX_LAYER_BYTES}; refusing it",
            layer.size
        ))
        .with_reason(Reason::LimitExceeded));
    }
    layer.urls = None;
    Ok(layer)
}

/// Get a blob by digest: from the cache (verified), else from the registry (streamed into
/// the cache, bounded by its declared size and verified as it arrives). Returns the bytes
/// and whether they came from the cache.
async fn get_blob(
    session: &mut http::Session,
    r: &OciRef,
    layer: &OciDescriptor,
    cache: &Cache,
) -> Result<(Vec<u8>, bool)> {
    if let Some(b) = cache.get(&layer.digest)? {
        return Ok((b, true));
    }
    let shown = r.to_string();
    let mut incoming = cache.incoming(&layer.digest)?;
    session
        .blob(&layer.digest, layer.size as u64, &mut incoming)
        .await?;
    let path = incoming
        .finish(&format!("chart layer of {shown}"))
        .map_err(|e| e.context(format!("download chart layer of {shown}")))?;
    let bytes = std::fs::read(&path).map_err(|e| Error::io(path.display(), e))?;
    Ok((bytes, false))
}

/// Pull the chart `reference` (`oci://host/repo/name[:tag|@digest]`), at `version` (an
/// exact version or a constraint; default: the highest stable version). The chart layer
/// comes from the cache when present there, verified against its digest.
pub fn pull(reference: &str, version: Option<&str>, opts: &Options) -> Result<Pulled> {
    let r = OciRef::parse(reference)?;
    if r.repository.is_empty() {
        return Err(Error::usage(format!(
            "{reference} names no chart: give oci://HOST/REPO/CHART"
        )));
    }
    let tag = resolve_tag(&r, version, opts)?;
    let target = if tag.is_empty() {
        r.clone()
    } else {
        OciRef {
            tag: Some(tag),
            ..r.clone()
        }
    };
    let auth = opts.auth_for(&r.host)?;
    let cache = Cache::open(opts.cache_dir.as_deref())?;
    let t = target.clone();
    let mut session = http::Session::new(opts, &t, auth, &t.to_string())?;
    let (digest, layer, bytes, cached) = block_on(async move {
        let (digest, layer) = fetch_chart_manifest(&mut session, &t).await?;
        let (bytes, cached) = get_blob(&mut session, &t, &layer, &cache).await?;
        Ok::<_, Error>((digest, layer, bytes, cached))
    })??;
    // The whole chart is checked (not only Chart.yaml): its name becomes a file name.
    let meta = crate::chart::load_bytes(&bytes, &target.to_string())?.metadata;
    Ok(Pulled {
        reference: target.to_string(),
        digest,
        chart_digest: layer.digest,
        name: meta.name,
        version: meta.version,
        bytes,
        cached,
    })
}

/// Fetch the chart layer with digest `chart_digest` from repository `reference` (its tag,
/// if any, is checked to still point at that layer). The cache is consulted first, so a
/// locked dependency is restored without network access when it was fetched before.
pub fn fetch_chart_blob(
    reference: &str,
    tag: &str,
    chart_digest: &str,
    opts: &Options,
) -> Result<Vec<u8>> {
    cache::digest_hex(chart_digest)?;
    let cache = Cache::open(opts.cache_dir.as_deref())?;
    if let Some(b) = cache.get(chart_digest)? {
        return Ok(b);
    }
    let r = OciRef::parse(reference)?.with_tag(tag);
    let auth = opts.auth_for(&r.host)?;
    let want = chart_digest.to_string();
    let t = r.clone();
    let mut session = http::Session::new(opts, &t, auth, &t.to_string())?;
    block_on(async move {
        let (_, layer) = fetch_chart_manifest(&mut session, &t).await?;
        if layer.digest != want {
            return Err(Error::remote(format!(
                "{t}: the tag now points at chart layer {}, not the expected {want}; refusing it (the chart was re-pushed? update the lock)",
                layer.digest
            )));
        }
        let (bytes, _) = get_blob(&mut session, &t, &layer, &cache).await?;
        Ok(bytes)
    })?
}

/// Check `auth` against the registry at `host` and store it in the credentials file.
/// Returns the file written.
pub fn login(host: &str, username: &str, password: &str, opts: &Options) -> Result<PathBuf> {
    let probe = OciRef::parse(&format!("oci://{host}")).map_err(|_| {
        Error::usage(format!(
            "{host:?} is not a registry host (HOST or HOST:PORT)"
        ))
    })?;
    if !probe.repository.is_empty() {
        return Err(Error::usage(format!(
            "log in to a registry host ({}), not a repository",
            probe.host
        )));
    }
    let a = Auth::Basic {
        username: username.to_string(),
        password: password.to_string(),
    };
    let mut session = http::Session::new(opts, &probe, a, host)?;
    block_on(async move { session.login().await })??;
    let path = auth::config_path(opts.registry_config.as_deref())?;
    auth::store(&probe.host, username, password, &path)?;
    Ok(path)
}

/// Forget the stored credentials for `host`. Returns the credentials file and whether
/// anything was removed.
pub fn logout(host: &str, opts: &Options) -> Result<(PathBuf, bool)> {
    let path = auth::config_path(opts.registry_config.as_deref())?;
    let removed = auth::remove(host, &path)?;
    Ok((path, removed))
}

/// Write a pulled chart under `dir`: as `NAME-VERSION.tgz`, or unpacked into `dir/NAME/`
/// (refused when that exists). Returns the path written.
pub fn save_pulled(pulled: &Pulled, dir: &Path, untar: bool) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
    if !untar {
        let file = format!("{}-{}.tgz", pulled.name, pulled.version);
        let p = crate::confine::join(dir, &file, &format!("{}: {file}", pulled.reference))?;
        crate::confine::check_existing(dir, &p, &pulled.reference)?;
        // Written whole or not at all: a temporary file renamed into place.
        let tmp = archive::temp_dir_in(dir)?;
        let staged = tmp.join(&file);
        let written = std::fs::write(&staged, &pulled.bytes)
            .map_err(|e| Error::io(p.display(), e))
            .and_then(|()| std::fs::rename(&staged, &p).map_err(|e| Error::io(p.display(), e)));
        let _ = std::fs::remove_dir_all(&tmp);
        return written.map(|()| p);
    }
    archive::extract_chart_tgz(&pulled.bytes, &pulled.reference, dir, &Limits::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart_tgz(name: &str, version: &str) -> Vec<u8> {
        archive::write_chart_tgz(
            name,
            &[(
                "Chart.yaml".to_string(),
                format!("apiVersion: v2\nname: {name}\nversion: {version}\ndescription: d\n")
                    .into_bytes(),
            )],
        )
        .unwrap()
    }

    #[test]
    fn manifest_has_helm_media_types_and_is_stable() {
        let tgz = chart_tgz("web", "1.2.3");
        let meta = chart_metadata(&tgz, "t").unwrap();
        let (m1, config, chart_digest) = build_manifest(&meta, &tgz).unwrap();
        let (m2, _, _) = build_manifest(&meta, &tgz).unwrap();
        assert_eq!(m1, m2);
        let v: serde_json::Value = serde_json::from_slice(&m1).unwrap();
        assert_eq!(v["config"]["mediaType"], CONFIG_MEDIA_TYPE);
        assert_eq!(v["layers"][0]["mediaType"], CHART_MEDIA_TYPE);
        assert_eq!(v["layers"][0]["digest"], chart_digest.as_str());
        assert_eq!(v["layers"][0]["size"], tgz.len());
        assert_eq!(
            v["annotations"]["org.opencontainers.image.version"],
            "1.2.3"
        );
        let c: serde_json::Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(c["name"], "web");
        assert_eq!(c["apiVersion"], "v2");
        // It parses as what oci-client expects of an image manifest.
        let _: OciImageManifest = serde_json::from_slice(&m1).unwrap();
    }

    #[test]
    fn error_messages_name_call_status_and_message() {
        let e = remote_error(
            Call::PushManifest,
            "oci://h/x:1",
            "h",
            OciDistributionError::ServerError {
                code: 400,
                url: "http://h/v2/x/manifests/1".into(),
                message: r#"{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]}"#
                    .into(),
            },
        )
        .to_string();
        assert!(
            e.starts_with("push manifest to oci://h/x:1: HTTP 400 Bad Request")
                && e.contains("MANIFEST_INVALID: manifest invalid"),
            "{e}"
        );
        let env: oci_client::errors::OciEnvelope = serde_json::from_str(
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
        )
        .unwrap();
        let e = remote_error(
            Call::FetchManifest,
            "oci://h/x:9",
            "h",
            OciDistributionError::RegistryError {
                envelope: env,
                url: "u".into(),
            },
        )
        .to_string();
        assert!(
            e.contains("HTTP 404 Not Found") && e.contains("manifest unknown"),
            "{e}"
        );
        let e = remote_error(
            Call::FetchManifest,
            "oci://h/x:9",
            "h",
            OciDistributionError::UnauthorizedError { url: "u".into() },
        )
        .to_string();
        assert!(
            e.contains("HTTP 401") && e.contains("kpack registry login h"),
            "{e}"
        );
    }

    #[test]
    fn push_refuses_tagged_target_and_non_charts() {
        let o = Options::default();
        let tgz = chart_tgz("web", "1.0.0");
        let e = push(&tgz, "t", "oci://h/x:1", &o).unwrap_err().to_string();
        assert!(e.contains("must not carry a tag"), "{e}");
        let e = push(b"junk", "junk.tgz", "oci://h/x", &o)
            .unwrap_err()
            .to_string();
        assert!(e.contains("junk.tgz"), "{e}");
    }
}
