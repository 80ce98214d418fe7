//! Checking a login before it is stored.
//!
//! A registry only refuses a wrong password when it is used, so we use it: `GET /v2/`
//! with the credentials, after fetching a token with them when the registry wants
//! bearer tokens, as `docker login` does.

use crate::auth::fetch_token;
use crate::challenge::{self, Scheme};
use crate::config::Endpoint;
use crate::credentials::Login;
use crate::error::RegistryError;
use crate::session::{SessionOptions, TlsSettings, base_url, ping, transport_error};

/// Succeeds when `endpoint` accepts `login`, or wants no login at all.
#[tracing::instrument(skip_all, fields(host = %endpoint.host))]
pub async fn check_login(
    endpoint: &Endpoint,
    login: &Login,
    options: &SessionOptions,
) -> Result<(), RegistryError> {
    let tls = TlsSettings::for_endpoint(endpoint, options)?;
    let http = tls.http_client(&endpoint.host)?;
    let (scheme, first) = ping(&http, endpoint).await?;
    if first.status != 401 {
        tracing::debug!(status = first.status, "the registry asks for no login");
        return Ok(());
    }
    let host = endpoint.host.clone();
    let chosen = challenge::select(&first.challenges)
        .ok_or_else(|| RegistryError::UnsupportedAuth { host: host.clone() })?;

    let url = format!("{}/v2/", base_url(scheme, &host));
    let request = match chosen.scheme {
        Scheme::Bearer => {
            let token = fetch_token(&http, chosen, &[], Some(login))
                .await
                .map_err(|error| match error {
                    RegistryError::TokenRefused { status: 401, .. } => {
                        RegistryError::LoginRefused { host: host.clone() }
                    }
                    other => other,
                })?;
            http.get(&url).bearer_auth(token.value)
        }
        _ => http
            .get(&url)
            .basic_auth(&login.username, Some(&login.password)),
    };
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(&host, e))?;
    match response.status().as_u16() {
        200..=299 => Ok(()),
        401 | 403 => Err(RegistryError::LoginRefused { host }),
        status => Err(RegistryError::Status {
            method: "GET",
            url,
            status,
            detail: None,
        }),
    }
}
