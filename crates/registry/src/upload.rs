//! Pushing: blob checks, cross-repository mounts, streamed uploads and manifests, as
//! the distribution spec describes them.
//!
//! <https://github.com/opencontainers/distribution-spec/blob/main/spec.md#push>
//!
//! An upload is one session: `POST /v2/<name>/blobs/uploads/`, one `PATCH` streaming
//! the whole blob, then `PUT ?digest=` to close it (what Docker sends); no blob is
//! held in memory. A mount that the registry answers with 202 (mount not possible,
//! upload started) is cancelled, and the blob uploaded.

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};

use crate::auth::RegistryAuth;
use crate::error::RegistryError;
use crate::session::{Session, redact, transport_error};

/// A blob's bytes, streamed to the registry.
pub type UploadBody = futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>;

/// Largest error body read from a registry's answer.
const ERROR_BODY_LIMIT: usize = 4096;

impl Session {
    /// Whether the repository already has the blob `digest` (`HEAD`).
    pub async fn has_blob(&self, digest: &str) -> Result<bool, RegistryError> {
        let url = format!("{}/blobs/{digest}", self.repository_url());
        let response = self.send(self.http.head(&url), &url).await?;
        match response.status().as_u16() {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(self.push_error("HEAD", &url, response).await),
        }
    }

    /// Asks the registry to mount `digest` from repository `from` of the same
    /// registry; whether it did (it may start an upload instead, which we cancel).
    pub async fn mount_blob(&self, digest: &str, from: &str) -> Result<bool, RegistryError> {
        let url = format!("{}/blobs/uploads/", self.repository_url());
        let request = self
            .http
            .post(&url)
            .query(&[("mount", digest), ("from", from)])
            .header(CONTENT_LENGTH, 0);
        let response = self.send(request, &url).await?;
        match response.status().as_u16() {
            201 => Ok(true),
            202 => {
                if let Ok(location) = self.location(&response, &url) {
                    let cancel = self.http.delete(location.as_str());
                    let _ = self.send(cancel, &url).await;
                }
                Ok(false)
            }
            _ => Err(self.push_error("POST", &url, response).await),
        }
    }

    /// Uploads the blob `digest` of `size` bytes, streamed from `body`.
    pub async fn upload_blob(
        &self,
        digest: &str,
        size: u64,
        body: UploadBody,
    ) -> Result<(), RegistryError> {
        let start_url = format!("{}/blobs/uploads/", self.repository_url());
        let request = self.http.post(&start_url).header(CONTENT_LENGTH, 0);
        let response = self.send(request, &start_url).await?;
        if response.status().as_u16() != 202 {
            return Err(self.push_error("POST", &start_url, response).await);
        }
        let location = self.location(&response, &start_url)?;

        let request = self
            .http
            .patch(location.as_str())
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(body));
        let response = self.send(request, &start_url).await?;
        if response.status().as_u16() != 202 {
            return Err(self.push_error("PATCH", &start_url, response).await);
        }
        let mut location = self.location(&response, &start_url)?;

