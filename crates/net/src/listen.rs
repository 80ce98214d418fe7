//! Why a published port does not answer: what the container's processes listen
//! on, read from `/proc/<pid>/net/{tcp,tcp6,udp,udp6}` (which show the sockets of
//! the network namespace of `<pid>`), and what that means for a published port.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::publish::Protocol;

/// `TCP_LISTEN` in the kernel's `st` column.
const TCP_LISTEN: u8 = 0x0A;
/// `TCP_CLOSE`, which the kernel shows for bound UDP sockets.
const UDP_UNCONNECTED: u8 = 0x07;

/// Whether a published port has a server behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listening {
    /// A process listens on the port on an address the proxy reaches.
    Yes,
    /// The server listens on the port, but only on loopback inside the container,
    /// which connections from outside it cannot reach.
    LoopbackOnly(SocketAddr),
    /// Nothing listens on the port; these ports have listeners.
    OtherPorts(Vec<u16>),
    /// Nothing in the container listens at all.
    // TODO: a server that listened and then exited shows as `Nothing`; the monitor
    // could remember past listeners and say that it exited
    Nothing,
    /// The container is not running.
    Exited(Option<i32>),
}

impl Listening {
    /// Whether a connection would find a server.
    pub fn is_listening(&self) -> bool {
        matches!(self, Listening::Yes)
    }

    /// One sentence for the user, about `port` (such as `8000/tcp`).
    pub fn explain(&self, port: &str) -> String {
        match self {
            Listening::Yes => format!("a process listens on {port}"),
            Listening::LoopbackOnly(address) => format!(
                "the server listens on {address} only, which is loopback inside the \
                 container: make it listen on 0.0.0.0 (all addresses)"
            ),
            Listening::OtherPorts(ports) => format!(
                "nothing listens on {port}; the container listens on {}: publish that \
                 port, or make the server use {}",
                join_ports(ports),
                port.split('/').next().unwrap_or(port)
            ),
            Listening::Nothing => {
                format!("nothing in the container listens on {port}: is the server started?")
            }
            Listening::Exited(Some(code)) => {
                format!("the container has exited (code {code}): nothing serves {port}")
            }
            Listening::Exited(None) => {
                format!("the container is not running: nothing serves {port}")
            }
        }
    }
}

fn join_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sockets of one protocol in the namespace of `pid`: listening TCP sockets,
/// or bound UDP sockets.
pub fn sockets(pid: i32, protocol: Protocol) -> std::io::Result<Vec<SocketAddr>> {
    let mut found = Vec::new();
    for family in ["", "6"] {
        let path = format!("/proc/{pid}/net/{}{family}", protocol.as_str());
        match std::fs::read_to_string(&path) {
            Ok(text) => found.extend(parse_proc_net(&text, protocol)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && family == "6" => {}
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// The local addresses of the sockets in a `/proc/net/tcp`-style table that
/// listen (TCP) or are bound and unconnected (UDP).
pub fn parse_proc_net(text: &str, protocol: Protocol) -> Vec<SocketAddr> {
    let wanted = match protocol {
        Protocol::Tcp => TCP_LISTEN,
        Protocol::Udp => UDP_UNCONNECTED,
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let local = fields.nth(1)?;
            let state = u8::from_str_radix(fields.nth(1)?, 16).ok()?;
            (state == wanted).then(|| parse_address(local))?
        })
        .collect()
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6), as the kernel
/// prints them: each 32-bit word in host (little-endian) order.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let value = u32::from_str_radix(address.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(value.to_le_bytes())
    };
    let ip = match address.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// What `sockets` means for `port`, reached at the container's `address`.
pub fn diagnose(port: u16, address: Ipv4Addr, sockets: &[SocketAddr]) -> Listening {
    let on_port: Vec<&SocketAddr> = sockets.iter().filter(|s| s.port() == port).collect();
    let is_reachable = |socket: &&&SocketAddr| match socket.ip() {
        IpAddr::V4(ip) => ip.is_unspecified() || ip == address,
        IpAddr::V6(ip) => {
            ip.is_unspecified() || ip.to_ipv4_mapped().is_some_and(|v4| v4 == address)
        }
    };
    if on_port.iter().any(|s| is_reachable(&s)) {
        return Listening::Yes;
    }
    if let Some(socket) = on_port.first() {
        return Listening::LoopbackOnly(**socket);
    }
    let mut others: Vec<u16> = sockets.iter().map(|s| s.port()).collect();
    others.sort_unstable();
    others.dedup();
    match others.is_empty() {
        true => Listening::Nothing,
        false => Listening::OtherPorts(others),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n\
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n\
   2: 0200570A:1F90 0300570A:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1\n";

    #[test]
    fn listeners_parse_from_proc_net() {
        let sockets = parse_proc_net(TCP, Protocol::Tcp);
        assert_eq!(
            sockets,
            [
                "127.0.0.1:8000".parse().unwrap(),
                "0.0.0.0:8080".parse().unwrap()
            ]
        );
        let v6 = "sl local rem st\n 0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A x\n";
        assert_eq!(
            parse_proc_net(v6, Protocol::Tcp),
            ["[::1]:80".parse().unwrap()]
        );
    }

    #[test]
    fn diagnoses_say_why_a_port_does_not_answer() {
        let address = Ipv4Addr::new(10, 87, 0, 2);
        let sockets = parse_proc_net(TCP, Protocol::Tcp);
        assert_eq!(diagnose(8080, address, &sockets), Listening::Yes);
        let loopback = diagnose(8000, address, &sockets);
        assert_eq!(
            loopback,
            Listening::LoopbackOnly("127.0.0.1:8000".parse().unwrap())
        );
        assert!(loopback.explain("8000/tcp").contains("127.0.0.1:8000 only"));
        let other = diagnose(80, address, &sockets);
        assert_eq!(other, Listening::OtherPorts(vec![8000, 8080]));
        assert!(other.explain("80/tcp").contains("listens on 8000, 8080"));
        assert_eq!(diagnose(80, address, &[]), Listening::Nothing);
        let mine: SocketAddr = "10.87.0.2:80".parse().unwrap();
        assert_eq!(diagnose(80, address, &[mine]), Listening::Yes);
    }
}
