//! Changing the logins of Docker's `config.json`: `login`, `logout` and listing.
//!
//! Every other key of the file is kept as it was. The file is replaced atomically
//! (a temporary file of mode 0600 in the same directory, synced, then renamed), so a
//! crash leaves the old file or the new one. A registry with a credential helper
//! (`credHelpers`, else `credsStore`) has its secret stored by that helper; for
//! `credsStore`, `auths` keeps an empty entry naming the server, as Docker writes.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::Path;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::credentials::{
    Credentials, CredentialsError, Login, normalise_key, server_for_helper, server_key,
};
use crate::helper::{Helper, TOKEN_USER};

/// A stored login, as `registry ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogin {
    /// The server, as its key is spelled.
    pub server: String,
    /// The user name (empty when only a helper knows it and would not say).
    pub username: String,
    /// The helper holding the secret, `None` for `auths`.
    pub helper: Option<String>,
}

/// Stores `login` for `server` in `path` (or in the helper the file names for it).
pub fn store_login(path: &Path, server: &str, login: &Login) -> Result<(), CredentialsError> {
    let mut file = read_object(path)?;
    let key = server_key(server);
    let credentials = Credentials::load(path)?;
    let auths = auths_of(&mut file);
    remove_spellings(auths, &key);
    match credentials.helper_for(&key) {
        Some(helper) => {
            helper.store(&key, login)?;
            if is_default_store(&file, helper) {
                auths_of(&mut file).insert(key, json!({}));
            }
        }
        None => {
            auths.insert(key, entry_for(login));
        }
    }
    write_object(path, &file)
}

/// Removes every login for `server`; whether there was one.
pub fn erase_login(path: &Path, server: &str) -> Result<bool, CredentialsError> {
    let mut file = read_object(path)?;
    let key = server_key(server);
    let credentials = Credentials::load(path)?;
    let had_entry = remove_spellings(auths_of(&mut file), &key);
    let had_secret = match credentials.helper_for(&key) {
        Some(helper) => helper.erase(&key)?,
        None => false,
    };
    if had_entry {
        write_object(path, &file)?;
    }
    Ok(had_entry || had_secret)
}

/// Every login stored, sorted by server.
pub fn list_logins(path: &Path) -> Result<Vec<StoredLogin>, CredentialsError> {
    let file = read_object(path)?;
    let credentials = Credentials::load(path)?;
    let mut found: BTreeMap<String, StoredLogin> = BTreeMap::new();
    let auths = file.get("auths").and_then(Value::as_object);
    for key in auths.into_iter().flat_map(|a| a.keys()) {
        let host = normalise_key(key);
        let username = credentials
            .for_registry(&host)
            .map(|l| l.username)
            .unwrap_or_default();
        let helper = credentials.helper_for(&host).map(helper_name);
        let server = server_for_helper(&host);
        let entry = StoredLogin {
            server: server.clone(),
            username,
            helper,
        };
        found.insert(server, entry);
    }
    if let Some(name) = file.get("credsStore").and_then(Value::as_str)
        && !name.is_empty()
    {
        for (server, username) in Helper::new(name).list()? {
            let server = server_for_helper(&normalise_key(&server));
            let helper = Some(name.to_owned());
            let entry = StoredLogin {
                server: server.clone(),
                username,
                helper,
            };
            found.insert(server, entry);
        }
    }
    let helpers = file.get("credHelpers").and_then(Value::as_object);
    for (key, name) in helpers.into_iter().flatten() {
        let Some(name) = name.as_str() else { continue };
        let host = normalise_key(key);
        let server = server_for_helper(&host);
        let Some(login) = Helper::new(name).get(&server)? else {
            continue;
        };
        let entry = StoredLogin {
            server: server.clone(),
            username: login.username,
            helper: Some(name.to_owned()),
        };
        found.insert(server, entry);
    }
    Ok(found.into_values().collect())
}

fn helper_name(helper: &Helper) -> String {
    helper.name().to_owned()
}

fn is_default_store(file: &Map<String, Value>, helper: &Helper) -> bool {
    file.get("credsStore").and_then(Value::as_str) == Some(helper.name())
}

/// `{"auth": base64(user:password)}`, or an identity token as Docker stores one.
fn entry_for(login: &Login) -> Value {
    if login.username == TOKEN_USER {
        return json!({ "identitytoken": login.password });
    }
    let pair = format!("{}:{}", login.username, login.password);
    json!({ "auth": base64::engine::general_purpose::STANDARD.encode(pair) })
}

/// Drops every `auths` key that names the same registry as `key`; whether any did.
fn remove_spellings(auths: &mut Map<String, Value>, key: &str) -> bool {
    let host = normalise_key(key);
    let before = auths.len();
    auths.retain(|existing, _| normalise_key(existing) != host);
    auths.len() != before
}

fn auths_of(file: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let auths = file
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    auths.as_object_mut().expect("made an object above")
}

fn read_object(path: &Path) -> Result<Map<String, Value>, CredentialsError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(source) => {
            let path = path.to_owned();
            return Err(CredentialsError::Read { path, source });
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    serde_json::from_slice(&bytes).map_err(|source| CredentialsError::Parse {
        path: path.to_owned(),
        source,
    })
}

/// Replaces the file atomically, readable by its owner only.
fn write_object(path: &Path, file: &Map<String, Value>) -> Result<(), CredentialsError> {
    let failed = |source| CredentialsError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(failed)?;
    let mut text = serde_json::to_vec_pretty(file).expect("JSON values serialise");
    text.push(b'\n');

    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(
        ".{}.tmp-{}",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let written = (|| {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        out.write_all(&text)?;
        out.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(failed)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn login(user: &str, password: &str) -> Login {
        Login {
            username: user.into(),
            password: password.into(),
        }
    }

    #[test]
    fn storing_keeps_other_keys_and_replaces_other_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"http://127.0.0.1:5002/":{"auth":"b2xkOm9sZA=="}},"psFormat":"x"}"#,
        )
        .unwrap();

        store_login(&path, "127.0.0.1:5002", &login("tester", "pw")).unwrap();
        let text: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(text["psFormat"], "x");
        assert_eq!(text["auths"].as_object().unwrap().len(), 1);
        assert_eq!(text["auths"]["127.0.0.1:5002"]["auth"], "dGVzdGVyOnB3");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let credentials = Credentials::load(&path).unwrap();
        assert_eq!(
            credentials.for_registry("127.0.0.1:5002").unwrap().password,
            "pw"
        );
    }

    #[test]
    fn erasing_reports_whether_a_login_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker/config.json");
        store_login(&path, "docker.io", &login("u", "p")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("https://index.docker.io/v1/"), "{text}");

        let stored = list_logins(&path).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].username, "u");
        assert!(erase_login(&path, "index.docker.io").unwrap());
        assert!(!erase_login(&path, "docker.io").unwrap());
        assert!(list_logins(&path).unwrap().is_empty());
    }
}
