//! Image references as Docker reads, normalises and shows them.
//!
//! The grammar and the defaults follow Docker's own library,
//! [distribution/reference](https://github.com/distribution/reference):
//!
//! ```text
//! reference := name [":" tag] ["@" digest]
//! name      := [domain "/"] path
//! ```
//!
//! # How short names are defaulted
//!
//! - The text before the first `/` is a registry domain only if it holds a
//!   `.` or a `:`, is exactly `localhost`, or holds an uppercase letter.
//!   Otherwise it is a Docker Hub namespace, so `myregistry/app` means
//!   `docker.io/myregistry/app`.
//! - A name without a domain belongs to `docker.io`; `index.docker.io`, an
//!   old alias, becomes `docker.io` too.
//! - On Docker Hub, a path of one component gets the `library/` namespace of
//!   official images: `alpine` is `docker.io/library/alpine`.
//! - Only a `:` after the last `/` starts a tag, so in
//!   `localhost:5000/redis` the `5000` is a port.
//! - A name with neither tag nor digest gets `latest` when it is pulled or
//!   run ([`Reference::parse_with_default_tag`]); [`Reference::parse`]
//!   leaves it out.
//! - The familiar form ([`Reference::familiar`]) undoes the Hub defaults for
//!   display: `docker.io/library/alpine:latest` shows as `alpine:latest`.
//!
//! # Names and image IDs
//!
//! 64 lowercase hex characters, with or without `sha256:`, name an image by
//! ID and are never a repository name; [`parse_any`] tells the two apart.
//!
//! # Plain HTTP
//!
//! Registries are reached over HTTPS. Plain HTTP is allowed, without being
//! asked for, only for a registry on this machine ([`Reference::is_loopback`]),
//! which Docker treats as an insecure registry by default.

#![warn(missing_docs)]

mod any;
mod digest;
mod error;
mod grammar;
mod reference;

pub(crate) use any::is_image_id;
pub use any::{AnyReference, is_hex_prefix, parse_any};
pub use digest::Digest;
pub use error::ReferenceError;
pub use reference::{DEFAULT_DOMAIN, DEFAULT_TAG, Reference};
