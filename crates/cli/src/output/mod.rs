//! Rendering: tables, JSON, Go-style templates, human sizes and times.

pub mod template;

use std::io::Write;

use serde_json::Value;

/// Columns padded as Docker's tables are: left-aligned, three spaces apart.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: Vec<&'static str>) -> Table {
        Table {
            headers,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let header: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<width$}   ", width = widths[i]));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// How a listing is printed.
pub enum Format {
    Table,
    Json,
    Template(template::Template),
    /// `table TEMPLATE`: a header row, then the rows, columns (split at tabs) aligned.
    TableTemplate {
        template: template::Template,
        /// The template's text, from which the header is made.
        text: String,
        header: String,
    },
}

impl Format {
    /// `None`/`table` → table, `json` → JSON, anything else a template; a `table `
    /// prefix adds a header row and aligns the columns, as in Docker.
    pub fn parse(text: Option<&str>) -> anyhow::Result<Format> {
        match text.map(str::trim) {
            None | Some("") | Some("table") => Ok(Format::Table),
            Some("json") | Some("{{json .}}") => Ok(Format::Json),
            Some(other) => match other.strip_prefix("table ") {
                Some(body) => Ok(Format::TableTemplate {
                    template: template::Template::parse(body)?,
                    text: body.to_owned(),
                    header: header_for(body, &[]),
                }),
                None => Ok(Format::Template(template::Template::parse(other)?)),
            },
        }
    }

    /// Names a listing's columns as its own table does (`ID` is `CONTAINER ID` in
    /// `ps`, `IMAGE ID` in `images`); other fields get their name in capitals.
    pub fn with_headers(mut self, labels: &[(&str, &str)]) -> Format {
        if let Format::TableTemplate { text, header, .. } = &mut self {
            *header = header_for(text, labels);
        }
        self
    }

    /// Prints each row as JSON (one object per line) or through the template.
    pub fn write_rows(&self, out: &mut impl Write, rows: &[Value]) -> anyhow::Result<()> {
        if let Format::TableTemplate {
            template, header, ..
        } = self
        {
            let mut lines = vec![header.clone()];
            for row in rows {
                lines.push(template.render(row)?);
            }
            return Ok(write_aligned(out, &lines)?);
        }
        for row in rows {
            match self {
                Format::Json => writeln!(out, "{}", serde_json::to_string(row)?)?,
                Format::Template(template) => writeln!(out, "{}", template.render(row)?)?,
                Format::Table | Format::TableTemplate { .. } => {
                    unreachable!("tables are drawn by the command")
                }
            }
        }
        Ok(())
    }
}

/// What the `inspect` commands print for `--format text`: Docker's indented JSON
/// array when none is given (or `json`), else each object through the template,
/// so `{{json .}}` gives one compact line per object.
pub fn write_inspected(
    out: &mut impl Write,
    text: Option<&str>,
    found: &[Value],
) -> anyhow::Result<()> {
    match text.map(str::trim) {
        None | Some("") | Some("json") => {
            writeln!(out, "{}", serde_json::to_string_pretty(found)?)?;
            Ok(())
        }
        Some(_) => Format::parse(text)?.write_rows(out, found),
    }
}

/// The header row of a `table` template: each `{{…}}` becomes the label of the
/// last `.Field` in it, the text between stays.
fn header_for(text: &str, labels: &[(&str, &str)]) -> String {
    let mut header = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        header.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let action = &rest[start + 2..start + end];
        if let Some(field) = action.rsplit('.').next().filter(|_| action.contains('.')) {
            let field: String = field.chars().take_while(|c| c.is_alphanumeric()).collect();
            header.push_str(&label(&field, labels));
        }
        rest = &rest[start + end + 2..];
    }
    header.push_str(rest);
    header.replace("\\t", "\t")
}

/// `CreatedAt` → `CREATED AT`, unless `labels` names it.
fn label(field: &str, labels: &[(&str, &str)]) -> String {
    if let Some((_, label)) = labels.iter().find(|(name, _)| *name == field) {
        return (*label).to_owned();
    }
    let mut label = String::new();
    for (i, c) in field.char_indices() {
        if i > 0 && c.is_uppercase() && !field[..i].ends_with(|p: char| p.is_uppercase()) {
            label.push(' ');
        }
        label.extend(c.to_uppercase());
    }
    label
}

