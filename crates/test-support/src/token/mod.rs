//! A token issuer for distribution's `token` auth mode, on a loopback port, in a
//! background thread: `GET /token?service=..&scope=..` (scope may repeat) answers
//! `{"token", "access_token", "expires_in", "issued_at"}` with an ES256 JWT.
//!
//! Valid Basic credentials get every requested action; no credentials get a token that
//! grants nothing (the registry then refuses, like a private repository on Docker Hub);
//! wrong credentials get 401. Every request is recorded as a [`TokenRequest`].

mod grant;
mod jwt;
mod server;

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use grant::Caller;
use jwt::Signer;
use server::Request;

/// The `service` the token-mode registry names in its challenge and checks as `aud`.
pub const TOKEN_SERVICE: &str = "container-test-registry";
/// The `iss` of issued tokens.
pub const TOKEN_ISSUER: &str = "container-test-issuer";

/// One request the issuer received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Every `scope` parameter, decoded, in order.
    pub scopes: Vec<String>,
    /// The `service` parameter.
    pub service: Option<String>,
    /// The user whose Basic credentials were valid.
    pub authorized_user: Option<String>,
    /// Whether an `Authorization` header came at all.
    pub had_credentials: bool,
}

struct State {
    signer: Signer,
    user: String,
    password: String,
    requests: Mutex<Vec<TokenRequest>>,
}

/// The running issuer; stopped (thread joined) on Drop.
pub(crate) struct TokenIssuer {
    addr: String,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TokenIssuer {
    /// Starts an issuer that knows one `user`/`password`.
    pub(crate) fn start(user: &str, password: &str) -> TokenIssuer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the token issuer");
        let addr = listener
            .local_addr()
            .expect("token issuer address")
            .to_string();
        let state = Arc::new(State {
            signer: Signer::generate(TOKEN_ISSUER),
            user: user.to_string(),
            password: password.to_string(),
            requests: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_state, thread_stop) = (Arc::clone(&state), Arc::clone(&stop));
        let thread = thread::Builder::new()
            .name("token-issuer".into())
            .spawn(move || accept_loop(&listener, &thread_state, &thread_stop))
            .expect("spawn the token issuer thread");
        TokenIssuer {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/token`
    pub(crate) fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// The signing certificate (PEM), for the registry's `rootcertbundle`.
    pub(crate) fn cert_pem(&self) -> &str {
        self.state.signer.cert_pem()
    }

    pub(crate) fn requests(&self) -> Vec<TokenRequest> {
        self.state
            .requests
            .lock()
            .expect("token request log")
            .clone()
    }

    /// Forgets requests past the first `len` (those a helper made, not the test).
    pub(crate) fn truncate_requests(&self, len: usize) {
        self.state
            .requests
            .lock()
            .expect("token request log")
            .truncate(len);
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr); // wakes accept()
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<State>, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let state = Arc::clone(state);
        thread::spawn(move || {
            if let Some(request) = server::read_request(&stream) {
                let (status, body) = answer(&request, &state);
                server::write_response(stream, status, &body);
            }
        });
    }
}

/// Records the request and decides the response (status, JSON body).
fn answer(request: &Request, state: &State) -> (u16, String) {
    if request.method != "GET" || request.path != "/token" {
        return (404, r#"{"error":"not found"}"#.to_string());
    }
    let scopes: Vec<String> = request.params("scope").map(str::to_string).collect();
    let service = request.params("service").next().map(str::to_string);
    let caller = grant::caller(
        request.authorization.as_deref(),
        &state.user,
        &state.password,
    );
    let authorized_user = match &caller {
        Caller::User(user) => Some(user.clone()),
        _ => None,
    };
    state
        .requests
        .lock()
        .expect("token request log")
        .push(TokenRequest {
            scopes: scopes.clone(),
            service: service.clone(),
            authorized_user: authorized_user.clone(),
            had_credentials: request.authorization.is_some(),
        });
    if let Caller::Rejected = caller {
        return (
            401,
            r#"{"details":"incorrect username or password"}"#.to_string(),
        );
    }
    let body = grant::token_body(
        &state.signer,
        service.as_deref(),
        &scopes,
        authorized_user.as_deref(),
    );
    (200, body)
}
