//! Docker's credential helpers: `docker-credential-NAME get|store|erase|list`, found on
//! `PATH`, speaking JSON on stdin and stdout.
//!
//! <https://github.com/docker/docker-credential-helpers#development>

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::credentials::{CredentialsError, Login};

/// What a helper answers when it holds nothing for a server.
const NOT_FOUND: &str = "credentials not found in native keychain";
/// The user name that marks a secret as an identity token.
pub(crate) const TOKEN_USER: &str = "<token>";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperCredentials {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
}

/// One `docker-credential-NAME` program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Helper {
    name: String,
}

impl Helper {
    pub fn new(name: &str) -> Helper {
        Helper {
            name: name.to_owned(),
        }
    }

    /// The helper's name, `NAME` of `docker-credential-NAME`.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn program(&self) -> String {
        format!("docker-credential-{}", self.name)
    }

    /// The login the helper holds for `server`, if any.
    pub fn get(&self, server: &str) -> Result<Option<Login>, CredentialsError> {
        let output = self.call("get", server.as_bytes())?;
        if !output.status.success() {
            let text = String::from_utf8_lossy(&output.stdout);
            if text.contains(NOT_FOUND)
                || String::from_utf8_lossy(&output.stderr).contains(NOT_FOUND)
            {
                return Ok(None);
            }
            return Err(self.failed("get", &output));
        }
        let found: HelperCredentials =
            serde_json::from_slice(&output.stdout).map_err(|source| {
                CredentialsError::HelperOutput {
                    program: self.program(),
                    source,
                }
            })?;
        if found.username.is_empty() && found.secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(Login {
            username: found.username,
            password: found.secret,
        }))
    }

    /// Hands `login` for `server` to the helper.
    pub fn store(&self, server: &str, login: &Login) -> Result<(), CredentialsError> {
        let payload = HelperCredentials {
            server_url: server.to_owned(),
            username: login.username.clone(),
            secret: login.password.clone(),
        };
        let json = serde_json::to_vec(&payload).expect("plain strings serialise");
        let output = self.call("store", &json)?;
        match output.status.success() {
            true => Ok(()),
            false => Err(self.failed("store", &output)),
        }
    }

    /// Makes the helper forget `server`; whether it held anything.
    pub fn erase(&self, server: &str) -> Result<bool, CredentialsError> {
        let output = self.call("erase", server.as_bytes())?;
        if output.status.success() {
            return Ok(true);
        }
        let text = String::from_utf8_lossy(&output.stdout);
        if text.contains(NOT_FOUND) {
            return Ok(false);
        }
        Err(self.failed("erase", &output))
    }

    /// Every server the helper holds a login for, with its user name.
    pub fn list(&self) -> Result<BTreeMap<String, String>, CredentialsError> {
        let output = self.call("list", b"")?;
        if !output.status.success() {
            return Err(self.failed("list", &output));
        }
        serde_json::from_slice(&output.stdout).map_err(|source| CredentialsError::HelperOutput {
            program: self.program(),
            source,
        })
    }

    fn call(&self, action: &str, input: &[u8]) -> Result<std::process::Output, CredentialsError> {
        let program = self.program();
        tracing::debug!(%program, action, "calling credential helper");
        let spawn_failed = |source| CredentialsError::HelperSpawn {
            program: program.clone(),
            source,
        };
        let mut child = Command::new(&program)
            .arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_failed)?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper may exit without reading; its answer says what happened.
            let _ = stdin.write_all(input);
        }
        child.wait_with_output().map_err(spawn_failed)
    }

    fn failed(&self, action: &'static str, output: &std::process::Output) -> CredentialsError {
        let mut message = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if message.is_empty() {
            message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        }
        CredentialsError::HelperFailed {
            program: self.program(),
            action,
            message,
        }
    }
}
