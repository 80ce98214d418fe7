//! Running a command to completion with its output captured, and assertions on it.

use std::fmt;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long [`run`] lets a command take before killing it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long to wait for the output pipes to close once the command exited (a daemon it
/// left behind may hold them open).
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// A finished command: its output (lossy UTF-8) and exit code (128 + N if killed by
/// signal N).
#[derive(Debug, Clone)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    command: String,
}

impl Output {
    /// Panics, showing everything, unless the command exited 0.
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert!(self.code == 0, "expected success\n{self}");
        self
    }

    /// Panics, showing everything, if the command exited 0.
    #[track_caller]
    pub fn failure(&self) -> &Self {
        assert!(self.code != 0, "expected failure\n{self}");
        self
    }

    /// Panics, showing everything, unless the command exited with `code`.
    #[track_caller]
    pub fn code_is(&self, code: i32) -> &Self {
        assert!(self.code == code, "expected exit code {code}\n{self}");
        self
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}\nexit code: {}", self.command, self.code)?;
        writeln!(f, "--- stdout\n{}", self.stdout)?;
        write!(f, "--- stderr\n{}", self.stderr)
    }
}

/// Runs `cmd` (stdin empty) to completion within [`DEFAULT_TIMEOUT`], capturing stdout,
/// stderr and the exit code.
pub fn run(cmd: &mut Command) -> Output {
    run_with_timeout(cmd, DEFAULT_TIMEOUT)
}

/// [`run`] with another timeout; on timeout the command is killed and the test panics
/// with the output so far.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Output {
    let command = describe(cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    let stdout = Capture::start(child.stdout.take().expect("piped stdout"));
    let stderr = Capture::start(child.stderr.take().expect("piped stderr"));
    let status = wait_until(&mut child, Instant::now() + timeout);
    let deadline = Instant::now() + PIPE_GRACE;
    let (stdout, stderr) = (stdout.finish(deadline), stderr.finish(deadline));
    let Some(status) = status else {
        panic!(
            "{command} still running after {timeout:?}: killed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
    };
    Output {
        stdout,
        stderr,
        code: exit_code(status),
        command,
    }
}

fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// The exit status, or `None` (after killing it) if `child` outlived `deadline`.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}

/// A pipe read to its end by a thread into a shared buffer.
struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    thread: JoinHandle<()>,
}

impl Capture {
    fn start(mut pipe: impl Read + Send + 'static) -> Capture {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let thread = thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                sink.lock()
                    .expect("capture buffer")
                    .extend_from_slice(&chunk[..n]);
            }
        });
        Capture { buffer, thread }
    }

    /// What was read, once the pipe closed or `deadline` passed (the thread is then
    /// left to finish on its own).
    fn finish(self, deadline: Instant) -> String {
        while !self.thread.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        let bytes = self.buffer.lock().expect("capture buffer");
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
