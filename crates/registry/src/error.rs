//! What can go wrong talking to a registry.

/// A failure talking to a registry. Each variant says whether retrying can help.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry says the repository, tag or blob does not exist, or will not say
    /// because we may not see it (Docker Hub answers that way for private repositories).
    #[error("`{reference}` was not found or access was denied")]
    NotFound {
        /// What was asked for, in its full form.
        reference: String,
    },
    /// The registry refused our credentials, or wants credentials we do not have.
    #[error("access to `{reference}` was denied by {host}")]
    Denied {
        /// What was asked for.
        reference: String,
        /// The registry host.
        host: String,
        /// The registry's own words, when it gave any.
        detail: Option<String>,
    },
    /// The registry refused the user name and password given to `login`.
    #[error("{host} refused the user name or password")]
    LoginRefused {
        /// The registry host.
        host: String,
    },
    /// The registry wants credentials for a push, and we sent none.
    #[error("pushing to `{reference}` needs a login: {host} answered 401 Unauthorized")]
    Unauthorized {
        /// What was pushed.
        reference: String,
        /// The registry host, for the `container login` hint.
        host: String,
    },
    /// The token endpoint refused us.
    #[error("authentication with {realm} failed (status {status})")]
    TokenRefused {
        /// The realm of the challenge.
        realm: String,
        /// The HTTP status of the token endpoint.
        status: u16,
    },
    /// The registry wants an authentication scheme we do not speak.
    #[error("{host} asks for an authentication scheme we do not support")]
    UnsupportedAuth {
        /// The registry host.
        host: String,
    },
    /// No connection could be made.
    #[error("registry {host} is unreachable")]
    Unreachable {
        /// The registry host.
        host: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// TLS failed: an unknown CA, a wrong name, or plain HTTP on the other end.
    #[error("TLS handshake with {host} failed")]
    Tls {
        /// The registry host.
        host: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// HTTPS was answered by something that does not speak TLS, most likely a registry
    /// serving plain HTTP.
    #[error("{host} does not speak TLS (it may serve plain HTTP only)")]
    PlainHttp {
        /// The registry host.
        host: String,
    },
    /// An HTTP status we did not expect.
    #[error("{method} {url} answered {status}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The method.
        method: &'static str,
        /// The URL, without credentials.
        url: String,
        /// The status code.
        status: u16,
        /// The registry's error codes and messages, when it sent an OCI error body.
        detail: Option<String>,
    },
    /// The manifest is of a kind we cannot use.
    #[error("unsupported manifest type `{media_type}` for `{reference}`")]
    UnsupportedManifest {
        /// The media type found.
        media_type: String,
        /// What was asked for.
        reference: String,
    },
    /// Docker's schema 1 manifests were retired in 2019; nothing reads them any more.
    #[error("`{reference}` uses the retired Docker image format v2 schema 1")]
    Schema1 {
        /// What was asked for.
        reference: String,
    },
    /// The registry sent something we could not parse.
    #[error("invalid response from {url}")]
    InvalidResponse {
        /// The URL, without credentials.
        url: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The content did not match its digest.
    #[error("content of {url} does not match its digest")]
    DigestMismatch {
        /// The URL.
        url: String,
    },
    /// A certificate in `certs.d` could not be read.
    #[error("reading certificates for {host} from {path}")]
    Certificates {
        /// The registry host.
        host: String,
        /// The file or directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Setting up the HTTP client failed.
    #[error("setting up the HTTP client for {host}")]
    Client {
        /// The registry host.
        host: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl RegistryError {
    /// Whether the same request may succeed if tried again.
    pub fn is_retryable(&self) -> bool {
        match self {
            RegistryError::Unreachable { .. } => true,
            RegistryError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Whether an HTTPS attempt failed as it does against a plain-HTTP server: an
    /// answer that is no TLS, or a connection closed or refused. A TLS failure (an
    /// unknown CA) says the server speaks TLS.
    pub(crate) fn may_be_plain_http(&self) -> bool {
        matches!(
            self,
            RegistryError::Unreachable { .. } | RegistryError::PlainHttp { .. }
        )
    }

    /// How useful this error is to a user, when several endpoints failed: a definite
    /// answer from a registry beats a failure to reach one.
    pub fn rank(&self) -> u8 {
        match self {
            RegistryError::NotFound { .. } => 5,
            RegistryError::Denied { .. }
            | RegistryError::TokenRefused { .. }
            | RegistryError::LoginRefused { .. }
            | RegistryError::Unauthorized { .. } => 4,
            RegistryError::UnsupportedManifest { .. } | RegistryError::Schema1 { .. } => 6,
            RegistryError::Tls { .. } => 3,
            RegistryError::Unreachable { .. } => 1,
            _ => 2,
        }
    }
}
