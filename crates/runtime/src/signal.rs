//! Signal names and numbers, as `kill -s` and `--stop-signal` take them.

use crate::error::{Result, RuntimeError};

/// Linux signal names, without `SIG`, by number.
const NAMES: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// `KILL`, `SIGKILL`, `kill` or `9` → 9.
pub fn parse_signal(text: &str) -> Result<i32> {
    let invalid = || RuntimeError::InvalidOption {
        option: "--signal",
        value: text.to_owned(),
        reason: "not a signal name or number".into(),
    };
    if let Ok(number) = text.parse::<i32>() {
        return match NAMES.iter().any(|(_, n)| *n == number) {
            true => Ok(number),
            false => Err(invalid()),
        };
    }
    let upper = text.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    NAMES
        .iter()
        .find(|(name, _)| *name == bare)
        .map(|(_, n)| *n)
        .ok_or_else(invalid)
}

/// The signal as a rustix value, for `kill`.
pub(crate) fn to_rustix(number: i32) -> Option<rustix::process::Signal> {
    rustix::process::Signal::from_named_raw(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_parse() {
        for (text, number) in [
            ("KILL", 9),
            ("SIGTERM", 15),
            ("hup", 1),
            ("9", 9),
            ("sigusr1", 10),
        ] {
            assert_eq!(parse_signal(text).unwrap(), number, "{text}");
        }
        for text in ["", "NOPE", "0", "99", "-1"] {
            assert!(parse_signal(text).is_err(), "{text}");
        }
        for (_, number) in NAMES {
            assert!(to_rustix(*number).is_some(), "{number}");
        }
    }
}
