//! `-v`, `--mount` and `--tmpfs` text, read as Docker reads it: its CLI's rules for
//! the flags, then its daemon's checks of the mount, with their messages.
//! <https://docs.docker.com/engine/storage/bind-mounts/#options-for---mount>

use std::path::Path;

use super::tmpfs;
use super::{DEFAULT_PROPAGATION, MountError, MountKind, MountOrigin, MountSpec, Problem, clean};

/// `-v` options that may appear, at most one of each group, comma-separated.
const MODE_GROUPS: [&[&str]; 5] = [
    &["rw", "ro"],
    &["z", "Z"],
    &[
        "private", "rprivate", "shared", "rshared", "slave", "rslave",
    ],
    &["nocopy"],
    &["consistent", "cached", "delegated"],
];

/// Propagations that this release can give a bind mount.
const PRIVATE_PROPAGATIONS: [&str; 2] = ["private", "rprivate"];

/// Reads `-v` text: `HOST:CTR[:MODE]`, `NAME:CTR[:MODE]` or `CTR`. A host path that
/// starts with `./` (or is `.`) is taken relative to `cwd`, as Docker's CLI does.
pub fn parse_volume(text: &str, cwd: &Path) -> Result<MountSpec, MountError> {
    let text = absolute_host_part(text, cwd);
    let invalid = || MountError::VolumeSpec { spec: text.clone() };
    if text.matches(':').count() > 2 {
        return Err(invalid());
    }
    let fields: Vec<&str> = text.splitn(3, ':').collect();
    let (source, target, mode) = match fields[..] {
        [""] | ["", ..] => return Err(invalid()),
        [target] => ("", target, ""),
        // A destination and a mode, but no source, is not a volume.
        [_, second] if is_valid_mode(second) => return Err(invalid()),
        [source, target] => (source, target, ""),
        [source, target, mode] => (source, target, mode),
        _ => return Err(invalid()),
    };
    if !is_valid_mode(mode) {
        return Err(MountError::Mode { mode: mode.into() });
    }

    let kind = if source.starts_with('/') {
        MountKind::Bind
    } else {
        MountKind::Volume
    };
    let options: Vec<&str> = mode.split(',').filter(|o| !o.is_empty()).collect();
    let propagation = options.iter().find(|o| MODE_GROUPS[2].contains(o));
    let mut spec = MountSpec::new(kind, clean(target), MountOrigin::Volume(text.clone()));
    spec.source = if kind == MountKind::Bind {
        clean(source)
    } else {
        source.into()
    };
    spec.read_only = options.contains(&"ro");
    spec.no_copy = options.contains(&"nocopy");
    spec.is_anonymous = source.is_empty();
    spec.mode = mode.into();
    if kind == MountKind::Bind {
        spec.propagation = propagation.map_or(DEFAULT_PROPAGATION, |p| p).into();
    } else if spec.mode.is_empty() && !spec.is_anonymous {
        // Docker marks local named volumes for relabelling when no mode is given.
        spec.mode = "z".into();
    }
    validate(&spec, target).map_err(|reason| match reason {
        MountError::Unsupported { .. } => reason,
        reason => MountError::VolumeSpecField {
            spec: text.clone(),
            reason: Box::new(reason),
        },
    })?;
    Ok(spec)
}

/// `./dir:/x` → `<cwd>/dir:/x`.
fn absolute_host_part(text: &str, cwd: &Path) -> String {
    match text.split_once(':') {
        Some((host, rest)) if host == "." || host.starts_with("./") => {
            let absolute = clean(&cwd.join(host).to_string_lossy());
            format!("{absolute}:{rest}")
        }
        _ => text.to_owned(),
    }
}

fn is_valid_mode(mode: &str) -> bool {
    if mode.is_empty() {
        return true;
    }
    let mut counts = [0; MODE_GROUPS.len()];
    for option in mode.split(',') {
        let Some(group) = MODE_GROUPS.iter().position(|g| g.contains(&option)) else {
            return false;
        };
        counts[group] += 1;
    }
    counts.iter().all(|&n| n <= 1)
}

