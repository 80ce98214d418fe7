//! Seccomp filters: our default allow-list, and profiles in Docker's JSON format.
//!
//! The default profile denies every system call with `EPERM` except those listed
//! below, as Docker's does: what ordinary programs need is allowed; what reaches
//! beyond the container (mounts, namespaces, modules, the kernel keyring, clocks)
//! is allowed only when the container holds the capability that the kernel would
//! check anyway, so that `--cap-add SYS_ADMIN` is enough to mount. A profile is
//! resolved for this machine's architecture (and its 32-bit companions) and the
//! container's capabilities, which is also how Docker reads `includes`/`excludes`
//! in its profile files.
//! <https://docs.docker.com/engine/security/seccomp/>
//! <https://man7.org/linux/man-pages/man2/seccomp.2.html>

use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArg, LinuxSeccompArgBuilder,
    LinuxSeccompBuilder, LinuxSeccompFilterFlag, LinuxSeccompOperator, LinuxSyscall,
    LinuxSyscallBuilder,
};
use serde::Deserialize;

use crate::error::{Result, RuntimeError};

/// `EPERM`, what a denied call returns.
const EPERM: u32 = 1;
/// `ENOSYS`, so that callers fall back to an older call that the filter can inspect.
const ENOSYS: u32 = 38;

/// `AF_VSOCK`: a socket family that reaches the hypervisor, not a container network.
const AF_VSOCK: u64 = 40;

/// The namespace flags of `clone`: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER,
/// NEWPID, NEWNET.
const CLONE_NAMESPACES: u64 = 0x7E02_0000;

/// The `personality` values Docker allows: the default, `UNAME26`, `ADDR_NO_RANDOMIZE`
/// (used by `setarch -R`), both of those, and the query `0xffffffff`.
const PERSONALITIES: &[u64] = &[0x0, 0x8, 0x2_0000, 0x2_0008, 0xffff_ffff];

/// When a group of the default profile applies.
enum When {
    Always,
    /// On these architectures (Go's names, as Docker's profiles use them).
    Arches(&'static [&'static str]),
    /// When the container holds this capability.
    Cap(&'static str),
    /// When it does not.
    WithoutCap(&'static str),
}

/// What the filter does with a group.
enum How {
    Allow,
    /// Allowed when argument `.0`, masked with `.1`, is zero.
    AllowMaskedZero(usize, u64),
    /// Allowed when argument `.0` is not `.1`.
    AllowUnless(usize, u64),
    /// Allowed when argument `.0` is one of these (one rule each).
    AllowOneOf(usize, &'static [u64]),
    /// Fails with this errno instead of `EPERM`.
    Errno(u32),
}

struct Group {
    names: &'static [&'static str],
    when: When,
    how: How,
}

const fn allow(names: &'static [&'static str]) -> Group {
    Group {
        names,
        when: When::Always,
        how: How::Allow,
    }
}

