//! Driving the binary from a pseudo-terminal, as a user at a terminal would: the
//! command gets the slave as stdio and controlling terminal (in a session of its
//! own), the test reads and types on the master.

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use container_test_support::TestEnv;

/// How long one step may take.
const STEP: Duration = Duration::from_secs(20);

/// The binary running on a terminal of a given size.
pub struct PtySession {
    master: File,
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
}

impl PtySession {
    /// Starts `container args...` in `env` on a new `rows` x `cols` terminal.
    pub fn spawn(env: &TestEnv, args: &[&str], rows: u16, cols: u16) -> PtySession {
        Self::spawn_in(env, None, args, rows, cols)
    }

    /// [`PtySession::spawn`] in directory `dir`, as after `cd dir`.
    pub fn spawn_in(
        env: &TestEnv,
        dir: Option<&std::path::Path>,
        args: &[&str],
        rows: u16,
        cols: u16,
    ) -> PtySession {
        let (master, slave) = openpty();
        set_size(&master, rows, cols);
        let mut command = env.command(super::common::BIN);
        command.args(args);
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        for (index, stdio) in [0, 1, 2]
            .into_iter()
            .map(|i| (i, slave.try_clone().unwrap()))
        {
            let stdio = Stdio::from(stdio);
            match index {
                0 => command.stdin(stdio),
                1 => command.stdout(stdio),
                _ => command.stderr(stdio),
            };
        }
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("start the binary on a pty");
        drop(slave);
        let master = File::from(master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            // Ends with EIO once the last slave descriptor closes.
            while let Ok(n @ 1..) = reader.read(&mut chunk) {
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        PtySession {
            master,
            child,
            output,
        }
    }

    /// Everything the terminal showed so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal has shown `needle` (counting from the start).
    #[track_caller]
    pub fn expect(&self, needle: &str) {
        let deadline = Instant::now() + STEP;
        while !self.screen().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} on the terminal:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `keys`.
    pub fn type_keys(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
    }

    /// Resizes the terminal (the kernel sends SIGWINCH to the binary).
    pub fn resize(&self, rows: u16, cols: u16) {
        set_size(&self.master, rows, cols);
    }

    /// Whether the terminal is back in cooked mode (canonical, echoing).
    pub fn is_cooked(&self) -> bool {
        let termios = rustix::termios::tcgetattr(&self.master).unwrap();
        let flags = termios.local_modes;
        flags.contains(rustix::termios::LocalModes::ICANON)
            && flags.contains(rustix::termios::LocalModes::ECHO)
    }

    /// Waits for the binary to exit; its exit code.
    #[track_caller]
    pub fn wait(&mut self) -> i32 {
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("still running; the terminal showed:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PtySession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openpty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let (name, termios, size) = (std::ptr::null_mut(), std::ptr::null(), std::ptr::null());
    // SAFETY: openpty writes two new descriptors, which we then own.
    let rc = unsafe { libc::openpty(&mut master, &mut slave, name, termios, size) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: as above; nothing else owns them.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

fn set_size(terminal: &impl std::os::fd::AsRawFd, rows: u16, cols: u16) {
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize.
    let rc = unsafe { libc::ioctl(terminal.as_raw_fd(), libc::TIOCSWINSZ, &size) };
    assert_eq!(rc, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
}
