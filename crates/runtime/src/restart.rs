//! Restart policies (`--restart`), carried out by the monitor, and what
//! `system start` / `system stop` do with them, as Docker's daemon does:
//!
//! - `no`: never restarted.
//! - `on-failure[:N]`: restarted when it exits non-zero, at most N times if N is set.
//! - `always`: restarted whatever its exit code, unless stopped by hand; brought back
//!   by `system start` even then.
//! - `unless-stopped`: as `always`, but a container stopped by hand stays stopped,
//!   also across `system start`.
//!
//! A restart waits first: 100 ms, doubling with each restart in a row, at most a
//! minute; a run that lasted 10 seconds resets the delay. `stop` during the wait
//! cancels the restart.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::RuntimeError;

/// When the container is restarted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartPolicy {
    /// Which policy.
    pub name: PolicyName,
    /// For `on-failure`: the most restarts in a row (0: no limit).
    pub maximum_retry_count: u32,
}

/// Docker's policy names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyName {
    /// `no`.
    #[default]
    No,
    /// `on-failure`.
    OnFailure,
    /// `always`.
    Always,
    /// `unless-stopped`.
    UnlessStopped,
}

impl PolicyName {
    /// Docker's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyName::No => "no",
            PolicyName::OnFailure => "on-failure",
            PolicyName::Always => "always",
            PolicyName::UnlessStopped => "unless-stopped",
        }
    }
}

impl RestartPolicy {
    /// Whether the policy is anything but `no`.
    pub fn is_set(&self) -> bool {
        self.name != PolicyName::No
    }

    /// Whether the monitor restarts a container that exited with `code` after
    /// `restart_count` restarts in a row.
    pub fn restarts_after(&self, code: i32, is_manually_stopped: bool, restart_count: u32) -> bool {
        if is_manually_stopped {
            return false;
        }
        match self.name {
            PolicyName::No => false,
            PolicyName::Always | PolicyName::UnlessStopped => true,
            PolicyName::OnFailure => {
                code != 0
                    && (self.maximum_retry_count == 0 || restart_count < self.maximum_retry_count)
            }
        }
    }

    /// Whether `system start` brings the container back. `was_running`: its record
    /// said running when the host went down (its monitor died with it).
    pub fn starts_with_the_system(&self, is_manually_stopped: bool, was_running: bool) -> bool {
        match self.name {
            PolicyName::No => false,
            PolicyName::Always => true,
            PolicyName::UnlessStopped => !is_manually_stopped,
            PolicyName::OnFailure => was_running && !is_manually_stopped,
        }
    }
}

/// How long to wait before restart number `restart_count + 1`, when the last run
/// lasted `ran_for`.
pub fn delay(restart_count: u32, ran_for: Duration) -> Duration {
    if ran_for >= Duration::from_secs(10) {
        return Duration::from_millis(100);
    }
    let doubled = 100u64.saturating_mul(1u64 << restart_count.min(20));
    Duration::from_millis(doubled.min(60_000))
}

impl FromStr for RestartPolicy {
    type Err = RuntimeError;

    /// `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`, with Docker's
    /// messages for the rest.
    fn from_str(text: &str) -> Result<RestartPolicy, RuntimeError> {
        let invalid = |reason: &str| RuntimeError::InvalidOption {
            option: "--restart",
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (name, count) = match text.split_once(':') {
            Some((name, count)) => (name, Some(count)),
            None => (text, None),
        };
        let name = match name {
            "" | "no" => PolicyName::No,
            "on-failure" => PolicyName::OnFailure,
            "always" => PolicyName::Always,
            "unless-stopped" => PolicyName::UnlessStopped,
            _ => {
                return Err(invalid(
                    "use one of `no`, `always`, `on-failure[:N]` or `unless-stopped`",
                ));
            }
        };
        let maximum_retry_count = match count {
            None => 0,
            Some(_) if name != PolicyName::OnFailure => {
                return Err(invalid("a maximum retry count goes only with `on-failure`"));
            }
            Some(count) => count
                .parse::<u32>()
                .map_err(|_| invalid("the maximum retry count must be a whole number"))?,
        };
        Ok(RestartPolicy {
            name,
            maximum_retry_count,
        })
    }
}

impl fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name.as_str())?;
        if self.name == PolicyName::OnFailure && self.maximum_retry_count > 0 {
            write!(f, ":{}", self.maximum_retry_count)?;
        }
        Ok(())
    }
}

/// What the monitor does once its container has exited and been recorded: restart it
/// if its policy says so, after the delay, unless it is stopped or removed meanwhile.
/// The restart starts a new monitor; this one then ends.
pub(crate) fn after_exit(paths: &crate::Paths, id: &str, ran_for: Duration) {
    let records = crate::record::Records::new(paths);
    let Ok(Some(record)) = records.load(id) else {
        return;
    };
    let state = &record.state;
    let code = state.exit_code.unwrap_or(-1);
    let policy = record.host.restart_policy;
    let is_stopped = state.is_manually_stopped || state.is_shut_down;
    if !policy.restarts_after(code, is_stopped, state.restart_count) {
        return;
    }
    let wait = delay(state.restart_count, ran_for);
    tracing::debug!(%id, code, ?wait, policy = %policy, "restarting");
    let _ = records.update(id, |r| {
        r.state.is_restarting = true;
        r.state.monitor = crate::record::ProcessId::current();
    });
    if !wait_unless_stopped(&records, id, wait) {
        return;
    }
    let _ = records.update(id, |r| {
        r.state.is_restarting = false;
        r.state.restart_count += 1;
        r.state.monitor = None;
    });
    if let Err(error) = restart(paths, id) {
        tracing::warn!(%id, error = %crate::monitor::full_message(&error), "restarting");
    }
}

