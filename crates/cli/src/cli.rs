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
    // Their environment variables are read by `Context`, not by clap: clap
    // counts a value from the environment as given, and then names the flag in
    // every usage line it prints.
    /// Store root: images, layers and containers live under it [env: CONTAINER_ROOT]
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Configuration file (mirrors, insecure registries) [env: CONTAINER_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Show debug logs (-DD for trace); RUST_LOG overrides. Not `-v`: that is
    /// `run -v` and `rm -v`, as in Docker
    #[arg(short = 'D', long = "debug", alias = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands. Docker's spellings, with Apple's as aliases.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and run a container from an image
    Run(RunArgs),
    /// Create a container without starting it
    Create(CreateArgs),
    /// Start stopped or created containers
    Start(StartArgs),
    /// Stop running containers: SIGTERM (or the image's stop signal), then SIGKILL
    Stop(StopArgs),
    /// Send a signal to running containers
    Kill(KillArgs),
    /// Remove containers
    #[command(visible_alias = "delete", alias = "remove")]
    Rm(RmArgs),
    /// List containers
    #[command(visible_aliases = ["ls", "list"])]
    Ps(PsArgs),
    /// Show a container's output
    Logs(LogsArgs),
    /// Wait for containers to exit, and print their exit codes
    Wait(WaitArgs),
    /// Restart containers
    Restart(RestartArgs),
    /// Rename a container
    Rename(RenameArgs),
    /// Freeze every process of containers
    Pause(PauseArgs),
    /// Thaw paused containers
    Unpause(PauseArgs),
    /// Show the processes of a running container
    Top(TopArgs),
    /// Show containers' CPU, memory, block I/O and process counts
    Stats(StatsArgs),
    /// Copy files between a container and the host: `cp CONTAINER:SRC DEST`, `cp SRC CONTAINER:DEST`
    Cp(CpArgs),
    /// Run a command in a running container
    Exec(ExecArgs),
    /// Attach to a running container's output (and its input, if started with -i)
    Attach(AttachArgs),
    /// Build an image from a Dockerfile
    Build(crate::commands::build::BuildArgs),
    /// Manage builds: `builder build`, `builder prune`
    #[command(subcommand)]
    Builder(crate::commands::build::BuilderCommand),
    /// Download an image from a registry
    Pull(PullArgs),
    /// Upload an image to a registry
    Push(PushArgs),
    /// Write images to a tar archive (docker-archive, or oci-archive)
    Save(SaveArgs),
    /// Read images from a tar archive (docker-archive or oci-archive, plain or compressed)
    Load(LoadArgs),
    /// List images
    Images(ImagesArgs),
    /// Show low-level information about containers and images, as JSON
    Inspect(InspectArgs),
    /// Give an image another name
    Tag(TagArgs),
    /// Remove images
    Rmi(RmiArgs),
    /// Show how an image was made
    History(HistoryArgs),
    /// Log in to a registry (default Docker Hub); the login goes to Docker's config.json
    Login(LoginArgs),
    /// Log out from a registry (default Docker Hub)
    Logout(LogoutArgs),
    /// Manage registry logins
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Manage images
    #[command(subcommand, visible_alias = "i")]
    Image(ImageCommand),
    /// Host-wide information and checks
    #[command(subcommand, visible_alias = "s")]
    System(SystemCommand),
    /// Manage volumes
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Manage networks
    #[command(subcommand)]
    Network(crate::commands::network::NetworkCommand),
    /// List a container's published ports, and whether something listens behind each
    Port(crate::commands::port::PortArgs),
    /// Print a shell completion script
    Completion(CompletionArgs),
    /// Versions, store paths and sizes, and kernel checks (as `system info`)
    Info(InfoArgs),
    /// Show the version
    Version(VersionArgs),
    /// The monitor of one container (started by `run` and `start`, not by hand)
    #[command(name = "__monitor", hide = true)]
    Monitor(MonitorArgs),
    /// The inside half of `cp` (started by `cp`, not by hand)
    #[command(name = "__cp", hide = true)]
    CopyHelper(CopyHelperArgs),
}

