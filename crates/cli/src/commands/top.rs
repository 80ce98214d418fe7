//! `container top`: the host's `ps`, as Docker runs it, narrowed to the container's
//! processes (found in its cgroup).

use std::io::Write as _;
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

use crate::cli::TopArgs;
use crate::context::Context;

pub fn run(context: &Context, args: TopArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let pids = runtime
        .processes(&args.name)
        .with_context(|| format!("listing the processes of `{}`", args.name))?;
    let options = if args.ps_options.is_empty() {
        vec!["-ef".to_owned()]
    } else {
        args.ps_options.clone()
    };
    let output = Command::new("ps")
        .args(&options)
        .output()
        .context("running `ps` (Debian's procps package provides it)")?;
    if !output.status.success() {
        bail!(
            "`ps {}` failed: {}",
            options.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let rows = filter_rows(&text, &pids)?;
    let mut stdout = std::io::stdout().lock();
    for row in rows {
        writeln!(stdout, "{row}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The header, and the rows whose PID column names one of `pids`.
fn filter_rows<'a>(text: &'a str, pids: &[i32]) -> anyhow::Result<Vec<&'a str>> {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        bail!("`ps` printed nothing");
    };
    let Some(column) = header.split_whitespace().position(|h| h == "PID") else {
        bail!("`ps` printed no PID column: add `-o pid` to its options");
    };
    let mut rows = vec![header];
    rows.extend(lines.filter(|line| {
        line.split_whitespace()
            .nth(column)
            .and_then(|pid| pid.parse::<i32>().ok())
            .is_some_and(|pid| pids.contains(&pid))
    }));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_kept_by_their_pid_column() {
        let text = "UID PID PPID CMD\nroot 1 0 init\nroot 42 1 sleep 9\nroot 43 42 sh\n";
        let rows = filter_rows(text, &[42]).unwrap();
        assert_eq!(rows, ["UID PID PPID CMD", "root 42 1 sleep 9"]);
        assert!(filter_rows("UID CMD\n", &[1]).is_err());
    }
}
