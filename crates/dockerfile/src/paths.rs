//! Paths and names the builder resolves the way Docker does, without
//! touching a filesystem.

use crate::error::ErrorKind;

/// The new working directory after `WORKDIR path` when it was `current`
/// (empty for an image without one): a relative path is joined to it, and
/// the result is cleaned (`/app/../srv/` is `/srv`).
///
/// ```
/// use container_dockerfile::join_workdir;
/// assert_eq!(join_workdir("/srv/app", "sub"), "/srv/app/sub");
/// assert_eq!(join_workdir("", "app"), "/app");
/// assert_eq!(join_workdir("/a", "/b/./c/"), "/b/c");
/// ```
pub fn join_workdir(current: &str, path: &str) -> String {
    if path.starts_with('/') {
        return clean_absolute(path);
    }
    clean_absolute(&format!("/{current}/{path}"))
}

/// COPY/ADD's destination inside the image: relative to `workdir`, with a
/// trailing `/` kept (or added for `.`), since it says "a directory".
///
/// ```
/// use container_dockerfile::copy_destination;
/// assert_eq!(copy_destination("/w", "."), "/w/");
/// assert_eq!(copy_destination("/w", "sub/"), "/w/sub/");
/// assert_eq!(copy_destination("/w", "new"), "/w/new");
/// assert_eq!(copy_destination("/w", "/abs/"), "/abs/");
/// ```
pub fn copy_destination(workdir: &str, dest: &str) -> String {
    let is_directory = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
    let joined = if dest.starts_with('/') {
        clean_absolute(dest)
    } else {
        join_workdir(workdir, dest)
    };
    if is_directory && !joined.ends_with('/') {
        format!("{joined}/")
    } else {
        joined
    }
}

/// Go's `path.Clean` for an absolute path.
fn clean_absolute(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Signal names Docker knows, without `SIG`.
const SIGNALS: [&str; 35] = [
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "UNUSED", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
];

/// Checks a STOPSIGNAL value as Docker's `signal.ParseSignal` does: a
/// positive number, or a name with or without `SIG` in any case
/// (`SIGRTMIN+3` and `RTMAX-1` too).
pub fn check_signal(signal: &str) -> Result<(), ErrorKind> {
    let invalid = || ErrorKind::Signal {
        signal: signal.to_string(),
    };
    if let Ok(number) = signal.parse::<i64>() {
        return if number > 0 { Ok(()) } else { Err(invalid()) };
    }
    let upper = signal.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let realtime = |base: &str, sign: char| {
        let Some(rest) = name.strip_prefix(base) else {
            return false;
        };
        let offset = match rest.strip_prefix(sign) {
            Some(offset) => offset.parse::<u8>().ok(),
            None => rest.is_empty().then_some(0),
        };
        offset.is_some_and(|n| n <= 15)
    };
    if SIGNALS.contains(&name) || realtime("RTMIN", '+') || realtime("RTMAX", '-') {
        Ok(())
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workdirs() {
        assert_eq!(join_workdir("/", "."), "/");
        assert_eq!(join_workdir("/a/b", "../c"), "/a/c");
        assert_eq!(join_workdir("/a", "../../.."), "/");
        assert_eq!(copy_destination("/", "x"), "/x");
        assert_eq!(copy_destination("", "./"), "/");
        assert_eq!(copy_destination("/w", "d/."), "/w/d/");
    }

    #[test]
    fn signals() {
        for ok in [
            "SIGTERM",
            "sigint",
            "QUIT",
            "9",
            "SIGRTMIN",
            "SIGRTMIN+3",
            "RTMAX-1",
            "SIGwinch",
        ] {
            assert_eq!(check_signal(ok), Ok(()), "{ok}");
        }
        for bad in ["0", "-1", "SIGFOO", "", "RTMIN+16", "SIG"] {
            assert!(check_signal(bad).is_err(), "{bad}");
        }
    }
}
