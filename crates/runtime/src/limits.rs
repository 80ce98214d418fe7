//! Resource limits as Docker takes them: cgroup limits (`-m`, `--memory-swap`,
//! `--cpus`, `-c`, `--pids-limit`, `--cpuset-cpus`), rlimits (`--ulimit`) and the size
//! of `/dev/shm` (`--shm-size`), with Docker's units, defaults and checks.
//!
//! - Sizes are Docker's "RAM in bytes": a number, optionally fractional, with an
//!   optional `b`, `k`, `m`, `g`, `t` or `p` suffix (powers of 1024, any case, with
//!   an optional `i`/`b` after it: `512m`, `1.5GiB`, `100kb`).
//! - A memory limit gets twice as much memory plus swap unless `--memory-swap` says
//!   otherwise (`-1`: unlimited swap), as Docker's daemon sets it.
//! - `--cpus` becomes a CFS quota over Docker's 100 ms period.
//! - Rlimits never exceed this process's hard limits: without CAP_SYS_RESOURCE the
//!   kernel refuses to raise a hard limit, so Docker's runtime would fail to start
//!   the container (`setrlimit: operation not permitted`). Docker's default open-files
//!   limit is lowered to fit; a `--ulimit` above it is an error, before anything runs.

use oci_spec::runtime::{
    LinuxCpuBuilder, LinuxMemoryBuilder, LinuxPidsBuilder, LinuxResourcesBuilder, PosixRlimit,
    PosixRlimitBuilder, PosixRlimitType,
};
use rustix::process::Resource;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RuntimeError};

/// Docker's smallest memory limit: below it the container could not even start.
pub const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// Docker's `/dev/shm` when `--shm-size` is not given.
pub const DEFAULT_SHM_SIZE: i64 = 64 * 1024 * 1024;

/// The CFS period `--cpus` is expressed over, in microseconds (Docker's).
const CPU_PERIOD: u64 = 100_000;

/// Docker's open-files limit for containers: 1024 soft, 524288 hard.
const DEFAULT_NOFILE: (u64, u64) = (1024, 524_288);

/// The cgroup limits and rlimits of a container, as Docker's `HostConfig` has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// Memory limit in bytes (0: none).
    #[serde(default)]
    pub memory: i64,
    /// Memory plus swap in bytes (0: none set, -1: unlimited swap).
    #[serde(default)]
    pub memory_swap: i64,
    /// CPUs in billionths (`--cpus 1.5`: 1500000000).
    #[serde(default)]
    pub nano_cpus: i64,
    /// Relative CPU weight (0: the kernel's default, 1024).
    #[serde(default)]
    pub cpu_shares: i64,
    /// Maximum number of processes (`None`: unlimited).
    #[serde(default)]
    pub pids_limit: Option<i64>,
    /// CPUs the container may run on, in the kernel's list format (`0-1,3`).
    #[serde(default)]
    pub cpuset_cpus: String,
    /// `--ulimit` entries.
    #[serde(default)]
    pub ulimits: Vec<Ulimit>,
    /// Size of `/dev/shm` in bytes (0: Docker's 64 MiB).
    #[serde(default)]
    pub shm_size: i64,
}

/// One rlimit, as `--ulimit name=soft[:hard]` gives it (-1: unlimited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    /// Docker's name (`nofile`, `nproc`, …).
    pub name: String,
    /// Soft limit.
    pub soft: i64,
    /// Hard limit.
    pub hard: i64,
}

/// Docker's `--ulimit` names, the rlimit each sets, and rustix's name for it.
const ULIMITS: [(&str, PosixRlimitType, Resource); 16] = [
    ("as", PosixRlimitType::RlimitAs, Resource::As),
    ("core", PosixRlimitType::RlimitCore, Resource::Core),
    ("cpu", PosixRlimitType::RlimitCpu, Resource::Cpu),
    ("data", PosixRlimitType::RlimitData, Resource::Data),
    ("fsize", PosixRlimitType::RlimitFsize, Resource::Fsize),
    ("locks", PosixRlimitType::RlimitLocks, Resource::Locks),
    ("memlock", PosixRlimitType::RlimitMemlock, Resource::Memlock),
    (
        "msgqueue",
        PosixRlimitType::RlimitMsgqueue,
        Resource::Msgqueue,
    ),
    ("nice", PosixRlimitType::RlimitNice, Resource::Nice),
    ("nofile", PosixRlimitType::RlimitNofile, Resource::Nofile),
    ("nproc", PosixRlimitType::RlimitNproc, Resource::Nproc),
    ("rss", PosixRlimitType::RlimitRss, Resource::Rss),
    ("rtprio", PosixRlimitType::RlimitRtprio, Resource::Rtprio),
    ("rttime", PosixRlimitType::RlimitRttime, Resource::Rttime),
    (
        "sigpending",
        PosixRlimitType::RlimitSigpending,
        Resource::Sigpending,
    ),
    ("stack", PosixRlimitType::RlimitStack, Resource::Stack),
];