/// Reads `--mount` text: comma-separated `key=value` fields (CSV, so a value may be
/// quoted), `type=volume` unless told.
pub fn parse_mount(text: &str, cwd: &Path) -> Result<MountSpec, MountError> {
    let flag_error = |reason: String| MountError::MountFlag {
        value: text.into(),
        reason,
    };
    let fields = split_csv(text).map_err(|reason| flag_error(reason.into()))?;
    let mut draft = Draft {
        kind: "volume".into(),
        ..Draft::default()
    };
    for field in &fields {
        draft.read(field, cwd).map_err(|error| match error {
            FieldError::Docker(reason) => flag_error(reason),
            FieldError::Unsupported(key) => MountError::Unsupported {
                what: format!("`--mount` field `{key}`"),
            },
        })?;
    }
    if draft.kind.is_empty() {
        return Err(flag_error("type is required".into()));
    }
    if draft.target.is_empty() {
        return Err(flag_error("target is required".into()));
    }
    for (prefix, is_set, kind) in [
        ("volume", draft.has_volume_options, "volume"),
        ("bind", draft.has_bind_options, "bind"),
        ("tmpfs", draft.has_tmpfs_options, "tmpfs"),
    ] {
        if is_set && draft.kind != kind {
            let reason = format!(
                "cannot mix '{prefix}-*' options with mount type '{}'",
                draft.kind
            );
            return Err(flag_error(reason));
        }
    }
    draft.into_spec(text)
}

/// Why a `--mount` field is refused.
enum FieldError {
    /// Docker refuses it too, for this reason.
    Docker(String),
    /// Docker takes it; we do not yet.
    Unsupported(String),
}

impl From<String> for FieldError {
    fn from(reason: String) -> FieldError {
        FieldError::Docker(reason)
    }
}

/// The fields of `--mount`, as they are read.
#[derive(Default)]
struct Draft {
    kind: String,
    source: String,
    target: String,
    read_only: bool,
    propagation: Option<String>,
    no_copy: bool,
    tmpfs_size: Option<u64>,
    tmpfs_mode: Option<u32>,
    has_volume_options: bool,
    has_bind_options: bool,
    has_tmpfs_options: bool,
}

impl Draft {
    /// Reads one `key=value` field (or a bare flag); the error is Docker's reason.
    fn read(&mut self, field: &str, cwd: &Path) -> Result<(), FieldError> {
        let Some((key, value)) = field.split_once('=') else {
            return self.read_flag(field);
        };
        let invalid = || format!("invalid value for {}: {value}", key.to_lowercase());
        match key.to_lowercase().as_str() {
            "type" => {
                self.kind = value.to_lowercase();
            }
            "source" | "src" => {
                self.source = match value == "." || value.starts_with("./") {
                    true => clean(&cwd.join(value).to_string_lossy()),
                    false => value.into(),
                }
            }
            "target" | "dst" | "destination" => self.target = value.into(),
            "readonly" | "ro" => self.read_only = parse_bool(value).ok_or_else(invalid)?,
            // Docker ignores consistency on Linux.
            "consistency" => {}
            "bind-propagation" => {
                self.has_bind_options = true;
                self.propagation = Some(value.to_lowercase());
            }
            "volume-nocopy" => {
                self.has_volume_options = true;
                self.no_copy = parse_bool(value).ok_or_else(invalid)?;
            }
            "volume-driver" if value == "local" => self.has_volume_options = true,
            "tmpfs-size" => {
                self.has_tmpfs_options = true;
                self.tmpfs_size = Some(tmpfs::ram_in_bytes(value).ok_or_else(invalid)?);
            }
            "tmpfs-mode" => {
                self.has_tmpfs_options = true;
                self.tmpfs_mode = Some(u32::from_str_radix(value, 8).map_err(|_| invalid())?);
            }
            "volume-driver"
            | "volume-label"
            | "volume-opt"
            | "volume-subpath"
            | "bind-nonrecursive"
            | "bind-recursive"
            | "bind-create-mountpoint"
            | "tmpfs-options" => return Err(FieldError::Unsupported(key.into())),
            _ => return Err(format!("unexpected key '{key}' in '{field}'").into()),
        }
        Ok(())
    }

    fn read_flag(&mut self, field: &str) -> Result<(), FieldError> {
        match field.to_lowercase().as_str() {
            "readonly" | "ro" => self.read_only = true,
            "volume-nocopy" => {
                self.has_volume_options = true;
                self.no_copy = true;
            }
            _ => return Err(format!("invalid field '{field}' must be a key=value pair").into()),
        }
        Ok(())
    }

