//! The files Docker bind-mounts over the image's `/etc/hostname`, `/etc/hosts` and
//! `/etc/resolv.conf`, so that they name this container and reach the host's DNS.

use std::path::Path;

use crate::error::Result;
use crate::fsutil;
use crate::record::NetworkMode;

/// `/etc/hosts` for a container: loopback names and its own name. With the host's
/// network, the host's file as it is.
pub fn hosts(hostname: &str, network: NetworkMode, host_hosts: Option<&str>) -> String {
    if let (NetworkMode::Host, Some(text)) = (network, host_hosts) {
        return text.to_owned();
    }
    format!(
        "127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         ff00::0\tip6-mcastprefix\n\
         ff02::1\tip6-allnodes\n\
         ff02::2\tip6-allrouters\n\
         127.0.1.1\t{hostname}\n"
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

/// Writes the three files into `dir` (the container's directory).
pub(crate) fn write_files(dir: &Path, hostname: &str, network: NetworkMode) -> Result<()> {
    let host_hosts = std::fs::read_to_string("/etc/hosts").ok();
    let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    fsutil::write_regenerated(&dir.join("hostname"), format!("{hostname}\n").as_bytes())?;
    fsutil::write_regenerated(
        &dir.join("hosts"),
        hosts(hostname, network, host_hosts.as_deref()).as_bytes(),
    )?;
    fsutil::write_regenerated(
        &dir.join("resolv.conf"),
        resolv_conf(&host_resolv, network).as_bytes(),
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
    fn hosts_name_the_container() {
        let text = hosts("abc123", NetworkMode::None, Some("host file"));
        assert!(text.starts_with("127.0.0.1\tlocalhost\n"));
        assert!(text.ends_with("\tabc123\n"));
        assert_eq!(hosts("x", NetworkMode::Host, Some("host file")), "host file");
    }
}
