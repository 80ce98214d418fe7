//! What to do next, for the errors where we know. Chosen by error type, never by text.

use container_reference::ReferenceError;
use container_registry::RegistryError;
use container_store::StoreError;

const REFERENCE_HINT: &str = "image names look like `alpine`, `alpine:3.20`, `user/app:1.0` \
     or `registry.example.com:5000/team/app@sha256:…`";

/// A hint for the first error in the chain that has one.
pub fn for_error(error: &anyhow::Error) -> Option<String> {
    for cause in error.chain() {
        if let Some(store) = cause.downcast_ref::<StoreError>()
            && let Some(hint) = for_store(store)
        {
            return Some(hint);
        }
        if let Some(registry) = cause.downcast_ref::<RegistryError>() {
            return for_registry(registry);
        }
        if cause.downcast_ref::<ReferenceError>().is_some() {
            return Some(REFERENCE_HINT.into());
        }
    }
    None
}

fn for_store(error: &StoreError) -> Option<String> {
    match error {
        StoreError::Registry(registry) => for_registry(registry),
        StoreError::Reference(_) => Some(REFERENCE_HINT.into()),
        StoreError::ImageNotFound { .. } => Some(
            "`container images` lists the images here; `container pull NAME` fetches one".into(),
        ),
        StoreError::AmbiguousId { .. } => {
            Some("type more characters of the ID, or use a name".into())
        }
        StoreError::ImageHasTags { .. } => {
            Some("remove it by tag, or add `--force` to remove every tag".into())
        }
        StoreError::NoMatchingPlatform { .. } => {
            Some("choose one with `--platform os/arch[/variant]`".into())
        }
        StoreError::Version { .. } => {
            Some("use the release that wrote this store, or another `--root`".into())
        }
        _ if error.is_disk_full() => {
            Some("the disk is full: free space, or `container image prune -a`".into())
        }
        _ => None,
    }
}

fn for_registry(error: &RegistryError) -> Option<String> {
    let hint = match error {
        RegistryError::Unauthorized { host, .. } => {
            return Some(format!("log in first: `container login {host}`"));
        }
        RegistryError::LoginRefused { .. } => {
            "check the user name and password; nothing was stored"
        }
        RegistryError::NotFound { .. } => {
            "check the image name and tag; for a private image, `container login REGISTRY` first"
        }
        RegistryError::Denied { .. } | RegistryError::TokenRefused { .. } => {
            "check your credentials with `container login REGISTRY`"
        }
        RegistryError::Unreachable { .. } => {
            "check the registry address and your network; proxies come from HTTPS_PROXY and NO_PROXY"
        }
        RegistryError::Tls { .. } => {
            "put the registry's CA certificate in /etc/container/certs.d/HOST/ca.crt, \
             or pass `--tls-verify=false` if you trust the network"
        }
        RegistryError::PlainHttp { .. } => {
            "if the registry serves plain HTTP, mark it insecure in /etc/container/config.toml"
        }
        RegistryError::Schema1 { .. } => {
            "push the image again with a current tool; schema 1 was retired in 2019"
        }
        _ => return None,
    };
    Some(hint.into())
}
