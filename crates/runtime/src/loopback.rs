//! Bringing up the loopback interface of a container's own network namespace.
//!
//! A new network namespace has `lo` down, so nothing in it could reach 127.0.0.1.
//! Docker's `--network none` gives containers `lo` up, as does every network
//! mode with a namespace of its own; the runtime library does not, so the monitor
//! does it after creating the container and before its process starts.

use std::os::fd::AsFd as _;

use crate::error::{Result, RuntimeError};

/// Sets `lo` up in the network namespace of process `pid`. The work happens on a
/// thread of its own, since joining a namespace changes the calling thread only.
pub(crate) fn bring_up(pid: i32) -> Result<()> {
    let path = format!("/proc/{pid}/ns/net");
    let namespace = std::fs::File::open(&path).map_err(RuntimeError::io("opening", &path))?;
    let joined = std::thread::spawn(move || -> std::io::Result<()> {
        rustix::thread::move_into_link_name_space(
            namespace.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )?;
        set_up("lo")
    })
    .join()
    .expect("bringing up loopback does not panic");
    joined.map_err(RuntimeError::system("bringing up the loopback interface"))
}

/// `SIOCGIFFLAGS`, then `SIOCSIFFLAGS` with `IFF_UP`, on a datagram socket.
fn set_up(name: &str) -> std::io::Result<()> {
    // SAFETY: a socket(2) call with constant arguments; the fd is owned below.
    let socket = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if socket < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `socket` is a fresh descriptor that nothing else owns.
    let socket = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(socket) };
    let raw = std::os::fd::AsRawFd::as_raw_fd(&socket);

    // SAFETY: ifreq is plain data; all zeroes is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(name.bytes()) {
        *slot = byte as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS reads the name and fills in the flags of `request`.
    if unsafe { libc::ioctl(raw, libc::SIOCGIFFLAGS, &mut request) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the flags member is the one SIOCGIFFLAGS filled in.
    unsafe { request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    // SAFETY: SIOCSIFFLAGS reads the name and the flags of `request`.
    if unsafe { libc::ioctl(raw, libc::SIOCSIFFLAGS, &request) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
