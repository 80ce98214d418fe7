//! `container stats`: CPU, memory, block I/O and process counts from each container's
//! cgroups, sampled twice to get a CPU rate, as Docker's columns show them.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use container_runtime::{ContainerRecord, Runtime, Usage};
use serde_json::{Value, json};

use crate::cli::StatsArgs;
use crate::context::Context;
use crate::output::{Format, Table, human_size};

/// Time between the two samples of a CPU rate.
const INTERVAL: Duration = Duration::from_millis(500);

pub fn run(context: &Context, args: StatsArgs) -> anyhow::Result<ExitCode> {
    let runtime = context.containers()?;
    let format = Format::parse(args.format.as_deref())?;
    let is_terminal = std::io::stdout().is_terminal();
    let mut before = sample(&runtime, &args)?;
    loop {
        std::thread::sleep(INTERVAL);
        let after = sample(&runtime, &args)?;
        let rows: Vec<Value> = after
            .iter()
            .map(|now| {
                row(
                    now,
                    before.iter().find(|b| b.record.id == now.record.id),
                    &args,
                )
            })
            .collect();
        let mut stdout = std::io::stdout().lock();
        if is_terminal && !args.no_stream {
            // Redrawn in place, as Docker's live view is.
            write!(stdout, "\x1b[2J\x1b[H")?;
        }
        render(&mut stdout, &format, &rows)?;
        stdout.flush()?;
        if args.no_stream {
            return Ok(ExitCode::SUCCESS);
        }
        before = after;
    }
}

struct Sample {
    record: ContainerRecord,
    usage: Option<Usage>,
    at: Instant,
}

/// The named containers (or every running one, or every one with `-a`) and their
/// counters; a stopped container has none.
fn sample(runtime: &Runtime, args: &StatsArgs) -> anyhow::Result<Vec<Sample>> {
    let records = if args.names.is_empty() {
        let mut records = runtime.list()?;
        records.retain(|r| args.all || r.is_running());
        records
    } else {
        args.names
            .iter()
            .map(|name| runtime.find(name))
            .collect::<Result<_, _>>()?
    };
    Ok(records
        .into_iter()
        .map(|record| {
            let usage = record
                .is_running()
                .then(|| runtime.usage(&record.id).ok().map(|(_, usage)| usage))
                .flatten();
            Sample {
                record,
                usage,
                at: Instant::now(),
            }
        })
        .collect())
}

fn row(now: &Sample, before: Option<&Sample>, args: &StatsArgs) -> Value {
    let id = if args.no_trunc {
        now.record.id.clone()
    } else {
        now.record.short_id().to_owned()
    };
    let Some(usage) = now.usage else {
        return json!({
            "ID": id, "Container": id, "Name": now.record.name, "CPUPerc": "0.00%",
            "MemUsage": "0B / 0B", "MemPerc": "0.00%", "NetIO": "0B / 0B",
            "BlockIO": "0B / 0B", "PIDs": "0",
        });
    };
    let cpu = before
        .and_then(|b| Some((b.usage?, b.at)))
        .map_or(0.0, |(earlier, at)| {
            let wall = now.at.duration_since(at).as_nanos().max(1) as f64;
            usage.cpu_nanos.saturating_sub(earlier.cpu_nanos) as f64 / wall * 100.0
        });
    let memory_percent = usage.memory as f64 / usage.memory_limit.max(1) as f64 * 100.0;
    json!({
        "ID": id,
        "Container": id,
        "Name": now.record.name,
        "CPUPerc": format!("{cpu:.2}%"),
        "MemUsage": format!("{} / {}", binary_size(usage.memory), binary_size(usage.memory_limit)),
        "MemPerc": format!("{memory_percent:.2}%"),
        "NetIO": net_io(now.record.state.pid),
        "BlockIO": format!("{} / {}", human_size(usage.block_read), human_size(usage.block_write)),
        "PIDs": usage.pids.to_string(),
    })
}

/// Bytes received and sent by the container's interfaces (`lo` aside), as
/// its `/proc/net/dev` counts them: `4.17kB / 1.77kB`.
fn net_io(pid: Option<i32>) -> String {
    let text = pid.and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok());
    let (received, sent) = text.as_deref().map_or((0, 0), interface_bytes);
    format!("{} / {}", human_size(received), human_size(sent))
}

/// The sums of the receive and transmit byte counters of `/proc/net/dev`.
fn interface_bytes(text: &str) -> (u64, u64) {
    let mut totals = (0, 0);
    for line in text.lines().skip(2) {
        let Some((name, counters)) = line.split_once(':') else {
            continue;
        };
        if name.trim() == "lo" {
            continue;
        }
        let fields: Vec<u64> = counters
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        if let (Some(received), Some(sent)) = (fields.first(), fields.get(8)) {
            totals.0 += received;
            totals.1 += sent;
        }
    }
    totals
}

fn render(out: &mut impl std::io::Write, format: &Format, rows: &[Value]) -> anyhow::Result<()> {
    if !matches!(format, Format::Table) {
        return format.write_rows(out, rows);
    }
    let mut table = Table::new(vec![
        "CONTAINER ID",
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET I/O",
        "BLOCK I/O",
        "PIDS",
    ]);
    for row in rows {
        let cell = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
        table.push(
            [
                "ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs",
            ]
            .map(cell)
            .to_vec(),
        );
    }
    Ok(table.write(out)?)
}

/// Memory as Docker's stats show it: binary units, two decimals (`1.5MiB`).
fn binary_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_bytes_sum_every_interface_but_loopback() {
        let text = "Inter-|   Receive                                                |  Transmit\n \
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n\
    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0\n\
  eth0:    4170      40    0    0    0     0          0         0     1768      20    0    0    0     0       0          0\n";
        assert_eq!(interface_bytes(text), (4170, 1768));
        assert_eq!(net_io(None), "0B / 0B");
    }

    #[test]
    fn memory_sizes_are_binary() {
        assert_eq!(binary_size(0), "0B");
        assert_eq!(binary_size(1536), "1.5KiB");
        assert_eq!(binary_size(3 * 1024 * 1024 * 1024), "3GiB");
        assert_eq!(binary_size(1_234_567), "1.18MiB");
    }
}