/// `container image …`
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build an image from a Dockerfile
    Build(crate::commands::build::BuildArgs),
    /// Download an image from a registry
    Pull(PullArgs),
    /// Upload an image to a registry
    Push(PushArgs),
    /// Write images to a tar archive
    Save(SaveArgs),
    /// Read images from a tar archive
    Load(LoadArgs),
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

/// `container registry …` (Apple's spelling of `login` and `logout`)
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Log in to a registry
    Login(LoginArgs),
    /// Log out from a registry
    Logout(LogoutArgs),
    /// List the registries with a stored login
    #[command(visible_alias = "list")]
    Ls(RegistryLsArgs),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Registry, `host[:port]` (default Docker Hub)
    pub server: Option<String>,
    /// User name (asked for on a terminal when missing)
    #[arg(short, long)]
    pub username: Option<String>,
    /// Password or token (visible to other users of this machine: prefer --password-stdin)
    #[arg(short, long)]
    pub password: Option<String>,
    /// Read the password or token from stdin
    #[arg(long)]
    pub password_stdin: bool,
    /// Verify the registry's TLS certificate
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub tls_verify: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Registry, `host[:port]` (default Docker Hub)
    pub server: Option<String>,
}

#[derive(Debug, Args)]
pub struct RegistryLsArgs {
    /// Show only registry names
    #[arg(short, long)]
    pub quiet: bool,
    /// `table`, `json`, or a Go template such as '{{.Hostname}}'
    #[arg(long)]
    pub format: Option<String>,
}

/// `container system …`
#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Versions, store paths and sizes, and a check of each kernel feature we use
    Info(InfoArgs),
    /// Prepare the host (store directories), check it, and start the containers whose
    /// restart policy asks for it (run it at boot)
    Start,
    /// Stop every running container cleanly (run it at shutdown)
    Stop,
    /// Report whether the host is ready
    Status,
    /// Show disk used by images, containers, volumes and the build cache
    Df(DfArgs),
    /// Remove stopped containers, dangling images and (with --volumes) unused volumes
    Prune(SystemPruneArgs),
}

#[derive(Debug, Args)]
pub struct DfArgs {
    /// Show each image, container and volume (`--verbose` is the global debug flag)
    #[arg(short = 'v', id = "df_verbose")]
    pub verbose: bool,
    /// `json`, or a Go template such as '{{.Type}} {{.Size}}'
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct SystemPruneArgs {
    /// Remove every unused image, not only dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Also remove anonymous volumes no container uses
    #[arg(long)]
    pub volumes: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
}

/// `container volume …`
#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a volume (a random name when none is given)
    Create(VolumeCreateArgs),
    /// List volumes
    #[command(visible_alias = "list")]
    Ls(VolumeLsArgs),
    /// Show volumes' details, as JSON
    Inspect(VolumeInspectArgs),
    /// Remove volumes that no container uses
    #[command(visible_alias = "remove")]
    Rm(VolumeRmArgs),
    /// Remove unused anonymous volumes (every unused volume with `--all`)
    Prune(VolumePruneArgs),
}

#[derive(Debug, Args)]
pub struct VolumeCreateArgs {
    /// The volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]+
    pub name: Option<String>,
    /// Volume driver (only `local`)
    #[arg(short, long, default_value = "local")]
    pub driver: String,
    /// Set a label
    #[arg(short, long = "label", value_name = "KEY[=VALUE]")]
    pub labels: Vec<String>,
    /// Driver options (not supported yet)
    #[arg(short, long = "opt", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Show only volume names
    #[arg(short, long)]
    pub quiet: bool,
    /// `table`, `json`, or a Go template such as '{{.Name}}'
    #[arg(long)]
    pub format: Option<String>,
    /// Filter: name=TEXT, label=KEY[=VALUE], dangling=true|false, driver=local
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeInspectArgs {
    /// Volumes, by name
    #[arg(required = true)]
    pub names: Vec<String>,
    /// `json` (the default) or a Go template such as '{{.Mountpoint}}'
    #[arg(short, long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// Volumes, by name
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Ignore missing volumes (a volume in use is still refused)
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Remove every unused volume, not only anonymous ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
}

/// How long work is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// Redrawn on a terminal, plain lines otherwise
    Auto,
    /// One line per step
    Plain,
    /// Redrawn in place (bars, a live view of build steps)
    Tty,
    /// Nothing
    Quiet,
}

