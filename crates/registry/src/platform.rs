//! Platforms, and picking an image index entry for one (C36).

use std::fmt;

/// Operating system assumed when a platform names only an architecture.
const DEFAULT_OS: &str = "linux";

/// What is wrong with a platform string.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum PlatformError {
    /// The string is not `os/arch[/variant]` or `arch`.
    #[error("invalid platform `{input}`: expected `os/arch[/variant]`, such as `linux/arm64/v8`")]
    InvalidFormat {
        /// The rejected input.
        input: String,
    },
}

/// An operating system, CPU architecture and optional CPU variant, in the
/// names the OCI image spec uses (`linux`, `amd64`, `arm64`, `v8`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    /// Operating system, such as `linux`.
    pub os: String,
    /// CPU architecture, such as `amd64` or `arm64`.
    pub architecture: String,
    /// CPU variant, such as `v7` for 32-bit arm.
    pub variant: Option<String>,
}

/// One index entry as [`select`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// `platform.os` of the entry.
    pub os: &'a str,
    /// `platform.architecture` of the entry.
    pub architecture: &'a str,
    /// `platform.variant` of the entry.
    pub variant: Option<&'a str>,
    /// `platform.os.version` of the entry (set on Windows images).
    pub os_version: Option<&'a str>,
    /// The entry is annotated `vnd.docker.reference.type=attestation-manifest`.
    pub is_attestation: bool,
}

impl Platform {
    /// Parses `os/arch[/variant]`, or a bare `arch` meaning Linux, and
    /// normalises common aliases (`x86_64` is `amd64`, `aarch64` is `arm64`,
    /// `armhf` is `arm/v7`, and so on).
    ///
    /// ```
    /// use container_registry::platform::Platform;
    ///
    /// let platform = Platform::parse("linux/aarch64").unwrap();
    /// assert_eq!(platform.to_string(), "linux/arm64/v8");
    /// assert_eq!(Platform::parse("armhf").unwrap().to_string(), "linux/arm/v7");
    /// ```
    pub fn parse(s: &str) -> Result<Platform, PlatformError> {
        let invalid = || PlatformError::InvalidFormat {
            input: s.to_owned(),
        };
        let parts: Vec<&str> = s.split('/').collect();
        if parts.iter().any(|part| part.is_empty()) {
            return Err(invalid());
        }

        let (os, architecture, variant) = match parts.as_slice() {
            [architecture] => (DEFAULT_OS, *architecture, None),
            [os, architecture] => (*os, *architecture, None),
            [os, architecture, variant] => (*os, *architecture, Some(*variant)),
            _ => return Err(invalid()),
        };
        Ok(Platform::normalised(os, architecture, variant))
    }

    /// The platform this program runs on; 64-bit arm gets variant `v8`
    /// and 32-bit arm `v7`, the levels Rust's targets assume.
    pub fn host() -> Platform {
        Platform::normalised(std::env::consts::OS, host_architecture(), None)
    }

    /// Builds a platform in canonical spelling, with each architecture's
    /// default variant filled in.
    fn normalised(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        let os = os.to_ascii_lowercase();
        let (architecture, variant) = normalise_architecture(architecture, variant);
        Platform {
            os,
            architecture,
            variant,
        }
    }
}

/// Rust's name for this CPU where it differs from any alias we accept.
fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        // Rust names both byte orders `powerpc64`; images use `ppc64le`.
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// Maps the names that `uname -m`, Debian and Rust use to the OCI ones, as
/// containerd's `platforms.Normalize` does.
fn normalise_architecture(architecture: &str, variant: Option<&str>) -> (String, Option<String>) {
    let architecture = architecture.to_ascii_lowercase();
    let variant = variant.map(str::to_ascii_lowercase);

    let (architecture, variant) = match (architecture.as_str(), variant) {
        ("x86_64" | "x86-64", variant) => ("amd64", variant),
        ("i386" | "i686" | "x86", variant) => ("386", variant),
        ("aarch64" | "arm64", variant) => ("arm64", variant.or(Some("v8".to_owned()))),
        ("armhf" | "armv7l", _) => ("arm", Some("v7".to_owned())),
        ("armel" | "armv6l", _) => ("arm", Some("v6".to_owned())),
        ("arm", variant) => ("arm", Some(variant.unwrap_or("v7".to_owned()))),
        (other, variant) => (other, variant),
    };
    (architecture.to_owned(), variant)
}

