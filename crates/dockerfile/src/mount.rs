//! `RUN --mount=type=...,key=value,...`, by the rules of BuildKit's
//! `commands_runmount.go` (see the Dockerfile reference, "RUN --mount").

use serde::Serialize;

use crate::error::ErrorKind;

/// One `RUN --mount=...`, with BuildKit's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// `type=`: `bind` unless said otherwise.
    pub kind: MountKind,
    /// `target=` (`dst=`, `destination=`): where it appears in the RUN
    /// container. Required for bind, cache and tmpfs; a secret defaults to
    /// `/run/secrets/<id>` (none when only `env=` is given), an ssh socket
    /// to `/run/buildkit/ssh_agent.<n>` (left `None` here: `n` counts the
    /// RUN's ssh mounts).
    pub target: Option<String>,
    /// `source=` (`src=`): the path in `from` (bind: default its root;
    /// cache: a subpath of the cache).
    pub source: Option<String>,
    /// `from=`: a stage name or index, or an image, for bind and cache
    /// mounts; the build context when `None`.
    pub from: Option<String>,
    /// `ro`/`readonly`, `rw`/`readwrite`: bind and secret mounts are
    /// read-only unless `rw`; cache and tmpfs are writable unless `ro`.
    /// Writes to a `rw` bind mount are discarded after the RUN.
    pub readonly: bool,
    /// `id=`: a cache's identity (default: its target), a secret's or ssh
    /// socket's id (secret default: the target's last component; ssh
    /// default: `default`).
    pub id: Option<String>,
    /// `sharing=shared|private|locked` for cache mounts.
    pub sharing: CacheSharing,
    /// `mode=` in octal, for cache, secret and ssh mounts (defaults 0755,
    /// 0400 and 0600).
    pub mode: Option<u32>,
    /// `uid=` for cache, secret and ssh mounts (default 0).
    pub uid: Option<u32>,
    /// `gid=` for cache, secret and ssh mounts (default 0).
    pub gid: Option<u32>,
    /// `required`: a secret or ssh socket that must exist (else it is
    /// silently absent).
    pub required: bool,
    /// `size=` of a tmpfs, in bytes (`64m` = 64 MiB).
    pub size: Option<u64>,
    /// `env=NAME` of a secret: also expose it as an environment variable.
    pub env: Option<String>,
    /// The `--mount` value as written.
    pub spec: String,
}

/// `type=` of a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MountKind {
    /// A directory of the context, a stage or an image.
    Bind,
    /// A persistent cache directory shared between builds.
    Cache,
    /// An empty tmpfs.
    Tmpfs,
    /// A secret given with `--secret id=...`; never stored in a layer.
    Secret,
    /// The SSH agent socket given with `--ssh`.
    Ssh,
}

/// `sharing=` of a cache mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum CacheSharing {
    /// Concurrent builds use the cache at once.
    #[default]
    Shared,
    /// Each concurrent build gets its own copy.
    Private,
    /// Concurrent builds wait for each other.
    Locked,
}

/// A function that expands one word (identity at parse time).
pub(crate) type Expander<'a> = &'a dyn Fn(&str) -> Result<String, ErrorKind>;

/// Parses a mount's CSV text. With `expand` = `None` (parse time), fields
/// whose value holds a `$` are kept as written and checked once expanded.
pub(crate) fn parse_mount(spec: &str, expand: Option<Expander<'_>>) -> Result<Mount, ErrorKind> {
    let fail = |reason: String| ErrorKind::Mount {
        spec: spec.to_string(),
        reason,
    };
    let mut mount = Mount {
        kind: MountKind::Bind,
        target: None,
        source: None,
        from: None,
        readonly: true,
        id: None,
        sharing: CacheSharing::Shared,
        mode: None,
        uid: None,
        gid: None,
        required: false,
        size: None,
        env: None,
        spec: spec.to_string(),
    };
    let mut given = Given::default();
    for field in csv_fields(spec).map_err(fail)? {
        let Some((key, value)) = field.split_once('=') else {
            flag_field(&mut mount, &mut given, &field).map_err(fail)?;
            continue;
        };
        let key = key.to_ascii_lowercase();
        let value = match expand {
            Some(expand) => expand(value)?,
            None if value.contains('$') => {
                keep_unexpanded(&mut mount, &key, value.to_string());
                continue;
            }
            None => value.to_string(),
        };
        value_field(&mut mount, &mut given, &key, value).map_err(fail)?;
    }
    let writable_kind = !matches!(mount.kind, MountKind::Bind | MountKind::Secret);
    mount.readonly = given.readonly.unwrap_or(!writable_kind);
    check(&mut mount, given.sharing).map_err(fail)?;
    Ok(mount)
}