impl ProgressMode {
    /// Whether progress is redrawn in place (bars, a live view) rather than
    /// printed as lines: `tty`, or `auto` when stderr is a terminal.
    pub fn redraws(self) -> bool {
        use std::io::IsTerminal as _;
        match self {
            ProgressMode::Tty => true,
            ProgressMode::Auto => std::io::stderr().is_terminal(),
            ProgressMode::Plain | ProgressMode::Quiet => false,
        }
    }
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
pub struct PushArgs {
    /// Image to push, named for its registry: `127.0.0.1:5002/me/app:1.0`
    pub image: String,
    /// Push every tag of the image's repository
    #[arg(short, long)]
    pub all_tags: bool,
    /// Print nothing but the name pushed
    #[arg(short, long)]
    pub quiet: bool,
    /// How to show progress
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Verify the registry's TLS certificate
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub tls_verify: bool,
}

/// Archive formats of `save`, as Podman spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SaveFormat {
    /// What `docker save` writes and `docker load` reads
    DockerArchive,
    /// A tar of an OCI image layout
    OciArchive,
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Images, by name or ID
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Archive format
    #[arg(long, value_enum, default_value_t = SaveFormat::DockerArchive)]
    pub format: SaveFormat,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read from this file instead of stdin
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Print nothing
    #[arg(short, long)]
    pub quiet: bool,
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
    /// Containers or images, by name or ID (containers are looked for first)
    #[arg(required = true)]
    pub names: Vec<String>,
    /// `json` (the default) or a Go template such as '{{.State.Status}}'
    #[arg(short, long)]
    pub format: Option<String>,
    /// Only this kind of object: `container` or `image`
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

/// When `run` and `create` pull the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullPolicy {
    /// Pull when the image is not in the store
    Missing,
    /// Always pull first
    Always,
    /// Never pull; fail when missing
    Never,
}

