//! Streaming an attached container: its output to ours, our stdin and signals to it.


use container_runtime::{AttachInput, Output, Runtime};
use tokio::io::AsyncReadExt as _;
use tokio::signal::unix::{SignalKind, signal};

/// Signals forwarded to the container, as Docker's `--sig-proxy` does.
const FORWARDED: [i32; 6] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// Attaches to container `id` until it exits; returns its exit code.
pub fn stream(runtime: &Runtime, id: &str, stdin: bool, sig_proxy: bool) -> anyhow::Result<i32> {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = tokio.block_on(async {
        let (mut output, input) = runtime.attach(id, stdin).await?;
        if sig_proxy {
            forward_signals(&input)?;
        }
        if stdin {
            tokio::spawn(forward_stdin(input));
        }
        loop {
            match output.next().await? {
                Output::Stdout(data) => write_all(&mut std::io::stdout(), &data)?,
                Output::Stderr(data) => write_all(&mut std::io::stderr(), &data)?,
                Output::Exit(code) => return anyhow::Ok(code),
            }
        }
    });
    // The stdin reader may be blocked in a read that nothing will end.
    tokio.shutdown_background();
    result
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

async fn forward_stdin(input: AttachInput) {
    let mut stdin = tokio::io::stdin();
    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        match stdin.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if input.send(&buffer[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = input.close().await;
}
