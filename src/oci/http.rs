//! What kpack reads from a registry, read with bounds: manifests, chart layers, tag lists,
//! tokens and error bodies, and the login check. `oci-client` buffers every response body
//! whole (a registry that streams an endless manifest, tag list, token or error body made
//! `kpack pull` allocate until the machine ran out of memory), so these requests are made
//! here, with reqwest (the HTTP client `oci-client` uses), and every body is read chunk by
//! chunk against a ceiling:
//!
//! - a manifest: [`MAX_MANIFEST_BYTES`]; a page of tags: [`MAX_TAGS_PAGE_BYTES`], and
//!   [`MAX_TAGS`] tags in all; a token response: [`MAX_TOKEN_BYTES`]; an error body: its
//!   first [`MAX_ERROR_BYTES`] (the rest is never read);
//! - a chart layer: the size its manifest declares (itself at most `MAX_LAYER_BYTES`),
//!   streamed into a temporary file of the cache ([`cache::Incoming`]) and hashed as it
//!   arrives; the download stops at the first byte beyond the declared size, and a short
//!   or mismatching blob is refused before anything lands in the cache.
//!
//! Authentication follows the registry's challenge, as Docker does: a `401` with
//! `WWW-Authenticate: Bearer realm=…` gets a token from the realm (with the user's
//! credentials, if any), a `Basic` challenge gets the credentials; the request is then made
//! once more. Redirects are followed (reqwest drops the `Authorization` header when one
//! leads to another host); a layer's foreign `urls` are never fetched.
//!
//! Pushing is made here too ([`Session::upload_blob`], [`Session::put_manifest`]): the same
//! challenges, the same TLS settings (`--ca-file`, `--cert-file`, `--key-file`, which
//! `oci-client` cannot all take), and error bodies read within the same ceiling.

use std::time::Duration;

use oci_client::errors::OciDistributionError;
use reqwest::header::{self, HeaderValue};
use reqwest::{Response, StatusCode, Url};

use super::cache::{self, Incoming};
use super::{Auth, Call, Options, reference::OciRef, remote_error};
use crate::error::Reason;
use crate::{Error, Result};

/// Largest manifest kpack reads (the distribution spec asks registries to accept 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Largest page of a tag list kpack reads.
pub const MAX_TAGS_PAGE_BYTES: u64 = 4 << 20;
/// Most tags kpack reads from one repository (all pages).
pub const MAX_TAGS: usize = 100_000;
/// Largest token response kpack reads.
pub const MAX_TOKEN_BYTES: u64 = 1 << 20;
/// How much of an error body kpack reads for the message.
pub const MAX_ERROR_BYTES: u64 = 64 << 10;

/// Requests to one repository (or, for login, one registry) with the credentials that
/// worked.
pub(crate) struct Session {
    http: reqwest::Client,
    base: Url,
    repository: String,
    host: String,
    auth: Auth,
    /// What the registry accepted (a bearer token, or the basic credentials).
    authorization: Option<HeaderValue>,
    /// The reference as messages show it.
    shown: String,
    /// The status of the last response (`None` when the last request got none).
    last_status: Option<u16>,
}

/// A body read against a ceiling: what was read, or how far it went.
enum Capped {
    Whole(Vec<u8>),
    Over,
}

