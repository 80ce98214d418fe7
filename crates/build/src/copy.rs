//! COPY and ADD: which files a step reads, and writing them into the image.
//!
//! Sources follow Docker's rules (CASES C17): a directory's contents are copied,
//! not the directory itself; wildcards match in the context at their depth;
//! several sources need a destination that ends in `/`; a single file goes to
//! `dest/NAME` when the destination ends in `/` or is a directory already, else
//! it becomes `dest`. Files keep their mode and modification time, and are owned
//! by root unless `--chown` says otherwise; `--chmod` sets every mode. ADD also
//! extracts local tar archives (plain, gzip, zstd, bzip2 or xz) and downloads URLs (mode
//! 0600, as Docker gives them).

use std::io::Read as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use rustix::fs::Timespec;

use crate::context::{self, Context, Kind};
use crate::error::{BuildError, StepError};
use crate::inroot::{self, Owner, Root};

/// One thing a COPY or ADD writes.
#[derive(Debug, Clone)]
pub enum Item {
    /// A file, directory or symlink on the host (context, `--from` image, download).
    Host {
        /// Where it is.
        path: PathBuf,
        /// Its name, for `dest/NAME`.
        name: String,
        /// For the context: the relative path, whose included descendants are
        /// copied (the context may leave some out).
        context: Option<String>,
        /// ADD of a local archive: extract it.
        is_archive: bool,
        /// Mode for a download (0600), instead of the file's own.
        mode: Option<u32>,
    },
    /// `COPY <<EOF /dest`: a file with this content.
    Inline {
        /// The file name.
        name: String,
        /// The content.
        content: String,
    },
}

/// How the files of a step are written.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The destination, absolute, as written after WORKDIR (a trailing `/` kept).
    pub dest: String,
    /// Owner of everything written (`--chown`), else root.
    pub owner: Owner,
    /// `--chmod`.
    pub mode: Option<u32>,
    /// COPY or ADD, for messages.
    pub keyword: &'static str,
}

/// Checks the number of items against the destination.
pub fn check_destination(items: &[Item], placement: &Placement) -> Result<(), StepError> {
    if items.len() > 1 && !placement.dest.ends_with('/') {
        return Err(StepError::DestinationNotDirectory {
            keyword: placement.keyword,
        });
    }
    Ok(())
}

/// Writes every item into `root`.
pub fn write_items(
    root: &Root,
    items: &[Item],
    placement: &Placement,
    context: &Context,
) -> Result<(), StepError> {
    let dest = inroot::clean(&placement.dest);
    let is_dir_dest = placement.dest.ends_with('/') || items.len() > 1 || root.is_dir(&dest);
    for item in items {
        match item {
            Item::Inline { name, content } => {
                let target = match is_dir_dest {
                    true => format!("{}/{name}", dest.trim_end_matches('/')),
                    false => dest.clone(),
                };
                let mode = placement.mode.unwrap_or(0o644);
                root.write_file(
                    &target,
                    &mut content.as_bytes(),
                    mode,
                    placement.owner,
                    None,
                )?;
            }
            Item::Host {
                path,
                name,
                context: relative,
                is_archive,
                mode,
            } => {
                let metadata = std::fs::symlink_metadata(path).map_err(read_failed(path))?;
                if *is_archive {
                    extract_archive(root, path, &dest)?;
                } else if metadata.is_dir() {
                    let dir_mode = placement.mode.unwrap_or(metadata.permissions().mode());
                    root.make_dir(&dest, dir_mode, placement.owner)?;
                    match relative {
                        Some(relative) => {
                            copy_context_tree(root, context, relative, &dest, placement)?
                        }
                        None => copy_host_tree(root, path, &dest, placement, None)?,
                    }
                } else {
                    let target = match is_dir_dest {
                        true => format!("{}/{name}", dest.trim_end_matches('/')),
                        false => dest.clone(),
                    };
                    let mut placement = placement.clone();
                    placement.mode = placement.mode.or(*mode);
                    copy_one(root, path, &metadata, &target, &placement, None)?;
                }
            }
        }
    }
    Ok(())
}

