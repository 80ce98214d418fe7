//! `-p/--publish [ip:][host-port:]container-port[/protocol]`, as Docker parses it
//! (CASES C40), and the bindings a started container got.
//!
//! Ports and host ports may be ranges (`8000-8001:80-81`). A host range with a
//! single container port means "the first free port of the range". IPv6 host
//! addresses are written `[::1]:80:80` or, as Docker also takes, `::1:80:80`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::error::{NetError, Result};

/// A transport protocol a port is published for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// One container port to publish, as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortSpec {
    /// The port inside the container.
    pub container_port: u16,
    /// Its protocol.
    pub protocol: Protocol,
    /// The host address to listen on; every address when absent.
    pub host_ip: Option<IpAddr>,
    /// The host ports to try, first to last; an ephemeral port when absent.
    pub host_ports: Option<(u16, u16)>,
}

impl PortSpec {
    /// `80/tcp`.
    pub fn port_key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol.as_str())
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ip) = self.host_ip {
            match ip {
                IpAddr::V6(ip) => write!(f, "[{ip}]:")?,
                IpAddr::V4(ip) => write!(f, "{ip}:")?,
            }
        }
        match self.host_ports {
            Some((start, end)) if start == end => write!(f, "{start}:")?,
            Some((start, end)) => write!(f, "{start}-{end}:")?,
            None if self.host_ip.is_some() => write!(f, ":")?,
            None => {}
        }
        write!(f, "{}", self.port_key())
    }
}

/// A port a running container has published: where the host listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPort {
    /// The port inside the container.
    pub container_port: u16,
    /// Its protocol.
    pub protocol: Protocol,
    /// The host address listened on (`::` for every address, IPv4 included).
    pub host_ip: IpAddr,
    /// The host port.
    pub host_port: u16,
}

impl PublishedPort {
    /// `80/tcp`.
    pub fn port_key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol.as_str())
    }

    /// The host addresses as Docker shows them: an "every address" binding is
    /// `0.0.0.0:PORT` and `[::]:PORT`.
    pub fn host_addresses(&self) -> Vec<(String, String)> {
        let port = self.host_port.to_string();
        match self.host_ip {
            IpAddr::V6(ip) if ip.is_unspecified() => vec![
                (Ipv4Addr::UNSPECIFIED.to_string(), port.clone()),
                ("::".to_owned(), port),
            ],
            ip => vec![(ip.to_string(), port)],
        }
    }

    /// `0.0.0.0:8080->80/tcp, [::]:8080->80/tcp`, as `docker ps` shows it.
    pub fn display_ps(&self) -> String {
        self.host_addresses()
            .into_iter()
            .map(|(ip, port)| format!("{}:{port}->{}", bracketed(&ip), self.port_key()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `::1` as `[::1]`, an IPv4 address as it is.
pub fn bracketed(ip: &str) -> String {
    match ip.contains(':') {
        true => format!("[{ip}]"),
        false => ip.to_owned(),
    }
}

/// Parses one `-p` value into the ports it publishes.
///
/// ```
/// use container_net::publish::{parse, Protocol};
/// let specs = parse("127.0.0.1:8080:80/udp").unwrap();
/// assert_eq!(specs[0].container_port, 80);
/// assert_eq!(specs[0].protocol, Protocol::Udp);
/// assert_eq!(specs[0].host_ports, Some((8080, 8080)));
/// ```
pub fn parse(value: &str) -> Result<Vec<PortSpec>> {
    let invalid = |reason: String| NetError::InvalidPublish {
        value: value.to_owned(),
        reason,
    };
    let (rest, protocol) = match value.rsplit_once('/') {
        Some((rest, protocol)) => (rest, parse_protocol(protocol).map_err(invalid)?),
        None => (value, Protocol::Tcp),
    };
    let (ip, host, container) = split_parts(rest);
    let host_ip = parse_ip(&ip).map_err(invalid)?;
    if container.is_empty() {
        return Err(invalid("no port specified".into()));
    }
    let (start, end) = parse_range(container)
        .map_err(|reason| invalid(format!("invalid containerPort: {container}{reason}")))?;
    // Port 0 means "any" on the host's side only.
    if start == 0 {
        return Err(invalid(format!("invalid containerPort: {container}")));
    }
    let host_range = match host {
        "" => None,
        host => Some(
            parse_range(host)
                .map_err(|reason| invalid(format!("invalid hostPort: {host}{reason}")))?,
        ),
    };
    if let Some((host_start, host_end)) = host_range
        && host_end - host_start != end - start
        && start != end
    {
        return Err(invalid(format!(
            "invalid ranges specified for container and host Ports: {container} and {host}"
        )));
    }
    let specs = (start..=end).map(|port| {
        let host_ports = host_range.map(|(host_start, host_end)| match start == end {
            true => (host_start, host_end),
            false => {
                let host_port = host_start + (port - start);
                (host_port, host_port)
            }
        });
        PortSpec {
            container_port: port,
            protocol,
            host_ip,
            // Host port 0 asks for an ephemeral port, as no host port does.
            host_ports: host_ports.filter(|range| *range != (0, 0)),
        }
    });
    Ok(specs.collect())
}

/// `ip:host:container`, where `ip` may itself hold colons (an IPv6 address).
fn split_parts(text: &str) -> (String, &str, &str) {
    let parts: Vec<&str> = text.split(':').collect();
    let n = parts.len();
    match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    }
}

fn parse_protocol(text: &str) -> Result<Protocol, String> {
    match text.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Err("sctp is not supported (use tcp or udp)".into()),
        other => Err(format!("invalid proto: {other}")),
    }
}

fn parse_ip(text: &str) -> Result<Option<IpAddr>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse::<IpAddr>()
        .map(Some)
        .map_err(|_| format!("invalid IP address: {bare}"))
}

