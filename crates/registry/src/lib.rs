//! A client for the OCI distribution API, as registries and Docker Hub speak it.
//!
//! - **Endpoints.** A pull of `docker.io/library/alpine` goes to the mirrors configured for
//!   `docker.io` first, then to Docker Hub itself (`registry-1.docker.io`) unless the
//!   configuration says mirrors only. See [`config`].
//! - **Transport.** HTTPS always, except for loopback hosts and registries configured as
//!   insecure, which may fall back to plain HTTP (as Docker's `insecure-registries` do).
//!   CA certificates for a registry are read from `certs.d/HOST/*.crt`; proxies come from
//!   `HTTPS_PROXY` / `NO_PROXY`.
//! - **Auth.** A ping of `/v2/` tells which scheme the registry wants
//!   ([RFC 7235](https://www.rfc-editor.org/rfc/rfc7235) challenges, see [`challenge`]).
//!   Bearer tokens are fetched as the
//!   [token spec](https://distribution.github.io/distribution/spec/auth/token/) says,
//!   anonymously unless `~/.docker/config.json` holds credentials for that registry.
//! - **Retries.** 5xx answers and dropped connections are retried with backoff; 4xx never.
//!
//! Requests go through one `reqwest` client per session; this crate knows nothing of
//! disks.

#![warn(missing_docs)]

pub mod challenge;
pub mod config;
pub mod config_file;
pub mod credentials;
pub mod platform;

mod auth;
mod crypto;
mod error;
mod helper;
mod login;
mod media;
mod session;
mod upload;

pub use config::{Endpoint, RegistryConfig};
pub use credentials::Credentials;
pub use crypto::web_client;
pub use error::RegistryError;
pub use login::check_login;
pub use media::{ManifestKind, media_types};
pub use platform::Platform;
pub use session::{BlobStream, Manifest, Session, SessionOptions};
pub use upload::UploadBody;