/// What the fields said where a default depends on the type.
#[derive(Default)]
struct Given {
    readonly: Option<bool>,
    sharing: bool,
}

/// A field without `=`: `ro`, `rw`, `required`.
fn flag_field(mount: &mut Mount, given: &mut Given, field: &str) -> Result<(), String> {
    match field.to_ascii_lowercase().as_str() {
        "readonly" | "ro" => given.readonly = Some(true),
        "readwrite" | "rw" => given.readonly = Some(false),
        "required" => mount.required = true,
        _ => return Err(format!("field {field:?} must be a key=value pair")),
    }
    Ok(())
}

/// A `key=value` field, the value expanded.
fn value_field(
    mount: &mut Mount,
    given: &mut Given,
    key: &str,
    value: String,
) -> Result<(), String> {
    match key {
        "type" => mount.kind = mount_kind(&value)?,
        "from" => mount.from = Some(value),
        "source" | "src" => mount.source = Some(value),
        "target" | "dst" | "destination" => mount.target = Some(value),
        "readonly" | "ro" => given.readonly = Some(parse_bool(&value)?),
        "readwrite" | "rw" => given.readonly = Some(!parse_bool(&value)?),
        "required" => mount.required = parse_bool(&value)?,
        "id" => mount.id = Some(value),
        "sharing" => {
            mount.sharing = sharing(&value)?;
            given.sharing = true;
        }
        "mode" => mount.mode = Some(number(&value, 8)?),
        "uid" => mount.uid = Some(number(&value, 10)?),
        "gid" => mount.gid = Some(number(&value, 10)?),
        "size" => mount.size = Some(byte_size(&value)?),
        "env" => mount.env = Some(value),
        _ => return Err(format!("unexpected key {key:?}")),
    }
    Ok(())
}

/// At parse time a `$VAR` value is only recorded where it is a plain string.
fn keep_unexpanded(mount: &mut Mount, key: &str, value: String) {
    match key {
        "from" => mount.from = Some(value),
        "source" | "src" => mount.source = Some(value),
        "target" | "dst" | "destination" => mount.target = Some(value),
        "id" => mount.id = Some(value),
        "env" => mount.env = Some(value),
        _ => {}
    }
}

/// The rules that depend on the type, and BuildKit's defaults.
fn check(mount: &mut Mount, sharing_given: bool) -> Result<(), String> {
    let kind = mount.kind;
    let takes_owner = matches!(kind, MountKind::Cache | MountKind::Secret | MountKind::Ssh);
    if !takes_owner && (mount.mode.is_some() || mount.uid.is_some() || mount.gid.is_some()) {
        return Err(format!(
            "mode, uid and gid are not allowed for {kind:?} mounts"
        ));
    }
    if sharing_given && kind != MountKind::Cache {
        return Err("sharing is only for cache mounts".to_string());
    }
    if mount.size.is_some() && kind != MountKind::Tmpfs {
        return Err("size is only for tmpfs mounts".to_string());
    }
    if mount.required && !matches!(kind, MountKind::Secret | MountKind::Ssh) {
        return Err("required is only for secret and ssh mounts".to_string());
    }
    match kind {
        MountKind::Bind | MountKind::Cache | MountKind::Tmpfs => {
            if mount.target.is_none() {
                return Err("a target is required (target=/path)".to_string());
            }
            if kind == MountKind::Cache && mount.id.is_none() {
                mount.id.clone_from(&mount.target);
            }
        }
        MountKind::Secret => {
            if mount.from.is_some() || mount.source.is_some() {
                return Err("a secret mount takes no from or source: give id=".to_string());
            }
            secret_defaults(mount)?;
        }
        MountKind::Ssh => {
            mount.id.get_or_insert_with(|| "default".to_string());
        }
    }
    Ok(())
}

fn secret_defaults(mount: &mut Mount) -> Result<(), String> {
    if mount.id.is_none() {
        let Some(target) = &mount.target else {
            return Err("a secret mount needs an id or a target".to_string());
        };
        let base = target
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        mount.id = Some(base.to_string());
    }
    if mount.target.is_none() && mount.env.is_none() {
        let id = mount.id.as_deref().unwrap_or_default();
        mount.target = Some(format!("/run/secrets/{id}"));
    }
    Ok(())
}

fn mount_kind(value: &str) -> Result<MountKind, String> {
    match value.to_ascii_lowercase().as_str() {
        "bind" => Ok(MountKind::Bind),
        "cache" => Ok(MountKind::Cache),
        "tmpfs" => Ok(MountKind::Tmpfs),
        "secret" => Ok(MountKind::Secret),
        "ssh" => Ok(MountKind::Ssh),
        _ => Err(format!(
            "unsupported mount type {value:?} (bind, cache, tmpfs, secret or ssh)"
        )),
    }
}

