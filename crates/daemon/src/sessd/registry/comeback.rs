//! Coming back (SPEC §8): relaunching lost sessions at sessd's start, the
//! watch on each master and what follows a session's end (respawn, relaunch,
//! or settling its record), and checkpoints (`save-signal`, then each
//! running session's screen).

use super::super::wire;
use super::{
    Desired, MASTER_TIMEOUT, MAX_RESPAWNS, RESPAWN_WINDOW, Record, Registry, RestartStyle, Result,
    Start,
};
use crate::kernel_session;
use nix::unistd::Pid;
use sess_proto::{MasterRequest, Reply, SessionInfo};
use sess_sys::who::WhoState;
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

/// Why a session's program starts again without being asked to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Again {
    /// It was lost while running (sessd's start, its holder's death).
    ComeBack,
    /// It exited, and `restart-style` is `immediately`.
    Respawn,
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
            self.relaunch(&id, Again::ComeBack).await;
        }
    }

    /// Starts a lost session again: same id, name, cwd and env, its
    /// `restart-command` if set, its last checkpointed screen above the
    /// marker line. If it cannot start, a kept session stays `stopped` and
    /// a `sess` session is gone, as if its program had exited. A session
    /// that starts suspended comes back `waiting`, as it was created: its
    /// program starts when someone attaches (or `session start`).
    pub(super) async fn relaunch(self: &Arc<Self>, id: &str, again: Again) {
        let waits = self.book.lock().await.records.get(id).map(|r| r.attributes.start_suspended);
        if again == Again::ComeBack && waits == Some(true) {
            info!(id, "session's program is gone; start-suspended: it waits to be started");
            self.set_desired(id, Desired::Waiting).await;
            return;
        }
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

/// Watching masters: the end of each session, and what follows it.
impl Registry {
    /// Keeps an idle `Watch` connection to a master; its answer (or its
    /// hangup) means the session's program is over.
    pub(super) fn watch(self: &Arc<Self>, id: String, master: u32) {
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            let mut last = None;
            if let Ok(mut stream) = wire::dial(&registry.dirs.master_socket(&id)).await
                && wire::send(&mut stream, &MasterRequest::Watch).await.is_ok()
            {
                while let Ok(Reply::Session(info)) = wire::recv::<Reply>(&mut stream).await {
                    registry.who(|w| w.observed(&info));
                    last = Some(info);
                }
            }
            registry.who(|w| w.ended(&id, WhoState::Exit));
            // A master that dies without a last word closes its sockets
            // before it is gone: give it a moment to be.
            let pid = nix::unistd::Pid::from_raw(master as i32);
            let goodbye = last.as_ref().is_some_and(|last| last.exit_status.is_some());
            for _ in 0..100 {
                if goodbye || crate::kernel_session::ended(pid) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if let Some(again) = registry.ended(&id, master, last).await {
                registry.relaunch(&id, again).await;
            }
        });
    }

    /// A master has gone. When its program ended, kept sessions stay,
    /// `stopped`; others vanish. When the master died without a last word
    /// (killed, crashed: no exit status), the session was lost while
    /// running and comes back per `restart-style`, as at sessd's start.
    /// Some when the session is to be started again at once (`immediately`,
    /// or lost: the first run and at most 5 more within a minute).
    async fn ended(&self, id: &str, master: u32, last: Option<SessionInfo>) -> Option<Again> {
        let mut book = self.book.lock().await;
        if book.live.get(id) != Some(&master) {
            return None; // a newer master holds the session now
        }
        book.live.remove(id);
        if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            info!(id, "session ended while sessd stops; the next start brings it back");
            return None;
        }
        let record = book.records.get(id)?;
        // Without a last word from a master that has ended (a watch cut
        // while the master lives is no loss).
        let lost = last.as_ref().is_none_or(|last| last.exit_status.is_none())
            && crate::kernel_session::ended(nix::unistd::Pid::from_raw(master as i32));
        let respawn = if lost {
            comes_back(record)
        } else {
            record.keep
                && record.attributes.restart_style == RestartStyle::Immediately
                && matches!(record.desired, Desired::Running | Desired::Suspended)
        };
        if respawn {
            let now = std::time::Instant::now();
            let recent = book.respawns.entry(id.to_owned()).or_default();
            recent.retain(|t| now.duration_since(*t) < RESPAWN_WINDOW);
            if recent.len() < MAX_RESPAWNS {
                recent.push(now);
                return Some(if lost {
                    info!(id, "session's master is gone; the session comes back");
                    Again::ComeBack
                } else {
                    info!(id, "program exited; restart-style immediately respawns it");
                    Again::Respawn
                });
            }
            warn!(id, "respawned {MAX_RESPAWNS} times within a minute; leaving it stopped");
        }
        let record = book.records.get_mut(id).expect("looked up");
        if record.keep {
            // A program that was asked to stop has no exit status to show.
            let asked = record.desired == Desired::Stopped;
            record.desired = Desired::Stopped;
            if let Some(last) = last {
                record.exit_status = if asked { None } else { last.exit_status };
                record.last_use = last.last_use;
            }
            info!(id, status = ?record.exit_status, "session stopped");
            self.save(record);
        } else {
            info!(id, "session gone");
            book.records.remove(id);
            self.unsave(id);
        }
        None
    }
}
