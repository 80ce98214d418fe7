//! The filesystems a container gets besides its root: bind mounts, volumes, tmpfs.
//!
//! The user's flags are read as Docker's CLI and daemon read them ([`parse`]):
//!
//! - `-v HOST:CTR[:MODE]` is a bind mount when `HOST` is absolute (or starts with `./`,
//!   made absolute, as Docker's CLI does), `-v NAME:CTR[:MODE]` a named volume, and
//!   `-v CTR` an anonymous volume. A missing host directory is created for `-v`.
//! - `--mount type=bind|volume|tmpfs,...` is the explicit form; a missing bind source
//!   is an error there.
//! - `--tmpfs CTR[:OPTIONS]` is a tmpfs with Docker's `noexec,nosuid,nodev` first and
//!   no size limit.
//!
//! Mounts are kept in the container record, so every start mounts them again. When a
//! container starts ([`prepare`]), each destination is created inside the root (never
//! following links out of it), volumes are seeded from the image, and the runtime
//! library mounts them in order of depth, parents first, as Docker sorts them.
//! <https://docs.docker.com/engine/storage/>

mod parse;
mod prepare;
mod tmpfs;

use serde::{Deserialize, Serialize};

pub use parse::{parse_mount, parse_tmpfs, parse_volume};
pub(crate) use prepare::{may_hide_command, prepare};

/// The label Docker (23 and later) puts on anonymous volumes; `volume prune` without
/// `--all` removes only volumes that carry it.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// The propagation Docker gives bind mounts unless told otherwise.
pub const DEFAULT_PROPAGATION: &str = "rprivate";

/// What kind of filesystem is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    /// A host directory or file.
    Bind,
    /// A volume of ours (`<root>/volumes/<name>/_data`).
    Volume,
    /// A fresh tmpfs.
    Tmpfs,
}

impl MountKind {
    /// Docker's name for it (`Type` in inspect).
    pub fn as_str(self) -> &'static str {
        match self {
            MountKind::Bind => "bind",
            MountKind::Volume => "volume",
            MountKind::Tmpfs => "tmpfs",
        }
    }
}

/// Which flag asked for a mount: Docker shows each in a different place of inspect
/// (`HostConfig.Binds`, `HostConfig.Mounts`, `HostConfig.Tmpfs`, `Config.Volumes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "flag", content = "text")]
pub enum MountOrigin {
    /// `-v`, with the text as given (host paths made absolute).
    Volume(String),
    /// `--mount`, with the text as given.
    Mount(String),
    /// `--tmpfs`, with its options as given.
    Tmpfs(String),
    /// A `VOLUME` of the image.
    Image,
}

/// One mount of a container, as the record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountSpec {
    /// Bind, volume or tmpfs.
    pub kind: MountKind,
    /// The host path of a bind mount, or the volume's name (empty for an anonymous
    /// volume until the container is created), or empty for a tmpfs.
    pub source: String,
    /// The absolute, cleaned path inside the container.
    pub destination: String,
    /// Mounted read-only.
    pub read_only: bool,
    /// Docker's `Mode` in inspect: the `-v` options as typed (`z` for volumes without).
    pub mode: String,
    /// The bind propagation (`rprivate` unless asked).
    pub propagation: String,
    /// A volume is not seeded from the image (`nocopy`, `volume-nocopy`).
    pub no_copy: bool,
    /// The volume has no name of its own: made for this container, removed with it by
    /// `rm -v` and `--rm`.
    pub is_anonymous: bool,
    /// tmpfs mount options, merged as Docker merges them (`noexec,nosuid,nodev,...`).
    pub tmpfs_options: Vec<String>,
    /// The flag it came from.
    pub origin: MountOrigin,
}

impl MountSpec {
    /// A mount with nothing set but its kind, destination and origin.
    fn new(kind: MountKind, destination: String, origin: MountOrigin) -> MountSpec {
        MountSpec {
            kind,
            source: String::new(),
            destination,
            read_only: false,
            mode: String::new(),
            propagation: String::new(),
            no_copy: false,
            is_anonymous: false,
            tmpfs_options: Vec::new(),
            origin,
        }
    }