/// `80` or `8000-8010`; the error text follows the value.
fn parse_range(text: &str) -> Result<(u16, u16), String> {
    let port = |t: &str| t.parse::<u16>().map_err(|_| String::new());
    match text.split_once('-') {
        None => port(text).map(|p| (p, p)),
        Some((start, end)) => {
            let (start, end) = (port(start)?, port(end)?);
            match start <= end {
                true => Ok((start, end)),
                false => Err(" (the range's end comes before its start)".into()),
            }
        }
    }
}

/// The host address a binding listens on: every address (IPv4 too, through an
/// IPv6 socket) when none is given.
pub fn listen_ip(spec: &PortSpec) -> IpAddr {
    spec.host_ip.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
}

/// Parses an image's `ExposedPorts` key (`80/tcp`, `53/udp`, `8080`).
pub fn parse_exposed(key: &str) -> Option<(u16, Protocol)> {
    let (port, protocol) = key.split_once('/').unwrap_or((key, "tcp"));
    Some((port.parse().ok()?, parse_protocol(protocol).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> PortSpec {
        let mut specs = parse(value).unwrap();
        assert_eq!(specs.len(), 1, "{value}");
        specs.remove(0)
    }

    fn error(value: &str) -> String {
        parse(value).unwrap_err().to_string()
    }

    #[test]
    fn c40_publish_forms() {
        let spec = one("127.0.0.1:8080:80/tcp");
        assert_eq!(spec.host_ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(
            (spec.container_port, spec.host_ports),
            (80, Some((8080, 8080)))
        );

        let spec = one("8080:80/udp");
        assert_eq!((spec.protocol, spec.host_ip), (Protocol::Udp, None));
        assert_eq!(spec.host_ports, Some((8080, 8080)));

        let spec = one("80");
        assert_eq!((spec.container_port, spec.protocol), (80, Protocol::Tcp));
        assert_eq!((spec.host_ip, spec.host_ports), (None, None));

        let spec = one("192.168.1.100::80");
        assert_eq!(spec.host_ip, Some("192.168.1.100".parse().unwrap()));
        assert_eq!(spec.host_ports, None);

        let specs = parse("0.0.0.0:1234-1235:3333-3334/tcp").unwrap();
        let pairs: Vec<_> = specs
            .iter()
            .map(|s| (s.container_port, s.host_ports))
            .collect();
        assert_eq!(
            pairs,
            [(3333, Some((1234, 1234))), (3334, Some((1235, 1235)))]
        );
        assert!(
            specs
                .iter()
                .all(|s| s.host_ip == Some("0.0.0.0".parse().unwrap()))
        );

        let spec = one("8080-8081:80");
        assert_eq!(
            (spec.container_port, spec.host_ports),
            (80, Some((8080, 8081)))
        );

        assert!(
            error("8080-8082:80-81").ends_with(
                "invalid ranges specified for container and host Ports: 80-81 and 8080-8082"
            ),
            "{}",
            error("8080-8082:80-81")
        );
    }

    #[test]
    fn c40_ipv6_protocols_and_errors() {
        let v6: IpAddr = "::1".parse().unwrap();
        assert_eq!(one("[::1]:80:80").host_ip, Some(v6));
        assert_eq!(one("::1:80:80").host_ip, Some(v6));
        let spec = one("::::80");
        assert_eq!(spec.host_ip, Some("::".parse().unwrap()));
        assert_eq!(spec.host_ports, None);

        assert_eq!(one("80/UDP").protocol, Protocol::Udp);
        assert!(error("80/icmp").ends_with("invalid proto: icmp"));
        assert!(error("localhost:8080:80").ends_with("invalid IP address: localhost"));
        assert!(error("80801:80").contains("invalid hostPort: 80801"));
        assert!(error("28081:0").contains("invalid containerPort: 0"));
        assert!(error("0-2").contains("invalid containerPort: 0-2"));
        assert_eq!(one("1:80").host_ports, Some((1, 1)));
        assert_eq!(one("8080:1").container_port, 1);
        assert!(error("1236-1234:80").contains("invalid hostPort: 1236-1234"));
    }

    #[test]
    fn specs_and_bindings_display_as_docker_does() {
        assert_eq!(
            one("127.0.0.1:8080:80/udp").to_string(),
            "127.0.0.1:8080:80/udp"
        );
        assert_eq!(one("[::1]::80").to_string(), "[::1]::80/tcp");
        let published = PublishedPort {
            container_port: 80,
            protocol: Protocol::Tcp,
            host_ip: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            host_port: 8080,
        };
        assert_eq!(
            published.display_ps(),
            "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
        );
        assert_eq!(parse_exposed("8000/tcp"), Some((8000, Protocol::Tcp)));
        assert_eq!(parse_exposed("53/udp"), Some((53, Protocol::Udp)));
    }
}
