//! `container cp`: files between a container (running or not) and the host, by
//! Docker's rules:
//!
//! - a file copied to an existing directory lands in it; to a missing path, it is
//!   saved under that name (whose directory must exist; a trailing `/` says the
//!   path must be a directory);
//! - a directory copied to a missing path is created as that path; to an existing
//!   directory it goes inside it, or only its contents with `SRC/.`;
//! - `-` reads or writes a tar stream instead of a path.
//!
//! The container side runs in a helper process inside the container's filesystem
//! (`container __cp`, see `container_runtime::copy`); a tar stream joins the two.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};

use anyhow::{Context as _, bail};
use container_runtime::copy::Filesystem;
use serde_json::{Value, json};

use crate::cli::CpArgs;
use crate::context::Context;
use crate::output::human_size;

pub fn run(context: &Context, args: CpArgs) -> anyhow::Result<ExitCode> {
    let source = Location::parse(&args.source);
    let destination = Location::parse(&args.destination);
    let runtime = context.containers()?;
    let copied = match (&source, &destination) {
        (Location::Container(name, path), Location::Host(host)) => {
            let (_, filesystem) = runtime.filesystem(name)?;
            copy_out(&filesystem, path, host, &args)
                .with_context(|| format!("copying `{name}:{path}` to `{host}`"))?
        }
        (Location::Host(host), Location::Container(name, path)) => {
            let (_, filesystem) = runtime.filesystem(name)?;
            copy_in(&filesystem, host, path, &args)
                .with_context(|| format!("copying `{host}` to `{name}:{path}`"))?
        }
        (Location::Container(..), Location::Container(..)) => {
            bail!("copying between containers is not supported")
        }
        (Location::Host(_), Location::Host(_)) => {
            bail!("must specify at least one container source (`CONTAINER:PATH`)")
        }
    };
    if !args.quiet && args.destination != "-" {
        let mut stderr = std::io::stderr().lock();
        writeln!(
            stderr,
            "Successfully copied {} to {}",
            human_size(copied),
            args.destination
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One side of a copy. As in Docker, `NAME:PATH` is in a container unless the
/// argument starts with `/` or `.` (write `./a:b` for a host file named `a:b`).
enum Location {
    Host(String),
    Container(String, String),
}

impl Location {
    fn parse(text: &str) -> Location {
        if text.starts_with('/') || text.starts_with('.') {
            return Location::Host(text.to_owned());
        }
        match text.split_once(':') {
            Some((name, path)) if !name.is_empty() => {
                Location::Container(name.to_owned(), path.to_owned())
            }
            _ => Location::Host(text.to_owned()),
        }
    }
}

/// What a path is, on either side: `dir`, `file` (anything else), or `missing`,
/// and whether its directory exists.
pub fn describe(path: &Path, follow: bool) -> Value {
    let metadata = if follow {
        path.metadata()
    } else {
        path.symlink_metadata()
    };
    let kind = match metadata {
        Ok(m) if m.is_dir() => "dir",
        Ok(_) => "file",
        Err(_) => "missing",
    };
    let parent = path
        .parent()
        .is_none_or(|p| p.as_os_str().is_empty() || p.is_dir());
    json!({ "kind": kind, "parent": parent })
}

/// Where the copy lands: (directory, name of the top entry in it).
fn plan(
    source: &str,
    source_kind: &str,
    destination: &str,
    dest: &Value,
) -> anyhow::Result<(String, String)> {
    let is_contents = source == "." || source.ends_with("/.");
    let base = base_name(source);
    let (parent, name) = split(destination);
    match (source_kind, dest["kind"].as_str().unwrap_or("missing")) {
        ("dir", "dir") if is_contents => Ok((destination.to_owned(), ".".to_owned())),
        (_, "dir") => Ok((destination.to_owned(), base)),
        ("dir", "file") => bail!("cannot copy a directory to a file: `{destination}`"),
        (_, "file") => Ok((parent, name)),
        ("file", _) if destination.ends_with('/') => {
            bail!("destination directory `{destination}` must exist")
        }
        _ if dest["parent"] == false => bail!("no such directory: `{parent}`"),
        _ => Ok((parent, name)),
    }
}

/// The last component of a path, `.` and trailing slashes aside.
fn base_name(path: &str) -> String {
    let trimmed = path.trim_end_matches("/.").trim_end_matches('/');
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if name.is_empty() {
        "/".to_owned()
    } else {
        name.to_owned()
    }
}

/// (directory, last component) of a path, its trailing slashes aside.
fn split(path: &str) -> (String, String) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", name)) => ("/".to_owned(), name.to_owned()),
        Some((dir, name)) => (dir.to_owned(), name.to_owned()),
        None => (".".to_owned(), trimmed.to_owned()),
    }
}

fn copy_out(
    filesystem: &Filesystem,
    source: &str,
    destination: &str,
    args: &CpArgs,
) -> anyhow::Result<u64> {
    let info = helper_stat(filesystem, source, args.follow_link)?;
    let kind = info["kind"].as_str().unwrap_or("missing").to_owned();
    if kind == "missing" {
        bail!("no such file or directory in the container: `{source}`");
    }
    let (dir, name) = if destination == "-" {
        (String::new(), base_name(source))
    } else {
        plan(
            source,
            &kind,
            destination,
            &describe(Path::new(destination), true),
        )?
    };
    let mut pack = ["pack", source, "--name", &name].map(String::from).to_vec();
    if args.follow_link {
        pack.push("--follow".into());
    }
    let mut helper = helper(filesystem, &pack)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the copy helper")?;
    let stream = Counted::new(helper.stdout.take().expect("piped"));
    let copied = if destination == "-" {
        let mut stream = stream;
        std::io::copy(&mut stream, &mut std::io::stdout().lock())?;
        stream.count
    } else {
        let mut stream = stream;
        unpack(&mut stream, Path::new(&dir), args.archive)?;
        stream.count
    };
    finish(helper)?;
    Ok(copied)
}

fn copy_in(
    filesystem: &Filesystem,
    source: &str,
    destination: &str,
    args: &CpArgs,
) -> anyhow::Result<u64> {
    let info = helper_stat(filesystem, destination, true)?;
    let (dir, name, stream): (String, String, Option<&Path>) = if source == "-" {
        if info["kind"] != "dir" {
            bail!("the destination must be a directory when the source is `-`");
        }
        (destination.to_owned(), String::new(), None)
    } else {
        let described = describe(Path::new(source), args.follow_link);
        let kind = described["kind"].as_str().unwrap_or("missing");
        if kind == "missing" {
            bail!("no such file or directory: `{source}`");
        }
        let (dir, name) = plan(source, kind, destination, &info)?;
        (dir, name, Some(Path::new(source)))
    };
    let mut unpack = vec!["unpack".to_owned(), dir];
    if args.archive {
        unpack.push("--archive".into());
    }
    let mut helper = helper(filesystem, &unpack)
        .stdin(Stdio::piped())
        .spawn()
        .context("starting the copy helper")?;
    let mut input = Counted::new(helper.stdin.take().expect("piped"));
    match stream {
        None => {
            std::io::copy(&mut std::io::stdin().lock(), &mut input)?;
        }
        Some(path) => pack(path, &name, args.follow_link, &mut input)?,
    }
    let copied = input.count;
    drop(input);
    finish(helper)?;
    Ok(copied)
}

/// Writes `path` as a tar stream whose top entry is `name` (`.`: its contents).
/// Symlinks are kept as they are, but for the top one with `follow`.
pub fn pack(path: &Path, name: &str, follow: bool, out: impl Write) -> anyhow::Result<()> {
    let path = if follow {
        path.canonicalize()?
    } else {
        path.to_owned()
    };
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    if path.symlink_metadata()?.is_dir() {
        builder.append_dir_all(name, &path)?;
    } else {
        builder.append_path_with_name(&path, name)?;
    }
    builder.into_inner()?.flush()?;
    Ok(())
}

/// Extracts a tar stream into `dir`, keeping modes and times, and owners with
/// `archive`.
pub fn unpack(stream: impl Read, dir: &Path, archive: bool) -> anyhow::Result<()> {
    let mut tar = tar::Archive::new(stream);
    tar.set_preserve_permissions(true);
    tar.set_preserve_mtime(true);
    tar.set_preserve_ownerships(archive);
    tar.set_overwrite(true);
    tar.unpack(dir)?;
    Ok(())
}

fn helper_stat(filesystem: &Filesystem, path: &str, follow: bool) -> anyhow::Result<Value> {
    let mut args = ["stat", path].map(String::from).to_vec();
    if follow {
        args.push("--follow".into());
    }
    let output = helper(filesystem, &args)
        .output()
        .context("starting the copy helper")?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// `container __cp` with the way in and `action`; stderr is read by [`finish`].
fn helper(filesystem: &Filesystem, action: &[String]) -> Command {
    let mut command = Command::new("/proc/self/exe");
    command
        .arg("__cp")
        .args(filesystem.helper_args())
        .args(action)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn finish(mut helper: Child) -> anyhow::Result<()> {
    let mut errors = String::new();
    if let Some(mut stderr) = helper.stderr.take() {
        let _ = stderr.read_to_string(&mut errors);
    }
    let status = helper.wait()?;
    if !status.success() {
        let message = errors
            .trim()
            .strip_prefix("error: ")
            .unwrap_or(errors.trim())
            .to_owned();
        bail!("{}", message.replace("\n  caused by: ", ": "));
    }
    Ok(())
}

/// A reader or writer that counts the bytes through it.
struct Counted<T> {
    inner: T,
    count: u64,
}

impl<T> Counted<T> {
    fn new(inner: T) -> Counted<T> {
        Counted { inner, count: 0 }
    }
}

impl<T: Read> Read for Counted<T> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<T: Write> Write for Counted<T> {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buffer)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_paths_are_told_from_host_paths() {
        assert!(
            matches!(Location::parse("web:/etc/hosts"), Location::Container(n, p) if n == "web" && p == "/etc/hosts")
        );
        assert!(matches!(Location::parse("./a:b"), Location::Host(_)));
        assert!(matches!(Location::parse("/tmp/a:b"), Location::Host(_)));
        assert!(matches!(Location::parse("-"), Location::Host(_)));
    }

    #[test]
    fn copies_land_where_docker_puts_them() {
        let dir = json!({"kind": "dir", "parent": true});
        let file = json!({"kind": "file", "parent": true});
        let missing = json!({"kind": "missing", "parent": true});
        let orphan = json!({"kind": "missing", "parent": false});
        let plan = |s, k, d, v: &Value| plan(s, k, d, v).map_err(|e| e.to_string());
        assert_eq!(
            plan("/etc/hosts", "file", "/tmp", &dir).unwrap(),
            ("/tmp".into(), "hosts".into())
        );
        assert_eq!(
            plan("/etc/hosts", "file", "/tmp/h", &missing).unwrap(),
            ("/tmp".into(), "h".into())
        );
        assert_eq!(
            plan("/etc/hosts", "file", "/tmp/h", &file).unwrap(),
            ("/tmp".into(), "h".into())
        );
        assert!(plan("/etc/hosts", "file", "/tmp/new/", &missing).is_err());
        assert!(plan("/etc/hosts", "file", "/no/such/h", &orphan).is_err());
        assert_eq!(
            plan("/etc", "dir", "/tmp/copy", &missing).unwrap(),
            ("/tmp".into(), "copy".into())
        );
        assert_eq!(
            plan("/etc", "dir", "/tmp", &dir).unwrap(),
            ("/tmp".into(), "etc".into())
        );
        assert_eq!(
            plan("/etc/.", "dir", "/tmp", &dir).unwrap(),
            ("/tmp".into(), ".".into())
        );
        assert!(plan("/etc", "dir", "/tmp/f", &file).is_err());
        assert_eq!(
            plan("x", "file", "y", &missing).unwrap(),
            (".".into(), "y".into())
        );
    }
}