fn sharing(value: &str) -> Result<CacheSharing, String> {
    match value.to_ascii_lowercase().as_str() {
        "shared" | "" => Ok(CacheSharing::Shared),
        "private" => Ok(CacheSharing::Private),
        "locked" => Ok(CacheSharing::Locked),
        _ => Err(format!(
            "unsupported sharing value {value:?} (shared, private or locked)"
        )),
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("{value:?} is not a boolean")),
    }
}

fn number(value: &str, radix: u32) -> Result<u32, String> {
    u32::from_str_radix(value, radix).map_err(|_| format!("{value:?} is not a base-{radix} number"))
}

/// Docker's `units.RAMInBytes`: a number with an optional binary unit
/// (`b`, `k`, `m`, `g`, `t`, `p`, with or without a trailing `b`).
pub(crate) fn byte_size(value: &str) -> Result<u64, String> {
    let bad = || format!("{value:?} is not a size (like 64m)");
    let lower = value.trim().to_ascii_lowercase();
    let unit_start = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(unit_start);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let shift = match unit.trim_end_matches('b').trim_end_matches('i') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return Err(bad()),
    };
    Ok((number * (1u64 << shift) as f64) as u64)
}

/// Comma-separated fields; a field may be double-quoted, with `""` for a
/// quote inside (Go's `encoding/csv`).
fn csv_fields(spec: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = spec.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if in_quotes => in_quotes = false,
            '"' if field.is_empty() => in_quotes = true,
            ',' if !in_quotes => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err("a quoted field is not closed".to_string());
    }
    fields.push(field);
    Ok(fields.into_iter().filter(|f| !f.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(spec: &str) -> Mount {
        parse_mount(spec, None).unwrap()
    }

    #[test]
    fn cache_mounts_are_writable_and_named_by_their_target() {
        let m = mount("type=cache,target=/root/.cache/pip");
        assert_eq!(m.kind, MountKind::Cache);
        assert!(!m.readonly);
        assert_eq!(m.id.as_deref(), Some("/root/.cache/pip"));
        let m = mount("type=cache,id=apt,target=/var/cache/apt,sharing=locked,mode=0700,uid=1000");
        assert_eq!(m.id.as_deref(), Some("apt"));
        assert_eq!(
            (m.sharing, m.mode, m.uid),
            (CacheSharing::Locked, Some(0o700), Some(1000))
        );
    }

    #[test]
    fn bind_mounts_are_read_only_unless_rw() {
        let m = mount("target=/src");
        assert_eq!(m.kind, MountKind::Bind);
        assert!(m.readonly);
        let m = mount("type=bind,from=builder,source=/out,target=/in,rw");
        assert_eq!(
            (m.from.as_deref(), m.source.as_deref()),
            (Some("builder"), Some("/out"))
        );
        assert!(!m.readonly);
        assert!(!mount("type=bind,target=/x,readwrite=true").readonly);
    }

    #[test]
    fn secret_defaults() {
        let m = mount("type=secret,id=token");
        assert_eq!(m.target.as_deref(), Some("/run/secrets/token"));
        assert!(m.readonly);
        let m = mount("type=secret,target=/etc/pass,required");
        assert_eq!((m.id.as_deref(), m.required), (Some("pass"), true));
        let m = mount("type=secret,id=k,env=API_KEY");
        assert_eq!((m.target, m.env.as_deref()), (None, Some("API_KEY")));
    }

    #[test]
    fn tmpfs_size_and_quoted_fields() {
        let m = mount("type=tmpfs,target=/t,size=64m");
        assert_eq!(m.size, Some(64 << 20));
        let m = mount(r#"type=bind,"target=/a,b""#);
        assert_eq!(m.target.as_deref(), Some("/a,b"));
    }

    #[test]
    fn variables_wait_for_expansion() {
        let m = mount("type=cache,target=$DIR,uid=$UID");
        assert_eq!((m.target.as_deref(), m.uid), (Some("$DIR"), None));
        let expand = |w: &str| Ok(w.replace("$DIR", "/d").replace("$UID", "7"));
        let m = parse_mount("type=cache,target=$DIR,uid=$UID", Some(&expand)).unwrap();
        assert_eq!((m.target.as_deref(), m.uid), (Some("/d"), Some(7)));
    }

    #[test]
    fn bad_mounts() {
        for spec in [
            "type=nfs,target=/x",
            "type=cache",
            "type=bind,target=/x,mode=0700",
            "type=bind,target=/x,sharing=locked",
            "type=cache,target=/x,bogus=1",
            "type=cache,target=/x,mode=9",
            "type=secret",
            "type=bind,target=/x,required",
            "type=cache,target=/x,foo",
        ] {
            assert!(parse_mount(spec, None).is_err(), "{spec}");
        }
    }
}
