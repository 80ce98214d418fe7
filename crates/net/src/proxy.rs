//! The port proxy, which a container's monitor serves: it accepts on the host's
//! address and connects to the container's address from inside the container's
//! network namespace.
//!
//! The upstream sockets are opened by one thread that entered the namespace with
//! `setns(2)`; a socket keeps the namespace it was created in, so the monitor's
//! event loop, in the host's namespace, relays between both sides. Going through
//! the namespace's own routing (rather than the bridge) also means a server that
//! listens only on 127.0.0.1 inside does not answer, exactly as it would not
//! through Docker's: [`crate::listen`] says why.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd as _, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::error::{NetError, Result};
use crate::publish::{self, PortSpec, Protocol, PublishedPort};

/// How long a UDP flow lives without traffic.
const UDP_IDLE: Duration = Duration::from_secs(120);
/// Relay buffers: large, since bulk transfers are what a proxy slows down.
const BUFFER: usize = 256 * 1024;
/// A connection to the container's own address is local; this is only a guard.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Host sockets bound for a container's published ports, before it starts.
#[derive(Debug, Default)]
pub struct Listeners {
    tcp: Vec<(PublishedPort, TcpListener)>,
    udp: Vec<(PublishedPort, UdpSocket)>,
}

impl Listeners {
    /// Binds every spec: the first free port of a range, or an ephemeral port. A
    /// port in use is an error naming it.
    pub fn bind(specs: &[PortSpec]) -> Result<Listeners> {
        let mut listeners = Listeners::default();
        for spec in specs {
            listeners.bind_one(spec)?;
        }
        Ok(listeners)
    }

    fn bind_one(&mut self, spec: &PortSpec) -> Result<()> {
        let ip = publish::listen_ip(spec);
        let (start, end) = spec.host_ports.unwrap_or((0, 0));
        let mut last_error = None;
        for port in start..=end {
            let address = SocketAddr::new(ip, port);
            let bound = match spec.protocol {
                Protocol::Tcp => bind_tcp(address).map(|l| {
                    let port = l.local_addr().map_or(port, |a| a.port());
                    self.tcp.push((published(spec, ip, port), l));
                }),
                Protocol::Udp => bind_udp(address).map(|s| {
                    let port = s.local_addr().map_or(port, |a| a.port());
                    self.udp.push((published(spec, ip, port), s));
                }),
            };
            match bound {
                Ok(()) => return Ok(()),
                Err(error) => last_error = Some((address, error)),
            }
        }
        let (address, source) = last_error.expect("a range has at least one port");
        let binding = spec.to_string();
        // No address given: one socket listens on every address, v4 and v6
        // alike; Docker names that `0.0.0.0`.
        let ip = match spec.host_ip {
            None => "0.0.0.0".to_owned(),
            Some(_) => publish::bracketed(&address.ip().to_string()),
        };
        let address = format!("{ip}:{}", address.port());
        Err(match source.kind() {
            io::ErrorKind::AddrInUse => NetError::PortInUse {
                binding,
                address,
                source,
            },
            _ => NetError::Bind {
                binding,
                address,
                source,
            },
        })
    }

    /// The ports bound, as a container's record shows them.
    pub fn published(&self) -> Vec<PublishedPort> {
        let tcp = self.tcp.iter().map(|(p, _)| p.clone());
        tcp.chain(self.udp.iter().map(|(p, _)| p.clone())).collect()
    }

    /// Whether nothing is published.
    pub fn is_empty(&self) -> bool {
        self.tcp.is_empty() && self.udp.is_empty()
    }
}

fn published(spec: &PortSpec, ip: IpAddr, host_port: u16) -> PublishedPort {
    PublishedPort {
        container_port: spec.container_port,
        protocol: spec.protocol,
        host_ip: ip,
        host_port,
    }
}

/// Every address means IPv6 and IPv4 through one socket; a host without IPv6
/// gets an IPv4 socket.
fn bind_tcp(address: SocketAddr) -> io::Result<TcpListener> {
    match TcpListener::bind(address) {
        Err(e) if is_v6_missing(&address, &e) => TcpListener::bind(SocketAddr::new(
            Ipv4Addr::UNSPECIFIED.into(),
            address.port(),
        )),
        other => other,
    }
}

fn bind_udp(address: SocketAddr) -> io::Result<UdpSocket> {
    match UdpSocket::bind(address) {
        Err(e) if is_v6_missing(&address, &e) => UdpSocket::bind(SocketAddr::new(
            Ipv4Addr::UNSPECIFIED.into(),
            address.port(),
        )),
        other => other,
    }
}

fn is_v6_missing(address: &SocketAddr, error: &io::Error) -> bool {
    address.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        && error.raw_os_error() == Some(libc::EAFNOSUPPORT)
}

/// A socket opened inside the container's namespace.
enum Upstream {
    Tcp(TcpStream),
    Udp(UdpSocket),
}

struct ConnectRequest {
    target: SocketAddr,
    protocol: Protocol,
    reply: oneshot::Sender<io::Result<Upstream>>,
}

/// Opens sockets inside a network namespace, on a thread that lives in it.
#[derive(Clone)]
pub struct Connector {
    requests: std::sync::mpsc::Sender<ConnectRequest>,
}

