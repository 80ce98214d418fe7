//! tmpfs options as Docker builds them: `noexec,nosuid,nodev` first, then the user's;
//! a later option replaces an earlier one of its kind (`exec` undoes `noexec`, a
//! second `size=` wins). No size limit unless asked (the kernel's default, half of
//! memory), and the kernel's mode 1777.
//! <https://docs.docker.com/engine/storage/tmpfs/#options-for---tmpfs>

use super::MountError;

/// What Docker puts before the user's options.
const DEFAULTS: [&str; 3] = ["noexec", "nosuid", "nodev"];

/// Flags, by the kind each sets: a later flag of a kind replaces an earlier one.
const FLAG_KINDS: [&[&str]; 13] = [
    &["ro", "rw"],
    &["noexec", "exec"],
    &["nosuid", "suid"],
    &["nodev", "dev"],
    &["sync", "async"],
    &["dirsync"],
    &["mand", "nomand"],
    &["noatime", "atime"],
    &["nodiratime", "diratime"],
    &["relatime", "norelatime"],
    &["strictatime", "nostrictatime"],
    &["bind", "rbind"],
    &[
        "private",
        "rprivate",
        "shared",
        "rshared",
        "slave",
        "rslave",
        "unbindable",
        "runbindable",
    ],
];

/// `key=value` options the kernel's tmpfs takes.
const DATA_KEYS: [&str; 7] = [
    "size",
    "mode",
    "uid",
    "gid",
    "nr_inodes",
    "nr_blocks",
    "mpol",
];

/// Docker's defaults then `options`, merged: for each kind of flag and each data key,
/// the last one given, in the order of the last ones.
pub(super) fn merge_with_defaults(options: &[String]) -> Result<Vec<String>, MountError> {
    let all: Vec<&str> = DEFAULTS
        .iter()
        .copied()
        .chain(options.iter().map(String::as_str))
        .collect();
    let mut seen: Vec<String> = Vec::new();
    let mut merged: Vec<String> = Vec::new();
    for &option in all.iter().rev() {
        if option == "defaults" {
            continue;
        }
        let kind = match FLAG_KINDS.iter().position(|kind| kind.contains(&option)) {
            Some(index) => format!("flag {index}"),
            None => match option.split_once('=') {
                Some((key, _)) if DATA_KEYS.contains(&key) => key.to_owned(),
                _ => {
                    return Err(MountError::TmpfsOption {
                        option: option.into(),
                    });
                }
            },
        };
        if !seen.contains(&kind) {
            seen.push(kind);
            merged.insert(0, option.to_owned());
        }
    }
    Ok(merged)
}

/// The options `--mount type=tmpfs` asks for: `ro`, `mode=` in octal, and `size=` with
/// the largest binary unit that divides it.
pub(super) fn mount_options(read_only: bool, mode: Option<u32>, size: Option<u64>) -> Vec<String> {
    let mut options = Vec::new();
    if read_only {
        options.push("ro".to_owned());
    }
    if let Some(mode) = mode.filter(|&m| m != 0) {
        options.push(format!("mode={mode:o}"));
    }
    if let Some(size) = size.filter(|&s| s != 0) {
        let unit = [("g", 1u64 << 30), ("m", 1 << 20), ("k", 1 << 10)]
            .into_iter()
            .find(|(_, divisor)| size % divisor == 0);
        options.push(match unit {
            Some((suffix, divisor)) => format!("size={}{suffix}", size / divisor),
            None => format!("size={size}"),
        });
    }
    options
}

/// A size as Docker's `RAMInBytes` reads it: a number (decimals allowed), then an
/// optional binary unit `k`, `m`, `g`, `t` or `p`, optionally followed by `i` and `b`.
pub(super) fn ram_in_bytes(text: &str) -> Option<u64> {
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_end);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let (prefix, rest) = unit.split_at(unit.find(['i', 'b']).unwrap_or(unit.len()));
    if !matches!(rest, "" | "b" | "i" | "ib") {
        return None;
    }
    let power = match prefix {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return None,
    };
    Some((value * 1024f64.powi(power)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(options: &[&str]) -> Result<String, String> {
        let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
        merge_with_defaults(&options)
            .map(|o| o.join(","))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn later_options_replace_earlier_ones_of_their_kind() {
        assert_eq!(merged(&[]).unwrap(), "noexec,nosuid,nodev");
        assert_eq!(
            merged(&["exec", "size=64m"]).unwrap(),
            "nosuid,nodev,exec,size=64m"
        );
        assert_eq!(
            merged(&["size=1m", "mode=700", "size=2m"]).unwrap(),
            "noexec,nosuid,nodev,mode=700,size=2m"
        );
        assert_eq!(
            merged(&["ro", "defaults"]).unwrap(),
            "noexec,nosuid,nodev,ro"
        );
        assert_eq!(
            merged(&["color=blue"]).unwrap_err(),
            "Invalid tmpfs option [\"color=blue\"]"
        );
        assert_eq!(
            merged(&["bogus"]).unwrap_err(),
            "Invalid tmpfs option [\"bogus\"]"
        );
    }

    #[test]
    fn mount_options_pick_the_largest_unit_that_divides() {
        assert_eq!(mount_options(false, None, Some(64 << 20)), ["size=64m"]);
        assert_eq!(
            mount_options(true, Some(0o1770), Some(3 << 30)),
            ["ro", "mode=1770", "size=3g"]
        );
        assert_eq!(mount_options(false, None, Some(1000)), ["size=1000"]);
        assert!(mount_options(false, Some(0), Some(0)).is_empty());
    }

    #[test]
    fn sizes_read_as_docker_reads_them() {
        let cases = [
            ("100", Some(100)),
            ("64m", Some(64 << 20)),
            ("64M", Some(64 << 20)),
            ("1g", Some(1 << 30)),
            ("1GiB", Some(1 << 30)),
            ("2kb", Some(2048)),
            ("1.5k", Some(1536)),
            ("1 m", Some(1 << 20)),
            ("", None),
            ("m", None),
            ("12x", None),
            ("1.k", None),
        ];
        for (text, bytes) in cases {
            assert_eq!(ram_in_bytes(text), bytes, "{text}");
        }
    }
}