/// Sleeps `wait`; false if the container was stopped by hand or removed meanwhile.
fn wait_unless_stopped(records: &crate::record::Records, id: &str, wait: Duration) -> bool {
    let deadline = std::time::Instant::now() + wait;
    loop {
        match records.load(id) {
            Ok(Some(record)) if record.state.is_manually_stopped || record.state.is_shut_down => {
                let _ = records.update(id, |r| {
                    r.state.is_restarting = false;
                    r.state.monitor = None;
                });
                return false;
            }
            Ok(Some(_)) => {}
            _ => return false,
        }
        let now = std::time::Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}

fn restart(paths: &crate::Paths, id: &str) -> crate::Result<()> {
    let store = container_store::Store::open(paths.root())?;
    let runtime = crate::Runtime::new(store, paths.run_root());
    runtime.start_as(id, crate::StartMode::Detached, false)?;
    Ok(())
}

impl crate::Runtime {
    /// After a reboot (or monitors killed): records that still say running are marked
    /// exited (code 255, as Docker's daemon marks containers it lost), their leftovers
    /// removed, and the containers whose policy asks for it started again. Returns the
    /// containers started.
    pub fn start_by_policy(&self) -> crate::Result<Vec<crate::ContainerRecord>> {
        let mut started = Vec::new();
        for record in self.list()? {
            if record.is_running()
                || record.is_orphaned()
                || (record.state.is_restarting && record.is_monitor_alive())
            {
                continue;
            }
            let was_running =
                record.state.status == crate::Status::Running || record.state.is_restarting;
            if was_running {
                self.mark_lost(&record)?;
            }
            self.records
                .update(&record.id, |r| r.state.is_shut_down = false)?;
            let policy = record.host.restart_policy;
            if policy.starts_with_the_system(record.state.is_manually_stopped, was_running) {
                tracing::debug!(id = %record.id, policy = %policy, "starting by policy");
                started.push(self.start_as(&record.id, crate::StartMode::Detached, false)?);
            }
        }
        Ok(started)
    }

    /// Stops every running container as a shutdown does: not by hand, so that
    /// `start_by_policy` brings back those whose policy says so.
    /// All at once, as each may take its whole timeout.
    /// Each container gets its own `--stop-timeout` (else 10 seconds).
    pub fn stop_all_for_shutdown(&self) -> crate::Result<Vec<crate::ContainerRecord>> {
        let mut running = self.list()?;
        running.retain(|r| r.is_running() || r.is_orphaned() || r.state.is_restarting);
        std::thread::scope(|scope| {
            let stops: Vec<_> = running
                .iter()
                .map(|record| scope.spawn(|| self.stop_for_shutdown(&record.id, None)))
                .collect();
            stops
                .into_iter()
                .map(|stop| stop.join().expect("stopping a container does not panic"))
                .collect()
        })
    }

    fn mark_lost(&self, record: &crate::ContainerRecord) -> crate::Result<()> {
        crate::teardown::teardown(&self.paths, &record.id)?;
        self.records.update(&record.id, |r| {
            r.state.status = crate::Status::Exited;
            r.state.exit_code = Some(255);
            r.state.pid = None;
            r.state.monitor = None;
            r.state.is_restarting = false;
            r.state.is_paused = false;
            r.state.error =
                Some("its monitor was gone: the host restarted, or it was killed".into());
            r.state.finished_at = Some(crate::fsutil::now_rfc3339());
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_as_docker_spells_them() {
        for text in [
            "no",
            "always",
            "unless-stopped",
            "on-failure",
            "on-failure:3",
        ] {
            assert_eq!(text.parse::<RestartPolicy>().unwrap().to_string(), text);
        }
        assert_eq!(
            "on-failure:3"
                .parse::<RestartPolicy>()
                .unwrap()
                .maximum_retry_count,
            3
        );
        for bad in ["sometimes", "always:2", "on-failure:x", "on-failure:-1"] {
            assert!(bad.parse::<RestartPolicy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn on_failure_counts_and_a_manual_stop_wins() {
        let policy: RestartPolicy = "on-failure:2".parse().unwrap();
        assert!(policy.restarts_after(1, false, 0));
        assert!(policy.restarts_after(1, false, 1));
        assert!(!policy.restarts_after(1, false, 2));
        assert!(!policy.restarts_after(0, false, 0));
        let always: RestartPolicy = "always".parse().unwrap();
        assert!(always.restarts_after(0, false, 100));
        assert!(!always.restarts_after(0, true, 0));
    }

    #[test]
    fn system_start_brings_back_what_docker_would() {
        let parse = |t: &str| t.parse::<RestartPolicy>().unwrap();
        assert!(parse("always").starts_with_the_system(true, false));
        assert!(!parse("unless-stopped").starts_with_the_system(true, false));
        assert!(parse("unless-stopped").starts_with_the_system(false, false));
        assert!(parse("on-failure").starts_with_the_system(false, true));
        assert!(!parse("on-failure").starts_with_the_system(false, false));
        assert!(!parse("no").starts_with_the_system(false, true));
    }

    #[test]
    fn delays_double_and_reset_after_a_long_run() {
        let short = Duration::from_secs(1);
        assert_eq!(delay(0, short), Duration::from_millis(100));
        assert_eq!(delay(3, short), Duration::from_millis(800));
        assert_eq!(delay(30, short), Duration::from_secs(60));
        assert_eq!(
            delay(5, Duration::from_secs(11)),
            Duration::from_millis(100)
        );
    }
}
