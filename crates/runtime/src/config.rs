//! Merging an image's run configuration with the user's flags, as Docker does.
//!
//! - Command (CASES C15): with `--entrypoint X` the argv is `X` plus the user's
//!   arguments, and the image CMD is dropped; `--entrypoint ""` clears the entrypoint
//!   too. Without it, the user's arguments replace the image CMD, after the image
//!   ENTRYPOINT.
//! - Environment: the user's variables (`--env-file` first, then `-e`, later ones
//!   winning), then the image's that the user did not set. The process also gets
//!   `PATH` (a default when neither sets it) and `HOSTNAME` first, and `HOME` from the
//!   user's passwd entry when unset, as Docker and runc give them.
//! - Working directory: `-w`, else the image's, else `/`; it must be absolute.
//! - User: `-u`, else the image's, else root. Labels: the image's, then the user's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuntimeError};

/// Docker's `PATH` for images that set none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The run configuration of an image, as its config JSON spells it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageRunConfig {
    /// ENTRYPOINT.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// CMD.
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    /// ENV, as `KEY=VALUE`.
    #[serde(default)]
    pub env: Option<Vec<String>>,
    /// WORKDIR.
    #[serde(default)]
    pub working_dir: Option<String>,
    /// USER.
    #[serde(default)]
    pub user: Option<String>,
    /// LABEL.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// STOPSIGNAL.
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// EXPOSE: `PORT/PROTO` keys.
    #[serde(default)]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
}

impl ImageRunConfig {
    /// Reads the `config` object of an image config (absent or null: all defaults).
    pub fn from_json(config: Option<&serde_json::Value>) -> ImageRunConfig {
        config
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default()
    }
}

/// What the user asked for, before merging.
#[derive(Debug, Clone, Default)]
pub struct UserConfig {
    /// The arguments after the image name.
    pub command: Vec<String>,
    /// `--entrypoint`: `Some("")` clears the image's.
    pub entrypoint: Option<String>,
    /// `KEY=VALUE` entries, already resolved ([`resolve_env`]).
    pub env: Vec<String>,
    /// `-w`.
    pub working_dir: Option<String>,
    /// `-u`.
    pub user: Option<String>,
    /// `--hostname`.
    pub hostname: Option<String>,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
    /// `--stop-signal`.
    pub stop_signal: Option<String>,
    /// `--expose` and `-p`: `PORT/PROTO` keys.
    pub expose: Vec<String>,
    /// `-i`.
    pub open_stdin: bool,
    /// `-t`.
    pub tty: bool,
}

/// The merged configuration a container runs with (Docker's `Config` in inspect).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerConfig {
    /// The image as the user typed it.
    pub image: String,
    /// The entrypoint, if any.
    pub entrypoint: Option<Vec<String>>,
    /// The command (arguments after the entrypoint), if any.
    pub cmd: Option<Vec<String>>,
    /// `KEY=VALUE` entries: the user's, then the image's.
    pub env: Vec<String>,
    /// Where the process starts (empty: `/`).
    pub working_dir: String,
    /// `user[:group]`, names or numbers (empty: root).
    pub user: String,
    /// The container's hostname.
    pub hostname: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The signal `stop` sends first.
    pub stop_signal: Option<String>,
    /// The ports the image and the user expose (`8000/tcp`), published or not,
    /// by port and protocol.
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    /// Whether stdin stays open for attached clients.
    pub open_stdin: bool,
    /// Whether the process gets a terminal.
    pub tty: bool,
}

impl ContainerConfig {
    /// The process's argv: entrypoint, then command.
    pub fn argv(&self) -> Vec<String> {
        let entrypoint = self.entrypoint.iter().flatten();
        entrypoint
            .chain(self.cmd.iter().flatten())
            .cloned()
            .collect()
    }

    /// The environment the process starts with (see the module docs); `home` is the
    /// user's home directory from passwd.
    pub fn process_env(&self, home: &str) -> Vec<String> {
        let mut env = vec![
            format!("PATH={DEFAULT_PATH}"),
            format!("HOSTNAME={}", self.hostname),
        ];
        if self.tty {
            env.push("TERM=xterm".into());
        }
        replace_or_append(&mut env, &self.env);
        if !env.iter().any(|e| key_of(e) == "HOME") {
            env.push(format!("HOME={home}"));
        }
        env
    }
}

/// Merges the image's run configuration with the user's flags. `hostname` is used
/// when the user gave none (the short ID).
pub fn merge(
    image_name: &str,
    image: &ImageRunConfig,
    user: &UserConfig,
    hostname: &str,
) -> Result<ContainerConfig> {
    let (entrypoint, cmd) = merge_command(image, user);
    let working_dir = merge_working_dir(image, user)?;
    let mut labels = image.labels.clone().unwrap_or_default();
    labels.extend(user.labels.clone());
    let config = ContainerConfig {
        image: image_name.to_owned(),
        entrypoint,
        cmd,
        env: merge_env(image.env.as_deref().unwrap_or_default(), &user.env),
        working_dir,
        user: user.user.clone().or(image.user.clone()).unwrap_or_default(),
        hostname: user.hostname.clone().unwrap_or_else(|| hostname.to_owned()),
        labels,
        stop_signal: user.stop_signal.clone().or(image.stop_signal.clone()),
        exposed_ports: merge_exposed(image, user),
        open_stdin: user.open_stdin,
        tty: user.tty,
    };
    if config.argv().is_empty() {
        return Err(RuntimeError::NoCommand);
    }
    Ok(config)
}

