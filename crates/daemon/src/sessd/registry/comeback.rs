//! Coming back (SPEC §8): relaunching lost sessions at sessd's start, and
//! checkpoints (`save-signal`, then each running session's screen).

use super::{Desired, MASTER_TIMEOUT, Record, Registry, RestartStyle, Result, Start};
use crate::kernel_session;
use nix::unistd::Pid;
use sess_proto::{MasterRequest, Reply};
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// How long a checkpoint waits for programs to act on `save-signal`.
const SAVE_WAIT: Duration = Duration::from_secs(5);

/// Whether a session whose program was lost (not ended: its holder died)
/// comes back, by its `restart-style` (`sess` sessions: `if-running`).
pub(super) fn comes_back(record: &Record) -> bool {
    let style = if record.keep { record.attributes.restart_style } else { RestartStyle::IfRunning };
    match (record.desired, style) {
        (Desired::Waiting, _) => false,
        (_, RestartStyle::Anyway) => true,
        (_, RestartStyle::Never) | (Desired::Stopped, _) => false,
        _ => true,
    }
}

impl Registry {
    /// Brings back the sessions whose program is gone and whose
    /// `restart-style` says so (SPEC §8); the others stay `stopped`.
    pub(super) async fn reconcile(self: &Arc<Self>) {
        let mut relaunch = Vec::new();
        {
            let mut book = self.book.lock().await;
            let orphans: Vec<String> =
                book.records.keys().filter(|id| !book.live.contains_key(*id)).cloned().collect();
            for id in orphans {
                let record = book.records.get_mut(&id).expect("listed");
                if comes_back(record) {
                    relaunch.push(id);
                } else if matches!(record.desired, Desired::Running | Desired::Suspended) {
                    info!(id, "session's program is gone; restart-style keeps it stopped");
                    record.desired = Desired::Stopped;
                    self.save(record);
                }
            }
        }
        for id in relaunch {
            self.relaunch(&id).await;
        }
    }

    /// Starts a lost session again: same id, name, cwd and env, its
    /// `restart-command` if set, its last checkpointed screen above the
    /// marker line. If it cannot start, a kept session stays `stopped` and
    /// a `sess` session is gone, as if its program had exited.
    pub(super) async fn relaunch(self: &Arc<Self>, id: &str) {
        // Running before the program is: an at-once exit settles it as such.
        self.set_desired(id, Desired::Running).await;
        let Some(record) = self.book.lock().await.records.get(id).cloned() else { return };
        let marker = format!(
            "\x1b[0m[sess: session restored after restart at {}]\r\n",
            sess_sys::rfc3339(sess_sys::now_ms())
        );
        let restore = self.store.screen(id).unwrap_or_default() + &marker;
        match self.launch(&record, Start::Relaunch { restore }).await {
            Ok(_) => info!(id, name = %record.name, "session relaunched"),
            Err(refusal) if record.keep => {
                warn!(id, ?refusal, "cannot relaunch the session; it stays stopped");
                self.set_desired(id, Desired::Stopped).await;
            }
            Err(refusal) => {
                warn!(id, ?refusal, "cannot relaunch the session; it is gone");
                self.book.lock().await.records.remove(id);
                self.unsave(id);
            }
        }
    }

    /// A checkpoint (SPEC §8): `save-signal` to the sessions that set one,
    /// a wait (up to 5 s, until their output is quiet), then every
    /// session's screen is stored for a relaunch to show.
    pub async fn checkpoint(&self, target: Option<&str>) -> Result<()> {
        // A session without a program keeps its last checkpoint.
        let only = match target {
            Some(target) => Some(self.lookup(target).await?),
            None => None,
        };
        let ids: Vec<String> = {
            let book = self.book.lock().await;
            book.live.keys().filter(|id| only.as_ref().is_none_or(|o| o == *id)).cloned().collect()
        };
        let mut signalled = Vec::new();
        for id in &ids {
            let signal = self.book.lock().await.records.get(id).and_then(|r| {
                r.attributes.save_signal.as_ref().and_then(|s| format!("SIG{s}").parse().ok())
            });
            if let (Some(sig), Some(info)) = (signal, self.live_info(id).await)
                && let Some(pid) = info.pid
            {
                kernel_session::signal_all(Pid::from_raw(pid as i32), sig);
                signalled.push(id.clone());
            }
        }
        self.wait_quiet(&signalled).await;
        for id in &ids {
            match self.call_master(id, &MasterRequest::Checkpoint, MASTER_TIMEOUT).await {
                Ok(Reply::Text(screen)) => {
                    if let Err(e) = self.store.save_screen(id, &screen) {
                        warn!(id, error = %e, "cannot store the checkpointed screen");
                    }
                }
                other => warn!(id, answer = ?other, "no checkpoint from the session"),
            }
        }
        Ok(())
    }

    /// Waits until none of `ids` has made output for a moment, or
    /// [`SAVE_WAIT`] has passed.
    async fn wait_quiet(&self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        let quiet = Duration::from_millis(300);
        let deadline = tokio::time::Instant::now() + SAVE_WAIT;
        let mut last = Vec::new();
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(quiet).await;
            let mut now = Vec::new();
            for id in ids {
                now.push(self.live_info(id).await.map(|i| i.last_use));
            }
            if now == last {
                return;
            }
            last = now;
        }
    }
}
