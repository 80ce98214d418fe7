//! NAT to the host's network, with iptables (the nf_tables backend on current
//! distributions): each bridge has chains of its own, `CTR-<bridge>` in the `nat`
//! and `filter` tables, jumped to from `POSTROUTING` and `FORWARD`. Nothing is
//! shared between bridges, so networks (and test environments) come and go
//! independently; [`remove`] leaves no trace of a bridge's rules.
//!
//! - `nat`: traffic from the subnet to anywhere else is masqueraded.
//! - `filter`: traffic from the bridge, and replies to it, is accepted, for hosts
//!   whose `FORWARD` policy drops.

use std::process::Command;

use crate::error::{NetError, Result};
use crate::subnet::Subnet;

/// The program, found on `PATH`.
const IPTABLES: &str = "iptables";

/// Our chain for `bridge`.
pub fn chain(bridge: &str) -> String {
    format!("CTR-{bridge}")
}

/// Sets up NAT and forwarding for `bridge` and `subnet` (replacing any rules of an
/// earlier run), and turns on IPv4 forwarding.
pub fn set_up(bridge: &str, subnet: &Subnet) -> Result<()> {
    remove(bridge)?;
    add(bridge, subnet)
}

/// [`set_up`] for a bridge known to have no rules yet: one `iptables-restore`.
pub fn add(bridge: &str, subnet: &Subnet) -> Result<()> {
    let chain = chain(bridge);
    let script = format!(
        "*nat\n:{chain} - [0:0]\n\
         -A {chain} -s {subnet} ! -d {subnet} -j MASQUERADE\n\
         -A POSTROUTING -j {chain}\n\
         COMMIT\n\
         *filter\n:{chain} - [0:0]\n\
         -A {chain} -i {bridge} -j ACCEPT\n\
         -A {chain} -o {bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n\
         -I FORWARD -j {chain}\n\
         COMMIT\n"
    );
    restore(&script)?;
    let forward = "/proc/sys/net/ipv4/ip_forward";
    if std::fs::read_to_string(forward).is_ok_and(|v| v.trim() != "1") {
        std::fs::write(forward, "1").map_err(NetError::io("enabling forwarding in", forward))?;
    }
    Ok(())
}

/// Removes the chains [`add`] made, in one `iptables-restore`; if the rules are not
/// as it left them, the slower [`remove`].
pub fn remove_added(bridge: &str) -> Result<()> {
    let chain = chain(bridge);
    let script = format!(
        "*nat\n-D POSTROUTING -j {chain}\n-F {chain}\n-X {chain}\nCOMMIT\n\
         *filter\n-D FORWARD -j {chain}\n-F {chain}\n-X {chain}\nCOMMIT\n"
    );
    match restore(&script) {
        Ok(()) => Ok(()),
        Err(_) => remove(bridge),
    }
}

/// Removes `bridge`'s chains and the jumps to them; nothing to do when absent.
pub fn remove(bridge: &str) -> Result<()> {
    let chain = chain(bridge);
    for (table, parent) in [("nat", "POSTROUTING"), ("filter", "FORWARD")] {
        if !has_chain(table, &chain) {
            continue;
        }
        while run(&["-w", "-t", table, "-D", parent, "-j", &chain]).is_ok() {}
        run(&["-w", "-t", table, "-F", &chain])?;
        run(&["-w", "-t", table, "-X", &chain])?;
    }
    Ok(())
}

fn has_chain(table: &str, chain: &str) -> bool {
    run(&["-w", "-t", table, "-n", "-L", chain]).is_ok()
}

fn run(args: &[&str]) -> Result<()> {
    let command_line = || format!("{IPTABLES} {}", args.join(" "));
    let output = Command::new(IPTABLES)
        .args(args)
        .output()
        .map_err(|e| NetError::Firewall {
            command: command_line(),
            stderr: e.to_string(),
        })?;
    match output.status.success() {
        true => Ok(()),
        false => Err(NetError::Firewall {
            command: command_line(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }),
    }
}

fn restore(script: &str) -> Result<()> {
    use std::io::Write as _;
    let command = "iptables-restore --noflush -w";
    let failed = |stderr: String| NetError::Firewall {
        command: command.to_owned(),
        stderr,
    };
    let mut child = Command::new("iptables-restore")
        .args(["--noflush", "-w"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(script.as_bytes())
        .map_err(|e| failed(e.to_string()))?;
    let output = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    match output.status.success() {
        true => Ok(()),
        false => Err(failed(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        )),
    }
}
