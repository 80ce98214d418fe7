//! The files Docker bind-mounts over the image's `/etc/hostname`, `/etc/hosts` and
//! `/etc/resolv.conf`, so that they name this container and reach the host's DNS.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuntimeError};
use crate::fsutil;
use crate::record::NetworkMode;

/// `--add-host`, `--dns`, `--dns-search` and `--dns-option`, as Docker's `HostConfig`
/// has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameConfig {
    /// `NAME:IP` entries added to `/etc/hosts` (`IP` may be `host-gateway`).
    #[serde(default)]
    pub extra_hosts: Vec<String>,
    /// Nameservers that replace the host's.
    #[serde(default)]
    pub dns: Vec<String>,
    /// Search domains that replace the host's.
    #[serde(default)]
    pub dns_search: Vec<String>,
    /// Resolver options that replace the host's.
    #[serde(default)]
    pub dns_options: Vec<String>,
}

/// Docker's name for "the host, as the container reaches it".
const HOST_GATEWAY: &str = "host-gateway";

/// `--add-host NAME:IP` (or `NAME=IP`, as Docker 25 also takes), as `NAME:IP`.
pub fn parse_add_host(text: &str, network: NetworkMode) -> Result<String> {
    let invalid = |reason: String| RuntimeError::InvalidOption {
        option: "--add-host",
        value: text.to_owned(),
        reason,
    };
    let (name, address) = text
        .split_once('=')
        .or_else(|| text.split_once(':'))
        .filter(|(name, address)| !name.is_empty() && !address.is_empty())
        .ok_or_else(|| invalid(format!("bad format for add-host: \"{text}\"")))?;
    let address = address.trim_start_matches('[').trim_end_matches(']');
    if address == HOST_GATEWAY {
        if network == NetworkMode::None {
            return Err(invalid(
                "host-gateway: with `--network none` the container cannot reach the host".into(),
            ));
        }
    } else if address.parse::<IpAddr>().is_err() {
        return Err(invalid(format!(
            "invalid IP address in add-host: \"{address}\""
        )));
    }
    Ok(format!("{name}:{address}"))
}

/// `--dns`: an IP address.
pub fn parse_dns(text: &str) -> Result<String> {
    text.parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| RuntimeError::InvalidOption {
            option: "--dns",
            value: text.to_owned(),
            reason: format!("{text} is not an ip address"),
        })
}

/// `--dns-search`: a domain name, or `.` for none.
pub fn parse_dns_search(text: &str) -> Result<String> {
    let domain = text.trim_end_matches('.');
    let is_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if text == "." || (domain.len() <= 255 && domain.split('.').all(is_label)) {
        return Ok(text.to_owned());
    }
    Err(RuntimeError::InvalidOption {
        option: "--dns-search",
        value: text.to_owned(),
        reason: format!("{text} is not a valid domain"),
    })
}

/// `/etc/hosts` with the `--add-host` entries after the container's own;
/// `host-gateway` is `gateway` (the bridge's address, or loopback with the host's
/// network).
pub fn hosts_with_extras(base: String, extra_hosts: &[String], gateway: &str) -> String {
    let mut text = base;
    for entry in extra_hosts {
        let (name, address) = entry.split_once(':').unwrap_or((entry, ""));
        let address = if address == HOST_GATEWAY {
            gateway
        } else {
            address
        };
        text.push_str(&format!("{address}\t{name}\n"));
    }
    text
}

/// `/etc/resolv.conf` with `--dns`, `--dns-search` and `--dns-option` replacing the
/// host's nameservers, search domains and options (the user's nameservers are kept
/// even on loopback: the user chose them).
pub fn resolv_conf_with(host_text: &str, network: NetworkMode, names: &NameConfig) -> String {
    let replaced = |line: &str, keys: &[&str], replacing: bool| {
        replacing
            && keys
                .iter()
                .any(|key| line.split_whitespace().next() == Some(*key))
    };
    let mut text = match names.dns.is_empty() {
        true => resolv_conf(host_text, network),
        false => host_text
            .lines()
            .filter(|line| !replaced(line, &["nameserver"], true))
            .map(|line| format!("{line}\n"))
            .collect(),
    };
    text = text
        .lines()
        .filter(|line| !replaced(line, &["search", "domain"], !names.dns_search.is_empty()))
        .filter(|line| !replaced(line, &["options"], !names.dns_options.is_empty()))
        .map(|line| format!("{line}\n"))
        .collect();
    for server in &names.dns {
        text.push_str(&format!("nameserver {server}\n"));
    }
    let search: Vec<&str> = names
        .dns_search
        .iter()
        .map(String::as_str)
        .filter(|d| *d != ".")
        .collect();
    if !search.is_empty() {
        text.push_str(&format!("search {}\n", search.join(" ")));
    }
    if !names.dns_options.is_empty() {
        text.push_str(&format!("options {}\n", names.dns_options.join(" ")));
    }
    text
}

