//! A proxy in front of a registry that fails the way networks and registries do: it
//! answers the first manifest request with 503, cuts the first large blob download off
//! part way, and closes a TLS handshake unanswered. Requests carry no body (pulls
//! only); each connection serves one request and closes, which the proxy tells both
//! sides with `Connection: close`.
//!
//! [`FlakyProxy::redirecting`] instead sends every blob download to another proxy,
//! [`FlakyProxy::storage`], as registries send them to blob storage: a test can
//! check that credentials do not follow the redirect to that other host.
//!
//! Every request is recorded (method, path, `Range` and whether it carried
//! `Authorization`) for assertions.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// One request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxiedRequest {
    pub method: String,
    pub path: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// Whether it carried an `Authorization` header.
    pub is_authorized: bool,
}

struct State {
    upstream: String,
    /// Body bytes after which the first blob download longer than that is cut.
    cut_after: usize,
    is_manifest_failed: AtomicBool,
    is_blob_cut: AtomicBool,
    /// Where blob downloads are redirected (`127.0.0.1:PORT`), if anywhere.
    redirect_blobs_to: Option<String>,
    /// The `Authorization` sent upstream in place of the client's, if any.
    own_authorization: Option<String>,
    requests: Mutex<Vec<ProxiedRequest>>,
}

/// The running proxy; stopped (thread joined) on Drop.
pub struct FlakyProxy {
    addr: String,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FlakyProxy {
    /// Starts a proxy to the registry at `upstream` that cuts the first blob download
    /// longer than `cut_after` bytes once it has passed that many on.
    pub fn start(upstream: &str, cut_after: usize) -> FlakyProxy {
        FlakyProxy::spawn(State {
            upstream: upstream.to_owned(),
            cut_after,
            is_manifest_failed: AtomicBool::new(false),
            is_blob_cut: AtomicBool::new(false),
            redirect_blobs_to: None,
            own_authorization: None,
            requests: Mutex::new(Vec::new()),
        })
    }

    /// A proxy to `upstream` that fails nothing, and answers every blob download
    /// with a redirect to `storage` (the address of a [`FlakyProxy::storage`]).
    pub fn redirecting(upstream: &str, storage: &str) -> FlakyProxy {
        FlakyProxy::spawn(State {
            redirect_blobs_to: Some(storage.to_owned()),
            ..State::faultless(upstream)
        })
    }

    /// A proxy to `upstream` that fails nothing and sends `authorization` upstream
    /// instead of what the client sent: blob storage, which holds its own access.
    pub fn storage(upstream: &str, authorization: &str) -> FlakyProxy {
        FlakyProxy::spawn(State {
            own_authorization: Some(authorization.to_owned()),
            ..State::faultless(upstream)
        })
    }

    fn spawn(state: State) -> FlakyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the flaky proxy");
        let addr = listener.local_addr().expect("proxy address").to_string();
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let state = Arc::new(state);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            thread::spawn(move || accept(&listener, &state, &stop))
        };
        FlakyProxy {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        self.addr.clone()
    }

    /// The requests seen so far, in order of arrival.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Whether a blob download was cut off.
    pub fn has_cut_a_blob(&self) -> bool {
        self.state.is_blob_cut.load(Ordering::SeqCst)
    }
}

impl State {
    fn faultless(upstream: &str) -> State {
        State {
            upstream: upstream.to_owned(),
            cut_after: usize::MAX,
            is_manifest_failed: AtomicBool::new(true),
            is_blob_cut: AtomicBool::new(true),
            redirect_blobs_to: None,
            own_authorization: None,
            requests: Mutex::new(Vec::new()),
        }
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept(listener: &TcpListener, state: &Arc<State>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                let state = Arc::clone(state);
                thread::spawn(move || {
                    let _ = serve(client, &state);
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return,
        }
    }
}

fn serve(mut client: TcpStream, state: &State) -> io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(TIMEOUT))?;
    let mut first = [0u8; 1];
    client.peek(&mut first)?;
    if first[0] == 0x16 {
        // A TLS handshake (the client tries HTTPS first): close, as some plain-HTTP
        // servers do (docker-registry answers 400 instead, which other tests see).
        return Ok(());
    }
    let head = read_head(&mut client)?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut words = request_line.split(' ');
    let method = words.next().unwrap_or_default().to_owned();
    let path = words.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let range = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("range"))
        .map(|(_, value)| value.clone());
    let is_authorized = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("authorization"));
    state.requests.lock().unwrap().push(ProxiedRequest {
        method: method.clone(),
        path: path.clone(),
        range: range.clone(),
        is_authorized,
    });

    if let Some(storage) = &state.redirect_blobs_to
        && path.contains("/blobs/")
    {
        let moved = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{storage}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        client.write_all(moved.as_bytes())?;
        return Ok(());
    }

    if path.contains("/manifests/") && !state.is_manifest_failed.swap(true, Ordering::SeqCst) {
        let busy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        client.write_all(busy.as_bytes())?;
        return Ok(());
    }

    let mut upstream = TcpStream::connect(&state.upstream)?;
    upstream.set_read_timeout(Some(TIMEOUT))?;
    let mut forwarded = format!("{request_line}\r\n");
    for (name, value) in &headers {
        let is_replaced = name.eq_ignore_ascii_case("connection")
            || (state.own_authorization.is_some() && name.eq_ignore_ascii_case("authorization"));
        if !is_replaced {
            forwarded.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    if let Some(authorization) = &state.own_authorization {
        forwarded.push_str(&format!("Authorization: {authorization}\r\n"));
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    upstream.write_all(forwarded.as_bytes())?;

    // The answer's head, told that the connection closes after it.
    let answer_head = read_head(&mut upstream)?;
    let answer = String::from_utf8_lossy(&answer_head).into_owned();
    let mut rewritten = String::new();
    for line in answer.split("\r\n").filter(|l| !l.is_empty()) {
        let is_connection = line
            .split_once(':')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("connection"));
        if !is_connection {
            rewritten.push_str(line);
            rewritten.push_str("\r\n");
        }
    }
    rewritten.push_str("Connection: close\r\n\r\n");
    client.write_all(rewritten.as_bytes())?;

    let may_cut = method == "GET"
        && path.contains("/blobs/")
        && range.is_none()
        && !state.is_blob_cut.load(Ordering::SeqCst);
    let mut sent = 0;
    let mut buffer = vec![0; 16 << 10];
    loop {
        let read = upstream.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        let chunk = &buffer[..read];
        if may_cut
            && sent + chunk.len() > state.cut_after
            && !state.is_blob_cut.swap(true, Ordering::SeqCst)
        {
            client.write_all(&chunk[..state.cut_after - sent])?;
            client.flush()?;
            // Cut off: the client sees the body end early.
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        client.write_all(chunk)?;
        sent += chunk.len();
    }
}

/// Reads up to and including the blank line that ends an HTTP head.
fn read_head(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
        if head.len() > 64 << 10 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
        }
    }
    Ok(head)
}
