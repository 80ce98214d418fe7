//! `container login`, `logout` and `registry ls`: logins in Docker's `config.json`,
//! shared with Docker and Podman.

use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
use std::os::fd::AsFd as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use container_registry::config::DOCKER_HUB;
use container_registry::config_file::{erase_login, list_logins, store_login};
use container_registry::credentials::{DOCKER_HUB_AUTH_KEY, Login, server_key};
use container_registry::{Credentials, Endpoint, check_login};
use container_store::RegistryAccess;
use serde_json::json;

use crate::cli::{LoginArgs, LogoutArgs, RegistryCommand, RegistryLsArgs};
use crate::context::{Context, runtime};
use crate::output::{Format, Table};

pub fn registry(context: &Context, command: RegistryCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegistryCommand::Login(args) => login(context, args),
        RegistryCommand::Logout(args) => logout(args),
        RegistryCommand::Ls(args) => list(args),
    }
}

pub fn login(context: &Context, args: LoginArgs) -> anyhow::Result<ExitCode> {
    let server = args.server.clone().unwrap_or_else(|| DOCKER_HUB.to_owned());
    let key = server_key(&server);
    let path = config_path()?;
    let access = context.registry_access(args.tls_verify)?;
    let endpoint = endpoint_for(&access, &key);
    let runtime = runtime()?;
    let check = |login: &Login| {
        runtime
            .block_on(check_login(&endpoint, login, &access.options))
            .with_context(|| format!("logging in to {key}"))
    };

    let nothing_given = args.username.is_none() && args.password.is_none() && !args.password_stdin;
    let stored = Credentials::load(&path)?.for_registry(&key);
    if nothing_given && let Some(stored) = stored.filter(|l| !l.password.is_empty()) {
        eprintln!("Authenticating with existing credentials...");
        match check(&stored) {
            Ok(()) => {
                writeln!(std::io::stdout(), "Login Succeeded")?;
                return Ok(ExitCode::SUCCESS);
            }
            Err(error) => tracing::debug!(%error, "stored credentials no longer work"),
        }
    }

    let login = read_login(&args)?;
    check(&login)?;
    store_login(&path, &key, &login)
        .with_context(|| format!("storing the login for {key} in `{}`", path.display()))?;
    writeln!(std::io::stdout(), "Login Succeeded")?;
    Ok(ExitCode::SUCCESS)
}

pub fn logout(args: LogoutArgs) -> anyhow::Result<ExitCode> {
    let server = args.server.unwrap_or_else(|| DOCKER_HUB.to_owned());
    let key = server_key(&server);
    let path = config_path()?;
    let removed = erase_login(&path, &key)
        .with_context(|| format!("removing the login for {key} from `{}`", path.display()))?;
    let mut out = std::io::stdout().lock();
    match removed {
        true => writeln!(out, "Removing login credentials for {key}")?,
        false => writeln!(out, "Not logged in to {key}")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn list(args: RegistryLsArgs) -> anyhow::Result<ExitCode> {
    let path = config_path()?;
    let logins = list_logins(&path)?;
    let mut out = std::io::stdout().lock();
    if args.quiet {
        for login in &logins {
            writeln!(out, "{}", login.server)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    match Format::parse(args.format.as_deref())? {
        Format::Table => {
            let mut table = Table::new(vec!["HOSTNAME", "USERNAME", "STORE"]);
            for login in &logins {
                let store = login.helper.as_deref().unwrap_or("config.json");
                table.push(vec![
                    login.server.clone(),
                    login.username.clone(),
                    store.to_owned(),
                ]);
            }
            table.write(&mut out)?;
        }
        format => {
            let rows: Vec<_> = logins
                .iter()
                .map(|l| json!({"Hostname": l.server, "Username": l.username, "Store": l.helper}))
                .collect();
            format.write_rows(&mut out, &rows)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
fn config_path() -> anyhow::Result<PathBuf> {
    Credentials::default_path()
        .context("neither DOCKER_CONFIG nor HOME is set, so there is no config.json")
}

/// The registry itself (never a mirror) that `key` names.
fn endpoint_for(access: &RegistryAccess, key: &str) -> Endpoint {
    let domain = match key {
        DOCKER_HUB_AUTH_KEY => DOCKER_HUB,
        host => host,
    };
    let endpoints = access.config.endpoints(domain);
    let endpoint = endpoints.iter().find(|e| !e.is_mirror).cloned();
    endpoint.unwrap_or_else(|| Endpoint {
        host: domain.to_owned(),
        is_mirror: false,
        is_insecure: access.config.is_insecure(domain),
    })
}

/// The user name and password from the flags, stdin, or the terminal.
fn read_login(args: &LoginArgs) -> anyhow::Result<Login> {
    if args.password.is_some() && args.password_stdin {
        bail!("--password and --password-stdin are mutually exclusive");
    }
    if args.password_stdin {
        let Some(username) = args.username.clone() else {
            bail!("--password-stdin needs --username");
        };
        let mut password = String::new();
        std::io::stdin()
            .read_to_string(&mut password)
            .context("reading the password from stdin")?;
        let password = password.trim_end_matches(['\n', '\r']).to_owned();
        return checked(username, password);
    }
    if let Some(password) = args.password.clone() {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        let Some(username) = args.username.clone() else {
            bail!("--password needs --username");
        };
        return checked(username, password);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "cannot perform an interactive login from a non TTY device: \
             pass --password-stdin, or run on a terminal"
        );
    }
    let username = match args.username.clone() {
        Some(username) => username,
        None => prompt_line("Username: ")?,
    };
    let password = prompt_hidden("Password: ")?;
    checked(username, password)
}

fn checked(username: String, password: String) -> anyhow::Result<Login> {
    if username.trim().is_empty() {
        bail!("the user name is empty");
    }
    if password.is_empty() {
        bail!("the password is empty");
    }
    Ok(Login {
        username: username.trim().to_owned(),
        password,
    })
}

fn prompt_line(prompt: &str) -> anyhow::Result<String> {
    let mut stderr = std::io::stderr().lock();
    write!(stderr, "{prompt}")?;
    stderr.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Reads a line with the terminal's echo off, restored afterwards.
fn prompt_hidden(prompt: &str) -> anyhow::Result<String> {
    use rustix::termios::{self, LocalModes, OptionalActions};
    let stdin = std::io::stdin();
    let saved = termios::tcgetattr(stdin.as_fd()).context("reading the terminal's settings")?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    termios::tcsetattr(stdin.as_fd(), OptionalActions::Now, &quiet)?;
    let line = prompt_line(prompt);
    termios::tcsetattr(stdin.as_fd(), OptionalActions::Now, &saved)?;
    line
}
