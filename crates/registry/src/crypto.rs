//! The crypto behind TLS: ring, installed once for the whole process.
//!
//! rustls' default provider, aws-lc-rs, seeds its random generator from CPU timing
//! jitter the first time it is used. That took about 35 ms of every command that speaks
//! to a registry, plain-HTTP loopback ones too, since HTTPS is always tried first. ring
//! asks the kernel for its randomness.

use std::sync::Once;

/// Makes ring the process's TLS provider, unless one is installed already.
pub(crate) fn install_provider() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // An error means another provider came first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An HTTP client for plain downloads (`ADD https://…` in a Dockerfile): system
/// CA certificates and proxies, no registry settings.
pub fn web_client() -> Result<reqwest::Client, reqwest::Error> {
    install_provider();
    reqwest::Client::builder()
        .user_agent(crate::session::USER_AGENT)
        .build()
}
