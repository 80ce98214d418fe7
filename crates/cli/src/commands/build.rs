//! `container build` (also `image build`, `builder build`) and `builder prune`.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use container_build::context::{Context as BuildContext, Filter};
use container_build::export::Output;
use container_build::{BuildEvent, BuildOptions};
use container_reference::Reference;
use container_registry::Platform;
use container_runtime::NetworkMode;

use crate::build_progress::BuildPrinter;
use crate::cli::ProgressMode;
use crate::context::Context;
use crate::output::human_size;

/// `container build`
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The build context: a directory, or `-` for a tar on stdin
    #[arg(value_name = "PATH | -")]
    pub context: String,
    /// Name and tag the image (`name:tag`); may be repeated
    #[arg(short, long = "tag", value_name = "NAME[:TAG]")]
    pub tags: Vec<String>,
    /// The Dockerfile (`PATH/Dockerfile` by default, else `PATH/Containerfile`); `-` reads it from stdin
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<String>,
    /// A build argument: `NAME=VALUE`, or `NAME` to take it from the environment
    #[arg(long = "build-arg", value_name = "NAME[=VALUE]")]
    pub build_args: Vec<String>,
    /// The stage to build
    #[arg(long)]
    pub target: Option<String>,
    /// Run every step instead of reusing the cache
    #[arg(long)]
    pub no_cache: bool,
    /// Pull base images even when they are in the store
    #[arg(long)]
    pub pull: bool,
    /// A label for the image: `KEY=VALUE`; may be repeated
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// The platform to build for: os/arch[/variant]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Write the image ID to this file
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,
    /// Print nothing but the image ID
    #[arg(short, long)]
    pub quiet: bool,
    /// How to show progress
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Also export the result: `type=local,dest=DIR`, `type=tar,dest=FILE` or `type=oci,dest=FILE`
    #[arg(short, long, value_name = "type=TYPE,dest=PATH")]
    pub output: Vec<String>,
    /// A secret for `RUN --mount=type=secret`: `id=ID,src=FILE`
    #[arg(long, value_name = "id=ID,src=FILE")]
    pub secret: Vec<String>,
    /// The network of RUN steps: `default` (the bridge, with NAT), `host` or `none`
    #[arg(long, value_name = "MODE", default_value = "default")]
    pub network: String,
    /// Verify registries' TLS certificates when pulling base images
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub tls_verify: bool,
}

/// `container builder …`
#[derive(Debug, Subcommand)]
pub enum BuilderCommand {
    /// Build an image from a Dockerfile
    Build(Box<BuildArgs>),
    /// Remove the build cache
    Prune(BuilderPruneArgs),
}

/// `container builder prune`
#[derive(Debug, Args)]
pub struct BuilderPruneArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Accepted for Docker's sake: the whole cache is removed either way
    #[arg(short, long)]
    pub all: bool,
}

pub fn builder(context: &Context, command: BuilderCommand) -> anyhow::Result<ExitCode> {
    match command {
        BuilderCommand::Build(args) => run(context, *args),
        BuilderCommand::Prune(args) => prune(context, args),
    }
}