/// `/etc/hosts` for a container: loopback names and its own name, at its address
/// on a bridge (else 127.0.1.1). With the host's network, the host's file as it is.
pub fn hosts(
    hostname: &str,
    network: NetworkMode,
    host_hosts: Option<&str>,
    address: Option<Ipv4Addr>,
) -> String {
    if let (NetworkMode::Host, Some(text)) = (network, host_hosts) {
        return text.to_owned();
    }
    let own = address.map_or_else(|| "127.0.1.1".to_owned(), |a| a.to_string());
    format!(
        "127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         ff00::0\tip6-mcastprefix\n\
         ff02::1\tip6-allnodes\n\
         ff02::2\tip6-allrouters\n\
         {own}\t{hostname}\n"
    )
}

/// `/etc/resolv.conf` for a container: the host's, without nameservers on loopback,
/// which the container's own network namespace cannot reach. With the host's network,
/// the host's file as it is. When no nameserver is left, none is made up.
pub fn resolv_conf(host_text: &str, network: NetworkMode) -> String {
    if network == NetworkMode::Host {
        return host_text.to_owned();
    }
    let mut out = String::new();
    let mut nameservers = 0;
    for line in host_text.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("nameserver") {
            if words.next().is_none_or(is_loopback) {
                continue;
            }
            nameservers += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    if nameservers == 0 {
        out.push_str(
            "# no DNS server: the host's are on loopback (or absent), which this \
             container cannot reach\n",
        );
    }
    out
}

fn is_loopback(address: &str) -> bool {
    let address = address.split('%').next().unwrap_or(address);
    address
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// systemd-resolved's list of the servers it forwards to, which a container can
/// reach when the host's own file names only the stub on 127.0.0.53.
const RESOLVED_UPSTREAMS: &str = "/run/systemd/resolve/resolv.conf";

/// The host's `/etc/resolv.conf`; for a container with a namespace of its own,
/// resolved's upstream list instead when the host's names only loopback servers.
fn host_resolv_conf(network: NetworkMode) -> String {
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let has_reachable = text.lines().any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some("nameserver") && words.next().is_some_and(|a| !is_loopback(a))
    });
    if network == NetworkMode::Host || has_reachable {
        return text;
    }
    // TODO: a loopback resolver other than systemd-resolved (dnsmasq on 127.0.0.1) is
    // dropped, not forwarded: the monitor could serve DNS on the bridge for it
    std::fs::read_to_string(RESOLVED_UPSTREAMS).unwrap_or(text)
}

/// What a container's `/etc/hosts` says.
pub(crate) struct HostsInput<'a> {
    pub(crate) hostname: &'a str,
    pub(crate) network: NetworkMode,
    pub(crate) names: &'a NameConfig,
    pub(crate) endpoint: Option<&'a container_net::Endpoint>,
    /// Containers on the same user network, by name and address.
    pub(crate) peers: &'a [(String, Ipv4Addr)],
}

/// The text of a container's `/etc/hosts`: its own names, the peers on its user
/// network (so that they resolve each other by name), then `--add-host`.
pub(crate) fn hosts_text(input: &HostsInput<'_>) -> String {
    let host_hosts = std::fs::read_to_string("/etc/hosts").ok();
    let address = input.endpoint.map(|e| e.address);
    let mut text = hosts(
        input.hostname,
        input.network,
        host_hosts.as_deref(),
        address,
    );
    for (name, address) in input.peers {
        text.push_str(&format!("{address}\t{name}\n"));
    }
    let gateway = input
        .endpoint
        .map_or_else(|| "127.0.0.1".to_owned(), |e| e.gateway.to_string());
    hosts_with_extras(text, &input.names.extra_hosts, &gateway)
}

/// Rewrites a running container's `/etc/hosts` in place: it is bind-mounted,
/// so a renamed file would not be seen. One write, after truncation.
pub(crate) fn rewrite_in_place(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::File::options()
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(RuntimeError::io("opening", path))?;
    file.write_all(text.as_bytes())
        .map_err(RuntimeError::io("writing", path))
}