/// A size in bytes, in Docker's units (see the module docs).
pub fn parse_bytes(option: &'static str, text: &str) -> Result<i64> {
    let invalid = || RuntimeError::InvalidOption {
        option,
        value: text.to_owned(),
        reason: format!("invalid size: '{text}'"),
    };
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let power = match unit {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return Err(invalid()),
    };
    let bytes = number * 1024f64.powi(power);
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(invalid());
    }
    Ok(bytes as i64)
}

/// `--memory-swap`: a size, or `-1` for unlimited swap.
pub fn parse_swap(text: &str) -> Result<i64> {
    match text.trim() {
        "-1" => Ok(-1),
        size => parse_bytes("--memory-swap", size),
    }
}

/// `--cpus 1.5`: billionths of a CPU, exact to Docker's nine decimals.
pub fn parse_cpus(text: &str) -> Result<i64> {
    let invalid = |reason: &str| RuntimeError::InvalidOption {
        option: "--cpus",
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let is_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !is_digits(whole) || !is_digits(fraction) {
        return Err(invalid("not a number of CPUs"));
    }
    if fraction.len() > 9 {
        return Err(invalid("value is too precise"));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid("too large"))?
    };
    let fraction: i64 = format!("{fraction:0<9}").parse().expect("nine digits");
    whole
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(fraction))
        .ok_or_else(|| invalid("too large"))
}

