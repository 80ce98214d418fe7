//! A connection to one registry endpoint for one repository: ping, auth, manifests, blobs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt as _;
use sha2::{Digest, Sha256};

use crate::auth::{RegistryAuth, fetch_token};
use crate::challenge::{self, Scheme};
use crate::config::Endpoint;
use crate::credentials::Login;
use crate::error::RegistryError;
use crate::media::{Classified, ManifestKind, classify, media_types};

pub(crate) const USER_AGENT: &str = concat!("container/", env!("CARGO_PKG_VERSION"));
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts for one request when the failure may be passing (5xx, dropped connection).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Manifests larger than this are refused, as Docker refuses them.
const MAX_MANIFEST_SIZE: usize = 4 << 20;

/// How to reach registries, beyond what an [`Endpoint`] says.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Verify TLS certificates (`--tls-verify=false` turns this off everywhere).
    pub tls_verify: bool,
    /// Directories holding `HOST/*.crt` CA bundles.
    pub certs_dirs: Vec<PathBuf>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        let certs_dirs = crate::config::DEFAULT_CERTS_DIRS
            .iter()
            .map(PathBuf::from)
            .collect();
        SessionOptions {
            tls_verify: true,
            certs_dirs,
        }
    }
}

/// An authenticated connection to one repository on one endpoint.
pub struct Session {
    pub(crate) endpoint: Endpoint,
    pub(crate) repository: String,
    pub(crate) auth: RegistryAuth,
    pub(crate) is_anonymous: bool,
    /// Every request of the session goes through it.
    pub(crate) http: reqwest::Client,
    /// `https://host[:port]` or `http://…`.
    pub(crate) base_url: String,
}

/// A manifest as the registry sent it.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The exact bytes, which its digest covers.
    pub bytes: bytes::Bytes,
    /// `sha256:…` of the bytes.
    pub digest: String,
    /// Index or image.
    pub kind: ManifestKind,
    /// Its media type (from the body, or inferred from its shape).
    pub media_type: String,
}

/// A blob being downloaded.
pub struct BlobStream {
    /// The whole blob's length, as the registry announced it.
    pub length: Option<u64>,
    /// The bytes.
    pub stream: futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>,
}

impl Session {
    /// Pings `endpoint`, learns how it wants us to authenticate, and authenticates for
    /// pulling (and pushing, if `push`) `repository`.
    pub async fn open(
        endpoint: &Endpoint,
        repository: &str,
        login: Option<&Login>,
        push: bool,
        options: &SessionOptions,
    ) -> Result<Session, RegistryError> {
        let actions = if push { "pull,push" } else { "pull" };
        let scopes = [format!("repository:{repository}:{actions}")];
        Self::open_scoped(endpoint, repository, login, &scopes, options).await
    }

    /// Opens a session for pushing to `repository`, whose token also lets us read
    /// `mount_from` (other repositories of the same registry, to mount blobs from).
    pub async fn open_for_push(
        endpoint: &Endpoint,
        repository: &str,
        mount_from: &[String],
        login: Option<&Login>,
        options: &SessionOptions,
    ) -> Result<Session, RegistryError> {
        let mut scopes = vec![format!("repository:{repository}:pull,push")];
        scopes.extend(
            mount_from
                .iter()
                .filter(|r| r.as_str() != repository)
                .map(|r| format!("repository:{r}:pull")),
        );
        Self::open_scoped(endpoint, repository, login, &scopes, options).await
    }

    #[tracing::instrument(skip_all, fields(host = %endpoint.host, repository))]
    async fn open_scoped(
        endpoint: &Endpoint,
        repository: &str,
        login: Option<&Login>,
        scopes: &[String],
        options: &SessionOptions,
    ) -> Result<Session, RegistryError> {
        let tls = TlsSettings::for_endpoint(endpoint, options)?;
        let http = tls.http_client(&endpoint.host)?;
        let (scheme, ping) = ping(&http, endpoint).await?;
        let auth = authenticate(&http, endpoint, &ping, login, scopes).await?;
        Ok(Session {
            endpoint: endpoint.clone(),
            repository: repository.to_owned(),
            auth,
            is_anonymous: login.is_none(),
            http,
            base_url: base_url(scheme, &endpoint.host),
        })
    }