/// The image's EXPOSE keys and the user's, each once, by port and protocol.
fn merge_exposed(image: &ImageRunConfig, user: &UserConfig) -> Vec<String> {
    let image_keys = image.exposed_ports.iter().flat_map(|ports| ports.keys());
    let mut keys: Vec<(u16, container_net::Protocol)> = image_keys
        .chain(&user.expose)
        .filter_map(|key| container_net::publish::parse_exposed(key))
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|(port, protocol)| format!("{port}/{}", protocol.as_str()))
        .collect()
}

type Command = (Option<Vec<String>>, Option<Vec<String>>);

fn merge_command(image: &ImageRunConfig, user: &UserConfig) -> Command {
    let user_cmd = (!user.command.is_empty()).then(|| user.command.clone());
    match user.entrypoint.as_deref() {
        Some("") => (None, user_cmd),
        Some(entrypoint) => (Some(vec![entrypoint.to_owned()]), user_cmd),
        None => {
            let entrypoint = image.entrypoint.clone().filter(|e| !e.is_empty());
            (entrypoint, user_cmd.or_else(|| image.cmd.clone()))
        }
    }
}

fn merge_working_dir(image: &ImageRunConfig, user: &UserConfig) -> Result<String> {
    let Some(dir) = user.working_dir.clone().or(image.working_dir.clone()) else {
        return Ok(String::new());
    };
    if dir.is_empty() {
        return Ok(dir);
    }
    if !dir.starts_with('/') {
        return Err(RuntimeError::InvalidOption {
            option: "--workdir",
            value: dir,
            reason: "the working directory must be an absolute path".into(),
        });
    }
    Ok(dir)
}

/// The user's entries, then the image's whose key the user did not set.
fn merge_env(image: &[String], user: &[String]) -> Vec<String> {
    let mut env = user.to_vec();
    for entry in image {
        if !user.iter().any(|u| key_of(u) == key_of(entry)) {
            env.push(entry.clone());
        }
    }
    env
}

/// Replaces entries of `env` whose key is set in `overrides`, in place, and appends
/// the others.
pub(crate) fn replace_or_append(env: &mut Vec<String>, overrides: &[String]) {
    for entry in overrides {
        match env.iter_mut().find(|e| key_of(e) == key_of(entry)) {
            Some(slot) => *slot = entry.clone(),
            None => env.push(entry.clone()),
        }
    }
}

fn key_of(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(key, _)| key)
}