/// `--ulimit name=soft[:hard]`; a missing hard limit equals the soft one.
pub fn parse_ulimit(text: &str) -> Result<Ulimit> {
    let invalid = |reason: String| RuntimeError::InvalidOption {
        option: "--ulimit",
        value: text.to_owned(),
        reason,
    };
    let (name, values) = text
        .split_once('=')
        .ok_or_else(|| invalid(format!("invalid ulimit argument: {text}")))?;
    if !ULIMITS.iter().any(|(known, _, _)| *known == name) {
        return Err(invalid(format!("invalid ulimit type: {name}")));
    }
    let (soft, hard) = values.split_once(':').unwrap_or((values, values));
    let limit = |value: &str| -> Result<i64> {
        match value {
            "unlimited" | "-1" => Ok(-1),
            _ => value
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| invalid(format!("invalid ulimit argument: {text}"))),
        }
    };
    let (soft, hard) = (limit(soft)?, limit(hard)?);
    if to_rlim(soft) > to_rlim(hard) {
        return Err(invalid(format!(
            "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        )));
    }
    Ok(Ulimit {
        name: name.to_owned(),
        soft,
        hard,
    })
}

/// `--cpuset-cpus`: checks the list format and that every CPU is online.
pub fn validate_cpuset(list: &str, online: &[u32]) -> Result<()> {
    let requested = parse_cpu_list(list).ok_or_else(|| RuntimeError::InvalidOption {
        option: "--cpuset-cpus",
        value: list.to_owned(),
        reason: format!("invalid value {list} for cpuset cpus"),
    })?;
    if requested.iter().all(|cpu| online.contains(cpu)) {
        return Ok(());
    }
    Err(RuntimeError::InvalidOption {
        option: "--cpuset-cpus",
        value: list.to_owned(),
        reason: format!(
            "requested CPUs are not available - requested {list}, available: {}",
            format_cpu_list(online)
        ),
    })
}

/// CPUs of a kernel list (`0-2,4`), or `None` when it is not one.
fn parse_cpu_list(list: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in list.trim().split(',') {
        let (first, last) = part.split_once('-').unwrap_or((part, part));
        let (first, last): (u32, u32) = (first.parse().ok()?, last.parse().ok()?);
        if first > last {
            return None;
        }
        cpus.extend(first..=last);
    }
    Some(cpus)
}

fn format_cpu_list(cpus: &[u32]) -> String {
    match (cpus.first(), cpus.last()) {
        (Some(first), Some(last)) if cpus.len() as u32 == last - first + 1 => {
            format!("{first}-{last}")
        }
        _ => cpus
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The CPUs this machine has online.
pub fn online_cpus() -> Vec<u32> {
    let list = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap_or_default();
    parse_cpu_list(&list).unwrap_or_else(|| (0..available_cpus()).collect())
}

fn available_cpus() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

impl Resources {
    /// Docker's checks across flags, and its swap default. `cpus` is how many CPUs the
    /// machine has.
    pub fn validate(mut self, cpus: u32) -> Result<Resources> {
        let invalid = |option, value: i64, reason: &str| RuntimeError::InvalidOption {
            option,
            value: value.to_string(),
            reason: reason.to_owned(),
        };
        if self.memory > 0 && self.memory < MIN_MEMORY {
            return Err(invalid(
                "--memory",
                self.memory,
                "minimum memory limit allowed is 6MB",
            ));
        }
        if self.memory_swap > 0 && self.memory == 0 {
            return Err(invalid(
                "--memory-swap",
                self.memory_swap,
                "you should always set the memory limit when using memoryswap limit, see usage",
            ));
        }
        if self.memory_swap > 0 && self.memory_swap < self.memory {
            return Err(invalid(
                "--memory-swap",
                self.memory_swap,
                "minimum memoryswap limit should be larger than memory limit, see usage",
            ));
        }
        if self.memory > 0 && self.memory_swap == 0 {
            self.memory_swap = self.memory.saturating_mul(2);
        }
        if self.nano_cpus != 0
            && !(10_000_000..=i64::from(cpus) * 1_000_000_000).contains(&self.nano_cpus)
        {
            let reason = format!(
                "range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available"
            );
            return Err(invalid("--cpus", self.nano_cpus, &reason));
        }
        if self.cpu_shares < 0 {
            return Err(invalid(
                "--cpu-shares",
                self.cpu_shares,
                "value must be a positive integer",
            ));
        }
        self.pids_limit = self.pids_limit.filter(|limit| *limit > 0);
        Ok(self)
    }

    /// Adds the cgroup limits to the spec's resources.
    pub(crate) fn apply(&self, builder: LinuxResourcesBuilder) -> Result<LinuxResourcesBuilder> {
        let mut builder = builder;
        if self.memory > 0 {
            let memory = LinuxMemoryBuilder::default()
                .limit(self.memory)
                .swap(self.memory_swap)
                .build()
                .map_err(RuntimeError::Spec)?;
            builder = builder.memory(memory);
        }
        if let Some(cpu) = self.cpu()? {
            builder = builder.cpu(cpu);
        }
        if let Some(limit) = self.pids_limit {
            let pids = LinuxPidsBuilder::default()
                .limit(limit)
                .build()
                .map_err(RuntimeError::Spec)?;
            builder = builder.pids(pids);
        }
        Ok(builder)
    }

    fn cpu(&self) -> Result<Option<oci_spec::runtime::LinuxCpu>> {
        if self.nano_cpus == 0 && self.cpu_shares == 0 && self.cpuset_cpus.is_empty() {
            return Ok(None);
        }
        let mut cpu = LinuxCpuBuilder::default();
        if self.nano_cpus > 0 {
            let quota = self.nano_cpus as u64 * CPU_PERIOD / 1_000_000_000;
            cpu = cpu.quota(quota as i64).period(CPU_PERIOD);
        }
        if self.cpu_shares > 0 {
            cpu = cpu.shares(self.cpu_shares as u64);
        }
        if !self.cpuset_cpus.is_empty() {
            cpu = cpu.cpus(self.cpuset_cpus.clone());
        }
        cpu.build().map(Some).map_err(RuntimeError::Spec)
    }

    /// The `size=` of `/dev/shm`, in bytes.
    pub fn shm_bytes(&self) -> i64 {
        if self.shm_size > 0 {
            self.shm_size
        } else {
            DEFAULT_SHM_SIZE
        }
    }

    /// The rlimits: Docker's open-files default lowered to the host's hard limit, then
    /// the `--ulimit` entries, which must fit under the host's hard limits.
    pub(crate) fn rlimits(
        &self,
        host_hard: impl Fn(&str) -> Option<u64>,
    ) -> Result<Vec<PosixRlimit>> {
        let mut rlimits = Vec::new();
        if !self.ulimits.iter().any(|u| u.name == "nofile") {
            let (soft, hard) = clamp_limit(DEFAULT_NOFILE, host_hard("nofile"));
            rlimits.push(rlimit(PosixRlimitType::RlimitNofile, soft, hard)?);
        }
        for ulimit in &self.ulimits {
            check_host(ulimit, host_hard(&ulimit.name))?;
            let (_, typ, _) = ULIMITS
                .iter()
                .find(|(name, _, _)| *name == ulimit.name)
                .ok_or_else(|| RuntimeError::InvalidOption {
                    option: "--ulimit",
                    value: ulimit.name.clone(),
                    reason: format!("invalid ulimit type: {}", ulimit.name),
                })?;
            rlimits.push(rlimit(*typ, to_rlim(ulimit.soft), to_rlim(ulimit.hard))?);
        }
        Ok(rlimits)
    }

    /// Checks every `--ulimit` against this process's hard limits.
    pub fn check_ulimits(&self) -> Result<()> {
        self.ulimits
            .iter()
            .try_for_each(|u| check_host(u, host_hard_limit(&u.name)))
    }
}

fn check_host(ulimit: &Ulimit, host_max: Option<u64>) -> Result<()> {
    let Some(max) = host_max else { return Ok(()) };
    if to_rlim(ulimit.hard) <= max {
        return Ok(());
    }
    let shown = |n: i64| {
        if n < 0 {
            "unlimited".to_owned()
        } else {
            n.to_string()
        }
    };
    Err(RuntimeError::InvalidOption {
        option: "--ulimit",
        value: format!(
            "{}={}:{}",
            ulimit.name,
            shown(ulimit.soft),
            shown(ulimit.hard)
        ),
        reason: format!(
            "the hard limit is above this process's own ({max}), which it cannot raise \
             without CAP_SYS_RESOURCE"
        ),
    })
}

fn rlimit(typ: PosixRlimitType, soft: u64, hard: u64) -> Result<PosixRlimit> {
    PosixRlimitBuilder::default()
        .typ(typ)
        .soft(soft)
        .hard(hard)
        .build()
        .map_err(RuntimeError::Spec)
}

/// -1 (unlimited) as the kernel's RLIM_INFINITY.
fn to_rlim(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// `(soft, hard)` with hard at most `host_max` and soft at most hard.
pub fn clamp_limit((soft, hard): (u64, u64), host_max: Option<u64>) -> (u64, u64) {
    let hard = host_max.map_or(hard, |max| hard.min(max));
    (soft.min(hard), hard)
}

/// This process's hard limit for a Docker ulimit name (`None`: unlimited).
pub fn host_hard_limit(name: &str) -> Option<u64> {
    let (_, _, resource) = ULIMITS.iter().find(|(known, _, _)| *known == name)?;
    rustix::process::getrlimit(*resource).maximum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_dockers_units() {
        for (text, bytes) in [
            ("100", 100),
            ("100b", 100),
            ("1k", 1024),
            ("1KB", 1024),
            ("512m", 512 << 20),
            ("1g", 1 << 30),
            ("1.5GiB", 3 << 29),
            ("2t", 2 << 40),
        ] {
            assert_eq!(parse_bytes("-m", text).unwrap(), bytes, "{text}");
        }
        for bad in ["", "m", "12x", "-5m", "1.2.3g"] {
            assert!(parse_bytes("-m", bad).is_err(), "{bad}");
        }
        assert_eq!(parse_swap("-1").unwrap(), -1);
    }

    #[test]
    fn cpus_are_nano_exact() {
        assert_eq!(parse_cpus("1.5").unwrap(), 1_500_000_000);
        assert_eq!(parse_cpus("0.01").unwrap(), 10_000_000);
        assert_eq!(parse_cpus("2").unwrap(), 2_000_000_000);
        assert_eq!(parse_cpus(".5").unwrap(), 500_000_000);
        assert!(parse_cpus("1.0000000001").is_err());
        assert!(parse_cpus("one").is_err());
        assert!(parse_cpus("-1").is_err());
    }

    #[test]
    fn ulimits_parse_as_docker_does() {
        let nofile = parse_ulimit("nofile=1024:2048").unwrap();
        assert_eq!((nofile.soft, nofile.hard), (1024, 2048));
        let same = parse_ulimit("nproc=50").unwrap();
        assert_eq!((same.soft, same.hard), (50, 50));
        assert_eq!(parse_ulimit("core=-1").unwrap().hard, -1);
        for (bad, message) in [
            ("nofile", "invalid ulimit argument"),
            ("bogus=1", "invalid ulimit type: bogus"),
            (
                "nofile=2048:1024",
                "soft limit must be less than or equal to hard limit: 2048 > 1024",
            ),
            ("nofile=x", "invalid ulimit argument"),
            ("nofile=-1:10", "-1 > 10"),
        ] {
            let error = parse_ulimit(bad).map(|_| ()).unwrap_err().to_string();
            assert!(error.contains(message), "{bad}: {error}");
        }
    }

    #[test]
    fn ulimits_above_the_host_are_refused_and_the_default_is_lowered() {
        let resources = Resources {
            ulimits: vec![parse_ulimit("nofile=100:30000").unwrap()],
            ..Default::default()
        };
        let error = resources.rlimits(|_| Some(20000)).unwrap_err().to_string();
        assert!(
            error.contains("20000") && error.contains("CAP_SYS_RESOURCE"),
            "{error}"
        );
        let default = Resources::default().rlimits(|_| Some(20000)).unwrap();
        assert_eq!((default[0].soft(), default[0].hard()), (1024, 20000));
        let fits = Resources {
            ulimits: vec![parse_ulimit("nofile=256:512").unwrap()],
            ..Default::default()
        };
        let rlimits = fits.rlimits(|_| Some(20000)).unwrap();
        assert_eq!(rlimits.len(), 1);
        assert_eq!((rlimits[0].soft(), rlimits[0].hard()), (256, 512));
    }

    #[test]
    fn limits_never_exceed_the_host() {
        assert_eq!(clamp_limit((1024, 524_288), Some(20000)), (1024, 20000));
        assert_eq!(clamp_limit((1024, 524_288), Some(512)), (512, 512));
        assert_eq!(clamp_limit((1024, 524_288), None), (1024, 524_288));
    }

    #[test]
    fn dockers_cross_checks_and_swap_default() {
        let memory = |memory, memory_swap| Resources {
            memory,
            memory_swap,
            ..Default::default()
        };
        assert_eq!(
            memory(64 << 20, 0).validate(2).unwrap().memory_swap,
            128 << 20
        );
        assert_eq!(memory(64 << 20, -1).validate(2).unwrap().memory_swap, -1);
        assert!(memory(1 << 20, 0).validate(2).is_err());
        assert!(memory(0, 64 << 20).validate(2).is_err());
        assert!(memory(64 << 20, 32 << 20).validate(2).is_err());
        let cpus = |nano_cpus| Resources {
            nano_cpus,
            ..Default::default()
        };
        assert!(cpus(1_500_000_000).validate(2).is_ok());
        let error = cpus(3_000_000_000).validate(2).unwrap_err().to_string();
        assert!(
            error.contains("range of CPUs is from 0.01 to 2.00"),
            "{error}"
        );
        let pids = Resources {
            pids_limit: Some(-1),
            ..Default::default()
        };
        assert_eq!(pids.validate(2).unwrap().pids_limit, None);
    }

    #[test]
    fn cpusets_must_be_online() {
        assert!(validate_cpuset("0-1", &[0, 1]).is_ok());
        assert!(validate_cpuset("1", &[0, 1]).is_ok());
        let error = validate_cpuset("0-3", &[0, 1]).unwrap_err().to_string();
        assert!(error.contains("requested 0-3, available: 0-1"), "{error}");
        assert!(validate_cpuset("1-0", &[0, 1]).is_err());
        assert!(validate_cpuset("a", &[0, 1]).is_err());
    }

    #[test]
    fn cpu_quota_over_dockers_period() {
        let resources = Resources {
            nano_cpus: 500_000_000,
            cpu_shares: 512,
            ..Default::default()
        };
        let cpu = resources.cpu().unwrap().unwrap();
        assert_eq!(
            (cpu.quota(), cpu.period(), cpu.shares()),
            (Some(50_000), Some(100_000), Some(512))
        );
    }
}
