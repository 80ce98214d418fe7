//! Why a build failed.

use std::path::PathBuf;

/// The result of building.
pub type Result<T, E = BuildError> = std::result::Result<T, E>;

/// Why a build failed.
#[derive(thiserror::Error, Debug)]
pub enum BuildError {
    /// The Dockerfile could not be read.
    #[error("reading the Dockerfile `{}`", path.display())]
    ReadDockerfile {
        /// Where it was looked for.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },

    /// The Dockerfile does not parse: `Dockerfile:3: COPY: unknown flag: --fromm`.
    #[error("{file}:{}: {error}", error.line)]
    Parse {
        /// The Dockerfile's name as the user gave it.
        file: String,
        /// What is wrong, with the line and the instruction.
        error: Box<container_dockerfile::Error>,
    },

    /// No stage has the name `--target` gives.
    #[error("target stage `{name}` could not be found in {file}")]
    NoTarget {
        /// The Dockerfile.
        file: String,
        /// The name asked for.
        name: String,
    },

    /// A step of the Dockerfile failed.
    #[error("{file}:{line}: {instruction}")]
    Step {
        /// The Dockerfile.
        file: String,
        /// The 1-based line of the instruction.
        line: usize,
        /// The instruction, as written (shortened).
        instruction: String,
        /// What went wrong.
        #[source]
        source: Box<StepError>,
    },

    /// The build context could not be read.
    #[error("reading the build context at `{}`", path.display())]
    Context {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// The context tar on stdin could not be extracted.
    #[error("extracting the build context from stdin")]
    ContextTar {
        /// Why.
        #[source]
        source: container_layer::LayerError,
    },

    /// A file could not be written into an image's filesystem.
    #[error("writing `{path}`")]
    Write {
        /// The path inside the image.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// The store failed.
    #[error(transparent)]
    Store(#[from] container_store::StoreError),

    /// The runtime failed.
    #[error(transparent)]
    Runtime(#[from] container_runtime::RuntimeError),

    /// The result could not be exported (`--output`).
    #[error("exporting the image to `{}`", dest.display())]
    Export {
        /// The destination.
        dest: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// A `--secret`, `--build-arg` or `--output` value is malformed.
    #[error("invalid {option} `{value}`: {reason}")]
    InvalidOption {
        /// The flag.
        option: &'static str,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// What went wrong in one step.
#[derive(thiserror::Error, Debug)]
pub enum StepError {
    /// COPY or ADD named sources that match nothing.
    #[error("no source files were specified")]
    NoSources,

    /// A source without wildcards is not in the context.
    #[error("`{path}` not found: it is not in the build context, or .dockerignore excludes it")]
    SourceNotFound {
        /// The source as written.
        path: String,
    },

    /// A source of `--from` does not exist in that image.
    #[error("`{path}` not found in `{from}`")]
    SourceNotInImage {
        /// The source.
        path: String,
        /// The stage or image.
        from: String,
    },

    /// Several sources, and a destination that is not a directory.
    #[error(
        "When using {keyword} with more than one source file, the destination must be a directory and end with a /"
    )]
    DestinationNotDirectory {
        /// COPY or ADD.
        keyword: &'static str,
    },

    /// COPY was given a URL.
    #[error("source can't be a URL for COPY")]
    UrlInCopy,

    /// A URL source could not be downloaded.
    #[error("downloading `{url}`: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },

    /// The RUN command exited non-zero.
    #[error(
        "the command `{command}` returned a non-zero code: {code}{}",
        tail_text(output)
    )]
    RunFailed {
        /// The command as run.
        command: String,
        /// Its exit code.
        code: i32,
        /// The last lines it printed.
        output: Vec<String>,
    },

    /// `--chown` names a user or group the image does not have.
    #[error("unable to find {what} `{name}` in the image's /etc/{file}")]
    UnknownOwner {
        /// user or group.
        what: &'static str,
        /// The name.
        name: String,
        /// passwd or group.
        file: &'static str,
    },

    /// `--chmod` is not an octal mode.
    #[error("invalid --chmod `{value}`: only octal modes such as 0755 are supported")]
    InvalidChmod {
        /// The value.
        value: String,
    },

    /// `--from`, or `--mount from=`, names a stage that comes later or itself.
    #[error("`{name}` refers to this stage or a later one")]
    StageOrder {
        /// The name.
        name: String,
    },

    /// A `RUN --mount=type=secret` names a secret that `--secret` did not give.
    #[error("secret `{id}` was not given (use `--secret id={id},src=FILE`)")]
    MissingSecret {
        /// The secret's ID.
        id: String,
    },

    /// The base image could not be found or pulled.
    #[error("resolving the base image `{name}`")]
    BaseImage {
        /// The image.
        name: String,
        /// Why.
        #[source]
        source: container_store::StoreError,
    },

    /// A variable could not be expanded, or an ONBUILD trigger does not parse.
    #[error(transparent)]
    Dockerfile(#[from] container_dockerfile::Error),

    /// A feature this builder lacks.
    #[error("{what} is not supported")]
    Unsupported {
        /// What.
        what: String,
    },

    /// Anything else.
    #[error(transparent)]
    Build(#[from] BuildError),
}

fn tail_text(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    format!("; its last lines of output:\n{}", lines.join("\n"))
}

impl From<container_store::StoreError> for StepError {
    fn from(error: container_store::StoreError) -> StepError {
        StepError::Build(BuildError::Store(error))
    }
}

impl From<container_runtime::RuntimeError> for StepError {
    fn from(error: container_runtime::RuntimeError) -> StepError {
        StepError::Build(BuildError::Runtime(error))
    }
}