/// Writes the three files into `dir` (the container's directory).
pub(crate) fn write_files(dir: &Path, input: &HostsInput<'_>) -> Result<()> {
    let (hostname, network, names) = (input.hostname, input.network, input.names);
    let host_resolv = host_resolv_conf(network);
    fsutil::write_regenerated(&dir.join("hostname"), format!("{hostname}\n").as_bytes())?;
    fsutil::write_regenerated(&dir.join("hosts"), hosts_text(input).as_bytes())?;
    fsutil::write_regenerated(
        &dir.join("resolv.conf"),
        resolv_conf_with(&host_resolv, network, names).as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_nameservers_are_dropped() {
        let host = "search example.com\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n\
                    nameserver ::1\noptions edns0\n";
        assert_eq!(
            resolv_conf(host, NetworkMode::None),
            "search example.com\nnameserver 10.0.0.2\noptions edns0\n"
        );
        assert_eq!(resolv_conf(host, NetworkMode::Host), host);
    }

    #[test]
    fn no_nameserver_left_gives_a_comment_not_a_made_up_server() {
        let text = resolv_conf("nameserver 127.0.0.1\n", NetworkMode::None);
        assert!(!text.contains("nameserver"), "{text}");
        assert!(text.starts_with('#'), "{text}");
    }

    #[test]
    fn extra_hosts_parse_and_follow_the_containers_own() {
        assert_eq!(
            parse_add_host("db:10.0.0.5", NetworkMode::None).unwrap(),
            "db:10.0.0.5"
        );
        assert_eq!(
            parse_add_host("db=10.0.0.5", NetworkMode::None).unwrap(),
            "db:10.0.0.5"
        );
        assert_eq!(
            parse_add_host("v6:[::1]", NetworkMode::None).unwrap(),
            "v6:::1"
        );
        assert_eq!(
            parse_add_host("gw:host-gateway", NetworkMode::Host).unwrap(),
            "gw:host-gateway"
        );
        assert!(parse_add_host("gw:host-gateway", NetworkMode::None).is_err());
        assert!(parse_add_host("db:nowhere", NetworkMode::None).is_err());
        assert!(parse_add_host("db", NetworkMode::None).is_err());
        let text = hosts_with_extras(
            "base\n".into(),
            &["db:10.0.0.5".into(), "gw:host-gateway".into()],
            "127.0.0.1",
        );
        assert_eq!(text, "base\n10.0.0.5\tdb\n127.0.0.1\tgw\n");
    }

    #[test]
    fn dns_flags_replace_the_hosts_settings() {
        let host = "search example.com\nnameserver 10.0.0.2\noptions edns0\n";
        let names = NameConfig {
            dns: vec!["1.1.1.1".into(), "127.0.0.1".into()],
            dns_search: vec!["corp.test".into(), "lab.test".into()],
            dns_options: vec!["ndots:2".into()],
            ..Default::default()
        };
        assert_eq!(
            resolv_conf_with(host, NetworkMode::None, &names),
            "nameserver 1.1.1.1\nnameserver 127.0.0.1\nsearch corp.test lab.test\noptions ndots:2\n"
        );
        let only_search = NameConfig {
            dns_search: vec![".".into()],
            ..Default::default()
        };
        assert_eq!(
            resolv_conf_with(host, NetworkMode::None, &only_search),
            "nameserver 10.0.0.2\noptions edns0\n"
        );
        assert_eq!(
            resolv_conf_with(host, NetworkMode::None, &NameConfig::default()),
            host
        );
        assert!(parse_dns("8.8.8.8").is_ok() && parse_dns("dns.google").is_err());
        assert!(parse_dns_search("example.com").is_ok() && parse_dns_search("bad domain").is_err());
    }

    #[test]
    fn hosts_name_the_container() {
        let text = hosts("abc123", NetworkMode::None, Some("host file"), None);
        assert!(text.starts_with("127.0.0.1\tlocalhost\n"));
        assert!(text.ends_with("127.0.1.1\tabc123\n"));
        assert_eq!(
            hosts("x", NetworkMode::Host, Some("host file"), None),
            "host file"
        );
        let bridged = hosts(
            "web",
            NetworkMode::Bridge,
            None,
            Some(Ipv4Addr::new(10, 87, 0, 2)),
        );
        assert!(bridged.ends_with("10.87.0.2\tweb\n"), "{bridged}");
    }
}
