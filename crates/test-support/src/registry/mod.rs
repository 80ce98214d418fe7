//! A real registry (Debian's `docker-registry`, distribution 2.8) on a free loopback port
//! with its own storage in a tempdir; killed and removed on Drop.

mod config;
mod process;

use std::fs;
use std::process::{Child, Command};

use tempfile::TempDir;

use crate::fixtures::{ensure_tools, fixture_layout};
use crate::token::{TokenIssuer, TokenRequest};
use config::AuthConfig;
use process::NotReady;

const PORT_ATTEMPTS: usize = 5;

/// A running registry. Its log (warnings and the access log) is in its tempdir.
pub struct Registry {
    ca_pem: Option<String>,
    child: Child,
    addr: String,
    creds: Option<(String, String)>,
    issuer: Option<TokenIssuer>,
    dir: TempDir,
}

impl Registry {
    /// Open registry (no auth).
    pub fn start() -> Registry {
        launch(new_dir(), AuthConfig::None, None, None)
    }

    /// Basic-auth registry (bcrypt htpasswd) with one user/password.
    pub fn start_basic(user: &str, password: &str) -> Registry {
        let dir = new_dir();
        let htpasswd = dir.path().join("htpasswd");
        let hash = bcrypt::hash(password, 4).expect("bcrypt hash");
        fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("write htpasswd");
        let creds = Some((user.to_string(), password.to_string()));
        launch(dir, AuthConfig::Htpasswd(htpasswd), creds, None)
    }

    /// Open registry serving HTTPS with a certificate for `127.0.0.1` from a CA of its
    /// own; [`Registry::ca_pem`] gives that CA.
    pub fn start_tls() -> Registry {
        let dir = new_dir();
        let (tls, ca_pem) = write_tls_material(dir.path());
        let mut registry = launch_with(dir, AuthConfig::None, None, None, Some(tls));
        registry.ca_pem = Some(ca_pem);
        registry
    }

    /// The CA that signed an HTTPS registry's certificate, PEM.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Registry in distribution's `token` auth mode, with a token issuer beside it that
    /// knows one user/password (see [`TokenRequest`] for what it records).
    pub fn start_token(user: &str, password: &str) -> Registry {
        let dir = new_dir();
        let issuer = TokenIssuer::start(user, password);
        let cert = dir.path().join("token-cert.pem");
        fs::write(&cert, issuer.cert_pem()).expect("write the token root certificate");
        let auth = AuthConfig::Token {
            realm: issuer.realm(),
            cert,
        };
        let creds = Some((user.to_string(), password.to_string()));
        launch(dir, auth, creds, Some(issuer))
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> String {
        self.addr.clone()
    }

    /// The token issuer's realm (`http://127.0.0.1:PORT/token`), in token mode.
    pub fn token_realm(&self) -> Option<String> {
        self.issuer.as_ref().map(TokenIssuer::realm)
    }

    /// Copies fixture image `layout_ref` (e.g. `busybox-1.35`) to `repo:tag` here with
    /// `skopeo copy --all --preserve-digests`: the registry serves the fixture's digests
    /// (see [`crate::fixture_digest`]). Token requests skopeo makes are not recorded.
    pub fn load(&self, layout_ref: &str, repo_tag: &str) {
        self.skopeo_copy(layout_ref, repo_tag, &["--all", "--preserve-digests"]);
    }

    /// Like [`Registry::load`] but converted with `skopeo copy --format FORMAT` (`v2s2` for
    /// Docker schema 2 manifests, `oci`): digests change.
    pub fn load_as(&self, layout_ref: &str, repo_tag: &str, format: &str) {
        self.skopeo_copy(layout_ref, repo_tag, &["--format", format]);
    }

    /// Token mode only: the token requests the issuer has received, oldest first.
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.issuer().requests()
    }

    /// Token mode only: forgets the requests received so far.
    pub fn clear_token_requests(&self) {
        self.issuer().truncate_requests(0);
    }

