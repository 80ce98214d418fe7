//! Test harness for the `container` integration tests (`crates/cli/tests/`).
//!
//! - [`fixture_layout`] (and [`fixture_layout_with_debian`]): the OCI layout of test images
//!   built by `fixtures/build-images.sh`; [`fixture_digest`] reads a ref's digest from it.
//! - [`Registry`]: a real `docker-registry` (distribution 2.8) on loopback, open, with
//!   basic auth, or in `token` mode with a token issuer beside it.
//! - [`TestEnv`] and [`run`]: a scratch store root and home per test, and the binary's
//!   output captured for assertions.
//! - [`FlakyProxy`]: a proxy in front of a registry that answers 503 once and cuts a
//!   blob download off, to test retries and resumes.
//! - [`http`]: a minimal HTTP/1.0 client to poke the registry and the token issuer.
//!
//! Everything started here is stopped and removed on `Drop`, also when a test panics.
//! Tools come from Debian packages (docker-registry, skopeo, umoci, jq, busybox-static);
//! the fixture script installs the missing ones when it runs as root.

mod containers;
mod env;
mod fixtures;
mod flaky;
pub mod http;
mod mounts;
pub mod network;
mod output;
mod port;
mod registry;
mod token;

pub use env::TestEnv;
pub use fixtures::{fixture_digest, fixture_layout, fixture_layout_with_debian};
pub use flaky::{FlakyProxy, ProxiedRequest};
pub use output::{DEFAULT_TIMEOUT, Output, run, run_with_timeout};
pub use registry::Registry;
pub use token::{TOKEN_ISSUER, TOKEN_SERVICE, TokenRequest};
