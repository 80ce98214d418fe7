//! `container logs`

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use container_runtime::LogOptions;
use container_runtime::logs::{Stream, fixed_nanos};
use time::OffsetDateTime;

use crate::cli::LogsArgs;
use crate::context::Context;

pub fn run(context: &Context, args: LogsArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let options = LogOptions {
        tail: parse_tail(&args.tail)?,
        since: args.since.as_deref().map(parse_time).transpose()?,
        until: args.until.as_deref().map(parse_time).transpose()?,
        follow: args.follow,
    };
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    runtime
        .logs(&args.name, &options, |entry| {
            let out: &mut dyn std::io::Write = match entry.stream {
                Stream::Stdout => &mut stdout,
                Stream::Stderr => &mut stderr,
            };
            if args.timestamps {
                write!(out, "{} ", fixed_nanos(&entry.time))?;
            }
            out.write_all(entry.log.as_bytes())?;
            out.flush()
        })
        .with_context(|| format!("reading the logs of `{}`", args.name))?;
    Ok(ExitCode::SUCCESS)
}

fn parse_tail(text: &str) -> anyhow::Result<Option<usize>> {
    match text {
        "all" => Ok(None),
        number => match number.parse::<i64>() {
            Ok(n) if n < 0 => Ok(None),
            Ok(n) => Ok(Some(n as usize)),
            Err(_) => bail!("invalid --tail `{text}`: use a number or `all`"),
        },
    }
}

/// RFC 3339, Unix seconds, or a duration before now (`90s`, `10m`, `1h30m`).
fn parse_time(text: &str) -> anyhow::Result<OffsetDateTime> {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    if let Ok(time) = OffsetDateTime::parse(text, rfc3339) {
        return Ok(time);
    }
    if let Ok(seconds) = text.parse::<f64>() {
        let nanos = (seconds * 1e9) as i128;
        return Ok(OffsetDateTime::from_unix_timestamp_nanos(nanos)?);
    }
    Ok(OffsetDateTime::now_utc() - parse_duration(text)?)
}

fn parse_duration(text: &str) -> anyhow::Result<time::Duration> {
    let invalid = || {
        anyhow::anyhow!(
            "invalid time `{text}`: use RFC 3339, Unix seconds, or a duration such as `10m`"
        )
    };
    let mut total = time::Duration::ZERO;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        number.clear();
        total += match c {
            'h' => time::Duration::seconds_f64(value * 3600.0),
            'm' => time::Duration::seconds_f64(value * 60.0),
            's' => time::Duration::seconds_f64(value),
            _ => return Err(invalid()),
        };
    }
    if !number.is_empty() || text.is_empty() {
        return Err(invalid());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_gos() {
        assert_eq!(parse_duration("90s").unwrap(), time::Duration::seconds(90));
        assert_eq!(
            parse_duration("1h30m").unwrap(),
            time::Duration::minutes(90)
        );
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5d").is_err());
        assert_eq!(parse_tail("all").unwrap(), None);
        assert_eq!(parse_tail("2").unwrap(), Some(2));
        assert!(parse_tail("x").is_err());
    }
}