impl Session {
    /// A session for the repository of `r` (the empty repository for a registry).
    pub fn new(opts: &Options, r: &OciRef, auth: Auth, shown: &str) -> Result<Self> {
        let builder = reqwest::Client::builder()
            .user_agent(concat!("kpack/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(300));
        let http = opts
            .tls
            .configure(builder, opts.insecure_skip_tls_verify)?
            .build()
            .map_err(|e| Error::io_message(format!("cannot start the HTTP client: {e}")))?;
        let client_ref = r.to_client_ref();
        let scheme = if opts.plain_http { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{}/", client_ref.resolve_registry()))
            .map_err(|e| Error::usage(format!("{shown}: not a registry address: {e}")))?;
        Ok(Session {
            http,
            base,
            repository: client_ref.repository().to_string(),
            host: r.host.clone(),
            auth,
            authorization: None,
            shown: shown.to_string(),
            last_status: None,
        })
    }

    fn url(&self, path: &str) -> Url {
        let mut u = self.base.clone();
        u.set_path(path);
        u
    }

    fn transport(&self, call: Call, e: reqwest::Error) -> Error {
        remote_error(
            call,
            &self.shown,
            &self.host,
            OciDistributionError::RequestError(e),
        )
    }

    /// Send the request `build` makes (made once more after answering one authentication
    /// challenge, with the `Authorization` that worked added), whatever its status.
    async fn exchange(
        &mut self,
        call: Call,
        build: &(dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync),
    ) -> Result<Response> {
        let mut challenged = false;
        loop {
            let mut req = build(&self.http)
                .build()
                .map_err(|e| self.transport(call, e))?;
            // The credentials go to the registry only: an upload location on another host
            // (a storage service) gets none.
            if let Some(a) = &self.authorization
                && same_origin(req.url(), &self.base)
            {
                req.headers_mut().insert(header::AUTHORIZATION, a.clone());
            }
            self.last_status = None;
            let resp = self
                .http
                .execute(req)
                .await
                .map_err(|e| self.transport(call, e))?;
            self.last_status = Some(resp.status().as_u16());
            if resp.status() == StatusCode::UNAUTHORIZED && !challenged {
                let challenge = resp
                    .headers()
                    .get(header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                if let Some(c) = challenge
                    && self.answer(call, &c).await?
                {
                    challenged = true;
                    continue;
                }
            }
            return Ok(resp);
        }
    }

    /// [`Session::exchange`], with a response that is not a success turned into the error
    /// for `call` (its body read only in part).
    async fn send(
        &mut self,
        call: Call,
        build: &(dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync),
    ) -> Result<Response> {
        let resp = self.exchange(call, build).await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.status_error(call, resp).await)
        }
    }

    /// GET `url`, accepting the media types `accept` (any when empty).
    async fn get(&mut self, call: Call, url: Url, accept: &[&str]) -> Result<Response> {
        let accept = accept.join(", ");
        self.send(call, &|http| {
            let req = http.get(url.clone());
            if accept.is_empty() {
                req
            } else {
                req.header(header::ACCEPT, &accept)
            }
        })
        .await
    }

    /// Get credentials for a challenge. `false` when there is nothing to answer with.
    async fn answer(&mut self, call: Call, challenge: &str) -> Result<bool> {
        let (scheme, params) = parse_challenge(challenge);
        if scheme.eq_ignore_ascii_case("basic") {
            return Ok(match &self.auth {
                Auth::Basic { username, password } => {
                    self.authorization = Some(basic(username, password));
                    true
                }
                _ => false,
            });
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Ok(false);
        }
        if let Auth::Bearer(t) = &self.auth {
            self.authorization = HeaderValue::from_str(&format!("Bearer {t}")).ok();
            return Ok(self.authorization.is_some());
        }
        let Some(realm) = params.iter().find(|(k, _)| k == "realm").map(|(_, v)| v) else {
            return Ok(false);
        };
        let mut url = Url::parse(realm).map_err(|e| {
            Error::remote(format!(
                "{call} {}: the registry's token service {realm:?} is not a URL: {e}",
                self.shown
            ))
        })?;
        let scope = params
            .iter()
            .find(|(k, _)| k == "scope")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
        {
            let mut q = url.query_pairs_mut();
            if let Some((_, service)) = params.iter().find(|(k, _)| k == "service") {
                q.append_pair("service", service);
            }
            if !self.repository.is_empty() || params.iter().any(|(k, _)| k == "scope") {
                q.append_pair("scope", &scope);
            }
        }
        let mut req = self.http.get(url.clone());
        if let Auth::Basic { username, password } = &self.auth {
            req = req.header(header::AUTHORIZATION, basic(username, password));
        }
        let resp = req.send().await.map_err(|e| self.transport(call, e))?;
        if !resp.status().is_success() {
            let body = self.error_body(call, resp).await;
            return Err(remote_error(
                call,
                &self.shown,
                &self.host,
                OciDistributionError::AuthenticationFailure(body),
            ));
        }
        let body = match read_capped(resp, MAX_TOKEN_BYTES)
            .await
            .map_err(|e| self.transport(call, e))?
        {
            Capped::Whole(b) => b,
            Capped::Over => return Err(self.too_big(call, "the token response", MAX_TOKEN_BYTES)),
        };
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let token = serde_json::from_slice::<Token>(&body)
            .ok()
            .and_then(|t| t.token.or(t.access_token))
            .ok_or_else(|| {
                Error::remote(format!(
                    "{call} {}: the registry's token service sent no token",
                    self.shown
                ))
            })?;
        self.authorization = HeaderValue::from_str(&format!("Bearer {token}")).ok();
        Ok(self.authorization.is_some())
    }

    /// The error for a response that is not a success.
    async fn status_error(&self, call: Call, resp: Response) -> Error {
        let code = resp.status().as_u16();
        let url = resp.url().to_string();
        let message = self.error_body(call, resp).await;
        remote_error(
            call,
            &self.shown,
            &self.host,
            OciDistributionError::ServerError { code, url, message },
        )
    }

    /// At most [`MAX_ERROR_BYTES`] of an error body, as text.
    async fn error_body(&self, _call: Call, mut resp: Response) -> String {
        let mut out = Vec::new();
        while (out.len() as u64) < MAX_ERROR_BYTES {
            match resp.chunk().await {
                Ok(Some(c)) => out.extend_from_slice(&c),
                _ => break,
            }
        }
        out.truncate(MAX_ERROR_BYTES as usize);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn too_big(&self, call: Call, what: &str, limit: u64) -> Error {
        Error::remote(format!(
            "{call} {}: {what} is larger than {limit} bytes; refusing it",
            self.shown
        ))
        .with_reason(Reason::LimitExceeded)
    }

    /// The manifest `reference` (a tag or digest) names: its bytes and the digest the
    /// registry gave in `Docker-Content-Digest`, if any.
    pub async fn manifest(
        &mut self,
        reference: &str,
        accept: &[&str],
    ) -> Result<(Vec<u8>, Option<String>)> {
        let call = Call::FetchManifest;
        let url = self.url(&format!("/v2/{}/manifests/{reference}", self.repository));
        let resp = self.get(call, url, accept).await?;
        let digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        match read_capped(resp, MAX_MANIFEST_BYTES)
            .await
            .map_err(|e| self.transport(call, e))?
        {
            Capped::Whole(body) => Ok((body, digest)),
            Capped::Over => Err(self.too_big(call, "the manifest", MAX_MANIFEST_BYTES)),
        }
    }

    /// Stream the blob `digest`, declared `size` bytes long, into `sink`: refused at the
    /// first byte beyond `size`, or when it ends short.
    pub async fn blob(&mut self, digest: &str, size: u64, sink: &mut Incoming) -> Result<()> {
        let call = Call::DownloadLayer;
        let url = self.url(&format!("/v2/{}/blobs/{digest}", self.repository));
        let mut resp = self.get(call, url, &[]).await?;
        if let Some(len) = resp.content_length()
            && len > size
        {
            return Err(self.over_declared(call, format!("announces {len} bytes"), size));
        }
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(call, e))? {
            if sink.len() + chunk.len() as u64 > size {
                return Err(self.over_declared(call, "sent more".into(), size));
            }
            sink.write(&chunk)?;
        }
        if sink.len() != size {
            return Err(Error::remote(format!(
                "{call} {}: the registry sent {} bytes of the blob with digest {digest}, the manifest says {size}; refusing it",
                self.shown,
                sink.len()
            )));
        }
        Ok(())
    }

    fn over_declared(&self, call: Call, what: String, size: u64) -> Error {
        Error::remote(format!(
            "{call} {}: the registry {what} than the {size} bytes the manifest declares; stopped the download and refused it",
            self.shown
        ))
        .with_reason(Reason::LimitExceeded)
    }

    /// Every tag of the repository, page by page (at most [`MAX_TAGS`]).
    pub async fn tags(&mut self) -> Result<Vec<String>> {
        let call = Call::ListTags;
        let mut all: Vec<String> = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let mut url = self.url(&format!("/v2/{}/tags/list", self.repository));
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("n", "1000");
                if let Some(l) = &last {
                    q.append_pair("last", l);
                }
            }
            let resp = self.get(call, url, &["application/json"]).await?;
            let body = match read_capped(resp, MAX_TAGS_PAGE_BYTES)
                .await
                .map_err(|e| self.transport(call, e))?
            {
                Capped::Whole(b) => b,
                Capped::Over => {
                    return Err(self.too_big(call, "a page of the tag list", MAX_TAGS_PAGE_BYTES));
                }
            };
            #[derive(serde::Deserialize)]
            struct Page {
                #[serde(default)]
                tags: Option<Vec<String>>,
            }
            let page: Page = serde_json::from_slice(&body).map_err(|e| {
                Error::remote(format!(
                    "{call} {}: the registry sent an unreadable tag list: {e}",
                    self.shown
                ))
            })?;
            let tags = page.tags.unwrap_or_default();
            let n = tags.len();
            let next = tags.last().cloned();
            all.extend(tags);
            if all.len() > MAX_TAGS {
                return Err(Error::remote(format!(
                    "{call} {}: the repository has more than {MAX_TAGS} tags; refusing to read them all (give an exact --version)",
                    self.shown
                ))
                .with_reason(Reason::LimitExceeded));
            }
            // A page that is not full is the last; a page that repeats itself ends it too.
            if n < 1000 || next.is_none() || next == last {
                return Ok(all);
            }
            last = next;
        }
    }