/// Lines whose tab-separated cells are padded into columns, three spaces apart.
fn write_aligned(out: &mut impl Write, lines: &[String]) -> std::io::Result<()> {
    let rows: Vec<Vec<&str>> = lines.iter().map(|l| l.split('\t').collect()).collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            match i + 1 == row.len() {
                true => line.push_str(cell),
                false => line.push_str(&format!("{cell:<width$}   ", width = widths[i])),
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Sizes as Docker prints them: decimal units, three significant digits (`7.8MB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    format!("{text}{}", UNITS[unit])
}

/// "3 days ago", as Docker's listings say it.
pub fn human_since(created: Option<&str>) -> String {
    let Some(created) = created.and_then(parse_time) else {
        return "N/A".into();
    };
    let seconds = (time::OffsetDateTime::now_utc() - created)
        .whole_seconds()
        .max(0) as u64;
    format!("{} ago", human_duration(seconds))
}

/// How long ago `time` was, without "ago" (`Up 5 minutes`).
pub fn human_age(time: Option<&str>) -> String {
    let Some(time) = time.and_then(parse_time) else {
        return "N/A".into();
    };
    let seconds = (time::OffsetDateTime::now_utc() - time)
        .whole_seconds()
        .max(0) as u64;
    human_duration(seconds)
}

pub fn human_duration(seconds: u64) -> String {
    let (minutes, hours, days) = (seconds / 60, seconds / 3600, seconds / 86400);
    match seconds {
        0 => "Less than a second".into(),
        1..=59 => plural(seconds, "second"),
        60..=3599 => plural(minutes, "minute"),
        3600..=172_799 => plural(hours, "hour"),
        _ if days < 14 => plural(days, "day"),
        _ if days < 60 => plural(days / 7, "week"),
        _ if days < 730 => plural(days / 30, "month"),
        _ => plural(days / 365, "year"),
    }
}

fn plural(n: u64, unit: &str) -> String {
    match n {
        1 if unit == "hour" => "An hour".into(),
        1 => format!("1 {unit}"),
        n => format!("{n} {unit}s"),
    }
}

/// Parses an RFC 3339 time as image configs carry it.
pub fn parse_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// `2024-05-01 10:00:00 +0000 UTC`, Docker's `CreatedAt`.
pub fn docker_time(text: Option<&str>) -> String {
    let Some(t) = text.and_then(parse_time) else {
        return String::new();
    };
    let t = t.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] +0000 UTC"
    );
    t.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_dockers() {
        let cases = [
            (0, "0B"),
            (999, "999B"),
            (7_800_000, "7.8MB"),
            (125_400_000, "125MB"),
            (1_210_000_000, "1.21GB"),
            (4_096, "4.1kB"),
        ];
        for (bytes, text) in cases {
            assert_eq!(human_size(bytes), text, "{bytes}");
        }
    }

    #[test]
    fn durations_read_like_dockers() {
        let cases = [
            (5, "5 seconds"),
            (3600, "An hour"),
            (7200, "2 hours"),
            (86400 * 3, "3 days"),
            (86400 * 20, "2 weeks"),
            (86400 * 400, "13 months"),
        ];
        for (seconds, text) in cases {
            assert_eq!(human_duration(seconds), text, "{seconds}");
        }
    }

    #[test]
    fn table_pads_columns() {
        let mut table = Table::new(vec!["REPOSITORY", "TAG"]);
        table.push(vec!["alpine".into(), "latest".into()]);
        let mut out = Vec::new();
        table.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "REPOSITORY   TAG\nalpine       latest\n"
        );
    }
}

#[cfg(test)]
mod table_template_tests {
    use super::*;

    #[test]
    fn table_templates_get_a_header_and_aligned_columns() {
        let format =
            Format::parse(Some("table {{.ID}}\\t{{.CreatedAt}}\\t{{json .Labels}}")).unwrap();
        let format = format.with_headers(&[("ID", "CONTAINER ID")]);
        let rows = [serde_json::json!({"ID": "abc", "CreatedAt": "now", "Labels": {}})];
        let mut out = Vec::new();
        format.write_rows(&mut out, &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "CONTAINER ID   CREATED AT   LABELS\nabc            now          {}\n"
        );
    }
}