    /// An anonymous volume at `destination`, for an image's `VOLUME`.
    pub fn image_volume(destination: &str) -> MountSpec {
        let mut spec = MountSpec::new(MountKind::Volume, clean(destination), MountOrigin::Image);
        spec.is_anonymous = true;
        spec
    }

    /// Whether this mount needs a volume (named or anonymous).
    pub fn is_volume(&self) -> bool {
        self.kind == MountKind::Volume
    }

    /// How many components the destination has: mounts are made shallowest first.
    fn depth(&self) -> usize {
        self.destination
            .split('/')
            .filter(|c| !c.is_empty())
            .count()
    }
}

/// What can be wrong with a mount the user asked for. The messages are Docker's.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    /// `-v` text that does not split into one to three fields.
    #[error("invalid volume specification: '{spec}'")]
    VolumeSpec {
        /// The text.
        spec: String,
    },
    /// `-v` text whose fields are wrong; the reason says which.
    #[error("invalid volume specification: '{spec}'")]
    VolumeSpecField {
        /// The text.
        spec: String,
        /// What is wrong.
        #[source]
        reason: Box<MountError>,
    },
    /// Unknown or repeated `-v` options.
    #[error("invalid mode: {mode}")]
    Mode {
        /// The options.
        mode: String,
    },
    /// A mount whose fields do not fit its type.
    #[error("invalid mount config for type \"{kind}\": {problem}")]
    Config {
        /// `bind`, `volume` or `tmpfs`.
        kind: String,
        /// What is wrong.
        problem: Problem,
    },
    /// `--mount` text Docker's CLI refuses.
    #[error("invalid argument \"{value}\" for \"--mount\" flag: {reason}")]
    MountFlag {
        /// The text.
        value: String,
        /// What is wrong (Docker's words).
        reason: String,
    },
    /// A `--tmpfs` destination that cannot be one.
    #[error("{0}")]
    Destination(Problem),
    /// A tmpfs option the kernel's tmpfs does not take.
    #[error("Invalid tmpfs option [\"{option}\"]")]
    TmpfsOption {
        /// The option.
        option: String,
    },
    /// Two mounts at one destination.
    #[error("Duplicate mount point: {destination}")]
    Duplicate {
        /// The destination.
        destination: String,
    },
    /// Something Docker does that this release does not.
    #[error("{what} is not supported yet")]
    Unsupported {
        /// The feature.
        what: String,
    },
}