    /// Upload `data` as the blob `digest` unless the repository has it already: a
    /// monolithic upload (`POST` for an upload URL, then one `PUT` with the bytes).
    pub(super) async fn upload_blob(
        &mut self,
        call: Call,
        data: bytes::Bytes,
        digest: &str,
    ) -> Result<()> {
        let blob = self.url(&format!("/v2/{}/blobs/{digest}", self.repository));
        let resp = self.exchange(call, &|http| http.head(blob.clone())).await?;
        match resp.status() {
            s if s.is_success() => return Ok(()),
            StatusCode::NOT_FOUND => {}
            _ => return Err(self.status_error(call, resp).await),
        }
        let start = self.url(&format!("/v2/{}/blobs/uploads/", self.repository));
        let resp = self
            .send(call, &|http| {
                http.post(start.clone()).header(header::CONTENT_LENGTH, "0")
            })
            .await?;
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| {
                Error::remote(format!(
                    "{call} {}: the registry started an upload without saying where (no Location header)",
                    self.shown
                ))
            })?;
        let mut put = self.base.join(&location).map_err(|e| {
            Error::remote(format!(
                "{call} {}: the registry's upload location {location:?} is not a URL: {e}",
                self.shown
            ))
        })?;
        put.query_pairs_mut().append_pair("digest", digest);
        self.send(call, &|http| {
            http.put(put.clone())
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(data.clone())
        })
        .await?;
        Ok(())
    }

    /// Store `manifest` (of `media_type`) under `reference` (a tag).
    pub async fn put_manifest(
        &mut self,
        reference: &str,
        manifest: bytes::Bytes,
        media_type: &str,
    ) -> Result<()> {
        let url = self.url(&format!("/v2/{}/manifests/{reference}", self.repository));
        self.send(Call::PushManifest, &|http| {
            http.put(url.clone())
                .header(header::CONTENT_TYPE, media_type)
                .body(manifest.clone())
        })
        .await?;
        Ok(())
    }

    /// Check the credentials of this session against the registry (`GET /v2/`, then the
    /// catalog for a registry that does not challenge at once).
    pub async fn login(&mut self) -> Result<()> {
        let call = Call::Login;
        self.get(call, self.url("/v2/"), &[]).await?;
        if self.authorization.is_some() {
            return Ok(());
        }
        // Nothing was asked for /v2/: ask for one catalog entry, which some registries
        // protect alone. Refused credentials fail the login; a catalog not offered does not.
        let mut url = self.url("/v2/_catalog");
        url.query_pairs_mut().append_pair("n", "1");
        match self.get(call, url, &[]).await {
            Err(e) if e.reason() == Some(Reason::Unauthorized) || self.last_status.is_none() => {
                Err(e)
            }
            _ => Ok(()),
        }
    }
}