pub fn prune(context: &Context, args: BuilderPruneArgs) -> anyhow::Result<ExitCode> {
    if !args.force && !super::confirm("This will remove all build cache.")? {
        writeln!(std::io::stdout(), "Total reclaimed space: 0B")?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = context.store()?;
    let (_, freed) = store.prune_build_cache()?;
    writeln!(
        std::io::stdout(),
        "Total reclaimed space: {}",
        human_size(freed)
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(context: &Context, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let tags = args
        .tags
        .iter()
        .map(|t| Reference::parse_with_default_tag(t).with_context(|| format!("invalid tag `{t}`")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let outputs = args
        .output
        .iter()
        .map(|o| Output::parse(o))
        .collect::<Result<Vec<_>, _>>()?;
    let runtime = context.containers()?;
    let store = runtime.store().clone();
    let (dockerfile_name, dockerfile, context_dir) = read_dockerfile(&args)?;
    let ignore = read_ignore(&context_dir, &dockerfile_name, args.file.as_deref());
    let build_context = open_context(&args, &context_dir, &store, &ignore)?;
    // From a context on stdin, the Dockerfile is one of its files.
    let dockerfile = match dockerfile {
        Some(text) => text,
        None => {
            let path = build_context.path(&dockerfile_name);
            std::fs::read_to_string(&path).with_context(|| {
                format!("reading the Dockerfile `{dockerfile_name}` in the context")
            })?
        }
    };
    let options = BuildOptions {
        dockerfile_name,
        dockerfile,
        // A bare name takes the environment's value, and is not passed without one (C11).
        build_args: container_dockerfile::BuildArgs::from_flags(&args.build_args, &|name| {
            std::env::var(name).ok()
        }),
        target: args.target.clone(),
        no_cache: args.no_cache,
        pull: args.pull,
        labels: labels(&args.labels)?,
        platform: args.platform.as_deref().map(Platform::parse).transpose()?,
        network: network(&args.network)?,
        secrets: secrets(&args.secret)?,
        access: context.registry_access(args.tls_verify)?,
    };
    cancel_on_interrupt();
    let mode = if args.quiet {
        ProgressMode::Quiet
    } else {
        args.progress
    };
    let printer = BuildPrinter::new(mode);
    let events = |event: BuildEvent| printer.show(event);
    let built = match container_build::build(&runtime, &build_context, &options, &events) {
        Ok(built) => built,
        // The interrupt's own thread cleans up and exits with 130.
        Err(_) if container_build::is_interrupted() => loop {
            std::thread::park();
        },
        Err(error) => {
            printer.finish();
            return Err(error.into());
        }
    };

    store.name_built(&built.image, &tags)?;
    for output in &outputs {
        container_build::export::export(&store, &built.image, output)?;
    }
    if let Some(path) = &args.iidfile {
        std::fs::write(path, &built.image.id)
            .with_context(|| format!("writing the image ID to `{}`", path.display()))?;
    }
    if args.quiet {
        writeln!(std::io::stdout(), "{}", built.image.id)?;
        return Ok(ExitCode::SUCCESS);
    }
    printer.line(&format!("Successfully built {}", built.image.short_id()));
    for tag in &tags {
        printer.line(&format!("Successfully tagged {}", tag.familiar()));
    }
    Ok(ExitCode::SUCCESS)
}

/// On Ctrl-C, the build's containers and mounts go before we exit, as Docker
/// cancels a build; no tag has moved.
fn cancel_on_interrupt() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(tokio) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    // Registered here, before the build starts, so that no Ctrl-C is missed.
    let interrupts = {
        let _entered = tokio.enter();
        signal(SignalKind::interrupt())
    };
    let Ok(mut interrupts) = interrupts else {
        return;
    };
    std::thread::spawn(move || {
        if tokio.block_on(interrupts.recv()).is_some() {
            container_build::interrupt();
            let _ = writeln!(std::io::stderr(), "error: the build was interrupted");
            std::process::exit(130);
        }
    });
}

/// The Dockerfile's name (relative to the context, or as given), its text when it
/// does not come from the context, and the context directory.
fn read_dockerfile(args: &BuildArgs) -> anyhow::Result<(String, Option<String>, PathBuf)> {
    let context_dir = PathBuf::from(&args.context);
    match args.file.as_deref() {
        Some("-") => {
            anyhow::ensure!(
                args.context != "-",
                "the Dockerfile and the context cannot both come from stdin"
            );
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the Dockerfile from stdin")?;
            Ok(("-".into(), Some(text), context_dir))
        }
        Some(file) if args.context != "-" => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading the Dockerfile `{file}`"))?;
            Ok((file.to_owned(), Some(text), context_dir))
        }
        Some(file) => Ok((file.to_owned(), None, context_dir)),
        None if args.context == "-" => Ok(("Dockerfile".into(), None, context_dir)),
        None => {
            let name = ["Dockerfile", "Containerfile"]
                .into_iter()
                .find(|n| context_dir.join(n).is_file())
                .unwrap_or("Dockerfile");
            let path = context_dir.join(name);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the Dockerfile `{}`", path.display()))?;
            Ok((name.to_owned(), Some(text), context_dir))
        }
    }
}

/// `.dockerignore` patterns: `NAME.dockerignore` beside the Dockerfile first, then
/// the context's.
fn read_ignore(context_dir: &Path, dockerfile_name: &str, file: Option<&str>) -> String {
    let dockerfile = match file {
        Some("-") => None,
        Some(file) => Some(PathBuf::from(file)),
        None => Some(context_dir.join(dockerfile_name)),
    };
    if let Some(dockerfile) = dockerfile {
        let path = dockerfile.display().to_string();
        let specific = container_dockerfile::ignore::file_for_dockerfile(&path);
        if let Ok(text) = std::fs::read_to_string(specific) {
            return text;
        }
    }
    std::fs::read_to_string(context_dir.join(".dockerignore")).unwrap_or_default()
}

fn open_context(
    args: &BuildArgs,
    context_dir: &Path,
    store: &container_store::Store,
    ignore: &str,
) -> anyhow::Result<BuildContext> {
    let matcher = container_dockerfile::ignore::Matcher::parse(ignore);
    let is_excluded = |path: &str| matcher.is_excluded(path);
    let may_skip_dir = |path: &str| matcher.may_skip_dir(path);
    let filter = Filter {
        is_excluded: &is_excluded,
        may_skip_dir: &may_skip_dir,
    };
    if args.context == "-" {
        let scratch = store.scratch_dir("context")?;
        let context = BuildContext::from_tar(std::io::stdin().lock(), &scratch, &filter);
        let _ = std::fs::remove_dir(&scratch);
        return Ok(context?);
    }
    Ok(BuildContext::from_dir(context_dir, &filter)?)
}

fn labels(values: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => Ok((v.clone(), String::new())),
        })
        .collect()
}

fn network(value: &str) -> anyhow::Result<NetworkMode> {
    match value {
        "default" | "bridge" => Ok(NetworkMode::Bridge),
        "host" => Ok(NetworkMode::Host),
        "none" => Ok(NetworkMode::None),
        other => {
            anyhow::bail!("invalid --network `{other}`: use `default`, `host`, `bridge` or `none`")
        }
    }
}

fn secrets(values: &[String]) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut secrets = BTreeMap::new();
    for value in values {
        let mut id = None;
        let mut source = None;
        for part in value.split(',') {
            match part.split_once('=') {
                Some(("id", v)) => id = Some(v.to_owned()),
                Some(("src" | "source", v)) => source = Some(PathBuf::from(v)),
                Some(("type", "file")) => {}
                _ => anyhow::bail!("invalid --secret `{value}`: use `id=ID,src=FILE`"),
            }
        }
        let id = id.with_context(|| format!("invalid --secret `{value}`: `id=` is missing"))?;
        let source = source.unwrap_or_else(|| PathBuf::from(&id));
        anyhow::ensure!(
            source.is_file(),
            "secret `{id}`: `{}` is not a file",
            source.display()
        );
        secrets.insert(id, std::fs::canonicalize(&source)?);
    }
    Ok(secrets)
}
