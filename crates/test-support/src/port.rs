//! Free loopback ports.

use std::net::TcpListener;

/// A loopback port that was free a moment ago: bound to port 0, read, then released.
/// Another process may take it before we use it; callers retry on "address in use".
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 for a free port");
    listener
        .local_addr()
        .expect("local address of a bound listener")
        .port()
}