/// Flags shared by `run` and `create`.
#[derive(Debug, Args)]
pub struct ContainerOptions {
    /// Name the container (unique)
    #[arg(long)]
    pub name: Option<String>,
    /// Set an environment variable; a bare KEY takes the host's value
    #[arg(short, long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// Read environment variables from a file (KEY=VALUE lines, `#` comments)
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Override the image's ENTRYPOINT (`""` clears it); the image's CMD is dropped
    #[arg(long, value_name = "COMMAND")]
    pub entrypoint: Option<String>,
    /// Working directory inside the container (created when missing)
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User and group: name|uid[:group|gid]
    #[arg(short, long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Container hostname (default: the short ID)
    #[arg(short = 'h', long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Set a label
    #[arg(short, long = "label", value_name = "KEY[=VALUE]")]
    pub labels: Vec<String>,
    /// Keep stdin open and forward it to the container
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    pub tty: bool,
    /// Network: `bridge` (the default network, with NAT), a user network's name,
    /// `host`, or `none` (a namespace with loopback only)
    #[arg(long, alias = "net", default_value = "bridge", value_name = "NETWORK")]
    pub network: String,
    /// Another name the container's peers on a user network find it by
    #[arg(long = "network-alias", alias = "net-alias", value_name = "NAME")]
    pub network_aliases: Vec<String>,
    /// Publish a container port on the host: [IP:][HOST-PORT:]PORT[/tcp|udp], ranges allowed
    #[arg(short = 'p', long = "publish", value_name = "PORTS")]
    pub publish: Vec<String>,
    /// Publish every port the image EXPOSEs on a free host port
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Expose a port or a range (PORT[-END][/tcp|udp]) as the image's EXPOSE does, for -P
    #[arg(long = "expose", value_name = "PORTS")]
    pub expose: Vec<String>,
    /// Remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Restart policy: no, on-failure[:N], always or unless-stopped
    #[arg(long, default_value = "no", value_name = "POLICY")]
    pub restart: String,
    /// Pull the image: missing, always or never
    #[arg(long, value_enum, default_value_t = PullPolicy::Missing, value_name = "POLICY")]
    pub pull: PullPolicy,
    /// Platform of the image to pull: os/arch[/variant]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Signal that `stop` sends first (default SIGTERM, or the image's STOPSIGNAL)
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Print no pull progress
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub host: HostOptions,
    /// Bind mount a host path (HOST:CTR), mount a named volume (NAME:CTR), or make an
    /// anonymous volume (CTR); options after a colon: ro, rw, nocopy, z, Z, rprivate
    #[arg(short = 'v', long = "volume", value_name = "SPEC")]
    pub volumes: Vec<String>,
    /// Mount a filesystem: type=bind|volume|tmpfs,source=…,target=…[,readonly][,…]
    #[arg(long = "mount", value_name = "SPEC")]
    pub mounts: Vec<String>,
    /// Mount a tmpfs: PATH[:OPTIONS] (default options noexec,nosuid,nodev)
    #[arg(long = "tmpfs", value_name = "PATH[:OPTIONS]")]
    pub tmpfs: Vec<String>,
    /// The image, then the command and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "IMAGE [COMMAND [ARG...]]"
    )]
    pub args: Vec<String>,
}