impl Connector {
    /// A thread in the network namespace `namespace` (`/proc/<pid>/ns/net`).
    pub fn new(namespace: OwnedFd) -> Result<Connector> {
        let (requests, receiver) = std::sync::mpsc::channel::<ConnectRequest>();
        let (ready, entered) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let joined = rustix::thread::move_into_link_name_space(
                namespace.as_fd(),
                Some(rustix::thread::LinkNameSpaceType::Network),
            );
            let is_joined = joined.is_ok();
            let _ = ready.send(joined);
            if !is_joined {
                return;
            }
            while let Ok(request) = receiver.recv() {
                let opened = match request.protocol {
                    Protocol::Tcp => TcpStream::connect_timeout(&request.target, CONNECT_TIMEOUT)
                        .map(Upstream::Tcp),
                    Protocol::Udp => UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
                        .and_then(|s| s.connect(request.target).map(|()| Upstream::Udp(s))),
                };
                let _ = request.reply.send(opened);
            }
        });
        let joined = entered.recv().unwrap_or(Err(rustix::io::Errno::NOENT));
        joined.map_err(|e| NetError::Netlink {
            action: "entering the container's network namespace".into(),
            source: e.into(),
        })?;
        Ok(Connector { requests })
    }

    async fn open(&self, target: SocketAddr, protocol: Protocol) -> io::Result<Upstream> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(ConnectRequest {
                target,
                protocol,
                reply,
            })
            .map_err(|_| io::Error::other("the connector thread is gone"))?;
        answer
            .await
            .map_err(|_| io::Error::other("the connector thread is gone"))?
    }
}

/// Called when a connection finds nothing listening in the container.
pub type OnRefused = Arc<dyn Fn(&PublishedPort) + Send + Sync>;

/// Serves every listener, relaying to `address` in the container through
/// `connector`. Spawns tasks on the current tokio runtime.
pub fn serve(
    listeners: Listeners,
    connector: Connector,
    address: Ipv4Addr,
    on_refused: OnRefused,
) -> io::Result<()> {
    for (port, listener) in listeners.tcp {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let target = SocketAddr::new(address.into(), port.container_port);
        tokio::spawn(accept_tcp(
            listener,
            target,
            port,
            connector.clone(),
            on_refused.clone(),
        ));
    }
    for (port, socket) in listeners.udp {
        socket.set_nonblocking(true)?;
        let socket = tokio::net::UdpSocket::from_std(socket)?;
        let target = SocketAddr::new(address.into(), port.container_port);
        tokio::spawn(relay_udp(
            Arc::new(socket),
            target,
            port,
            connector.clone(),
            on_refused.clone(),
        ));
    }
    Ok(())
}

async fn accept_tcp(
    listener: tokio::net::TcpListener,
    target: SocketAddr,
    port: PublishedPort,
    connector: Connector,
    on_refused: OnRefused,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (connector, on_refused, port) = (connector.clone(), on_refused.clone(), port.clone());
        tokio::spawn(async move {
            match connector.open(target, Protocol::Tcp).await {
                Ok(Upstream::Tcp(upstream)) => relay_tcp(client, upstream).await,
                Ok(Upstream::Udp(_)) => {}
                Err(error) => {
                    tracing::debug!(%error, %target, "connecting to the container");
                    if error.kind() == io::ErrorKind::ConnectionRefused {
                        on_refused(&port);
                    }
                }
            }
        });
    }
}

async fn relay_tcp(client: tokio::net::TcpStream, upstream: TcpStream) {
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    if upstream.set_nonblocking(true).is_err() {
        return;
    }
    let Ok(mut upstream) = tokio::net::TcpStream::from_std(upstream) else {
        return;
    };
    let mut client = client;
    let _ =
        tokio::io::copy_bidirectional_with_sizes(&mut client, &mut upstream, BUFFER, BUFFER).await;
}

/// One host socket; a socket in the container per client address, whose replies
/// go back to that client.
async fn relay_udp(
    host: Arc<tokio::net::UdpSocket>,
    target: SocketAddr,
    port: PublishedPort,
    connector: Connector,
    on_refused: OnRefused,
) {
    let flows: Arc<std::sync::Mutex<HashMap<SocketAddr, Arc<tokio::net::UdpSocket>>>> =
        Arc::default();
    let mut buffer = vec![0u8; 65536];
    loop {
        let Ok((length, client)) = host.recv_from(&mut buffer).await else {
            continue;
        };
        let existing = flows
            .lock()
            .expect("no task panics holding the flows")
            .get(&client)
            .cloned();
        let upstream = match existing {
            Some(upstream) => upstream,
            None => match connector.open(target, Protocol::Udp).await {
                Ok(Upstream::Udp(socket)) => {
                    let Ok(socket) = socket
                        .set_nonblocking(true)
                        .and_then(|()| tokio::net::UdpSocket::from_std(socket))
                    else {
                        continue;
                    };
                    let socket = Arc::new(socket);
                    flows
                        .lock()
                        .expect("no task panics holding the flows")
                        .insert(client, socket.clone());
                    tokio::spawn(udp_replies(
                        socket.clone(),
                        host.clone(),
                        client,
                        flows.clone(),
                        port.clone(),
                        on_refused.clone(),
                    ));
                    socket
                }
                _ => continue,
            },
        };
        let _ = upstream.send(&buffer[..length]).await;
    }
}

async fn udp_replies(
    upstream: Arc<tokio::net::UdpSocket>,
    host: Arc<tokio::net::UdpSocket>,
    client: SocketAddr,
    flows: Arc<std::sync::Mutex<HashMap<SocketAddr, Arc<tokio::net::UdpSocket>>>>,
    port: PublishedPort,
    on_refused: OnRefused,
) {
    let mut buffer = vec![0u8; 65536];
    loop {
        match tokio::time::timeout(UDP_IDLE, upstream.recv(&mut buffer)).await {
            Ok(Ok(length)) => {
                let _ = host.send_to(&buffer[..length], client).await;
            }
            // An ICMP port unreachable comes back as a refused receive.
            Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionRefused => {
                on_refused(&port);
            }
            Ok(Err(_)) | Err(_) => break,
        }
    }
    flows
        .lock()
        .expect("no task panics holding the flows")
        .remove(&client);
}