    /// The endpoint this session talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Fetches the manifest named by `tag_or_digest`, checked against the digest when
    /// it is one.
    #[tracing::instrument(skip(self), fields(host = %self.endpoint.host, repository = %self.repository))]
    pub async fn manifest(&self, tag_or_digest: &str) -> Result<Manifest, RegistryError> {
        let shown = format!("{}/{}", self.endpoint.host, self.repository);
        let url = format!(
            "{}/v2/{}/manifests/{tag_or_digest}",
            self.base_url, self.repository
        );
        let what = format!("{shown}:{tag_or_digest}");
        let accept = media_types::ACCEPT_MANIFESTS.join(", ");
        let bytes = retry(|| async {
            let request = self.http.get(&url).header(reqwest::header::ACCEPT, &accept);
            let response = self.send(request, &url).await?;
            if response.status().as_u16() != 200 {
                return Err(self.fetch_error(response, &url, &what).await);
            }
            read_limited(response, MAX_MANIFEST_SIZE, &url, &self.endpoint.host).await
        })
        .await?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if tag_or_digest.contains(':') && tag_or_digest != digest {
            return Err(RegistryError::DigestMismatch { url: redact(&url) });
        }

        match classify(&bytes) {
            Classified::Known(kind, media_type) => Ok(Manifest {
                bytes: bytes.into(),
                digest,
                kind,
                media_type,
            }),
            Classified::Schema1 => Err(RegistryError::Schema1 { reference: what }),
            Classified::Unsupported(media_type) => Err(RegistryError::UnsupportedManifest {
                media_type,
                reference: what,
            }),
            Classified::Invalid => Err(RegistryError::InvalidResponse {
                url: what,
                source: "the manifest is not valid JSON of a known shape".into(),
            }),
        }
    }

    /// Starts downloading the blob `digest` from byte `offset` (to resume a download
    /// that broke off). The caller checks the digest: it hashes what it stores anyway.
    pub async fn blob(&self, digest: &str, offset: u64) -> Result<BlobStream, RegistryError> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base_url, self.repository);
        let shown = format!("{}/{}@{digest}", self.endpoint.host, self.repository);
        let response = retry(|| async {
            let mut request = self.http.get(&url);
            if offset > 0 {
                request = request.header(reqwest::header::RANGE, format!("bytes={offset}-"));
            }
            let response = self.send(request, &url).await?;
            match response.status().as_u16() {
                200 | 206 => Ok(response),
                _ => Err(self.fetch_error(response, &url, &shown).await),
            }
        })
        .await?;
        // A registry that ignores the range sends it all: drop what we already have.
        let skip = match response.status().as_u16() {
            206 => 0,
            _ => offset,
        };
        let length = response
            .content_length()
            .map(|n| n.saturating_sub(skip) + offset);
        let stream = response
            .bytes_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other))
            .boxed();
        Ok(BlobStream {
            length,
            stream: skip_bytes(stream, skip),
        })
    }
}

/// The body of `response`, refused when it grows past `limit` bytes.
async fn read_limited(
    response: reqwest::Response,
    limit: usize,
    url: &str,
    host: &str,
) -> Result<Vec<u8>, RegistryError> {
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(host, e))?;
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            return Err(RegistryError::InvalidResponse {
                url: redact(url),
                source: format!("the answer is larger than {} MiB", limit >> 20).into(),
            });
        }
    }
    Ok(body)
}

/// How an endpoint is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Https,
    /// Plain HTTP: loopback and insecure registries only.
    Http,
}

/// `scheme://host`.
pub(crate) fn base_url(protocol: Protocol, host: &str) -> String {
    match protocol {
        Protocol::Http => format!("http://{host}"),
        Protocol::Https => format!("https://{host}"),
    }
}

/// What the `/v2/` ping told us.
pub(crate) struct Ping {
    pub status: u16,
    pub challenges: Vec<challenge::Challenge>,
}

