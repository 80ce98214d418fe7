//! Test harness for the `container` integration tests (`crates/cli/tests/`).
//!
//! - [`fixture_layout`]: the OCI layout of test images built by `fixtures/build-images.sh`.
//! - [`Registry`]: a real `docker-registry` (distribution 2.8) on loopback, open, with
//!   basic auth, or in `token` mode with a token issuer beside it.
//! - [`TestEnv`] and [`run`]: a scratch store root and home per test, and the binary's
//!   output captured for assertions.
//!
//! Everything started here is stopped and removed on `Drop`, also when a test panics.
//! Tools come from Debian packages (docker-registry, skopeo, umoci, jq, busybox-static);
//! the fixture script installs the missing ones when it runs as root.

mod env;
mod fixtures;
pub mod http;
mod mounts;
mod output;
mod port;
mod registry;
mod token;

pub use env::TestEnv;
pub use fixtures::{fixture_digest, fixture_layout, fixture_layout_with_debian};
pub use output::{DEFAULT_TIMEOUT, Output, run, run_with_timeout};
pub use registry::Registry;
pub use token::{TOKEN_ISSUER, TOKEN_SERVICE, TokenRequest};
