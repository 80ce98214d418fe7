//! The monitor of one exec'd process: the tenant of a running container, created
//! through the runtime library once its client attached (or at once with `-d`).
//! Its stdin is kept open when that client sends input; its output goes to the
//! client only, not to the container's log (as in Docker).

use std::os::unix::net::UnixStream;
use std::path::Path;

use libcontainer::container::builder::ContainerBuilder;
use libcontainer::syscall::syscall::SyscallType;
use oci_spec::runtime::Process;

use crate::error::{Result, RuntimeError};
use crate::monitor::create::{DefaultSigpipe, PendingIo, ProcessIo};
use crate::monitor::events::Events;
use crate::monitor::{Report, accept_first, bind};
use crate::paths::Paths;
use crate::protocol::{Request, WindowSize};
use crate::terminal::SizedExecutor;

/// Runs the monitor of exec `exec_id` in container `id` (the whole life of the
/// process). With `wait_for_attach`, the process starts once its client attached.
pub fn run_exec_monitor(
    paths: &Paths,
    id: &str,
    exec_id: &str,
    wait_for_attach: bool,
) -> Result<()> {
    let _ = rustix::process::setsid();
    let dir = paths.exec(id, exec_id);
    let mut report = Report::new();
    let result = serve(paths, id, &dir, wait_for_attach, &mut report);
    if let Err(error) = &result {
        report.error(error);
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn serve(
    paths: &Paths,
    id: &str,
    dir: &Path,
    wait_for_attach: bool,
    report: &mut Report,
) -> Result<()> {
    let listener = bind(&dir.join("monitor.sock"))?;
    let first_client = match wait_for_attach {
        true => {
            report.send("ready");
            accept_first(&listener)?
        }
        false => None,
    };
    let (has_stdin, size) = match &first_client {
        Some((_, Request::Attach { stdin, size })) => (*stdin, *size),
        _ => (false, None),
    };
    match create(paths, id, dir, has_stdin, size) {
        Ok((pid, io)) => {
            tracing::debug!(%id, pid, "exec'd process started");
            report.send("started");
            report.close();
            let events = Events::new(None, listener, first_client);
            events.run(
                pid,
                io,
                |code| tracing::debug!(%id, pid, code, "exec'd process exited"),
            )
        }
        Err(error) => {
            refuse(first_client, &error);
            Err(error)
        }
    }
}

/// Creates the process from `process.json`, with the client's terminal size.
fn create(
    paths: &Paths,
    id: &str,
    dir: &Path,
    has_stdin: bool,
    size: Option<WindowSize>,
) -> Result<(i32, ProcessIo)> {
    let process_path = dir.join("process.json");
    let process = read_process(&process_path)?;
    let is_terminal = process.terminal().unwrap_or(false);
    let builder = ContainerBuilder::new(id.to_owned(), SyscallType::default())
        .with_root_path(paths.state(id))
        .map_err(creating)?
        .with_executor(SizedExecutor { size });
    let console = dir.join("console.sock");
    let (builder, io) = PendingIo::attach(builder, is_terminal, has_stdin, &console)?;
    // TODO: libcontainer 0.7's tenant builder drops `linux.seccomp`: exec'd processes
    // run without the container's seccomp profile
    let tenant = builder
        .as_tenant()
        .with_process(Some(process_path))
        .with_detach(true);
    let pid = {
        let _sigpipe = DefaultSigpipe::set();
        tenant.build().map_err(creating)?
    };
    Ok((pid.as_raw(), io.finish()?))
}

fn read_process(path: &Path) -> Result<Process> {
    let text = std::fs::read(path).map_err(RuntimeError::io("reading", path))?;
    serde_json::from_slice(&text).map_err(|source| RuntimeError::Corrupt {
        path: path.to_owned(),
        source,
    })
}

fn creating(source: libcontainer::error::LibcontainerError) -> RuntimeError {
    RuntimeError::Container {
        action: "executing in",
        source: Box::new(source),
    }
}

fn refuse(first_client: Option<(UnixStream, Request)>, error: &RuntimeError) {
    if let Some((mut stream, _)) = first_client {
        use std::io::Write as _;
        let message = super::full_message(error);
        let _ = stream.write_all(&crate::protocol::Reply::Error(message).encode());
    }
}
