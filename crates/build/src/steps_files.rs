//! COPY, ADD and WORKDIR: layer steps that write files through an overlay of the
//! current image (or, with `--link`, into an empty directory).

use std::os::fd::{AsRawFd as _, OwnedFd};
use std::path::PathBuf;

use container_dockerfile::{CopyFiles, Instruction, Source};
use container_store::Image;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::copy::{self, Item, Placement};
use crate::error::StepError;
use crate::inroot::{self, Owner, Root};
use crate::mounted::Mounted;
use crate::stage::{StageEnv, State, layer_step};

/// COPY or ADD.
pub(crate) fn copy(
    env: &StageEnv<'_>,
    state: &mut State,
    instruction: &Instruction,
    files: &CopyFiles,
    is_add: bool,
) -> Result<(), StepError> {
    let keyword = if is_add { "ADD" } else { "COPY" };
    check_supported(files, keyword)?;
    let dest = destination(&files.dest, &state.working_dir());
    let chown = files.chown.clone();
    let chmod = files.chmod.clone();
    let from = files.from.clone();

    let from_image = match &from {
        Some(name) => Some(crate::stage_from::from_image(env, state, name)?),
        None => None,
    };
    let mounted = match &from_image {
        Some(image) => Some(Mounted::new(env.store(), Some(image))?),
        None => None,
    };
    let reading = Reading {
        env,
        files,
        mounted: mounted.as_ref(),
        from: from.as_deref(),
        is_add,
    };
    let sources = reading.collect()?;
    let content = sources.content_key(env, from_image.as_ref())?;
    let placement = Placement {
        dest: dest.clone(),
        owner: match &chown {
            Some(spec) => owner_in(env, state.image.as_ref(), spec)?,
            None => Owner::default(),
        },
        mode: chmod.as_deref().map(copy::parse_chmod).transpose()?,
        keyword,
    };
    copy::check_destination(&sources.items, &placement)?;

    let description = json!({
        "kind": keyword,
        "sources": sources.words,
        "dest": dest,
        "chown": format!("{}:{}", placement.owner.uid, placement.owner.gid),
        "chmod": placement.mode,
        "link": files.link,
    });
    let key = state.next_key(&description, &content);
    let items = sources.items;
    let _held = sources.held;
    layer_step(env, state, instruction, key, &mut |state| {
        write_layer(env, state, &items, &placement, files.link)
    })
}

/// Writes the items through an overlay of the current image, or with `--link` into
/// an empty directory; returns the directory of the changes.
fn write_layer(
    env: &StageEnv<'_>,
    state: &State,
    items: &[Item],
    placement: &Placement,
    is_link: bool,
) -> Result<Option<PathBuf>, StepError> {
    if is_link {
        // TODO: a `--link` step's cache key still names its parent, so it is not reused on a new base
        let dir = env.store().scratch_dir("link")?;
        let root = Root::open(&dir)?;
        copy::write_items(&root, items, placement, env.context)?;
        return Ok(Some(dir));
    }
    let target = Mounted::new(env.store(), state.image.as_ref())?;
    {
        // The root's descriptor must be closed before the overlay can be unmounted.
        let root = Root::open(target.root())?;
        copy::write_items(&root, items, placement, env.context)?;
    }
    Ok(Some(target.into_upper()?))
}

/// What a COPY or ADD reads its sources from.
struct Reading<'a> {
    env: &'a StageEnv<'a>,
    files: &'a CopyFiles,
    mounted: Option<&'a Mounted>,
    from: Option<&'a str>,
    is_add: bool,
}

impl Reading<'_> {
    fn collect(&self) -> Result<Sources, StepError> {
        let mut sources = Sources::default();
        for source in &self.files.sources {
            let path = match source {
                Source::Heredoc(heredoc) => {
                    sources.add_inline(&heredoc.name, heredoc.body());
                    continue;
                }
                Source::Path(path) => path.clone(),
            };
            sources.words.push(path.clone());
            let may_extract = self.is_add && self.files.unpack != Some(false);
            match self.mounted {
                Some(mounted) => sources.add_from_image(mounted, &path, self.from)?,
                None if is_url(&path) && !self.is_add => return Err(StepError::UrlInCopy),
                None if is_url(&path) => {
                    sources.add_url(self.env, &path, self.files.checksum.as_deref())?
                }
                None => sources.add_context(self.env, &path, may_extract)?,
            }
        }
        Ok(sources)
    }
}

