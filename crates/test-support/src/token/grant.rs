//! What the issuer answers: who is asking (Basic credentials), what they get (all the
//! requested actions for the right user, nothing for anonymous), and the token JSON.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::jwt::Signer;
use super::{TOKEN_ISSUER, TOKEN_SERVICE};

/// Seconds a token lives (`expires_in`).
const LIFETIME: i64 = 300;

/// Who made a request.
pub(super) enum Caller {
    Anonymous,
    User(String),
    /// Sent an `Authorization` header that is not Basic with the right user/password.
    Rejected,
}

/// Classifies the `Authorization` header against the one valid user/password.
pub(super) fn caller(authorization: Option<&str>, user: &str, password: &str) -> Caller {
    let Some(value) = authorization else {
        return Caller::Anonymous;
    };
    let decoded = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, encoded)| STANDARD.decode(encoded.trim()).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    match decoded.as_deref().and_then(|text| text.split_once(':')) {
        Some((u, p)) if u == user && p == password => Caller::User(u.to_string()),
        _ => Caller::Rejected,
    }
}

/// The token endpoint's JSON body: a JWT for `service` granting `scopes` to `user`
/// (`None`: anonymous, granted nothing).
pub(super) fn token_body(
    signer: &Signer,
    service: Option<&str>,
    scopes: &[String],
    user: Option<&str>,
) -> String {
    let now = OffsetDateTime::now_utc();
    let access: Vec<Value> = match user {
        Some(_) => scopes.iter().filter_map(|scope| access(scope)).collect(),
        None => Vec::new(),
    };
    let claims = json!({
        "iss": TOKEN_ISSUER,
        "sub": user.unwrap_or(""),
        "aud": service.unwrap_or(TOKEN_SERVICE),
        "exp": now.unix_timestamp() + LIFETIME,
        "nbf": now.unix_timestamp() - 1,
        "iat": now.unix_timestamp(),
        "jti": token_id(now),
        "access": access,
    });
    let token = signer.sign(&claims);
    let issued_at = now.format(&Rfc3339).expect("RFC 3339 date");
    json!({"token": token, "access_token": token, "expires_in": LIFETIME, "issued_at": issued_at})
        .to_string()
}

/// `type:name:actions` (the name may hold colons) as a distribution access entry.
fn access(scope: &str) -> Option<Value> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let actions: Vec<&str> = actions.split(',').filter(|a| !a.is_empty()).collect();
    Some(json!({"type": kind, "name": name, "actions": actions}))
}

fn token_id(now: OffsetDateTime) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{n}", now.unix_timestamp_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_splits_type_name_and_actions() {
        let entry = access("repository:library/busybox:pull,push").unwrap();
        assert_eq!(
            entry,
            json!({"type": "repository", "name": "library/busybox", "actions": ["pull", "push"]})
        );
        assert_eq!(
            access("registry:catalog:*").unwrap()["actions"],
            json!(["*"])
        );
        assert!(access("nonsense").is_none());
    }

    #[test]
    fn caller_checks_basic_credentials() {
        let ok = crate::http::basic_auth("u", "p");
        let bad = crate::http::basic_auth("u", "nope");
        assert!(matches!(caller(Some(&ok), "u", "p"), Caller::User(u) if u == "u"));
        assert!(matches!(caller(Some(&bad), "u", "p"), Caller::Rejected));
        assert!(matches!(
            caller(Some("Bearer x"), "u", "p"),
            Caller::Rejected
        ));
        assert!(matches!(caller(None, "u", "p"), Caller::Anonymous));
    }
}
