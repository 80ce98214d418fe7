//! `container history` / `container image history`

use std::io::Write as _;
use std::process::ExitCode;

use container_store::short_id;
use serde_json::{Value, json};

use crate::cli::HistoryArgs;
use crate::context::Context;
use crate::output::{Format, Table, human_since, human_size};

pub fn run(context: &Context, args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let store = context.store()?;
    let image = store.resolve(&args.name)?;
    let sizes = store.layer_sizes(&image);

    // Newest step first, as Docker shows it; each non-empty step owns the next layer.
    let mut layer = 0;
    let mut rows: Vec<Value> = Vec::new();
    for step in &image.config.history {
        let size = if step.empty_layer {
            0
        } else {
            sizes.get(layer).copied().unwrap_or(0)
        };
        layer += usize::from(!step.empty_layer);
        rows.push(json!({
            "CreatedAt": step.created,
            "CreatedBy": step.created_by.clone().unwrap_or_default(),
            "Comment": step.comment.clone().unwrap_or_default(),
            "Size": size,
        }));
    }
    rows.reverse();
    let newest_id = short_id(&image.id).to_owned();

    let mut out = std::io::stdout().lock();
    if args.quiet {
        writeln!(out, "{newest_id}")?;
        return Ok(ExitCode::SUCCESS);
    }
    match Format::parse(args.format.as_deref())? {
        Format::Table => {
            let mut table = Table::new(vec!["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]);
            for (i, row) in rows.iter().enumerate() {
                let id = if i == 0 {
                    newest_id.clone()
                } else {
                    "<missing>".into()
                };
                let mut by = row["CreatedBy"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\t', " ");
                if !args.no_trunc && by.chars().count() > 45 {
                    by = format!("{}…", by.chars().take(44).collect::<String>());
                }
                let size = row["Size"].as_u64().unwrap_or(0);
                let size = if args.human {
                    human_size(size)
                } else {
                    size.to_string()
                };
                let created = human_since(row["CreatedAt"].as_str());
                table.push(vec![
                    id,
                    created,
                    by,
                    size,
                    row["Comment"].as_str().unwrap_or_default().to_owned(),
                ]);
            }
            table.write(&mut out)?;
        }
        format => format.write_rows(&mut out, &rows)?,
    }
    Ok(ExitCode::SUCCESS)
}
