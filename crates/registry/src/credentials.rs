//! Credentials from Docker's `config.json`, so that Docker, Podman and we share logins.
//!
//! The file is `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. Its `auths` map
//! is keyed by registry, in any of the spellings Docker has used over the years
//! (`127.0.0.1:5000`, `https://127.0.0.1:5000`, `https://index.docker.io/v1/`).
//!
//! A registry named in `credHelpers` has its login in that `docker-credential-NAME`
//! helper; otherwise `credsStore` names the helper for every registry, with `auths`
//! as the fallback. Changes go through [`crate::config_file`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

use crate::helper::{Helper, TOKEN_USER};

/// The key under which Docker stores Docker Hub credentials.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// A user name and password (or identity token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login({}, <redacted>)", self.username)
    }
}

/// The logins found in `config.json`, by normalised registry host, and the helpers
/// that hold others.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    logins: BTreeMap<String, Login>,
    helpers: BTreeMap<String, Helper>,
    store: Option<Helper>,
}

/// A failure reading `config.json`.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file could not be read.
    #[error("reading {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("parsing {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The file could not be written.
    #[error("writing {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A credential helper could not be run.
    #[error("running credential helper `{program}`")]
    HelperSpawn {
        /// The program, `docker-credential-NAME`.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A credential helper refused.
    #[error("credential helper `{program} {action}` failed: {message}")]
    HelperFailed {
        /// The program.
        program: String,
        /// `get`, `store`, `erase` or `list`.
        action: &'static str,
        /// What it said.
        message: String,
    },
    /// A credential helper answered something other than its JSON.
    #[error("credential helper `{program}` answered invalid JSON")]
    HelperOutput {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

impl Credentials {
    /// The path of Docker's `config.json` for this user.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
    }

    /// Reads the logins in `path`; a missing file holds none.
    pub fn load(path: &Path) -> Result<Credentials, CredentialsError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(CredentialsError::Read {
                    path: path.into(),
                    source,
                });
            }
        };
        let file: ConfigFile =
            serde_json::from_slice(&bytes).map_err(|source| CredentialsError::Parse {
                path: path.into(),
                source,
            })?;

        let logins = file
            .auths
            .into_iter()
            .filter_map(|(key, entry)| Some((normalise_key(&key), entry.into_login()?)))
            .collect();
        let helpers = file
            .cred_helpers
            .iter()
            .map(|(key, name)| (normalise_key(key), Helper::new(name)))
            .collect();
        let store = file
            .creds_store
            .filter(|name| !name.is_empty())
            .map(|name| Helper::new(&name));
        Ok(Credentials {
            logins,
            helpers,
            store,
        })
    }

    /// The login for a registry, by its name in references or its host: from its
    /// helper when it has one, else from `auths`. A helper that fails is warned about
    /// and the registry is used anonymously.
    pub fn for_registry(&self, registry: &str) -> Option<Login> {
        let host = normalise_key(registry);
        let helper = self.helpers.get(&host).or(self.store.as_ref());
        if let Some(helper) = helper {
            match helper.get(&server_for_helper(&host)) {
                Ok(Some(login)) => {
                    tracing::debug!(%host, "login from credential helper");
                    return Some(login);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%host, %error, "credential helper failed");
                }
            }
        }
        self.logins.get(&host).cloned()
    }

    /// The helper that holds `registry`'s login, if one does.
    pub(crate) fn helper_for(&self, registry: &str) -> Option<&Helper> {
        let host = normalise_key(registry);
        self.helpers.get(&host).or(self.store.as_ref())
    }
}

/// The server name a helper is asked about: Docker Hub's legacy key, else the host.
pub(crate) fn server_for_helper(host: &str) -> String {
    match host {
        "docker.io" => DOCKER_HUB_AUTH_KEY.to_owned(),
        _ => host.to_owned(),
    }
}

/// The key `login` stores a server under: Docker Hub's legacy key for any spelling of
/// Docker Hub, else the bare `host[:port]` (as Docker does since 23).
pub fn server_key(server: &str) -> String {
    server_for_helper(&normalise_key(server))
}

impl AuthEntry {
    fn into_login(self) -> Option<Login> {
        if let Some(token) = self.identity_token.filter(|t| !t.is_empty()) {
            // Docker's convention: an identity token is sent with this fixed user name.
            let username = TOKEN_USER.to_owned();
            return Some(Login {
                username,
                password: token,
            });
        }
        if let (Some(username), Some(password)) = (self.username.clone(), self.password.clone()) {
            return Some(Login { username, password });
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(self.auth?.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (username, password) = text.split_once(':')?;
        Some(Login {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/` → `host:5000`.
pub(crate) fn normalise_key(key: &str) -> String {
    let without_scheme = key.split_once("://").map_or(key, |(_, rest)| rest);
    let host = without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_spelling_of_a_registry_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("tester:s3cret:pass");
        let json = format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},
               "http://127.0.0.1:5002/":{{"username":"u","password":"p"}},
               "broken.example":{{"auth":"!!"}}}},"credsStore":"desktop"}}"#
        );
        std::fs::write(&path, json).unwrap();
        let credentials = Credentials::load(&path).unwrap();

        let hub = credentials.for_registry("docker.io").unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.as_str()),
            ("tester", "s3cret:pass")
        );
        assert_eq!(
            credentials.for_registry("127.0.0.1:5002").unwrap().username,
            "u"
        );
        assert!(credentials.for_registry("broken.example").is_none());
    }

    #[test]
    fn server_keys_are_docker_hub_legacy_key_or_host() {
        for (typed, key) in [
            ("docker.io", DOCKER_HUB_AUTH_KEY),
            ("index.docker.io", DOCKER_HUB_AUTH_KEY),
            ("https://index.docker.io/v1/", DOCKER_HUB_AUTH_KEY),
            ("registry-1.docker.io", DOCKER_HUB_AUTH_KEY),
            ("127.0.0.1:5002", "127.0.0.1:5002"),
            ("https://Registry.Example.com/v2/", "registry.example.com"),
        ] {
            assert_eq!(server_key(typed), key, "{typed}");
        }
    }

    #[test]
    fn missing_file_has_no_logins() {
        let credentials = Credentials::load(Path::new("/nonexistent/config.json")).unwrap();
        assert!(credentials.for_registry("docker.io").is_none());
    }
}
