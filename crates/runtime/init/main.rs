//! `container-init`: the PID 1 of `--init` containers, bind-mounted at
//! `/sbin/docker-init` as Docker mounts its tini.
//!
//! Usage: `docker-init [--] COMMAND [ARG...]`. It runs the command as its child, passes
//! every signal it receives on to it, reaps every process that ends up as its child
//! (orphans are re-parented to PID 1, which must wait for them or they stay zombies),
//! and exits as the command did: its code, or 128 + the signal that killed it.
//!
//! It is built by the runtime crate's build script as a static executable, so that it
//! runs in any image, with or without a C library. It uses only `std` and a few libc
//! functions that `std` already links.

use std::os::raw::c_int;
use std::os::unix::process::CommandExt as _;
use std::process::Command;

/// glibc's `sigset_t`: 1024 bits.
#[repr(C)]
struct SigSet([u64; 16]);

/// The start of `siginfo_t`, padded to its 128 bytes.
#[repr(C)]
struct SigInfo {
    signo: c_int,
    errno: c_int,
    code: c_int,
    rest: [u8; 116],
}

const SIG_SETMASK: c_int = 2;
const SIGCHLD: c_int = 17;
const WNOHANG: c_int = 1;

unsafe extern "C" {
    fn sigfillset(set: *mut SigSet) -> c_int;
    fn sigprocmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwaitinfo(set: *const SigSet, info: *mut SigInfo) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn kill(pid: c_int, signal: c_int) -> c_int;
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--") {
        args.remove(0);
    }
    if args.is_empty() {
        eprintln!("usage: docker-init [--] COMMAND [ARG...]");
        std::process::exit(1);
    }

    // Every signal waits for `sigwaitinfo` below. The kernel drops signals that PID 1
    // has left at their default action, but never blocked ones. The child gets an
    // empty mask back before it runs the command (std's spawn would hand it ours), and
    // SIGPIPE at its default (std resets that).
    let mut all = SigSet([0; 16]);
    // SAFETY: plain libc calls on a sigset_t-sized buffer we own.
    unsafe {
        sigfillset(&mut all);
        sigprocmask(SIG_SETMASK, &all, std::ptr::null_mut());
    }

    let mut command = Command::new(&args[0]);
    command.args(&args[1..]);
    // SAFETY: between fork and exec, only sigprocmask, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            let empty = SigSet([0; 16]);
            sigprocmask(SIG_SETMASK, &empty, std::ptr::null_mut());
            Ok(())
        });
    }
    let child = match command.spawn() {
        Ok(child) => child.id() as c_int,
        Err(error) => {
            eprintln!("docker-init: cannot run {}: {error}", args[0]);
            let code = if error.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            std::process::exit(code);
        }
    };
    std::process::exit(supervise(child, &all));
}

/// Forwards signals to `child` and reaps, until `child` has ended; its exit code.
fn supervise(child: c_int, all: &SigSet) -> i32 {
    loop {
        let mut info = SigInfo {
            signo: 0,
            errno: 0,
            code: 0,
            rest: [0; 116],
        };
        // SAFETY: waits on a valid set, writing into a siginfo_t-sized buffer.
        let signal = unsafe { sigwaitinfo(all, &mut info) };
        if signal < 0 {
            continue;
        }
        if signal != SIGCHLD {
            // SAFETY: sending a signal has no memory effects.
            unsafe { kill(child, signal) };
            continue;
        }
        if let Some(code) = reap(child) {
            return code;
        }
    }
}

/// Waits for every child that has ended; the exit code of `child` if it was one.
fn reap(child: c_int) -> Option<i32> {
    let mut result = None;
    loop {
        let mut status: c_int = 0;
        // SAFETY: waitpid writes only the status we pass.
        let pid = unsafe { waitpid(-1, &mut status, WNOHANG) };
        if pid <= 0 {
            return result;
        }
        if pid == child {
            let signal = status & 0x7f;
            result = Some(if signal == 0 {
                (status >> 8) & 0xff
            } else {
                128 + signal
            });
        }
    }
}