/// `GET /v2/` over HTTPS, or over plain HTTP for insecure endpoints whose HTTPS fails.
///
/// Such an endpoint goes to plain HTTP when its HTTPS answer is no TLS, and also when
/// the connection is closed or refused: some servers just close a connection that
/// starts with a TLS handshake. HTTPS is then tried once, not retried. A TLS failure
/// (an unknown CA) stays an error: the server speaks TLS.
pub(crate) async fn ping(
    http: &reqwest::Client,
    endpoint: &Endpoint,
) -> Result<(Protocol, Ping), RegistryError> {
    let host = &endpoint.host;
    if !endpoint.allows_plain_http() {
        let ping = retry(|| ping_url(http, host, "https")).await?;
        return Ok((Protocol::Https, ping));
    }
    let https_error = match ping_url(http, host, "https").await {
        Ok(ping) => return Ok((Protocol::Https, ping)),
        Err(error) if error.may_be_plain_http() => error,
        Err(error) => return Err(error),
    };
    tracing::debug!(%host, error = %https_error, "https failed on an insecure registry, trying plain http");
    match retry(|| ping_url(http, host, "http")).await {
        Ok(ping) => Ok((Protocol::Http, ping)),
        // Neither works: unless HTTPS found plain HTTP, its failure is the one to fix.
        Err(http_error) if matches!(https_error, RegistryError::PlainHttp { .. }) => {
            Err(http_error)
        }
        Err(_) => Err(https_error),
    }
}

async fn ping_url(http: &reqwest::Client, host: &str, scheme: &str) -> Result<Ping, RegistryError> {
    let url = format!("{scheme}://{host}/v2/");
    let response = http
        .get(&url)
        .send()
        .await
        .map_err(|e| transport_error(host, e))?;
    let status = response.status().as_u16();
    if status >= 500 {
        return Err(RegistryError::Status {
            method: "GET",
            url,
            status,
            detail: None,
        });
    }
    let values = response
        .headers()
        .get_all(reqwest::header::WWW_AUTHENTICATE);
    let values: Vec<&str> = values.iter().filter_map(|v| v.to_str().ok()).collect();
    let challenges = challenge::parse_challenges(values);
    tracing::debug!(%url, status, challenges = challenges.len(), "pinged registry");
    Ok(Ping { status, challenges })
}

/// Turns the ping's challenge and our credentials into what each request sends.
async fn authenticate(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    ping: &Ping,
    login: Option<&Login>,
    scopes: &[String],
) -> Result<RegistryAuth, RegistryError> {
    if ping.status != 401 {
        return Ok(match login {
            Some(login) => RegistryAuth::Basic(login.username.clone(), login.password.clone()),
            None => RegistryAuth::Anonymous,
        });
    }
    let Some(chosen) = challenge::select(&ping.challenges) else {
        return Err(RegistryError::UnsupportedAuth {
            host: endpoint.host.clone(),
        });
    };
    match (&chosen.scheme, login) {
        (Scheme::Bearer, _) => {
            let token = fetch_token(http, chosen, scopes, login).await?;
            tracing::debug!(host = %endpoint.host, credentials = login.is_some(), expires_in = token.expires_in, "using a bearer token");
            Ok(RegistryAuth::Bearer(token.value))
        }
        (_, Some(login)) => {
            tracing::debug!(host = %endpoint.host, "using basic auth");
            Ok(RegistryAuth::Basic(
                login.username.clone(),
                login.password.clone(),
            ))
        }
        (_, None) => Ok(RegistryAuth::Anonymous),
    }
}

/// Drops the first `skip` bytes of a stream.
fn skip_bytes(
    stream: futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>,
    mut skip: u64,
) -> futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>> {
    if skip == 0 {
        return stream;
    }
    stream
        .filter_map(move |chunk| {
            let kept = match chunk {
                Ok(mut bytes) if skip > 0 => {
                    let dropped = skip.min(bytes.len() as u64);
                    skip -= dropped;
                    let rest = bytes.split_off(dropped as usize);
                    (!rest.is_empty()).then_some(Ok(rest))
                }
                other => Some(other),
            };
            std::future::ready(kept)
        })
        .boxed()
}