/// Why a mount's fields do not fit its type (Docker's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A field the type needs is empty.
    #[error("field {0} must not be empty")]
    Missing(&'static str),
    /// A field the type does not take is set.
    #[error("field {0} must not be specified")]
    Extra(&'static str),
    /// A path that must be absolute is not.
    #[error("invalid mount path: '{0}' mount path must be absolute")]
    Relative(String),
    /// The destination is the container's root.
    #[error("invalid specification: destination can't be '/'")]
    Root,
    /// `--mount type=bind` of a path that does not exist.
    #[error("bind source path does not exist: {0}")]
    NoSource(String),
    /// An anonymous volume cannot be read-only: nothing could ever be written to it.
    #[error("must not set ReadOnly mode when using anonymous volumes")]
    ReadOnlyAnonymous,
    /// An unknown bind propagation.
    #[error("invalid propagation mode: {0}")]
    Propagation(String),
    /// A type other than bind, volume and tmpfs.
    #[error("mount type unknown")]
    UnknownType,
}

/// The user's mounts, then an anonymous volume for each `VOLUME` of the image (its
/// config's `Volumes`) that no mount of the user's is at.
pub fn with_image_volumes(
    mounts: &[MountSpec],
    image_config: Option<&serde_json::Value>,
) -> Vec<MountSpec> {
    let mut all = mounts.to_vec();
    let declared = image_config
        .and_then(|c| c.get("Volumes"))
        .and_then(|v| v.as_object());
    for path in declared.into_iter().flat_map(|v| v.keys()) {
        let destination = clean(path);
        if path.starts_with('/')
            && destination != "/"
            && !all.iter().any(|m| m.destination == destination)
        {
            all.push(MountSpec::image_volume(&destination));
        }
    }
    all
}

/// Checks that the sources of `--mount type=bind` exist, as Docker does when the
/// container is created (`-v` makes them instead, when it starts).
pub fn check_bind_sources(mounts: &[MountSpec]) -> Result<(), MountError> {
    let missing = mounts.iter().find(|m| {
        m.kind == MountKind::Bind
            && matches!(m.origin, MountOrigin::Mount(_))
            && !std::path::Path::new(&m.source).exists()
    });
    match missing {
        Some(mount) => Err(MountError::Config {
            kind: "bind".into(),
            problem: Problem::NoSource(mount.source.clone()),
        }),
        None => Ok(()),
    }
}

/// Checks that no two mounts share a destination.
pub fn check_duplicates(mounts: &[MountSpec]) -> Result<(), MountError> {
    for (i, mount) in mounts.iter().enumerate() {
        if mounts[..i]
            .iter()
            .any(|m| m.destination == mount.destination)
        {
            return Err(MountError::Duplicate {
                destination: mount.destination.clone(),
            });
        }
    }
    Ok(())
}

/// The mounts in the order they are made: shallowest destination first, so a mount
/// inside another lands on top of it; the user's order otherwise.
pub fn in_mount_order(mounts: &[MountSpec]) -> Vec<&MountSpec> {
    let mut ordered: Vec<&MountSpec> = mounts.iter().collect();
    ordered.sort_by_key(|m| m.depth());
    ordered
}

/// The files bind-mounted for every container (`/etc/hosts`, …) and the user's mounts,
/// in the order they are made: shallowest first, so `/etc/hosts` lands on a volume at
/// `/etc`, as Docker sorts them. A user's mount at one of those files replaces ours.
pub(crate) fn with_user_mounts(
    files: Vec<oci_spec::runtime::Mount>,
    user_mounts: &[oci_spec::runtime::Mount],
) -> Vec<oci_spec::runtime::Mount> {
    let depth = |m: &oci_spec::runtime::Mount| m.destination().components().count();
    let mut all: Vec<_> = files
        .into_iter()
        .filter(|f| {
            !user_mounts
                .iter()
                .any(|u| u.destination() == f.destination())
        })
        .chain(user_mounts.iter().cloned())
        .collect();
    all.sort_by_key(depth);
    all
}

/// `path` cleaned as Go's `path.Clean` does: no `.`, no `..` above the root, no double
/// or trailing slashes.
pub fn clean(path: &str) -> String {
    let is_absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if is_absolute => {}
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (is_absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_as_go_cleans_them() {
        let cases = [
            ("/data/", "/data"),
            ("/a//b/./c", "/a/b/c"),
            ("/a/../../b", "/b"),
            ("/..", "/"),
            ("a/../..", ".."),
            ("", "."),
        ];
        for (path, cleaned) in cases {
            assert_eq!(clean(path), cleaned, "{path}");
        }
    }

    #[test]
    fn parents_are_mounted_before_their_children() {
        let mounts: Vec<MountSpec> = ["/a/b/c", "/x", "/a"]
            .iter()
            .map(|d| MountSpec::image_volume(d))
            .collect();
        let order: Vec<&str> = in_mount_order(&mounts)
            .iter()
            .map(|m| m.destination.as_str())
            .collect();
        assert_eq!(order, ["/x", "/a", "/a/b/c"]);
    }

    #[test]
    fn image_volumes_fill_in_where_the_user_mounted_nothing() {
        let user = [parse_volume("/h:/data", std::path::Path::new("/")).unwrap()];
        let config = serde_json::json!({"Volumes": {"/data": {}, "/logs/": {}, "rel": {}}});
        let all = with_image_volumes(&user, Some(&config));
        let destinations: Vec<&str> = all.iter().map(|m| m.destination.as_str()).collect();
        assert_eq!(destinations, ["/data", "/logs"]);
        assert!(all[1].is_anonymous && all[1].is_volume());
        assert_eq!(all[1].origin, MountOrigin::Image);
    }

    #[test]
    fn one_destination_takes_one_mount() {
        let mounts = [
            MountSpec::image_volume("/data"),
            MountSpec::image_volume("/data/"),
        ];
        let error = check_duplicates(&mounts).unwrap_err();
        assert_eq!(error.to_string(), "Duplicate mount point: /data");
    }
}