    /// The registry's log so far (warnings, errors and the access log).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn issuer(&self) -> &TokenIssuer {
        self.issuer
            .as_ref()
            .expect("token requests exist only for Registry::start_token")
    }

    fn skopeo_copy(&self, layout_ref: &str, repo_tag: &str, options: &[&str]) {
        let seen = self.issuer.as_ref().map(|issuer| issuer.requests().len());
        let mut cmd = Command::new("skopeo");
        cmd.args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"])
            .args(options);
        if let Some((user, password)) = &self.creds {
            cmd.arg("--dest-creds").arg(format!("{user}:{password}"));
        }
        cmd.arg(format!("oci:{}:{layout_ref}", fixture_layout().display()));
        cmd.arg(format!("docker://{}/{repo_tag}", self.addr));
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run skopeo: {e}"));
        assert!(
            out.status.success(),
            "skopeo copy {layout_ref} -> {}/{repo_tag} failed:\n{}\nregistry log:\n{}",
            self.addr,
            String::from_utf8_lossy(&out.stderr),
            process::log_tail(&self.dir.path().join("registry.log"))
        );
        if let (Some(issuer), Some(seen)) = (&self.issuer, seen) {
            issuer.truncate_requests(seen);
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        process::stop(&mut self.child);
    }
}

fn new_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("test-registry-")
        .tempdir()
        .expect("registry tempdir")
}

fn launch(
    dir: TempDir,
    auth: AuthConfig,
    creds: Option<(String, String)>,
    issuer: Option<TokenIssuer>,
) -> Registry {
    launch_with(dir, auth, creds, issuer, None)
}

/// A CA, and a certificate it signed for `127.0.0.1` and `localhost`, written beside the
/// registry's config; returns the registry's TLS settings and the CA's PEM.
fn write_tls_material(dir: &std::path::Path) -> (config::Tls, String) {
    let ca_key = rcgen::KeyPair::generate().expect("generate the CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::new()).expect("CA parameters");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "container test CA");
    let ca = ca_params.self_signed(&ca_key).expect("self-sign the CA");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let key = rcgen::KeyPair::generate().expect("generate the server key");
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let params = rcgen::CertificateParams::new(names).expect("server parameters");
    let cert = params
        .signed_by(&key, &issuer)
        .expect("sign the server certificate");

    let tls = config::Tls {
        certificate: dir.join("server.crt"),
        key: dir.join("server.key"),
    };
    fs::write(&tls.certificate, cert.pem()).expect("write the server certificate");
    fs::write(&tls.key, key.serialize_pem()).expect("write the server key");
    (tls, ca.pem())
}

/// Writes the config and starts the registry on a free port, retrying if the port was
/// taken meanwhile.
fn launch_with(
    dir: TempDir,
    auth: AuthConfig,
    creds: Option<(String, String)>,
    issuer: Option<TokenIssuer>,
    tls: Option<config::Tls>,
) -> Registry {
    ensure_tools();
    let (config, log) = (
        dir.path().join("config.yml"),
        dir.path().join("registry.log"),
    );
    for _ in 0..PORT_ATTEMPTS {
        let port = crate::port::free_port();
        let yaml = config::config_yaml(port, &dir.path().join("storage"), &auth, tls.as_ref());
        fs::write(&config, yaml).expect("write registry config.yml");
        let mut child = process::spawn(&config, &log);
        let addr = format!("127.0.0.1:{port}");
        match process::wait_ready(&mut child, &addr, &log) {
            Ok(()) => {
                return Registry {
                    ca_pem: None,
                    child,
                    addr,
                    creds,
                    issuer,
                    dir,
                };
            }
            Err(NotReady::Exited { port_taken: true }) => continue,
            Err(reason) => {
                process::stop(&mut child);
                let why = match reason {
                    NotReady::TimedOut => "did not answer GET /v2/ in time",
                    NotReady::Exited { .. } => "exited",
                };
                panic!(
                    "docker-registry on {addr} {why}; log:\n{}",
                    process::log_tail(&log)
                );
            }
        }
    }
    panic!("docker-registry found no free port in {PORT_ATTEMPTS} attempts");
}
