//! `container save` and `container load`

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use container_store::ArchiveFormat;

use crate::cli::{LoadArgs, SaveArgs, SaveFormat};
use crate::context::Context;

pub fn save(context: &Context, args: SaveArgs) -> anyhow::Result<ExitCode> {
    let store = context.store()?;
    let format = match args.format {
        SaveFormat::DockerArchive => ArchiveFormat::DockerArchive,
        SaveFormat::OciArchive => ArchiveFormat::OciArchive,
    };
    let shown = args.images.join(", ");
    let saved = match &args.output {
        Some(path) => save_to_file(&store, &args.images, format, path),
        None if std::io::stdout().is_terminal() => {
            bail!("cowardly refusing to save to a terminal: use the -o flag or redirect stdout")
        }
        None => {
            let stdout = std::io::BufWriter::new(std::io::stdout().lock());
            store
                .save(&args.images, format, stdout)
                .map_err(anyhow::Error::from)
        }
    };
    saved.with_context(|| format!("saving {shown}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes a temporary file beside `path`, renamed into place once complete.
fn save_to_file(
    store: &container_store::Store,
    images: &[String],
    format: ArchiveFormat,
    path: &Path,
) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().context("the output path names no file")?;
    let temp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<()> {
        let file = std::fs::File::create(&temp)
            .with_context(|| format!("creating `{}`", temp.display()))?;
        let mut out = std::io::BufWriter::new(file);
        store.save(images, format, &mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temp, path).with_context(|| format!("writing `{}`", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

pub fn load(context: &Context, args: LoadArgs) -> anyhow::Result<ExitCode> {
    let store = context.store()?;
    let loaded = match &args.input {
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("opening `{}`", path.display()))?;
            store
                .load(file)
                .with_context(|| format!("loading `{}`", path.display()))?
        }
        None => {
            if std::io::stdin().is_terminal() {
                bail!("requested load from stdin, but stdin is a terminal: use -i FILE or a pipe");
            }
            store
                .load(std::io::stdin().lock())
                .context("loading the archive on stdin")?
        }
    };
    let mut out = std::io::stdout().lock();
    for image in loaded {
        if args.quiet {
            continue;
        }
        if image.names.is_empty() {
            writeln!(out, "Loaded image ID: {}", image.id)?;
        }
        for name in &image.names {
            writeln!(out, "Loaded image: {}", name.familiar())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
