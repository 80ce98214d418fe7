//! `container images`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::bail;
use container_store::{Image, short_id};
use serde_json::{Value, json};

use crate::cli::ImagesArgs;
use crate::context::Context;
use crate::output::{Format, Table, docker_time, human_since, human_size};

/// One line of the listing: an image under one of its names.
struct Row<'a> {
    image: &'a Image,
    repository: String,
    tag: String,
    digest: String,
}

/// Column names for `--format 'table …'`, as Docker's `images` has them.
const HEADERS: &[(&str, &str)] = &[
    ("ID", "IMAGE ID"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
];

pub fn run(context: &Context, args: ImagesArgs) -> anyhow::Result<ExitCode> {
    let store = context.store()?;
    let images = store.images()?;
    let filters = Filters::parse(&args.filters, &store)?;
    let mut rows: Vec<Row> = images
        .iter()
        .flat_map(rows_of)
        .filter(|r| filters.keep(r))
        .collect();
    if let Some(pattern) = &args.reference {
        rows.retain(|r| matches_reference(pattern, r));
    }

    let mut out = std::io::stdout().lock();
    if args.quiet {
        for row in &rows {
            writeln!(
                out,
                "{}",
                if args.no_trunc {
                    row.image.id.clone()
                } else {
                    short_id(&row.image.id).to_owned()
                }
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    match Format::parse(args.format.as_deref())?.with_headers(HEADERS) {
        Format::Table => table(&rows, &args).write(&mut out)?,
        format => format.write_rows(&mut out, &rows.iter().map(to_json).collect::<Vec<_>>())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn rows_of(image: &Image) -> Vec<Row<'_>> {
    let digest_for = |name: &str| {
        let prefix = format!("{name}@");
        image
            .repo_digests
            .iter()
            .find_map(|d| d.strip_prefix(&prefix))
            .unwrap_or("<none>")
            .to_owned()
    };
    if image.tags.is_empty() {
        let digest = image
            .repo_digests
            .first()
            .and_then(|d| d.split_once('@'))
            .map(|(_, d)| d.to_owned());
        let repository = match image.repo_digests.first().and_then(|d| d.split_once('@')) {
            Some((name, _)) => familiar_repository(name),
            None => "<none>".into(),
        };
        return vec![Row {
            image,
            repository,
            tag: "<none>".into(),
            digest: digest.unwrap_or_else(|| "<none>".into()),
        }];
    }
    image
        .tags
        .iter()
        .map(|tag| Row {
            image,
            repository: tag.familiar_name(),
            tag: tag.tag().unwrap_or("<none>").to_owned(),
            digest: digest_for(&tag.name()),
        })
        .collect()
}

fn familiar_repository(name: &str) -> String {
    container_reference::Reference::parse(name)
        .map(|r| r.familiar_name())
        .unwrap_or_else(|_| name.to_owned())
}

fn table(rows: &[Row], args: &ImagesArgs) -> Table {
    let mut headers = vec!["REPOSITORY", "TAG"];
    if args.digests {
        headers.push("DIGEST");
    }
    headers.extend(["IMAGE ID", "CREATED", "SIZE"]);
    let mut table = Table::new(headers);
    for row in rows {
        let mut cells = vec![row.repository.clone(), row.tag.clone()];
        if args.digests {
            cells.push(row.digest.clone());
        }
        let id = if args.no_trunc {
            row.image.id.clone()
        } else {
            short_id(&row.image.id).to_owned()
        };
        cells.extend([
            id,
            human_since(row.image.config.created.as_deref()),
            human_size(row.image.size),
        ]);
        table.push(cells);
    }
    table
}

/// The fields Docker's `images --format` knows.
fn to_json(row: &Row) -> Value {
    let created = row.image.config.created.as_deref();
    json!({
        "Containers": "N/A",
        "CreatedAt": docker_time(created),
        "CreatedSince": human_since(created),
        "Digest": row.digest,
        "ID": short_id(&row.image.id),
        "Repository": row.repository,
        "SharedSize": "N/A",
        "Size": human_size(row.image.size),
        "Tag": row.tag,
        "UniqueSize": "N/A",
        "VirtualSize": human_size(row.image.size),
    })
}

/// `alpine`, `library/*` or `alpine:3*` against a row's familiar name.
fn matches_reference(pattern: &str, row: &Row) -> bool {
    let with_tag = format!("{}:{}", row.repository, row.tag);
    if pattern.contains(':') {
        glob(pattern, &with_tag)
    } else {
        glob(pattern, &row.repository)
    }
}

/// `*` matches within a path component, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && t[0] != b'/' && go(p, &t[1..])),
            (Some(b'?'), Some(c)) if *c != b'/' => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// `--filter` terms; several terms of one key match when any does, keys all must.
#[derive(Default)]
struct Filters {
    dangling: Option<bool>,
    references: Vec<String>,
    labels: Vec<(String, Option<String>)>,
    before: Option<String>,
    since: Option<String>,
}

impl Filters {
    fn parse(terms: &[String], store: &container_store::Store) -> anyhow::Result<Filters> {
        let mut filters = Filters::default();
        for term in terms {
            let Some((key, value)) = term.split_once('=') else {
                bail!("invalid filter `{term}`: filters look like KEY=VALUE");
            };
            match key {
                "dangling" => filters.dangling = Some(parse_bool(value)?),
                "reference" => filters.references.push(value.to_owned()),
                "label" => {
                    let (k, v) = value
                        .split_once('=')
                        .map_or((value, None), |(k, v)| (k, Some(v.to_owned())));
                    filters.labels.push((k.to_owned(), v));
                }
                "before" => filters.before = store.resolve(value)?.config.created,
                "since" => filters.since = store.resolve(value)?.config.created,
                other => bail!(
                    "unknown filter `{other}`: use dangling, reference, label, before or since"
                ),
            }
        }
        Ok(filters)
    }

    fn keep(&self, row: &Row) -> bool {
        let created = row.image.config.created.clone();
        let labels = row.image.config.labels();
        self.dangling.is_none_or(|d| d == row.image.is_dangling())
            && (self.references.is_empty()
                || self.references.iter().any(|p| matches_reference(p, row)))
            && self.labels.iter().all(|(k, v)| {
                labels
                    .get(k)
                    .is_some_and(|have| v.as_ref().is_none_or(|v| v == have))
            })
            && self
                .before
                .as_ref()
                .is_none_or(|b| created.as_ref().is_some_and(|c| c < b))
            && self
                .since
                .as_ref()
                .is_none_or(|s| created.as_ref().is_some_and(|c| c > s))
    }
}

fn parse_bool(value: &str) -> anyhow::Result<bool> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => bail!("invalid boolean `{other}` in filter: use true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_stay_within_path_components() {
        assert!(glob("alpine", "alpine"));
        assert!(glob("library/*", "library/alpine"));
        assert!(!glob("*", "library/alpine"));
        assert!(glob("alp?ne:3*", "alpine:3.20"));
    }
}