fn read_failed(path: &Path) -> impl Fn(std::io::Error) -> StepError + '_ {
    move |source| {
        StepError::Build(BuildError::Context {
            path: path.to_owned(),
            source,
        })
    }
}

/// Copies what the context includes under `relative` into `dest`.
fn copy_context_tree(
    root: &Root,
    context: &Context,
    relative: &str,
    dest: &str,
    placement: &Placement,
) -> Result<(), StepError> {
    for (path, entry) in context.descendants(relative) {
        let host = context.path(&context::join(relative, path));
        let target = format!("{}/{path}", dest.trim_end_matches('/'));
        match entry.kind {
            Kind::Dir => {
                let mode = placement.mode.unwrap_or(entry.mode);
                root.make_dir(&target, mode, placement.owner)?;
            }
            Kind::File | Kind::Symlink | Kind::Other => {
                let metadata = std::fs::symlink_metadata(&host).map_err(read_failed(&host))?;
                copy_one(root, &host, &metadata, &target, placement, None)?;
            }
        }
    }
    Ok(())
}

/// Copies the host directory `dir` (a `--from` image's, or an extracted
/// archive's) into `dest`; `keep_owner` keeps the files' own owners.
fn copy_host_tree(
    root: &Root,
    dir: &Path,
    dest: &str,
    placement: &Placement,
    keep_owner: Option<()>,
) -> Result<(), StepError> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(read_failed(dir))?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        let host = dir.join(&name);
        let target = format!("{}/{}", dest.trim_end_matches('/'), name.to_string_lossy());
        let metadata = std::fs::symlink_metadata(&host).map_err(read_failed(&host))?;
        if metadata.is_dir() {
            let owner = owner_of(&metadata, placement, keep_owner);
            let mode = placement.mode.unwrap_or(metadata.permissions().mode());
            root.make_dir(&target, mode, owner)?;
            copy_host_tree(root, &host, &target, placement, keep_owner)?;
        } else {
            copy_one(root, &host, &metadata, &target, placement, keep_owner)?;
        }
    }
    Ok(())
}

fn owner_of(metadata: &std::fs::Metadata, placement: &Placement, keep: Option<()>) -> Owner {
    match keep {
        Some(()) => Owner {
            uid: metadata.uid(),
            gid: metadata.gid(),
        },
        None => placement.owner,
    }
}

/// Copies one file or symlink to `target`.
fn copy_one(
    root: &Root,
    host: &Path,
    metadata: &std::fs::Metadata,
    target: &str,
    placement: &Placement,
    keep_owner: Option<()>,
) -> Result<(), StepError> {
    let owner = owner_of(metadata, placement, keep_owner);
    if metadata.file_type().is_symlink() {
        let link = std::fs::read_link(host).map_err(read_failed(host))?;
        root.symlink(target, &link, owner)?;
        return Ok(());
    }
    if !metadata.is_file() {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = metadata.file_type();
        if kind.is_socket() {
            // A socket cannot be copied; Docker leaves it out too.
            return Ok(());
        }
        let mode = placement.mode.unwrap_or(metadata.permissions().mode());
        root.make_node(target, metadata, mode, owner)?;
        return Ok(());
    }
    let mut file = std::fs::File::open(host).map_err(read_failed(host))?;
    let mode = placement.mode.unwrap_or(metadata.permissions().mode());
    let mtime = Timespec {
        tv_sec: metadata.mtime(),
        tv_nsec: metadata.mtime_nsec() as _,
    };
    root.write_file(target, &mut file, mode, owner, Some(mtime))?;
    Ok(())
}

/// Copies the host directory `dir` into `dest` of `root`, keeping owners and
/// modes (for `--output type=local`).
pub fn copy_tree(root: &Root, dir: &Path, dest: &str) -> Result<(), StepError> {
    let placement = Placement {
        dest: dest.to_owned(),
        owner: Owner::default(),
        mode: None,
        keyword: "COPY",
    };
    copy_host_tree(root, dir, dest, &placement, Some(()))
}