/// Runs `attempt` again after a growing pause while it fails in a way that may pass.
async fn retry<T, F, Fut>(mut attempt: F) -> Result<T, RegistryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RegistryError>>,
{
    let mut pause = FIRST_BACKOFF;
    for _ in 1..ATTEMPTS {
        match attempt().await {
            Err(error) if error.is_retryable() => {
                tracing::debug!(%error, ?pause, "retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            other => return other,
        }
    }
    attempt().await
}

/// Classifies a failure below HTTP: TLS problems apart from unreachable hosts.
pub(crate) fn transport_error(host: &str, error: reqwest::Error) -> RegistryError {
    tracing::trace!(?error, "transport error");
    let host = host.to_owned();
    match tls_failure(&error) {
        Some(rustls::Error::InvalidMessage(_)) => return RegistryError::PlainHttp { host },
        Some(_) => {
            return RegistryError::Tls {
                host,
                source: Box::new(error.without_url()),
            };
        }
        None => {}
    }
    if error.is_connect() || error.is_timeout() || error.is_request() || error.is_body() {
        return RegistryError::Unreachable {
            host,
            source: Box::new(error.without_url()),
        };
    }
    RegistryError::InvalidResponse {
        url: host,
        source: Box::new(error.without_url()),
    }
}

/// The TLS error under a request failure. rustls reports them as I/O errors wrapped in
/// other I/O errors, whose `source()` skips them: hence the walk through `get_ref()`.
fn tls_failure<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cause = error.source();
    while let Some(inner) = cause {
        if let Some(found) = inner.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(io) = inner.downcast_ref::<std::io::Error>()
            && let Some(found) = io.get_ref().and_then(tls_failure_in_io)
        {
            return Some(found);
        }
        cause = inner.source();
    }
    None
}

fn tls_failure_in_io<'a>(
    error: &'a (dyn std::error::Error + Send + Sync + 'static),
) -> Option<&'a rustls::Error> {
    if let Some(found) = error.downcast_ref::<rustls::Error>() {
        return Some(found);
    }
    error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(tls_failure_in_io)
}

/// Drops any user:password from a URL before it is shown.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{host}{path}"),
        None => url.to_owned(),
    }
}

/// TLS settings of one endpoint: verification and extra CAs.
pub(crate) struct TlsSettings {
    verify: bool,
    /// PEM files from `certs.d`.
    roots: Vec<Vec<u8>>,
}

impl TlsSettings {
    pub fn for_endpoint(
        endpoint: &Endpoint,
        options: &SessionOptions,
    ) -> Result<Self, RegistryError> {
        let verify = options.tls_verify && !endpoint.is_insecure;
        let mut roots = Vec::new();
        for dir in &options.certs_dirs {
            roots.extend(read_certificates(
                &dir.join(&endpoint.host),
                &endpoint.host,
            )?);
        }
        Ok(TlsSettings { verify, roots })
    }

    pub fn http_client(&self, host: &str) -> Result<reqwest::Client, RegistryError> {
        crate::crypto::install_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .danger_accept_invalid_certs(!self.verify);
        let roots: Result<Vec<reqwest::Certificate>, _> = self
            .roots
            .iter()
            .map(|pem| reqwest::Certificate::from_pem(pem))
            .collect();
        let roots = roots.map_err(|e| client_error(host, e))?;
        builder = builder.tls_certs_merge(roots);
        builder.build().map_err(|e| client_error(host, e))
    }
}

fn client_error(
    host: &str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> RegistryError {
    RegistryError::Client {
        host: host.to_owned(),
        source: Box::new(error),
    }
}

/// Reads `*.crt` from a `certs.d/HOST` directory; a missing directory has none.
fn read_certificates(dir: &Path, host: &str) -> Result<Vec<Vec<u8>>, RegistryError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(certificates_error(host, dir, e)),
    };
    let mut certificates = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| certificates_error(host, dir, e))?.path();
        if path.extension().is_some_and(|ext| ext == "crt") {
            let data = std::fs::read(&path).map_err(|e| certificates_error(host, &path, e))?;
            tracing::debug!(path = %path.display(), "trusting CA certificate");
            certificates.push(data);
        }
    }
    Ok(certificates)
}

fn certificates_error(host: &str, path: &Path, error: std::io::Error) -> RegistryError {
    RegistryError::Certificates {
        host: host.to_owned(),
        path: path.to_owned(),
        source: Box::new(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> RegistryError {
        let url = "http://registry.test/v2/".to_owned();
        RegistryError::Status {
            method: "GET",
            url,
            status: code,
            detail: None,
        }
    }

    #[tokio::test]
    async fn server_errors_are_retried_until_they_pass() {
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let result = retry(|| async {
            match attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed) {
                0 | 1 => Err(status(503)),
                _ => Ok("done"),
            }
        })
        .await;
        assert_eq!(result.unwrap(), "done");
        assert_eq!(attempts.into_inner(), 3);
    }

    #[tokio::test]
    async fn client_errors_are_not_retried() {
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let result: Result<(), _> = retry(|| async {
            attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(status(404))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(attempts.into_inner(), 1);
    }

    #[test]
    fn redacts_credentials_in_urls() {
        assert_eq!(redact("https://u:p@host/v2/"), "https://host/v2/");
        assert_eq!(redact("https://host/v2/a@b"), "https://host/v2/a@b");
    }
}
