//! Building images from a Dockerfile, on the store and the runtime, with a cache.
//!
//! [`build`] parses the Dockerfile (`container-dockerfile`), picks the stages the
//! target needs and runs them — a stage as soon as the stages it reads from are
//! done, so independent stages run in parallel — and returns the image, which is
//! in the store like a pulled one. Tags are the caller's to set, once the build has
//! succeeded ([`container_store::Store::name_built`]).
//!
//! # Steps
//!
//! - FROM resolves `scratch`, an earlier stage, or an image (pulled when missing
//!   or with `pull`), and runs the base image's ONBUILD triggers first.
//! - RUN is a container on the current image ([`run`]); its upper directory is
//!   the layer. COPY, ADD and WORKDIR write through an overlay of the current image
//!   ([`mounted`]); `COPY --link` into an empty directory, so the layer does not
//!   depend on what is below.
//! - Everything else edits the config; every instruction adds a history entry,
//!   with `empty_layer` when it made no layer.
//!
//! Variables are expanded by BuildKit's rules, by `container-dockerfile`: the
//! plan ([`container_dockerfile::Dockerfile::plan`]) expands FROM with the ARGs
//! before the first FROM only, and each stage's
//! [`container_dockerfile::StageScope`] expands its instructions' words (ENV, ARG,
//! LABEL, EXPOSE, USER, VOLUME, WORKDIR, STOPSIGNAL, COPY and ADD, RUN's mounts;
//! CASES C09–C11) before they run. ENV beats ARG; ARG values and proxy build args
//! reach RUN's environment but never the image's `Env`.

//! # Cache
//!
//! Each step's key is a hash of its parent's key (at the start, the base image's
//! ID), the instruction after expansion, the build args in scope and, for COPY
//! and ADD, a hash of the content they read ([`context`]). A step whose key the
//! store has seen ([`container_store::Store::cached_step`]) costs a lookup; from
//! the first miss on, steps run. Config-only steps are folded into the next
//! committed image, so an unchanged rebuild writes nothing and gives the same
//! image ID.

#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod builder;
mod cancel;
pub mod context;
pub mod copy;
mod error;
pub mod export;
pub mod glob;
pub mod image_config;
pub mod inroot;
pub mod mounted;
pub mod run;
mod stage;
mod stage_from;
mod steps;
mod steps_files;
mod steps_run;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use container_dockerfile::BuildArgs;
use container_registry::platform::Platform;
use container_runtime::NetworkMode;
use container_store::RegistryAccess;

pub use builder::build;
pub use cancel::{interrupt, is_interrupted};
pub use error::{BuildError, Result, StepError};

/// What to build, and how.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The Dockerfile's name for messages (`Dockerfile`, `other.Dockerfile`, `-`).
    pub dockerfile_name: String,
    /// Its text.
    pub dockerfile: String,
    /// `--build-arg`s ([`BuildArgs::from_flags`]: a bare `NAME` takes the
    /// caller's environment, and is left out when that has none).
    pub build_args: BuildArgs,
    /// `--target`: the stage to build; the last one when `None`.
    pub target: Option<String>,
    /// `--no-cache`: run every step (their results still fill the cache).
    pub no_cache: bool,
    /// `--pull`: pull base images even when the store has them.
    pub pull: bool,
    /// `--label`s for the final image.
    pub labels: BTreeMap<String, String>,
    /// `--platform`; the host's when `None`.
    pub platform: Option<Platform>,
    /// The network of RUN steps that ask for the default one.
    pub network: NetworkMode,
    /// `--secret id=ID,src=FILE`: by ID.
    pub secrets: BTreeMap<String, PathBuf>,
    /// Registries, for pulling base images.
    pub access: RegistryAccess,
}

/// What a build reports as it goes.
#[derive(Debug, Clone)]
pub enum BuildEvent {
    /// A step starts (or, when cached, is done): `[stage 2/4] WORKDIR /app`.
    Step {
        /// The step's label: `2/4`, or `builder 2/4` in a multi-stage build.
        label: String,
        /// The instruction as written.
        text: String,
    },
    /// A step is done.
    Done {
        /// The step's label.
        label: String,
        /// Whether it came from the cache.
        is_cached: bool,
        /// How long it took.
        elapsed: Duration,
    },
    /// Output of a RUN step.
    Output {
        /// The step's label.
        label: String,
        /// The bytes, stdout and stderr alike.
        data: Vec<u8>,
    },
    /// Something the user should know, such as an unused build arg.
    Warning(String),
}

/// The result of a build.
#[derive(Debug, Clone)]
pub struct Built {
    /// The image of the target stage.
    pub image: container_store::Image,
}
