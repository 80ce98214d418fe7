//! distribution's `config.yml` for one test registry.

use std::path::{Path, PathBuf};

use crate::token::{TOKEN_ISSUER, TOKEN_SERVICE};

/// How the registry authenticates clients.
pub(super) enum AuthConfig {
    None,
    /// `htpasswd` file path.
    Htpasswd(PathBuf),
    /// Token mode ([`TOKEN_SERVICE`], [`TOKEN_ISSUER`]): realm URL, root certificate path.
    Token {
        realm: String,
        cert: PathBuf,
    },
}

/// A certificate and key the registry serves HTTPS with.
pub(super) struct Tls {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// The YAML for a registry on `127.0.0.1:port` storing under `storage`.
pub(super) fn config_yaml(
    port: u16,
    storage: &Path,
    auth: &AuthConfig,
    tls: Option<&Tls>,
) -> String {
    let mut yaml = format!(
        "version: 0.1\n\
         log:\n  level: warn\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: container-test-secret\n",
        storage = storage.display()
    );
    if let Some(tls) = tls {
        yaml.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            tls.certificate.display(),
            tls.key.display()
        ));
    }
    yaml.push_str(&auth_yaml(auth));
    yaml
}

fn auth_yaml(auth: &AuthConfig) -> String {
    match auth {
        AuthConfig::None => String::new(),
        AuthConfig::Htpasswd(path) => format!(
            "auth:\n  htpasswd:\n    realm: container-test-registry\n    path: {}\n",
            path.display()
        ),
        AuthConfig::Token { realm, cert } => format!(
            "auth:\n  token:\n    realm: {realm}\n    service: {TOKEN_SERVICE}\n    \
             issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
            cert.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_config_names_realm_service_issuer_and_bundle() {
        let cert = PathBuf::from("/tmp/x/cert.pem");
        let auth = AuthConfig::Token {
            realm: "http://r/token".into(),
            cert,
        };
        let yaml = config_yaml(5000, Path::new("/tmp/x/data"), &auth, None);
        assert!(yaml.contains("  addr: 127.0.0.1:5000\n"));
        assert!(yaml.contains("    rootdirectory: /tmp/x/data\n"));
        let token = format!("  token:\n    realm: http://r/token\n    service: {TOKEN_SERVICE}\n");
        assert!(yaml.contains(&token));
        assert!(yaml.contains("    rootcertbundle: /tmp/x/cert.pem\n"));
    }
}
