//! The local terminal while attached to a container's: raw mode, so that every key
//! (^C included) goes to the container's line discipline rather than ours, and the
//! window size, which the container's terminal follows.

use std::os::fd::AsFd;

use container_runtime::protocol::WindowSize;
use rustix::termios::{self, OptionalActions, Termios};

/// Our stdin's terminal settings before raw mode; restored on drop, which also runs
/// on errors and panics (unwinding), and after the signals `attach` catches.
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// Puts stdin in raw mode, if it is a terminal (`None` otherwise: piped input
    /// passes through untouched).
    pub fn enable() -> std::io::Result<Option<RawMode>> {
        let stdin = std::io::stdin();
        if !termios::isatty(stdin.as_fd()) {
            return Ok(None);
        }
        let saved = termios::tcgetattr(stdin.as_fd())?;
        let mut raw = saved.clone();
        raw.make_raw();
        termios::tcsetattr(stdin.as_fd(), OptionalActions::Now, &raw)?;
        Ok(Some(RawMode { saved }))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let stdin = std::io::stdin();
        let _ = termios::tcsetattr(stdin.as_fd(), OptionalActions::Now, &self.saved);
    }
}

/// The size of our terminal: stdout's, else stdin's (as Docker asks its output
/// stream); `None` when neither is a terminal.
pub fn size() -> Option<WindowSize> {
    let stdout = std::io::stdout();
    let stdin = std::io::stdin();
    [stdout.as_fd(), stdin.as_fd()]
        .into_iter()
        .filter(|fd| termios::isatty(fd))
        .find_map(|fd| termios::tcgetwinsize(fd).ok())
        .map(|size| WindowSize {
            rows: size.ws_row,
            cols: size.ws_col,
        })
}