/// Flags the parser knows and this builder does not carry out yet are errors, never
/// silently ignored.
fn check_supported(files: &CopyFiles, keyword: &str) -> Result<(), StepError> {
    let unsupported = |what: &str| {
        Err(StepError::Unsupported {
            what: format!("`{keyword} {what}`"),
        })
    };
    if files.parents {
        // TODO: COPY --parents (keeping the sources' parent directories)
        return unsupported("--parents");
    }
    if !files.exclude.is_empty() {
        // TODO: COPY --exclude patterns
        return unsupported("--exclude");
    }
    if files.keep_git_dir {
        return unsupported("--keep-git-dir");
    }
    let is_git = |path: &str| path.starts_with("git@") || path.ends_with(".git");
    let has_git = files
        .sources
        .iter()
        .any(|s| matches!(s, Source::Path(p) if is_git(p)));
    if has_git {
        // TODO: ADD of a git repository
        return unsupported("of a git repository");
    }
    Ok(())
}

/// WORKDIR: the directory is made, and becomes the working directory.
pub(crate) fn workdir(
    env: &StageEnv<'_>,
    state: &mut State,
    instruction: &Instruction,
    path: &str,
) -> Result<(), StepError> {
    let path = match path.starts_with('/') {
        true => inroot::clean(path),
        false => inroot::clean(&format!("{}/{path}", state.working_dir())),
    };
    crate::image_config::set(&mut state.config, "WorkingDir", json!(path));
    // The directories WORKDIR makes belong to the current USER, as in BuildKit.
    let user = crate::image_config::string(&state.config, "User");
    let owner = match user.is_empty() {
        true => Owner::default(),
        false => owner_in(env, state.image.as_ref(), &user)?,
    };
    let description = json!({"workdir": path, "owner": format!("{}:{}", owner.uid, owner.gid)});
    let key = state.next_key(&description, "");
    layer_step(env, state, instruction, key, &mut |state| {
        let target = Mounted::new(env.store(), state.image.as_ref())?;
        {
            let root = Root::open(target.root())?;
            if !root.is_dir(&path) {
                root.create_dir_all(&path, owner)?;
            }
        }
        Ok(Some(target.into_upper()?))
    })
}

/// The destination made absolute against WORKDIR, a trailing `/` kept (and added
/// for `.`, which is a directory).
fn destination(dest: &str, working_dir: &str) -> String {
    let is_dir = dest.ends_with('/') || dest == "." || dest.ends_with("/.") || dest.is_empty();
    let absolute = match dest.starts_with('/') {
        true => inroot::clean(dest),
        false => inroot::clean(&format!("{working_dir}/{dest}")),
    };
    match is_dir && absolute != "/" {
        true => format!("{absolute}/"),
        false => absolute,
    }
}

fn is_url(path: &str) -> bool {
    container_dockerfile::is_url(path)
}

/// `--chown` as IDs, names looked up in the image's files.
fn owner_in(env: &StageEnv<'_>, image: Option<&Image>, spec: &str) -> Result<Owner, StepError> {
    let read = |path: &str| image.and_then(|i| read_image_file(env, i, path));
    let passwd = read("etc/passwd");
    let group = read("etc/group");
    copy::resolve_owner(spec, passwd.as_deref(), group.as_deref())
}

/// A file of an image, from the top-most layer that has it (a whiteout hides it).
fn read_image_file(env: &StageEnv<'_>, image: &Image, path: &str) -> Option<String> {
    use std::os::unix::fs::FileTypeExt as _;
    for chain_id in image.chain_ids.iter().rev() {
        let file = env.store().layer_path(chain_id).join(path);
        match std::fs::symlink_metadata(&file) {
            Ok(m) if m.file_type().is_char_device() => return None,
            Ok(m) if m.is_file() => return std::fs::read_to_string(&file).ok(),
            _ => {}
        }
    }
    None
}

/// What a COPY or ADD reads.
#[derive(Default)]
struct Sources {
    items: Vec<Item>,
    /// The source words after expansion, for the key.
    words: Vec<String>,
    /// Context entries read, for the content hash.
    context_paths: Vec<String>,
    /// Hashes of downloads, heredocs and `--from` paths.
    content: Sha256,
    /// Directories of a `--from` image kept open while copying, and downloads.
    held: Vec<Held>,
}