/// Resolves `-e` values: `KEY=VALUE` stays, a bare `KEY` takes `lookup(KEY)` (the
/// host's value) and is dropped when the host has none, as Docker does.
pub fn resolve_env(
    entries: &[String],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>> {
    let mut env = Vec::new();
    for entry in entries {
        if entry.is_empty() || entry.starts_with('=') {
            return Err(RuntimeError::InvalidOption {
                option: "--env",
                value: entry.clone(),
                reason: "variable name is empty".into(),
            });
        }
        match entry.contains('=') {
            true => env.push(entry.clone()),
            false => env.extend(lookup(entry).map(|value| format!("{entry}={value}"))),
        }
    }
    Ok(env)
}

/// The entries of an `--env-file`: one `KEY=VALUE` or `KEY` per line; blank lines and
/// lines starting with `#` are skipped; values are taken verbatim (no quotes removed).
/// A name with white space in it (`export A=1`, `A =1`) is an error, as in Docker.
pub fn parse_env_file(text: &str) -> Result<Vec<String>> {
    text.lines()
        .map(|line| line.trim_start())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, value) = match line.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (line.trim_end(), None),
            };
            if key.contains(char::is_whitespace) {
                return Err(RuntimeError::InvalidOption {
                    option: "--env-file",
                    value: line.to_owned(),
                    reason: format!("variable '{key}' contains whitespaces"),
                });
            }
            Ok(match value {
                Some(value) => format!("{key}={value}"),
                None => key.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn image(entrypoint: Option<&[&str]>, cmd: Option<&[&str]>) -> ImageRunConfig {
        ImageRunConfig {
            entrypoint: entrypoint.map(strings),
            cmd: cmd.map(strings),
            ..Default::default()
        }
    }

    fn argv(image: &ImageRunConfig, entrypoint: Option<&str>, command: &[&str]) -> Vec<String> {
        let user = UserConfig {
            command: strings(command),
            entrypoint: entrypoint.map(str::to_owned),
            ..Default::default()
        };
        merge("img", image, &user, "host")
            .map(|c| c.argv())
            .unwrap_or_default()
    }

    #[test]
    fn entrypoint_and_cmd_merge_as_in_c15() {
        let base = image(None, Some(&["echo", "base"]));
        assert_eq!(argv(&base, None, &[]), ["echo", "base"]);
        assert_eq!(argv(&base, None, &["echo", "hi"]), ["echo", "hi"]);
        assert_eq!(argv(&base, Some("/bin/ls"), &[]), ["/bin/ls"]);
        assert_eq!(argv(&base, Some("/bin/ls"), &["-l"]), ["/bin/ls", "-l"]);

        let shell_form = image(Some(&["/bin/sh", "-c", "echo hi"]), None);
        assert_eq!(
            argv(&shell_form, None, &["extra"]),
            ["/bin/sh", "-c", "echo hi", "extra"]
        );
        let both = image(Some(&["/entry.sh"]), Some(&["x"]));
        assert_eq!(argv(&both, None, &[]), ["/entry.sh", "x"]);
        assert_eq!(argv(&both, Some(""), &["sh"]), ["sh"]);
    }

    #[test]
    fn no_command_at_all_is_an_error() {
        let user = UserConfig {
            entrypoint: Some(String::new()),
            ..Default::default()
        };
        let base = image(None, Some(&["sh"]));
        assert!(matches!(
            merge("img", &base, &user, "h"),
            Err(RuntimeError::NoCommand)
        ));
    }

    #[test]
    fn environment_merges_like_dockers() {
        let image = ImageRunConfig {
            env: Some(strings(&["PATH=/img/bin", "A=image", "B=image"])),
            cmd: Some(strings(&["sh"])),
            ..Default::default()
        };
        let user = UserConfig {
            env: strings(&["B=user", "C=user"]),
            ..Default::default()
        };
        let config = merge("img", &image, &user, "abc").unwrap();
        assert_eq!(config.env, ["B=user", "C=user", "PATH=/img/bin", "A=image"]);
        assert_eq!(
            config.process_env("/root"),
            [
                "PATH=/img/bin",
                "HOSTNAME=abc",
                "B=user",
                "C=user",
                "A=image",
                "HOME=/root"
            ]
        );
    }

    #[test]
    fn default_path_and_home_fill_gaps() {
        let config = ContainerConfig {
            hostname: "h".into(),
            env: strings(&["HOME=/mine"]),
            tty: true,
            ..Default::default()
        };
        assert_eq!(
            config.process_env("/root"),
            [
                format!("PATH={DEFAULT_PATH}"),
                "HOSTNAME=h".into(),
                "TERM=xterm".into(),
                "HOME=/mine".into()
            ]
        );
    }

    #[test]
    fn bare_keys_take_the_host_value_or_vanish() {
        let lookup = |key: &str| (key == "SET").then(|| "v".to_owned());
        let env = resolve_env(&strings(&["SET", "UNSET", "X=1", "Y="]), lookup).unwrap();
        assert_eq!(env, ["SET=v", "X=1", "Y="]);
        assert!(resolve_env(&strings(&["=x"]), lookup).is_err());
    }

    #[test]
    fn env_files_skip_comments_and_keep_values_verbatim() {
        let text = "# comment\n\nA=1\n  B= \"two words\"\nHOSTVAR\n";
        assert_eq!(
            parse_env_file(text).unwrap(),
            ["A=1", "B= \"two words\"", "HOSTVAR"]
        );
        assert!(parse_env_file("export C=3\n").is_err());
        assert!(parse_env_file("D =4\n").is_err());
    }

    #[test]
    fn working_dir_must_be_absolute() {
        let image = image(None, Some(&["sh"]));
        let user = |dir: &str| UserConfig {
            working_dir: Some(dir.into()),
            ..Default::default()
        };
        assert_eq!(
            merge("i", &image, &user("/w"), "h").unwrap().working_dir,
            "/w"
        );
        assert!(merge("i", &image, &user("rel"), "h").is_err());
    }

    #[test]
    fn user_flags_override_the_image() {
        let image = ImageRunConfig {
            cmd: Some(strings(&["sh"])),
            user: Some("daemon".into()),
            labels: Some([("a".into(), "image".into()), ("b".into(), "image".into())].into()),
            stop_signal: Some("SIGQUIT".into()),
            ..Default::default()
        };
        let user = UserConfig {
            user: Some("nobody".into()),
            labels: [("b".into(), "user".into())].into(),
            hostname: Some("box".into()),
            ..Default::default()
        };
        let config = merge("i", &image, &user, "abc").unwrap();
        assert_eq!(config.user, "nobody");
        assert_eq!(config.hostname, "box");
        assert_eq!(config.labels["a"], "image");
        assert_eq!(config.labels["b"], "user");
        assert_eq!(config.stop_signal.as_deref(), Some("SIGQUIT"));
    }
}
