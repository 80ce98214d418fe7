//! `container system df`: disk used by images, containers, volumes and the build
//! cache, and how much of it a prune would give back, as Docker shows it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use container_runtime::ContainerRecord;
use container_store::Image;
use serde_json::json;

use crate::cli::DfArgs;
use crate::context::Context;
use crate::output::{Format, Table, human_since, human_size};

/// What is measured.
struct Usage {
    images: Vec<Image>,
    /// Unpacked size of each layer, by chain ID.
    layer_sizes: BTreeMap<String, u64>,
    /// Image IDs some container uses.
    active_images: BTreeSet<String>,
    containers: Vec<(ContainerRecord, u64)>,
    /// Name, IDs of the containers using it, size.
    volumes: Vec<(String, Vec<String>, u64)>,
    build_cache: (usize, u64),
}

pub fn run(context: &Context, args: DfArgs) -> anyhow::Result<ExitCode> {
    let usage = measure(context)?;
    let mut out = std::io::stdout().lock();
    if let Some(format) = args.format.as_deref() {
        let format = Format::parse(Some(format))?;
        format.write_rows(&mut out, &summary_rows(&usage))?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.verbose {
        write_verbose(&mut out, &usage)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(vec!["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
    for row in summary_rows(&usage) {
        let field = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
        table.push(vec![
            field("Type"),
            field("TotalCount"),
            field("Active"),
            field("Size"),
            field("Reclaimable"),
        ]);
    }
    table.write(&mut out)?;
    Ok(ExitCode::SUCCESS)
}

fn measure(context: &Context) -> anyhow::Result<Usage> {
    let runtime = context.containers()?;
    let store = runtime.store();
    let images = store.images()?;
    let records = runtime.list()?;
    let mut layer_sizes = BTreeMap::new();
    for image in &images {
        let sizes = store.layer_sizes(image);
        layer_sizes.extend(image.chain_ids.iter().cloned().zip(sizes));
    }
    let active_images = records.iter().map(|r| r.image.id.clone()).collect();
    let containers = records
        .into_iter()
        .map(|r| {
            let size = dir_size(&runtime.paths().upper(&r.id));
            (r, size)
        })
        .collect();
    let volumes = runtime
        .volumes()?
        .into_iter()
        .map(|v| {
            let size = dir_size(&v.volume.mountpoint);
            (v.volume.name, v.containers, size)
        })
        .collect();
    // TODO: read the build cache through the build crate once it has an API for it
    let cache_dir = store.root().join("build-cache");
    let cache_entries = std::fs::read_dir(&cache_dir).map_or(0, |d| d.flatten().count());
    Ok(Usage {
        images,
        layer_sizes,
        active_images,
        containers,
        volumes,
        build_cache: (cache_entries, dir_size(&cache_dir)),
    })
}

/// One row per type, with Docker's `--format` field names.
fn summary_rows(usage: &Usage) -> Vec<serde_json::Value> {
    let active_chains: BTreeSet<&String> = usage
        .images
        .iter()
        .filter(|i| usage.active_images.contains(&i.id))
        .flat_map(|i| &i.chain_ids)
        .collect();
    let images_size: u64 = usage.layer_sizes.values().sum();
    let images_reclaimable: u64 = usage
        .layer_sizes
        .iter()
        .filter(|(chain, _)| !active_chains.contains(chain))
        .map(|(_, size)| size)
        .sum();
    let active_images = usage
        .images
        .iter()
        .filter(|i| usage.active_images.contains(&i.id))
        .count();

    let running = usage.containers.iter().filter(|(r, _)| r.is_running());
    let containers_size: u64 = usage.containers.iter().map(|(_, s)| s).sum();
    let running_size: u64 = running.clone().map(|(_, s)| s).sum();
    let volumes_size: u64 = usage.volumes.iter().map(|v| v.2).sum();
    let unused_volumes: u64 = usage
        .volumes
        .iter()
        .filter(|v| v.1.is_empty())
        .map(|v| v.2)
        .sum();
    let (cache_count, cache_size) = usage.build_cache;

    let row = |kind: &str, total: usize, active: usize, size: u64, reclaimable: u64| {
        json!({
            "Type": kind,
            "TotalCount": total.to_string(),
            "Active": active.to_string(),
            "Size": human_size(size),
            "Reclaimable": reclaimable_text(reclaimable, size),
        })
    };
    vec![
        row(
            "Images",
            usage.images.len(),
            active_images,
            images_size,
            images_reclaimable,
        ),
        row(
            "Containers",
            usage.containers.len(),
            running.count(),
            containers_size,
            containers_size - running_size,
        ),
        row(
            "Local Volumes",
            usage.volumes.len(),
            usage.volumes.iter().filter(|v| !v.1.is_empty()).count(),
            volumes_size,
            unused_volumes,
        ),
        row("Build Cache", cache_count, 0, cache_size, cache_size),
    ]
}

/// `4.2MB (49%)`, or just the size when nothing is held.
fn reclaimable_text(reclaimable: u64, size: u64) -> String {
    match size {
        0 => human_size(reclaimable),
        _ => format!(
            "{} ({}%)",
            human_size(reclaimable),
            reclaimable * 100 / size
        ),
    }
}

fn write_verbose(out: &mut impl std::io::Write, usage: &Usage) -> anyhow::Result<()> {
    let mut uses: BTreeMap<&String, usize> = BTreeMap::new();
    for image in &usage.images {
        for chain in &image.chain_ids {
            *uses.entry(chain).or_default() += 1;
        }
    }
    writeln!(out, "Images space usage:\n")?;
    let mut table = Table::new(vec![
        "REPOSITORY",
        "TAG",
        "IMAGE ID",
        "CREATED",
        "SIZE",
        "SHARED SIZE",
        "UNIQUE SIZE",
        "CONTAINERS",
    ]);
    for image in &usage.images {
        let shared: u64 = image
            .chain_ids
            .iter()
            .filter(|c| uses.get(c).copied().unwrap_or(0) > 1)
            .map(|c| usage.layer_sizes.get(c).copied().unwrap_or(0))
            .sum();
        let containers = usage
            .containers
            .iter()
            .filter(|(r, _)| r.image.id == image.id)
            .count();
        let names: Vec<(String, String)> = match image.tags.is_empty() {
            true => vec![("<none>".into(), "<none>".into())],
            false => image
                .tags
                .iter()
                .map(|t| (t.familiar_name(), t.tag().unwrap_or("latest").to_owned()))
                .collect(),
        };
        for (repository, tag) in names {
            table.push(vec![
                repository,
                tag,
                image.short_id().to_owned(),
                human_since(image.config.created.as_deref()),
                human_size(image.size),
                human_size(shared),
                human_size(image.size.saturating_sub(shared)),
                containers.to_string(),
            ]);
        }
    }
    table.write(out)?;

    writeln!(out, "\nContainers space usage:\n")?;
    let mut table = Table::new(vec![
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "LOCAL VOLUMES",
        "SIZE",
        "CREATED",
        "STATUS",
        "NAMES",
    ]);
    for (record, size) in &usage.containers {
        let volumes = usage
            .volumes
            .iter()
            .filter(|v| v.1.contains(&record.id))
            .count();
        table.push(vec![
            record.short_id().to_owned(),
            record.image.reference.clone(),
            super::ps::command(record, false),
            volumes.to_string(),
            human_size(*size),
            human_since(Some(&record.created)),
            super::ps::status(record),
            record.name.clone(),
        ]);
    }
    table.write(out)?;

    writeln!(out, "\nLocal Volumes space usage:\n")?;
    let mut table = Table::new(vec!["VOLUME NAME", "LINKS", "SIZE"]);
    for (name, links, size) in &usage.volumes {
        table.push(vec![
            name.clone(),
            links.len().to_string(),
            human_size(*size),
        ]);
    }
    table.write(out)?;
    writeln!(
        out,
        "\nBuild cache usage: {}",
        human_size(usage.build_cache.1)
    )?;
    Ok(())
}

/// Bytes of the files under `dir`, not following links; 0 when it is missing.
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(m) if m.is_dir() => dir_size(&entry.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