        location.query_pairs_mut().append_pair("digest", digest);
        let request = self.http.put(location.as_str()).header(CONTENT_LENGTH, 0);
        let response = self.send(request, &start_url).await?;
        match response.status().as_u16() {
            201 | 204 => Ok(()),
            _ => Err(self.push_error("PUT", &start_url, response).await),
        }
    }

    /// Stores `bytes` as the manifest `tag_or_digest`, of `media_type`.
    pub async fn put_manifest(
        &self,
        tag_or_digest: &str,
        media_type: &str,
        bytes: bytes::Bytes,
    ) -> Result<(), RegistryError> {
        let url = format!("{}/manifests/{tag_or_digest}", self.repository_url());
        let request = self
            .http
            .put(&url)
            .header(CONTENT_TYPE, media_type)
            .body(bytes);
        let response = self.send(request, &url).await?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            _ => Err(self.push_error("PUT", &url, response).await),
        }
    }

    fn repository_url(&self) -> String {
        format!("{}/v2/{}", self.base_url, self.repository)
    }

    /// Sends a request with our credentials. reqwest drops them when a redirect
    /// leads to another host (blob storage), as it must.
    // TODO: a bearer token that expires during a long push is not renewed
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let request = match &self.auth {
            RegistryAuth::Bearer(token) => request.bearer_auth(token),
            RegistryAuth::Basic(user, password) => request.basic_auth(user, Some(password)),
            _ => request,
        };
        tracing::trace!(url = %redact(url), "registry request");
        request
            .send()
            .await
            .map_err(|e| transport_error(&self.endpoint.host, e))
    }

    /// The upload URL a `Location` header names, which may be relative.
    fn location(
        &self,
        response: &reqwest::Response,
        url: &str,
    ) -> Result<reqwest::Url, RegistryError> {
        let invalid = |reason: &str| RegistryError::InvalidResponse {
            url: redact(url),
            source: reason.to_owned().into(),
        };
        let value = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| invalid("no Location header in the upload answer"))?;
        let base = reqwest::Url::parse(&self.base_url).map_err(|_| invalid("bad base URL"))?;
        base.join(value)
            .map_err(|_| invalid("invalid Location header"))
    }

    /// The error for an unexpected answer to a download (`what` names the blob).
    pub(crate) async fn fetch_error(
        &self,
        response: reqwest::Response,
        url: &str,
        what: &str,
    ) -> RegistryError {
        let status = response.status().as_u16();
        let host = self.endpoint.host.clone();
        let (codes, detail) = error_body(response).await;
        let has = |code: &str| codes.iter().any(|c| c.eq_ignore_ascii_case(code));
        let is_unknown = has("MANIFEST_UNKNOWN") || has("NAME_UNKNOWN") || has("BLOB_UNKNOWN");
        let is_refused = matches!(status, 401 | 403) || has("UNAUTHORIZED") || has("DENIED");
        match status {
            _ if status == 404 || is_unknown => RegistryError::NotFound {
                reference: what.to_owned(),
            },
            // Registries answer so for private repositories too (Docker Hub does).
            _ if is_refused && self.is_anonymous => RegistryError::NotFound {
                reference: what.to_owned(),
            },
            _ if is_refused => RegistryError::Denied {
                reference: what.to_owned(),
                host,
                detail,
            },
            _ => RegistryError::Status {
                method: "GET",
                url: redact(url),
                status,
                detail,
            },
        }
    }

    /// The error for an unexpected answer to a push request.
    async fn push_error(
        &self,
        method: &'static str,
        url: &str,
        response: reqwest::Response,
    ) -> RegistryError {
        let status = response.status().as_u16();
        let reference = format!("{}/{}", self.endpoint.host, self.repository);
        let host = self.endpoint.host.clone();
        let (_, detail) = error_body(response).await;
        match status {
            401 if self.is_anonymous => RegistryError::Unauthorized { reference, host },
            401 | 403 => RegistryError::Denied {
                reference,
                host,
                detail,
            },
            _ => RegistryError::Status {
                method,
                url: redact(url),
                status,
                detail,
            },
        }
    }
}

/// The codes of an OCI error body, and its messages (or its first bytes).
async fn error_body(response: reqwest::Response) -> (Vec<String>, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Envelope {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let Ok(body) = response.bytes().await else {
        return (Vec::new(), None);
    };
    let body = &body[..body.len().min(ERROR_BODY_LIMIT)];
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(body) {
        let parts: Vec<String> = envelope
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect();
        let codes = envelope.errors.into_iter().map(|e| e.code).collect();
        return (codes, Some(parts.join("; ")).filter(|t| !t.is_empty()));
    }
    let text = String::from_utf8_lossy(body).trim().to_owned();
    (Vec::new(), Some(text).filter(|t| !t.is_empty()))
}