    /// The mount, checked as Docker's daemon checks it.
    fn into_spec(self, text: &str) -> Result<MountSpec, MountError> {
        let kind = match self.kind.as_str() {
            "bind" => MountKind::Bind,
            "volume" => MountKind::Volume,
            "tmpfs" => MountKind::Tmpfs,
            other => return Err(config_error(other, Problem::UnknownType)),
        };
        let mut spec = MountSpec::new(kind, clean(&self.target), MountOrigin::Mount(text.into()));
        spec.read_only = self.read_only;
        spec.no_copy = self.no_copy;
        match kind {
            MountKind::Bind => {
                spec.source = if self.source.is_empty() {
                    String::new()
                } else {
                    clean(&self.source)
                };
                spec.propagation = self
                    .propagation
                    .unwrap_or_else(|| DEFAULT_PROPAGATION.into());
            }
            MountKind::Volume => {
                spec.source = self.source;
                spec.is_anonymous = spec.source.is_empty();
                spec.mode = "z".into();
            }
            MountKind::Tmpfs => {
                spec.source = self.source;
                let data = tmpfs::mount_options(spec.read_only, self.tmpfs_mode, self.tmpfs_size);
                spec.tmpfs_options = tmpfs::merge_with_defaults(&data)?;
            }
        }
        validate(&spec, &self.target)?;
        Ok(spec)
    }
}

/// Docker's daemon checks of a mount (`target` as typed, before cleaning).
fn validate(spec: &MountSpec, target: &str) -> Result<(), MountError> {
    let kind = spec.kind.as_str();
    let fail = |problem| Err(config_error(kind, problem));
    if target.is_empty() {
        return fail(Problem::Missing("Target"));
    }
    if spec.destination == "/" {
        return fail(Problem::Root);
    }
    if !target.starts_with('/') {
        return fail(Problem::Relative(target.into()));
    }
    match spec.kind {
        MountKind::Bind if spec.source.is_empty() => fail(Problem::Missing("Source")),
        MountKind::Bind if !spec.source.starts_with('/') => {
            fail(Problem::Relative(spec.source.clone()))
        }
        MountKind::Bind if !MODE_GROUPS[2].contains(&spec.propagation.as_str()) => {
            fail(Problem::Propagation(spec.propagation.clone()))
        }
        MountKind::Bind if !PRIVATE_PROPAGATIONS.contains(&spec.propagation.as_str()) => {
            // TODO: shared and slave propagation; the runtime library mounts binds private
            Err(MountError::Unsupported {
                what: format!("bind propagation `{}`", spec.propagation),
            })
        }
        MountKind::Volume if spec.read_only && spec.is_anonymous => {
            fail(Problem::ReadOnlyAnonymous)
        }
        MountKind::Tmpfs if !spec.source.is_empty() => fail(Problem::Extra("Source")),
        _ => Ok(()),
    }
}

fn config_error(kind: &str, problem: Problem) -> MountError {
    MountError::Config {
        kind: kind.into(),
        problem,
    }
}

/// Reads `--tmpfs` text: `CTR[:OPTIONS]`, options as mount(8) spells them.
pub fn parse_tmpfs(text: &str) -> Result<MountSpec, MountError> {
    let (target, options) = text.split_once(':').unwrap_or((text, ""));
    let destination = clean(target);
    if destination == "/" {
        return Err(MountError::Destination(Problem::Root));
    }
    if !target.starts_with('/') {
        return Err(MountError::Destination(Problem::Relative(target.into())));
    }
    let mut spec = MountSpec::new(
        MountKind::Tmpfs,
        destination,
        MountOrigin::Tmpfs(options.into()),
    );
    let given: Vec<String> = options
        .split(',')
        .filter(|o| !o.is_empty())
        .map(String::from)
        .collect();
    spec.tmpfs_options = tmpfs::merge_with_defaults(&given)?;
    spec.read_only = spec.tmpfs_options.iter().any(|o| o == "ro");
    Ok(spec)
}

/// Go's `strconv.ParseBool`.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// One CSV record, as Go's `encoding/csv` reads it: commas separate fields, a field
/// that starts with `"` is quoted, and `""` inside quotes is one `"`.
fn split_csv(text: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("extraneous or missing \" in quoted-field"),
                }
            }
            if !matches!(chars.peek(), None | Some(',')) {
                return Err("extraneous or missing \" in quoted-field");
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        if chars.next().is_none() {
            return Ok(fields);
        }
    }
}

#[cfg(test)]
mod tests;