/// Security, resource and name flags of `run` and `create`, as Docker spells them.
#[derive(Debug, Args)]
pub struct HostOptions {
    /// Give the container every capability, the host's devices, no seccomp filter and
    /// no masked /proc paths
    #[arg(long)]
    pub privileged: bool,
    /// Add a capability (`NET_ADMIN`, `cap_sys_time`, `ALL`)
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a capability (`CHOWN`, `ALL`)
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Security options: `seccomp=unconfined|PROFILE.json`, `no-new-privileges[=BOOL]`,
    /// `systempaths=unconfined`
    #[arg(long = "security-opt", value_name = "OPTION")]
    pub security_opt: Vec<String>,
    /// Memory limit (`512m`, `1g`; at least 6m)
    #[arg(short, long, value_name = "BYTES")]
    pub memory: Option<String>,
    /// Memory plus swap (`-1`: unlimited swap; default: twice --memory)
    #[arg(long = "memory-swap", allow_hyphen_values = true, value_name = "BYTES")]
    pub memory_swap: Option<String>,
    /// Number of CPUs (`1.5`)
    #[arg(long, value_name = "N")]
    pub cpus: Option<String>,
    /// CPU shares (relative weight; the kernel's default is 1024)
    #[arg(short = 'c', long = "cpu-shares", value_name = "N")]
    pub cpu_shares: Option<i64>,
    /// Maximum number of processes (`-1` or `0`: unlimited)
    #[arg(long = "pids-limit", allow_hyphen_values = true, value_name = "N")]
    pub pids_limit: Option<i64>,
    /// CPUs the container may use (`0-1`, `0,2`)
    #[arg(long = "cpuset-cpus", value_name = "LIST")]
    pub cpuset_cpus: Option<String>,
    /// Set an rlimit: `nofile=1024:2048`, `nproc=100` (never above this process's hard limits)
    #[arg(long, value_name = "NAME=SOFT[:HARD]")]
    pub ulimit: Vec<String>,
    /// Size of /dev/shm (default 64m)
    #[arg(long = "shm-size", value_name = "BYTES")]
    pub shm_size: Option<String>,
    /// Give the container a host device
    #[arg(long, value_name = "HOST[:CONTAINER][:rwm]")]
    pub device: Vec<String>,
    /// Add the process to more groups (names from the image's /etc/group, or numbers)
    #[arg(long = "group-add", value_name = "GROUP")]
    pub group_add: Vec<String>,
    /// Set a namespaced kernel parameter (`net.*`, `kernel.shm*`, `kernel.msg*`, `fs.mqueue.*`)
    #[arg(long, value_name = "KEY=VALUE")]
    pub sysctl: Vec<String>,
    /// Run a small init as PID 1 that forwards signals and reaps zombies
    #[arg(long)]
    pub init: bool,
    /// Add a line to /etc/hosts (`IP` may be `host-gateway` with `--network host`)
    #[arg(long = "add-host", value_name = "NAME:IP")]
    pub add_host: Vec<String>,
    /// Nameserver for /etc/resolv.conf (replaces the host's)
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// Search domain for /etc/resolv.conf (`.` for none)
    #[arg(long = "dns-search", value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// Resolver option for /etc/resolv.conf (`ndots:2`)
    #[arg(long = "dns-option", alias = "dns-opt", value_name = "OPTION")]
    pub dns_option: Vec<String>,
    /// Mount the root filesystem read-only
    #[arg(long = "read-only")]
    pub read_only: bool,
    /// Seconds `stop` waits before killing (default 10)
    #[arg(long = "stop-timeout", value_name = "SECONDS")]
    pub stop_timeout: Option<u64>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    /// Keys that detach from a terminal session, leaving the container running
    /// (default ctrl-p,ctrl-q)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Run in the background and print the container ID
    #[arg(short, long)]
    pub detach: bool,
    /// Forward signals received to the container
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub sig_proxy: bool,
    #[command(flatten)]
    pub options: ContainerOptions,
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct CreateArgs {
    #[command(flatten)]
    pub options: ContainerOptions,
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Keys that detach from a terminal session, leaving the container running
    /// (default ctrl-p,ctrl-q)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Containers, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Attach to the output, and exit with the container's code
    #[arg(short, long)]
    pub attach: bool,
    /// Forward stdin (with --attach)
    #[arg(short, long)]
    pub interactive: bool,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Containers, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Seconds to wait before killing (default: the container's --stop-timeout, else 10)
    #[arg(
        short,
        long = "time",
        visible_alias = "timeout",
        value_name = "SECONDS"
    )]
    pub time: Option<u64>,
    /// Signal to send first
    #[arg(short, long, value_name = "SIGNAL")]
    pub signal: Option<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Containers, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Signal to send
    #[arg(short, long, default_value = "KILL", value_name = "SIGNAL")]
    pub signal: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Containers, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Kill and remove running containers
    #[arg(short, long)]
    pub force: bool,
    /// Also remove the container's anonymous volumes
    #[arg(short, long)]
    pub volumes: bool,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all containers (default: running ones)
    #[arg(short, long)]
    pub all: bool,
    /// Show only IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not shorten IDs and commands
    #[arg(long)]
    pub no_trunc: bool,
    /// `table`, `json`, or a Go template such as '{{.ID}} {{.Names}}'
    #[arg(long)]
    pub format: Option<String>,
    /// Filter: id=, name=, label=KEY[=VALUE], status=, exited=CODE, ancestor=IMAGE
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Show the N most recently created containers (all states)
    #[arg(short = 'n', long, value_name = "N")]
    pub last: Option<usize>,
    /// Show the most recently created container (all states)
    #[arg(short, long)]
    pub latest: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Container, by name or ID
    pub name: String,
    /// Keep printing output until the container exits
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines (`all` for every line)
    #[arg(short = 'n', long = "tail", default_value = "all", value_name = "N")]
    pub tail: String,
    /// Prefix each line with its time (RFC 3339, nanoseconds)
    #[arg(short, long)]
    pub timestamps: bool,
    /// Only lines since this time (RFC 3339) or duration ago (`10m`, `1h30m`)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only lines before this time (RFC 3339) or duration ago
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Containers, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct ExecArgs {
    /// Keys that detach from a terminal session, leaving the container running
    /// (default ctrl-p,ctrl-q)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Run in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Keep stdin open and forward it to the process
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    pub tty: bool,
    /// Set an environment variable; a bare KEY takes the host's value
    #[arg(short, long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// Read environment variables from a file (KEY=VALUE lines, `#` comments)
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Working directory inside the container (default: the container's)
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User and group: name|uid[:group|gid] (default: the container's)
    #[arg(short, long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Give the process every capability
    #[arg(long)]
    pub privileged: bool,
    /// The container, then the command and its arguments
    #[arg(required = true, num_args = 2.., trailing_var_arg = true, value_name = "CONTAINER COMMAND [ARG...]")]
    pub args: Vec<String>,
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Keys that detach from a terminal session, leaving the container running
    /// (default ctrl-p,ctrl-q)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Container, by name or ID
    pub name: String,
    /// Do not forward stdin
    #[arg(long)]
    pub no_stdin: bool,
    /// Forward signals received to the container (without a terminal)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub sig_proxy: bool,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Where runtime state lives
    #[arg(long, value_name = "DIR")]
    pub run_dir: PathBuf,
    /// Start the process once a client has attached
    #[arg(long)]
    pub attach: bool,
    /// Monitor this exec'd process of the container instead of its init process
    #[arg(long, value_name = "EXEC_ID")]
    pub exec: Option<String>,
    /// The container's ID
    pub id: String,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Containers, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Seconds to wait for the stop before killing (default: the container's
    /// --stop-timeout, else 10)
    #[arg(
        short,
        long = "time",
        visible_alias = "timeout",
        value_name = "SECONDS"
    )]
    pub time: Option<u64>,
    /// Signal to stop with
    #[arg(short, long, value_name = "SIGNAL")]
    pub signal: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The container, by name or ID
    pub name: String,
    /// Its new name
    pub new_name: String,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Containers, by name or ID
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TopArgs {
    /// The container, by name or ID
    pub name: String,
    /// Options for `ps` (default `-ef`)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PS OPTIONS"
    )]
    pub ps_options: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Containers, by name or ID (default: every running one)
    pub names: Vec<String>,
    /// Also containers that are not running
    #[arg(short, long)]
    pub all: bool,
    /// Print one sample and exit
    #[arg(long)]
    pub no_stream: bool,
    /// Do not shorten IDs
    #[arg(long)]
    pub no_trunc: bool,
    /// `table`, `json`, or a Go template such as '{{.Name}} {{.MemUsage}}'
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct CpArgs {
    /// `CONTAINER:PATH`, a host path, or `-` (a tar stream on stdin)
    pub source: String,
    /// `CONTAINER:PATH`, a host path, or `-` (a tar stream on stdout)
    pub destination: String,
    /// Keep owners and groups (uid and gid) of what is copied
    #[arg(short, long)]
    pub archive: bool,
    /// Follow a symlink at the source path
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// Print nothing but errors
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CopyHelperArgs {
    /// Join the mount namespace of this process
    #[arg(long)]
    pub pid: Option<i32>,
    /// Chroot into this directory
    #[arg(long)]
    pub chroot: Option<PathBuf>,
    #[command(subcommand)]
    pub action: CopyHelperAction,
}

#[derive(Debug, Subcommand)]
pub enum CopyHelperAction {
    /// Print what PATH is, as JSON
    Stat {
        path: String,
        #[arg(long)]
        follow: bool,
    },
    /// Write PATH as a tar stream to stdout, its top entry named NAME
    Pack {
        path: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        follow: bool,
    },
    /// Extract the tar stream on stdin into the directory DIR
    Unpack {
        dir: String,
        #[arg(long)]
        archive: bool,
    },
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// `json`, or a Go template such as '{{.Client.Version}}'
    #[arg(short, long)]
    pub format: Option<String>,
}
