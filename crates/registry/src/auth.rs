//! The bearer token flow of the distribution spec (CASES C33).
//!
//! <https://distribution.github.io/distribution/spec/auth/token/>

use serde::Deserialize;

use crate::challenge::Challenge;
use crate::credentials::Login;
use crate::error::RegistryError;

/// Lifetime assumed when the token endpoint does not say (the spec's default).
const DEFAULT_EXPIRES_IN: u64 = 60;

/// What a session sends with its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegistryAuth {
    /// Nothing.
    Anonymous,
    /// HTTP basic auth: user name and password.
    Basic(String, String),
    /// A bearer token from the registry's token endpoint.
    Bearer(String),
}

/// A token from the token endpoint.
pub(crate) struct Token {
    pub value: String,
    pub expires_in: u64,
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Asks the challenge's realm for a token covering `scopes`. Credentials are sent only
/// when we hold some for this registry; otherwise the request is anonymous.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    challenge: &Challenge,
    scopes: &[String],
    login: Option<&Login>,
) -> Result<Token, RegistryError> {
    let realm = challenge.realm().unwrap_or_default().to_owned();
    let mut query: Vec<(&str, &str)> = scopes.iter().map(|s| ("scope", s.as_str())).collect();
    if let Some(service) = challenge.service() {
        query.push(("service", service));
    }

    let mut request = http.get(&realm).query(&query);
    if let Some(login) = login {
        request = request.basic_auth(&login.username, Some(&login.password));
    }
    let response = request
        .send()
        .await
        .map_err(|e| crate::session::transport_error(&realm, e))?;

    // A refusal ends the flow: asking again with the same credentials cannot help.
    let status = response.status();
    if !status.is_success() {
        return Err(RegistryError::TokenRefused {
            realm,
            status: status.as_u16(),
        });
    }
    let body: TokenResponse =
        response
            .json()
            .await
            .map_err(|e| RegistryError::InvalidResponse {
                url: realm.clone(),
                source: Box::new(e),
            })?;
    let value = body
        .token
        .or(body.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| RegistryError::InvalidResponse {
            url: realm.clone(),
            source: "no token in answer".into(),
        })?;
    let expires_in = body.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
    tracing::debug!(realm = %realm, expires_in, "token obtained");
    Ok(Token { value, expires_in })
}
