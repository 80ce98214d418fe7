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

/// Docker's detach keys: ctrl-p, then ctrl-q.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

/// Reads `--detach-keys` as Docker does: a comma-separated list of single
/// characters or `ctrl-X`, X a letter or one of `@ [ \ ] ^ _`.
pub fn parse_detach_keys(text: &str) -> anyhow::Result<Vec<u8>> {
    let invalid = || {
        anyhow::anyhow!("invalid detach keys `{text}`: use keys like `ctrl-p,ctrl-q` or `a,ctrl-x`")
    };
    text.split(',')
        .map(|key| match key.strip_prefix("ctrl-") {
            Some(name) => match name.as_bytes() {
                [letter @ (b'a'..=b'z' | b'A'..=b'Z')] => {
                    Ok(letter.to_ascii_lowercase() - b'a' + 1)
                }
                [b'@'] => Ok(0),
                [symbol @ (b'[' | b'\\' | b']' | b'^' | b'_')] => Ok(symbol - b'@'),
                _ => Err(invalid()),
            },
            None => match key.as_bytes() {
                [byte] => Ok(*byte),
                _ => Err(invalid()),
            },
        })
        .collect()
}

/// Watches input for the detach keys: bytes that may begin the sequence are held
/// back until it is complete (detach) or broken (they are passed on after all).
pub struct DetachKeys {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachKeys {
    pub fn new(keys: Vec<u8>) -> DetachKeys {
        DetachKeys { keys, matched: 0 }
    }

    /// The input to pass on, and whether the sequence is complete (the rest of
    /// `data` is then dropped).
    pub fn feed(&mut self, data: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::with_capacity(data.len());
        for &byte in data {
            if self.keys.get(self.matched) == Some(&byte) {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return (out, true);
                }
                continue;
            }
            out.extend_from_slice(&self.keys[..self.matched]);
            self.matched = usize::from(self.keys.first() == Some(&byte));
            if self.matched == 0 {
                out.push(byte);
            }
        }
        (out, false)
    }
}

/// `-i -t` wants our stdin to be a terminal, as Docker does: piped input has no
/// end that a terminal can pass on (^D read before the shell set its terminal up
/// is lost), so the session could never end.
pub fn check_input_is_a_terminal(is_needed: bool) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    if is_needed && !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the input device is not a TTY: drop `-t` to pipe input, or `-i` to only see output"
        );
    }
    Ok(())
}

#[cfg(test)]
mod detach_tests {
    use super::*;

    #[test]
    fn detach_keys_parse_as_docker_spells_them() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), [0x10, 0x11]);
        assert_eq!(
            parse_detach_keys("a,ctrl-@,ctrl-[").unwrap(),
            [b'a', 0, 0x1b]
        );
        assert!(parse_detach_keys("ctrl-1").is_err());
        assert!(parse_detach_keys("ab").is_err());
    }

    #[test]
    fn the_sequence_detaches_and_broken_ones_pass_through() {
        let mut keys = DetachKeys::new(vec![0x10, 0x11]);
        assert_eq!(keys.feed(b"ls\r"), (b"ls\r".to_vec(), false));
        assert_eq!(keys.feed(&[b'x', 0x10]), (b"x".to_vec(), false));
        assert_eq!(keys.feed(b"y"), (vec![0x10, b'y'], false));
        assert_eq!(keys.feed(&[0x10, 0x10, 0x11, b'z']), (vec![0x10], true));
    }
}
