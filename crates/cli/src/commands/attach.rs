//! `container attach`, and the streaming that `run`, `start -a` and `exec` share: the
//! container's output to ours, our stdin, window size and signals to it.

use std::future::Future;
use std::process::ExitCode;

use anyhow::Context as _;
use container_runtime::protocol::WindowSize;
use container_runtime::{AttachInput, AttachOutput, Output, Runtime};
use tokio::io::AsyncReadExt as _;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::cli::AttachArgs;
use crate::context::Context;
use crate::terminal::{self, RawMode};

/// Signals forwarded to the container, as Docker's `--sig-proxy` does.
const FORWARDED: [i32; 6] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// Signals that end a terminal session on our side. Docker proxies no signals to a
/// terminal (^C reaches it as a key); we catch these to restore our terminal.
const ENDING: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

pub fn run(context: &Context, args: AttachArgs) -> anyhow::Result<ExitCode> {
    if let Some(keys) = &args.detach_keys {
        crate::terminal::parse_detach_keys(keys)?;
    }
    let runtime = context.containers()?;
    let record = runtime.find(&args.name)?;
    if !record.is_running() {
        anyhow::bail!("You cannot attach to a stopped container, start it first");
    }
    let stdin = record.config().open_stdin && !args.no_stdin;
    let code = stream(
        &runtime,
        &record.id,
        stdin,
        args.sig_proxy,
        args.detach_keys.as_deref(),
    )
    .with_context(|| format!("attaching to `{}`", args.name))?;
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}

/// How to stream a session.
#[derive(Debug, Clone, Copy)]
pub struct Streaming<'a> {
    /// Forward our stdin.
    pub stdin: bool,
    /// The process has a terminal: raw mode, sizes, no signal proxy.
    pub tty: bool,
    /// Forward signals (without a terminal).
    pub sig_proxy: bool,
    /// `--detach-keys` as typed (the default when `None`).
    pub detach_keys: Option<&'a str>,
}

/// Attaches to container `id` until it exits; returns its exit code.
pub fn stream(
    runtime: &Runtime,
    id: &str,
    stdin: bool,
    sig_proxy: bool,
    detach_keys: Option<&str>,
) -> anyhow::Result<i32> {
    let tty = runtime.find(id)?.config().tty;
    let how = Streaming {
        stdin,
        tty,
        sig_proxy,
        detach_keys,
    };
    stream_with(how, |size| runtime.attach(id, stdin, size))
}

/// Streams the session that `attach` connects to (given our terminal's size) until
/// its process exits; returns the exit code.
pub fn stream_with<F, A>(how: Streaming<'_>, attach: F) -> anyhow::Result<i32>
where
    F: FnOnce(Option<WindowSize>) -> A,
    A: Future<Output = container_runtime::Result<(AttachOutput, AttachInput)>>,
{
    // Detach keys only mean something typed on a terminal; piped input passes as is.
    let detach = match how.tty && how.stdin {
        true => Some(terminal::parse_detach_keys(
            how.detach_keys.unwrap_or(terminal::DEFAULT_DETACH_KEYS),
        )?),
        false => None,
    };
    let _raw = match how.tty && how.stdin {
        true => RawMode::enable().context("putting the terminal in raw mode")?,
        false => None,
    };
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = tokio.block_on(async {
        let size = how.tty.then(terminal::size).flatten();
        let (output, input) = attach(size).await?;
        let (ended, mut ending) = unbounded_channel();
        if how.tty {
            forward_resizes(&input)?;
            catch_ending_signals(&ended)?;
        } else if how.sig_proxy {
            forward_signals(&input)?;
        }
        if how.stdin {
            tokio::spawn(forward_stdin(input, detach, ended.clone()));
        }
        tokio::select! {
            code = print_output(output) => code,
            Some(code) = ending.recv() => Ok(code),
        }
    });
    // The stdin reader may be blocked in a read that nothing will end.
    tokio.shutdown_background();
    result
}

async fn print_output(mut output: AttachOutput) -> anyhow::Result<i32> {
    loop {
        match output.next().await? {
            Output::Stdout(data) => write_all(&mut std::io::stdout(), &data)?,
            Output::Stderr(data) => write_all(&mut std::io::stderr(), &data)?,
            Output::Exit(code) => return Ok(code),
        }
    }
}

fn write_all(out: &mut impl std::io::Write, data: &[u8]) -> std::io::Result<()> {
    out.write_all(data)?;
    out.flush()
}

fn forward_signals(input: &AttachInput) -> anyhow::Result<()> {
    for number in FORWARDED {
        let mut signals = signal(SignalKind::from_raw(number))?;
        let input = input.clone();
        tokio::spawn(async move {
            while signals.recv().await.is_some() {
                let _ = input.signal(number).await;
            }
        });
    }
    Ok(())
}

/// Our terminal's new size after each SIGWINCH.
fn forward_resizes(input: &AttachInput) -> anyhow::Result<()> {
    let mut winch = signal(SignalKind::window_change())?;
    let input = input.clone();
    tokio::spawn(async move {
        while winch.recv().await.is_some() {
            if let Some(size) = terminal::size() {
                let _ = input.resize(size).await;
            }
        }
    });
    Ok(())
}

/// Ends the session with 128 + the signal, as a shell reports a process it killed.
fn catch_ending_signals(ended: &UnboundedSender<i32>) -> anyhow::Result<()> {
    for number in ENDING {
        let mut signals = signal(SignalKind::from_raw(number))?;
        let ended = ended.clone();
        tokio::spawn(async move {
            if signals.recv().await.is_some() {
                let _ = ended.send(128 + number);
            }
        });
    }
    Ok(())
}

/// Our stdin to the container's, until it ends (which closes the container's) or
/// the detach keys are typed (which leaves it open and ends the session with 0).
async fn forward_stdin(
    input: AttachInput,
    detach_keys: Option<Vec<u8>>,
    ended: UnboundedSender<i32>,
) {
    let mut detach = detach_keys.map(terminal::DetachKeys::new);
    let mut stdin = tokio::io::stdin();
    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        let n = match stdin.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let (data, is_detached) = match &mut detach {
            Some(keys) => keys.feed(&buffer[..n]),
            None => (buffer[..n].to_vec(), false),
        };
        if !data.is_empty() && input.send(&data).await.is_err() {
            return;
        }
        if is_detached {
            let _ = ended.send(0);
            return;
        }
    }
    let _ = input.close().await;
}
