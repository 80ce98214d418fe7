//! The command line: every command, flag and alias. The doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A fast, daemonless container tool: pull, build and run OCI images.
#[derive(Debug, Parser)]
#[command(
    name = "container",
    version,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Store root: images, layers and containers live under it
    #[arg(long, global = true, env = "CONTAINER_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Configuration file (mirrors, insecure registries)
    #[arg(long, global = true, env = "CONTAINER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Show debug logs (-vv for trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands. Docker's spellings, with Apple's as aliases.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download an image from a registry
    Pull(PullArgs),
    /// List images
    Images(ImagesArgs),
    /// Show low-level information about images, as JSON
    Inspect(InspectArgs),
    /// Give an image another name
    Tag(TagArgs),
    /// Remove images
    Rmi(RmiArgs),
    /// Show how an image was made
    History(HistoryArgs),
    /// Manage images
    #[command(subcommand, visible_alias = "i")]
    Image(ImageCommand),
    /// Host-wide information and checks
    #[command(subcommand, visible_alias = "s")]
    System(SystemCommand),
    /// Print a shell completion script
    Completion(CompletionArgs),
}

/// `container image …`
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Download an image from a registry
    Pull(PullArgs),
    /// List images
    #[command(visible_aliases = ["ls", "list"])]
    Images(ImagesArgs),
    /// Show low-level information about images, as JSON
    Inspect(InspectArgs),
    /// Give an image another name
    Tag(TagArgs),
    /// Remove images
    #[command(visible_alias = "rmi", alias = "remove", alias = "delete")]
    Rm(RmiArgs),
    /// Remove unused images
    Prune(PruneArgs),
    /// Show how an image was made
    History(HistoryArgs),
}

/// `container system …`
#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Versions, store paths and sizes, and a check of each kernel feature we use
    Info(InfoArgs),
    /// Prepare the host (store directories) and check it; nothing runs in the background
    Start,
    /// Nothing runs in the background, so nothing to stop; says so
    Stop,
    /// Report whether the host is ready
    Status,
}

/// How long work is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// Bars on a terminal, plain lines otherwise
    Auto,
    /// One line per step
    Plain,
    /// Bars
    Tty,
    /// Nothing
    Quiet,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Image to pull, e.g. `alpine`, `python:3.11-slim`, `localhost:5000/app@sha256:…`
    pub image: String,
    /// Platform to pull from a multi-platform image: os/arch[/variant]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Print nothing but the image name
    #[arg(short, long)]
    pub quiet: bool,
    /// How to show progress
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Verify registries' TLS certificates
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub tls_verify: bool,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Only images whose name matches this (`alpine`, `library/*`)
    pub reference: Option<String>,
    /// Show all images (including intermediate ones)
    #[arg(short, long)]
    pub all: bool,
    /// Show only image IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Show digests
    #[arg(long)]
    pub digests: bool,
    /// Do not shorten IDs
    #[arg(long)]
    pub no_trunc: bool,
    /// `table`, `json`, or a Go template such as '{{.Repository}}:{{.Tag}}'
    #[arg(long)]
    pub format: Option<String>,
    /// Filter: dangling=true|false, reference=PATTERN, label=KEY[=VALUE], before=IMAGE, since=IMAGE
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Images, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
    /// `json` (the default) or a Go template such as '{{.Os}}/{{.Architecture}}'
    #[arg(short, long)]
    pub format: Option<String>,
    /// Only images (the only kind of object so far)
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// Existing image
    pub source: String,
    /// New name
    pub target: String,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Images, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Remove an image ID with several tags, and ignore missing images
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove every unused image, not only untagged ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Image, by name or ID
    pub name: String,
    /// Do not shorten output
    #[arg(long)]
    pub no_trunc: bool,
    /// Show only image IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Sizes in bytes, times in RFC 3339
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub human: bool,
    /// `table`, `json`, or a Go template
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// `table` or `json`
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}