const fn with_cap(cap: &'static str, names: &'static [&'static str]) -> Group {
    Group {
        names,
        when: When::Cap(cap),
        how: How::Allow,
    }
}

/// The default profile, one group of system calls per line. Everything absent is
/// denied; notably `keyctl`/`add_key`/`request_key` (the keyring is not namespaced),
/// `io_uring_*` (a large attack surface that bypasses this filter), `userfaultfd`,
/// `kexec_*`, `swapon`/`swapoff` and `pivot_root`.
#[rustfmt::skip]
const DEFAULT_GROUPS: &[Group] = &[
    // Files and directories.
    allow(&["access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "chmod", "fchmod"]),
    allow(&["fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32", "fchownat"]),
    allow(&["lchown", "lchown32", "creat", "open", "openat", "openat2", "close", "close_range"]),
    allow(&["read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64"]),
    allow(&["pwritev", "pwritev2", "lseek", "_llseek", "truncate", "truncate64", "ftruncate"]),
    allow(&["ftruncate64", "fallocate", "fadvise64", "fadvise64_64", "readahead", "fsync"]),
    allow(&["fdatasync", "sync", "syncfs", "sync_file_range", "flock", "fcntl", "fcntl64"]),
    allow(&["dup", "dup2", "dup3", "ioctl", "stat", "stat64", "lstat", "lstat64", "fstat"]),
    allow(&["fstat64", "fstatat64", "newfstatat", "statx", "statfs", "statfs64", "fstatfs"]),
    allow(&["fstatfs64", "getdents", "getdents64", "mkdir", "mkdirat", "rmdir", "rename"]),
    allow(&["renameat", "renameat2", "link", "linkat", "unlink", "unlinkat", "symlink"]),
    allow(&["symlinkat", "readlink", "readlinkat", "mknod", "mknodat", "umask", "utime"]),
    allow(&["utimes", "utimensat", "utimensat_time64", "futimesat", "copy_file_range"]),
    allow(&["sendfile", "sendfile64", "splice", "tee", "vmsplice", "name_to_handle_at"]),
    allow(&["getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr"]),
    allow(&["listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr"]),
    allow(&["fremovexattr", "inotify_init", "inotify_init1", "inotify_add_watch"]),
    allow(&["inotify_rm_watch", "fanotify_mark", "memfd_create", "memfd_secret", "cachestat"]),
    // Asynchronous I/O (the old interface; io_uring stays denied).
    allow(&["io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents"]),
    allow(&["io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set"]),
    // Waiting on many descriptors.
    allow(&["select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll"]),
    allow(&["ppoll_time64", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old"]),
    allow(&["epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2", "eventfd"]),
    allow(&["eventfd2", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime"]),
    allow(&["timerfd_settime64", "timerfd_gettime", "timerfd_gettime64", "pipe", "pipe2"]),
    // Memory.
    allow(&["brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore"]),
    allow(&["msync", "mlock", "mlock2", "mlockall", "munlock", "munlockall", "membarrier"]),
    allow(&["remap_file_pages", "pkey_alloc", "pkey_free", "pkey_mprotect", "map_shadow_stack"]),
    // Processes and threads. `clone` is below: only without namespace flags.
    allow(&["fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid"]),
    allow(&["waitpid", "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal"]),
    allow(&["process_mrelease", "getpid", "getppid", "gettid", "getpgid", "setpgid"]),
    allow(&["getpgrp", "getsid", "setsid", "set_tid_address", "set_robust_list"]),
    allow(&["get_robust_list", "futex", "futex_time64", "futex_waitv", "futex_wait"]),
    allow(&["futex_wake", "futex_requeue", "rseq", "restart_syscall"]),
    allow(&["prctl", "capget", "capset", "seccomp", "getrlimit", "ugetrlimit", "setrlimit"]),
    allow(&["prlimit64", "getrusage", "getpriority", "setpriority", "times"]),
    allow(&["landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"]),
    // Only the process's own children, since 4.8's ptrace hardening (as Docker allows).
    allow(&["ptrace"]),
    // Scheduling.
    allow(&["sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getattr"]),
    allow(&["sched_setattr", "sched_getparam", "sched_setparam", "sched_getscheduler"]),
    allow(&["sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min"]),
    allow(&["sched_rr_get_interval", "sched_rr_get_interval_time64", "getcpu"]),
    // Credentials (switching to users the container already has).
    allow(&["getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid"]),
    allow(&["getegid32", "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups"]),
    allow(&["getgroups32", "setuid", "setuid32", "setgid", "setgid32", "setreuid"]),
    allow(&["setreuid32", "setregid", "setregid32", "setresuid", "setresuid32", "setresgid"]),
    allow(&["setresgid32", "setgroups", "setgroups32", "setfsuid", "setfsuid32", "setfsgid"]),
    allow(&["setfsgid32"]),
    // Signals.
    allow(&["rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending"]),
    allow(&["rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo"]),
    allow(&["rt_tgsigqueueinfo", "sigaltstack", "sigprocmask", "sigreturn", "pause"]),
    // Time (reading it; setting the clock needs CAP_SYS_TIME below).
    allow(&["clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64"]),
    allow(&["clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "gettimeofday", "time"]),
    allow(&["alarm", "getitimer", "setitimer", "timer_create", "timer_delete"]),
    allow(&["timer_settime", "timer_settime64", "timer_gettime", "timer_gettime64"]),
    allow(&["timer_getoverrun", "clock_adjtime", "clock_adjtime64", "adjtimex"]),
    // Sockets (`socket` itself is below: every family but AF_VSOCK).
    allow(&["socketpair", "bind", "listen", "accept", "accept4", "connect", "shutdown"]),
    allow(&["getsockname", "getpeername", "getsockopt", "setsockopt", "send", "sendto"]),
    allow(&["sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg"]),
    allow(&["recvmmsg_time64", "socketcall"]),
    // System V and POSIX IPC (the IPC namespace is the container's own).
    allow(&["ipc", "msgget", "msgctl", "msgsnd", "msgrcv", "semget", "semctl", "semop"]),
    allow(&["semtimedop", "semtimedop_time64", "shmget", "shmctl", "shmat", "shmdt"]),
    allow(&["mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_notify"]),
    allow(&["mq_timedreceive", "mq_timedreceive_time64", "mq_getsetattr"]),
    // The machine, read only.
    allow(&["uname", "sysinfo", "getrandom"]),
    Group { names: &["personality"], when: When::Always, how: How::AllowOneOf(0, PERSONALITIES) },
    Group { names: &["socket"], when: When::Always, how: How::AllowUnless(0, AF_VSOCK) },
    // Threads and plain forks, but no new namespaces without CAP_SYS_ADMIN.
    Group {
        names: &["clone"],
        when: When::WithoutCap("SYS_ADMIN"),
        how: How::AllowMaskedZero(0, CLONE_NAMESPACES),
    },
    // clone3 passes its flags in memory, out of the filter's reach: ENOSYS makes
    // glibc fall back to clone, which the rule above can check.
    Group { names: &["clone3"], when: When::WithoutCap("SYS_ADMIN"), how: How::Errno(ENOSYS) },
    // Architecture-specific calls.
    Group {
        names: &["arch_prctl", "modify_ldt"],
        when: When::Arches(&["amd64", "x32", "386"]),
        how: How::Allow,
    },
    Group {
        names: &["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint"],
        when: When::Arches(&["arm", "arm64"]),
        how: How::Allow,
    },
    Group {
        names: &["cacheflush", "set_tls"],
        when: When::Arches(&["arm", "arm64"]),
        how: How::Allow,
    },
    Group { names: &["riscv_flush_icache"], when: When::Arches(&["riscv64"]), how: How::Allow },
    // What the kernel would allow anyway with the capability.
    with_cap("SYS_ADMIN", &["mount", "umount", "umount2", "unshare", "setns", "clone"]),
    with_cap("SYS_ADMIN", &["clone3", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount"]),
    with_cap("SYS_ADMIN", &["open_tree", "mount_setattr", "quotactl", "quotactl_fd"]),
    with_cap("SYS_ADMIN", &["sethostname", "setdomainname", "fanotify_init", "lookup_dcookie"]),
    with_cap("SYS_ADMIN", &["bpf", "perf_event_open", "syslog"]),
    with_cap("BPF", &["bpf"]),
    with_cap("PERFMON", &["perf_event_open"]),
    with_cap("SYSLOG", &["syslog"]),
    with_cap("SYS_BOOT", &["reboot"]),
    with_cap("SYS_CHROOT", &["chroot"]),
    with_cap("SYS_MODULE", &["init_module", "finit_module", "delete_module"]),
    with_cap("SYS_PACCT", &["acct"]),
    with_cap("SYS_PTRACE", &["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv"]),
    with_cap("SYS_PTRACE", &["process_vm_writev"]),
    with_cap("SYS_RAWIO", &["iopl", "ioperm"]),
    with_cap("SYS_TIME", &["settimeofday", "stime", "clock_settime", "clock_settime64"]),
    with_cap("SYS_TTY_CONFIG", &["vhangup"]),
    with_cap("SYS_NICE", &["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"]),
    with_cap("DAC_READ_SEARCH", &["open_by_handle_at"]),
];

/// A seccomp profile in Docker's JSON format (`--security-opt seccomp=FILE`). An OCI
/// `linux.seccomp` object reads too: it is the same without `archMap` and filters.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    default_action: LinuxSeccompAction,
    #[serde(default)]
    default_errno_ret: Option<u32>,
    #[serde(default)]
    architectures: Vec<Arch>,
    #[serde(default)]
    arch_map: Vec<ArchMap>,
    #[serde(default)]
    flags: Vec<LinuxSeccompFilterFlag>,
    #[serde(default)]
    syscalls: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchMap {
    architecture: Arch,
    #[serde(default)]
    sub_architectures: Vec<Arch>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(default)]
    names: Vec<String>,
    /// The single-name form of old profiles.
    #[serde(default)]
    name: Option<String>,
    action: LinuxSeccompAction,
    #[serde(default)]
    errno_ret: Option<u32>,
    #[serde(default)]
    args: Vec<LinuxSeccompArg>,
    #[serde(default)]
    includes: Filter,
    #[serde(default)]
    excludes: Filter,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    #[serde(default)]
    caps: Vec<String>,
    #[serde(default)]
    arches: Vec<String>,
    #[serde(default)]
    min_kernel: Option<String>,
}

/// What a profile is resolved for.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// Go's name of the architecture (`amd64`, `arm64`), as profiles spell it.
    pub arch: &'a str,
    /// The container's capabilities, without `CAP_`.
    pub caps: &'a [&'a str],
    /// The running kernel, (major, minor).
    pub kernel: (u32, u32),
}

impl Target<'_> {
    /// This machine, with the container's capabilities.
    pub fn host<'a>(caps: &'a [&'a str]) -> Target<'a> {
        Target {
            arch: go_arch(),
            caps,
            kernel: kernel_version(),
        }
    }
}

impl Profile {
    /// Our default profile.
    pub fn default_profile() -> Profile {
        Profile {
            default_action: LinuxSeccompAction::ScmpActErrno,
            default_errno_ret: Some(EPERM),
            architectures: Vec::new(),
            arch_map: arch_map(),
            flags: Vec::new(),
            syscalls: DEFAULT_GROUPS.iter().flat_map(Group::rules).collect(),
        }
    }

    /// Reads a profile file's contents.
    pub fn parse(json: &str) -> Result<Profile> {
        serde_json::from_str(json).map_err(|source| RuntimeError::SeccompProfile { source })
    }

    /// The filter for `target`: its architectures, and the rules that apply to it.
    pub fn resolve(&self, target: &Target) -> Result<LinuxSeccomp> {
        let syscalls: Vec<LinuxSyscall> = self
            .syscalls
            .iter()
            .filter(|rule| rule.applies(target))
            .map(Rule::to_oci)
            .collect::<Result<_>>()?;
        let mut builder = LinuxSeccompBuilder::default()
            .default_action(self.default_action)
            .architectures(self.architectures_for(target.arch))
            .syscalls(syscalls);
        if let Some(errno) = self.default_errno_ret {
            builder = builder.default_errno_ret(errno);
        }
        if !self.flags.is_empty() {
            builder = builder.flags(self.flags.clone());
        }
        builder.build().map_err(RuntimeError::Spec)
    }

    fn architectures_for(&self, arch: &str) -> Vec<Arch> {
        let native = native_arch(arch);
        let mapped = self
            .arch_map
            .iter()
            .find(|m| Some(m.architecture) == native);
        match mapped {
            Some(map) => std::iter::once(map.architecture)
                .chain(map.sub_architectures.iter().copied())
                .collect(),
            None if self.arch_map.is_empty() => self.architectures.clone(),
            None => native.into_iter().collect(),
        }
    }
}

impl Rule {
    fn applies(&self, target: &Target) -> bool {
        let has_cap = |cap: &String| {
            let bare = cap.strip_prefix("CAP_").unwrap_or(cap);
            target.caps.contains(&bare)
        };
        let include = &self.includes;
        let exclude = &self.excludes;
        (include.arches.is_empty() || include.arches.iter().any(|a| a == target.arch))
            && include.caps.iter().all(has_cap)
            && include
                .min_kernel
                .as_deref()
                .is_none_or(|k| parse_kernel(k) <= target.kernel)
            && !exclude.arches.iter().any(|a| a == target.arch)
            && !exclude.caps.iter().any(has_cap)
            && exclude
                .min_kernel
                .as_deref()
                .is_none_or(|k| parse_kernel(k) > target.kernel)
    }

    fn to_oci(&self) -> Result<LinuxSyscall> {
        let mut names = self.names.clone();
        names.extend(self.name.clone());
        let mut builder = LinuxSyscallBuilder::default()
            .names(names)
            .action(self.action);
        if let Some(errno) = self.errno_ret {
            builder = builder.errno_ret(errno);
        }
        if !self.args.is_empty() {
            builder = builder.args(self.args.clone());
        }
        builder.build().map_err(RuntimeError::Spec)
    }
}

impl Group {
    fn rules(&self) -> Vec<Rule> {
        let mut includes = Filter::default();
        let mut excludes = Filter::default();
        match self.when {
            When::Always => {}
            When::Arches(arches) => includes.arches = strings(arches),
            When::Cap(cap) => includes.caps = vec![format!("CAP_{cap}")],
            When::WithoutCap(cap) => excludes.caps = vec![format!("CAP_{cap}")],
        }
        let rule = |action, errno_ret, args: Vec<LinuxSeccompArg>| Rule {
            names: strings(self.names),
            name: None,
            action,
            errno_ret,
            args,
            includes: includes.clone(),
            excludes: excludes.clone(),
        };
        let allow = LinuxSeccompAction::ScmpActAllow;
        match self.how {
            How::Allow => vec![rule(allow, None, Vec::new())],
            How::Errno(errno) => vec![rule(
                LinuxSeccompAction::ScmpActErrno,
                Some(errno),
                Vec::new(),
            )],
            How::AllowMaskedZero(index, mask) => {
                vec![rule(
                    allow,
                    None,
                    vec![arg(
                        index,
                        0,
                        Some(mask),
                        LinuxSeccompOperator::ScmpCmpMaskedEq,
                    )],
                )]
            }
            How::AllowUnless(index, value) => {
                vec![rule(
                    allow,
                    None,
                    vec![arg(index, value, None, LinuxSeccompOperator::ScmpCmpNe)],
                )]
            }
            How::AllowOneOf(index, values) => values
                .iter()
                .map(|&value| {
                    rule(
                        allow,
                        None,
                        vec![arg(index, value, None, LinuxSeccompOperator::ScmpCmpEq)],
                    )
                })
                .collect(),
        }
    }
}

/// A comparison of argument `index`; for `MASKED_EQ`, `value_two` is the value and
/// `value` the mask, as the OCI spec has it.
fn arg(index: usize, value: u64, mask: Option<u64>, op: LinuxSeccompOperator) -> LinuxSeccompArg {
    let (value, value_two) = match mask {
        Some(mask) => (mask, Some(value)),
        None => (value, None),
    };
    let builder = LinuxSeccompArgBuilder::default()
        .index(index)
        .value(value)
        .op(op);
    let builder = match value_two {
        Some(value_two) => builder.value_two(value_two),
        None => builder,
    };
    builder.build().expect("every field of the argument is set")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Each 64-bit architecture with the 32-bit ABIs its kernel also runs, as Docker maps them.
fn arch_map() -> Vec<ArchMap> {
    let map = |architecture, sub_architectures: &[Arch]| ArchMap {
        architecture,
        sub_architectures: sub_architectures.to_vec(),
    };
    vec![
        map(
            Arch::ScmpArchX86_64,
            &[Arch::ScmpArchX86, Arch::ScmpArchX32],
        ),
        map(Arch::ScmpArchAarch64, &[Arch::ScmpArchArm]),
        map(Arch::ScmpArchRiscv64, &[]),
        map(Arch::ScmpArchS390x, &[Arch::ScmpArchS390]),
    ]
}

/// Go's name for this machine's architecture.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

fn native_arch(go_arch: &str) -> Option<Arch> {
    match go_arch {
        "amd64" => Some(Arch::ScmpArchX86_64),
        "arm64" => Some(Arch::ScmpArchAarch64),
        "riscv64" => Some(Arch::ScmpArchRiscv64),
        "s390x" => Some(Arch::ScmpArchS390x),
        "386" => Some(Arch::ScmpArchX86),
        "arm" => Some(Arch::ScmpArchArm),
        _ => None,
    }
}

/// `major.minor` of a kernel release such as `6.1.0-18-amd64`.
fn parse_kernel(release: &str) -> (u32, u32) {
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse().unwrap_or(0));
    (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0))
}

fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    parse_kernel(&release)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target<'a>(caps: &'a [&'a str]) -> Target<'a> {
        Target {
            arch: "amd64",
            caps,
            kernel: (6, 1),
        }
    }

    fn names_of(filter: &LinuxSeccomp) -> Vec<String> {
        filter
            .syscalls()
            .iter()
            .flatten()
            .flat_map(|s| s.names().clone())
            .collect()
    }

    #[test]
    fn default_profile_denies_with_eperm_on_every_x86_abi() {
        let filter = Profile::default_profile().resolve(&target(&[])).unwrap();
        assert_eq!(filter.default_action(), LinuxSeccompAction::ScmpActErrno);
        assert_eq!(filter.default_errno_ret(), Some(EPERM));
        assert_eq!(
            filter.architectures().as_deref(),
            Some(&[Arch::ScmpArchX86_64, Arch::ScmpArchX86, Arch::ScmpArchX32][..])
        );
        let names = names_of(&filter);
        for allowed in [
            "read",
            "execve",
            "arch_prctl",
            "socket",
            "personality",
            "clone",
            "chown",
        ] {
            assert!(names.iter().any(|n| n == allowed), "{allowed}");
        }
        for denied in [
            "keyctl", "add_key", "mount", "unshare", "setns", "reboot", "chroot",
        ] {
            assert!(!names.iter().any(|n| n == denied), "{denied}");
        }
        assert!(!names.iter().any(|n| n == "cacheflush"));
    }

    #[test]
    fn capabilities_open_their_system_calls() {
        let filter = Profile::default_profile()
            .resolve(&target(&["SYS_ADMIN", "SYS_CHROOT"]))
            .unwrap();
        let names = names_of(&filter);
        for allowed in ["mount", "unshare", "setns", "chroot", "clone3"] {
            assert!(names.iter().any(|n| n == allowed), "{allowed}");
        }
        let clone_rules: Vec<_> = filter
            .syscalls()
            .iter()
            .flatten()
            .filter(|s| s.names().contains(&"clone".to_string()))
            .collect();
        assert_eq!(clone_rules.len(), 1);
        assert!(
            clone_rules[0].args().is_none(),
            "with SYS_ADMIN clone is unfiltered"
        );
    }

    #[test]
    fn argument_filters_match_dockers() {
        let filter = Profile::default_profile().resolve(&target(&[])).unwrap();
        let rules = |name: &str| -> Vec<LinuxSyscall> {
            let all = filter.syscalls().clone().unwrap_or_default();
            all.into_iter()
                .filter(|s| s.names().iter().any(|n| n == name))
                .collect()
        };
        let clone = &rules("clone")[0].args().clone().unwrap()[0];
        assert_eq!(
            (clone.value(), clone.value_two(), clone.op()),
            (
                CLONE_NAMESPACES,
                Some(0),
                LinuxSeccompOperator::ScmpCmpMaskedEq
            )
        );
        let socket = &rules("socket")[0].args().clone().unwrap()[0];
        assert_eq!(
            (socket.value(), socket.op()),
            (AF_VSOCK, LinuxSeccompOperator::ScmpCmpNe)
        );
        assert_eq!(rules("personality").len(), PERSONALITIES.len());
        assert_eq!(rules("clone3")[0].errno_ret(), Some(ENOSYS));
    }

    #[test]
    fn docker_format_profiles_read_and_filter() {
        let json = r#"{
            "defaultAction": "SCMP_ACT_ALLOW",
            "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
            "syscalls": [
                {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                {"name": "chmod", "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["arm64"]}},
                {"names": ["uname"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
                {"names": ["sync"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "7.0"}}
            ]
        }"#;
        let filter = Profile::parse(json).unwrap().resolve(&target(&[])).unwrap();
        assert_eq!(filter.default_action(), LinuxSeccompAction::ScmpActAllow);
        assert_eq!(filter.architectures().as_ref().unwrap().len(), 2);
        assert_eq!(names_of(&filter), ["mkdir", "uname"]);
        assert_eq!(filter.syscalls().as_ref().unwrap()[0].errno_ret(), Some(13));
        let admin = Profile::parse(json)
            .unwrap()
            .resolve(&target(&["SYS_ADMIN"]))
            .unwrap();
        assert_eq!(names_of(&admin), ["mkdir"]);
        assert!(Profile::parse("{\"syscalls\": 1}").is_err());
    }

    #[test]
    fn kernel_releases_parse() {
        assert_eq!(parse_kernel("6.18.44-fc-v1147"), (6, 18));
        assert_eq!(parse_kernel("4.8"), (4, 8));
    }
}