impl fmt::Display for Platform {
    /// `os/arch` or `os/arch/variant`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// The index of the best entry for `want`, or `None` if none can run there.
///
/// OS and architecture must match after normalisation, so Windows entries
/// never match Linux. Attestation entries (`unknown/unknown`, see BuildKit's
/// `docs/attestations/attestation-storage.md`) are never chosen. An exact
/// variant beats a compatible one, and a tie goes to the first entry in
/// index order.
///
/// ```
/// use container_registry::platform::{select, Candidate, Platform};
///
/// let entry = |architecture, variant| Candidate {
///     os: "linux", architecture, variant, os_version: None, is_attestation: false,
/// };
/// let entries = [entry("arm", Some("v7")), entry("arm", Some("v6"))];
/// let host = Platform::parse("linux/arm/v6").unwrap();
/// assert_eq!(select(&host, &entries), Some(1));
/// ```
pub fn select(want: &Platform, candidates: &[Candidate]) -> Option<usize> {
    let mut best: Option<(usize, u32)> = None;

    for (index, candidate) in candidates.iter().enumerate() {
        let Some(rank) = rank(want, candidate) else {
            continue;
        };
        // Strictly better only, so the first of equals stays.
        if best.is_none_or(|(_, best_rank)| rank < best_rank) {
            best = Some((index, rank));
        }
    }
    best.map(|(index, _)| index)
}

/// How well `candidate` suits `want`: 0 is an exact match, higher is a
/// worse but still runnable one, `None` cannot run.
fn rank(want: &Platform, candidate: &Candidate) -> Option<u32> {
    if candidate.is_attestation {
        return None;
    }

    let entry = Platform::normalised(candidate.os, candidate.architecture, candidate.variant);
    if entry.os != want.os || entry.architecture != want.architecture {
        return None;
    }
    variant_rank(want.variant.as_deref(), entry.variant.as_deref())
}

/// Rank of an entry's variant for a host variant of the same architecture.
///
/// Variants are CPU levels (`v5` < `v6` < `v7` on arm, `v8` < `v9` on
/// arm64, `v2` < `v3` on amd64), and a CPU runs code built for its own level
/// or an older one, never a newer one: moby/moby#37647 handed a v6 host v7
/// binaries that crashed. No variant is the baseline, below every level.
fn variant_rank(want: Option<&str>, entry: Option<&str>) -> Option<u32> {
    if want == entry {
        return Some(0);
    }

    let (want, entry) = (variant_level(want)?, variant_level(entry)?);
    (entry <= want).then(|| want - entry)
}

/// `v7` as 700 and `v8.2` as 802; no variant as 0; anything else `None`,
/// which then matches only itself.
fn variant_level(variant: Option<&str>) -> Option<u32> {
    let Some(variant) = variant else {
        return Some(0);
    };
    let version = variant.strip_prefix('v')?;
    let (major, minor) = version.split_once('.').unwrap_or((version, "0"));

    let (major, minor): (u32, u32) = (major.parse().ok()?, minor.parse().ok()?);
    major.checked_mul(100)?.checked_add(minor.min(99))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C36's index, in its order.
    const INDEX: [Candidate<'static>; 6] = [
        entry("linux", "arm", Some("v7")),
        entry("linux", "arm", Some("v6")),
        entry("linux", "arm64", None),
        entry("linux", "amd64", None),
        Candidate {
            os_version: Some("10.0.17763.1879"),
            ..entry("windows", "amd64", None)
        },
        Candidate {
            is_attestation: true,
            ..entry("unknown", "unknown", None)
        },
    ];

    const fn entry<'a>(
        os: &'a str,
        architecture: &'a str,
        variant: Option<&'a str>,
    ) -> Candidate<'a> {
        Candidate {
            os,
            architecture,
            variant,
            os_version: None,
            is_attestation: false,
        }
    }

    fn select_for(host: &str, candidates: &[Candidate]) -> Option<usize> {
        select(&Platform::parse(host).unwrap(), candidates)
    }

    #[test]
    fn c36_picks_the_entry_for_each_host() {
        // Expected entries are 0-based here; C36 numbers them from 1.
        let cases = [
            ("linux/amd64", Some(3)),
            ("linux/arm64", Some(2)),
            ("linux/arm64/v8", Some(2)),
            ("linux/arm/v6", Some(1)),
            ("linux/arm/v7", Some(0)),
            ("linux/riscv64", None),
            ("windows/amd64", Some(4)),
        ];
        for (host, expected) in cases {
            assert_eq!(select_for(host, &INDEX), expected, "{host}");
        }
    }

    #[test]
    fn attestations_are_never_chosen() {
        let unknown = Platform {
            os: "unknown".into(),
            architecture: "unknown".into(),
            variant: None,
        };
        assert_eq!(select(&unknown, &INDEX), None);
    }

    #[test]
    fn arm_falls_back_to_older_variants_only() {
        let v5_v6 = [
            entry("linux", "arm", Some("v5")),
            entry("linux", "arm", Some("v6")),
        ];
        assert_eq!(
            select_for("linux/arm/v7", &v5_v6),
            Some(1),
            "v6 is nearer than v5"
        );
        assert_eq!(select_for("linux/arm/v6", &v5_v6), Some(1));
        assert_eq!(select_for("linux/arm/v5", &v5_v6), Some(0));

        let v7_only = [entry("linux", "arm", Some("v7"))];
        assert_eq!(
            select_for("linux/arm/v6", &v7_only),
            None,
            "never newer than the host"
        );

        // An entry without a variant means v7.
        let bare_arm = [entry("linux", "arm", None)];
        assert_eq!(select_for("linux/arm/v7", &bare_arm), Some(0));
        assert_eq!(select_for("linux/arm/v6", &bare_arm), None);
    }

    #[test]
    fn arm64_accepts_no_variant_or_v8() {
        let entries = [
            entry("linux", "arm64", Some("v8")),
            entry("linux", "aarch64", None),
        ];
        assert_eq!(select_for("linux/arm64", &entries), Some(0));
        assert_eq!(select_for("linux/arm64", &entries[1..]), Some(0));
        assert_eq!(
            select_for("linux/arm64/v9", &entries),
            Some(0),
            "v9 runs v8 code"
        );
        assert_eq!(
            select_for("linux/arm64/v8", &[entry("linux", "arm64", Some("v9"))]),
            None
        );
    }

    #[test]
    fn exact_variant_beats_compatible_and_ties_keep_index_order() {
        let entries = [
            entry("linux", "amd64", None),
            entry("linux", "amd64", Some("v3")),
            entry("linux", "amd64", Some("v3")),
        ];
        assert_eq!(select_for("linux/amd64/v3", &entries), Some(1));
        assert_eq!(select_for("linux/amd64", &entries), Some(0));
        assert_eq!(select_for("linux/amd64/v2", &entries), Some(0));
        assert_eq!(
            select_for("linux/amd64", &entries[1..]),
            None,
            "v3 may not run here"
        );
        assert_eq!(select_for("linux/amd64/v4", &entries[1..]), Some(0));
    }

    #[test]
    fn unknown_variants_match_only_themselves() {
        let entries = [
            entry("linux", "mips64", Some("odd")),
            entry("linux", "mips64", None),
        ];
        assert_eq!(select_for("linux/mips64/odd", &entries), Some(0));
        assert_eq!(select_for("linux/mips64", &entries), Some(1));
        assert_eq!(select_for("linux/mips64/other", &entries[..1]), None);
    }

    #[test]
    fn entries_are_normalised_before_matching() {
        let entries = [entry("Linux", "x86_64", None)];
        assert_eq!(select_for("linux/amd64", &entries), Some(0));
    }

    #[test]
    fn parses_and_normalises_platforms() {
        let cases = [
            ("linux/arm64/v8", "linux/arm64/v8"),
            ("linux/arm64", "linux/arm64/v8"),
            ("linux/aarch64", "linux/arm64/v8"),
            ("linux/amd64", "linux/amd64"),
            ("linux/x86_64", "linux/amd64"),
            ("linux/x86-64", "linux/amd64"),
            ("arm64", "linux/arm64/v8"),
            ("amd64", "linux/amd64"),
            ("linux/i386", "linux/386"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6"),
            ("linux/armv7l", "linux/arm/v7"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/arm/v6", "linux/arm/v6"),
            ("Linux/AMD64", "linux/amd64"),
            ("windows/amd64", "windows/amd64"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                Platform::parse(input).unwrap().to_string(),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_malformed_platforms() {
        for input in [
            "",
            "linux/",
            "/amd64",
            "linux//v7",
            "a/b/c/d",
            "linux/arm/v7/",
        ] {
            assert_eq!(
                Platform::parse(input).unwrap_err(),
                PlatformError::InvalidFormat {
                    input: input.to_owned()
                },
                "{input:?}"
            );
        }
    }

    #[test]
    fn host_is_normalised() {
        let host = Platform::host();
        assert_eq!(host.os, std::env::consts::OS);
        assert!(!host.architecture.contains('_'), "{host}");
        if host.architecture == "arm64" {
            assert_eq!(host.variant.as_deref(), Some("v8"));
        }
    }
}