/// Whether the file at `path` is a tar archive ADD extracts: a tar (its
/// `ustar` magic), plain or compressed with gzip, zstd, bzip2 or xz. Anything
/// else, a compressed file that is no tar too, is copied as it is, as Docker does.
pub fn is_archive(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok((_, mut decompressed)) = container_layer::Decompressed::new(file) else {
        return false;
    };
    let mut head = vec![0u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        match decompressed.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled >= 262 && &head[257..262] == b"ustar"
}

/// Extracts a tar into `dest`, keeping the archive's owners and modes. The
/// archive is unpacked safely into a scratch directory first, then merged.
fn extract_archive(root: &Root, archive: &Path, dest: &str) -> Result<(), StepError> {
    let scratch = tempfile::tempdir().map_err(read_failed(archive))?;
    let file = std::fs::File::open(archive).map_err(read_failed(archive))?;
    container_layer::apply(std::io::BufReader::new(file), scratch.path(), &[]).map_err(|e| {
        StepError::Unsupported {
            what: format!("extracting `{}` ({e})", archive.display()),
        }
    })?;
    root.make_dir(dest, 0o755, Owner::default())?;
    let placement = Placement {
        dest: dest.to_owned(),
        owner: Owner::default(),
        mode: None,
        keyword: "ADD",
    };
    copy_host_tree(root, scratch.path(), dest, &placement, Some(()))
}

/// `--chown=user[:group]` as IDs, names looked up in the image's `passwd` and
/// `group` files.
pub fn resolve_owner(
    spec: &str,
    passwd: Option<&str>,
    group: Option<&str>,
) -> Result<Owner, StepError> {
    let (user, group_name) = match spec.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (spec, None),
    };
    let find = |file: Option<&str>, name: &str, what: &'static str, file_name: &'static str| {
        if let Ok(id) = name.parse::<u32>() {
            return Ok((id, None));
        }
        file.unwrap_or_default()
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|fields| fields.first() == Some(&name))
            .and_then(|fields| {
                let id = fields.get(2)?.parse::<u32>().ok()?;
                let primary = fields.get(3).and_then(|g| g.parse::<u32>().ok());
                Some((id, primary))
            })
            .ok_or_else(|| StepError::UnknownOwner {
                what,
                name: name.to_owned(),
                file: file_name,
            })
    };
    let (uid, primary) = find(passwd, user, "user", "passwd")?;
    let gid = match group_name {
        Some(name) => find(group, name, "group", "group")?.0,
        // A user alone takes its own group ID as the group, as Docker does for
        // numeric IDs, and its primary group for names.
        None => primary.unwrap_or(uid),
    };
    Ok(Owner { uid, gid })
}

/// `--chmod=0755` as a mode.
pub fn parse_chmod(value: &str) -> Result<u32, StepError> {
    u32::from_str_radix(value, 8)
        .ok()
        .filter(|mode| *mode <= 0o7777)
        .ok_or_else(|| StepError::InvalidChmod {
            value: value.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_resolve_by_name_and_number() {
        let passwd = "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n";
        let group = "root:x:0:\nstaff:x:50:\n";
        let owner = |spec| resolve_owner(spec, Some(passwd), Some(group));
        assert_eq!(
            owner("app").unwrap(),
            Owner {
                uid: 1000,
                gid: 1001
            }
        );
        assert_eq!(owner("app:staff").unwrap(), Owner { uid: 1000, gid: 50 });
        assert_eq!(owner("7:8").unwrap(), Owner { uid: 7, gid: 8 });
        assert_eq!(owner("7").unwrap(), Owner { uid: 7, gid: 7 });
        assert!(owner("nobody-here").is_err());
        assert_eq!(parse_chmod("0755").unwrap(), 0o755);
        assert!(parse_chmod("u+x").is_err());
    }
}