enum Held {
    Dir(#[allow(dead_code)] OwnedFd),
    File(#[allow(dead_code)] tempfile::NamedTempFile),
}

impl Sources {
    /// What the key says of the content: the `--from` image's ID or the context's
    /// content hash, and the hash of downloads, heredocs and `--from` paths.
    fn content_key(&self, env: &StageEnv<'_>, from: Option<&Image>) -> Result<String, StepError> {
        let rest = hex::encode(self.content.clone().finalize());
        Ok(match from {
            Some(image) => format!("{}:{rest}", image.id),
            None => format!("{}:{rest}", env.context.content_hash(&self.context_paths)?),
        })
    }

    fn add_inline(&mut self, name: &str, content: String) {
        self.content.update(name.as_bytes());
        self.content.update(content.as_bytes());
        self.items.push(Item::Inline {
            name: name.to_owned(),
            content,
        });
    }

    fn add_context(
        &mut self,
        env: &StageEnv<'_>,
        path: &str,
        may_extract: bool,
    ) -> Result<(), StepError> {
        let matches = env.context.matches(path);
        if matches.is_empty() {
            return Err(match crate::glob::has_wildcards(path) {
                true => StepError::NoSources,
                false => StepError::SourceNotFound {
                    path: path.to_owned(),
                },
            });
        }
        for relative in matches {
            let host = env.context.path(&relative);
            let name = relative.rsplit('/').next().unwrap_or_default().to_owned();
            let is_file = env
                .context
                .entry(&relative)
                .is_some_and(|e| e.kind == crate::context::Kind::File);
            self.items.push(Item::Host {
                is_archive: may_extract && is_file && copy::is_archive(&host),
                path: host,
                name,
                context: Some(relative.clone()),
                mode: None,
            });
            self.context_paths.push(relative);
        }
        Ok(())
    }

    fn add_from_image(
        &mut self,
        mounted: &Mounted,
        path: &str,
        from: Option<&str>,
    ) -> Result<(), StepError> {
        let from = from.unwrap_or_default().to_owned();
        let root = Root::open(mounted.root())?;
        let clean = inroot::clean(path);
        let (parent, last) = clean.rsplit_once('/').unwrap_or(("", &clean));
        let parent = if parent.is_empty() { "/" } else { parent };
        let not_found = || StepError::SourceNotInImage {
            path: path.to_owned(),
            from: from.clone(),
        };
        let fd = root.open_dir(parent).ok_or_else(not_found)?;
        let dir = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        // TODO: wildcards in `--from` sources match in the last component only
        let names: Vec<String> = match last {
            "" => vec![String::new()],
            last if crate::glob::has_wildcards(last) => {
                let mut names: Vec<String> = std::fs::read_dir(&dir)
                    .map_err(|_| not_found())?
                    .flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| crate::glob::matches(last, n))
                    .collect();
                names.sort();
                names
            }
            last => vec![last.to_owned()],
        };
        for name in &names {
            let host = if name.is_empty() {
                dir.clone()
            } else {
                dir.join(name)
            };
            if std::fs::symlink_metadata(&host).is_err() {
                return Err(not_found());
            }
            self.content.update(format!("{parent}/{name}\0").as_bytes());
            self.items.push(Item::Host {
                path: host,
                name: name.clone(),
                context: None,
                is_archive: false,
                mode: None,
            });
        }
        if names.is_empty() {
            return Err(StepError::NoSources);
        }
        self.held.push(Held::Dir(fd));
        Ok(())
    }

    fn add_url(
        &mut self,
        env: &StageEnv<'_>,
        url: &str,
        checksum: Option<&str>,
    ) -> Result<(), StepError> {
        let failed = |reason: String| StepError::Download {
            url: url.to_owned(),
            reason,
        };
        let body = env.tokio.block_on(async {
            let client = container_registry::web_client().map_err(|e| e.to_string())?;
            let response = client.get(url).send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("the server answered {status}"));
            }
            response.bytes().await.map_err(|e| e.to_string())
        });
        let body = body.map_err(failed)?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        if let Some(expected) = checksum
            && expected != digest
        {
            return Err(failed(format!("its checksum is {digest}, not {expected}")));
        }
        let mut file = tempfile::NamedTempFile::new().map_err(|e| failed(e.to_string()))?;
        std::io::Write::write_all(&mut file, &body).map_err(|e| failed(e.to_string()))?;
        self.content.update(url.as_bytes());
        self.content.update(Sha256::digest(&body));
        let name = url
            .split(['?', '#'])
            .next()
            .and_then(|u| u.rsplit('/').next())
            .filter(|n| !n.is_empty())
            .unwrap_or("index.html")
            .to_owned();
        self.items.push(Item::Host {
            path: file.path().to_owned(),
            name,
            context: None,
            is_archive: false,
            mode: Some(0o600),
        });
        self.held.push(Held::File(file));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_follow_workdir_and_keep_their_slash() {
        assert_eq!(destination(".", "/app"), "/app/");
        assert_eq!(destination("x", "/app"), "/app/x");
        assert_eq!(destination("/new", "/app"), "/new");
        assert_eq!(destination("/newdir/", "/"), "/newdir/");
        assert_eq!(destination(".", "/"), "/");
    }
}