/// Read a body whole if it is at most `cap` bytes; stop reading as soon as it is not.
async fn read_capped(mut resp: Response, cap: u64) -> Result<Capped, reqwest::Error> {
    if let Some(len) = resp.content_length()
        && len > cap
    {
        return Ok(Capped::Over);
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if out.len() as u64 + chunk.len() as u64 > cap {
            return Ok(Capped::Over);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Capped::Whole(out))
}

/// Whether two URLs have the same scheme, host and port.
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn basic(username: &str, password: &str) -> HeaderValue {
    use base64::Engine;
    let raw = format!("{username}:{password}");
    let mut v = HeaderValue::from_str(&format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    v.set_sensitive(true);
    v
}

/// `Bearer realm="…",service="…"` → ("Bearer", [(realm, …), (service, …)]).
fn parse_challenge(h: &str) -> (String, Vec<(String, String)>) {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = Vec::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            // A quoted string; `\"` escapes a quote.
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            (v, &q[end.min(q.len())..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.push((key, value));
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    (scheme.to_string(), params)
}

/// Check a manifest body against the digest the registry claimed for it (sha256 only; other
/// algorithms are not checked) and return its sha256 digest.
pub fn manifest_digest(body: &[u8], claimed: Option<&str>, shown: &str) -> Result<String> {
    let actual = cache::sha256_digest(body);
    if let Some(c) = claimed
        && c.starts_with("sha256:")
        && c != actual
    {
        return Err(Error::remote(format!(
            "fetch manifest of {shown}: digest mismatch: the registry says {c}, the manifest is {actual}; refusing it"
        )));
    }
    Ok(actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_to_the_registrys_origin_only() {
        let base = Url::parse("https://reg.example:5000/").unwrap();
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &url("https://reg.example:5000/v2/x/blobs/uploads/1"),
            &base
        ));
        assert!(!same_origin(
            &url("https://storage.example/upload/1"),
            &base
        ));
        assert!(!same_origin(&url("https://reg.example/v2/"), &base));
        assert!(!same_origin(&url("http://reg.example:5000/v2/"), &base));
        assert!(same_origin(
            &url("https://h/"),
            &Url::parse("https://h:443/").unwrap()
        ));
    }

    #[test]
    fn challenges_parse_as_docker_writes_them() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(
            p,
            [
                ("realm".into(), "https://auth.example/token".into()),
                ("service".into(), "registry.example".into()),
                ("scope".into(), "repository:a/b:pull".into())
            ]
        );
        let (s, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!((s.as_str(), p.len()), ("Basic", 1));
        let (_, p) = parse_challenge(r#"Bearer realm="a\"b", error=invalid_token"#);
        assert_eq!(
            p,
            [
                ("realm".into(), "a\"b".into()),
                ("error".into(), "invalid_token".into())
            ]
        );
    }
}
