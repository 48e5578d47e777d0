//! Publishing this user's who/where record (`WHO_DIR/USER`), rewritten on
//! every start, connect, disconnect and end of a session. Nothing is
//! published when the administrator turned it off (`who = false`) or the
//! who dir does not exist.

use sess_proto::SessionInfo;
use sess_sys::config::SystemConfig;
use sess_sys::who::{self, WhoEntry, WhoFile, WhoState};
use std::path::PathBuf;
use tracing::{info, warn};

/// Ended sessions kept for `sesswho -l` / `sesswhere -l`.
const KEEP_ENDED: usize = 100;

pub struct Who {
    dir: PathBuf,
    file: WhoFile,
}

impl Who {
    /// The publisher, if publishing is on and the who dir exists. Ended
    /// sessions of this boot published by an earlier daemon are kept.
    pub fn open() -> Option<Who> {
        let config = match SystemConfig::load() {
            Ok(config) => config,
            Err(e) => {
                warn!(error = %e, "cannot read the system config; publishing no who records");
                return None;
            }
        };
        if !config.who || !config.who_dir.is_dir() {
            info!(dir = %config.who_dir.display(), enabled = config.who, "no who records");
            return None;
        }
        let user = who::user_name();
        let boot_id = who::boot_id();
        let ended = who::read_all(&config.who_dir)
            .unwrap_or_default()
            .into_iter()
            .find(|f| f.user == user && f.boot_id == boot_id)
            .map(|f| f.sessions.into_iter().filter(|s| s.state.ended()).collect())
            .unwrap_or_default();
        let who = Who { dir: config.who_dir, file: WhoFile { user, boot_id, sessions: ended } };
        who.publish();
        Some(who)
    }

    fn publish(&self) {
        if let Err(e) = who::publish(&self.dir, &self.file) {
            warn!(dir = %self.dir.display(), error = %e, "cannot publish the who record");
        }
    }

    fn live(&mut self, id: &str) -> Option<&mut WhoEntry> {
        self.file.sessions.iter_mut().find(|s| s.id == id && !s.state.ended())
    }

    /// A session's program has started under a master.
    pub fn started(&mut self, id: &str, master_pid: Option<u32>) {
        let now = sess_sys::now_ms();
        self.file.sessions.retain(|s| s.id != id || s.state.ended());
        self.file.sessions.push(WhoEntry {
            id: id.to_owned(),
            started: now,
            master_pid,
            state: WhoState::Disconnect,
            changed: now,
            from: None,
        });
        self.publish();
    }

    /// A master reported its facts: connected (from where) or not.
    pub fn observed(&mut self, info: &SessionInfo) {
        let state = if info.connected { WhoState::Connect } else { WhoState::Disconnect };
        let Some(entry) = self.live(&info.id) else { return };
        if entry.state == state && entry.from == info.connected_from {
            return;
        }
        entry.state = state;
        entry.from = if info.connected { info.connected_from.clone() } else { None };
        entry.changed = sess_sys::now_ms();
        self.publish();
    }

    /// A session's program ended (`Exit`) or the session was removed
    /// (`Cleanup`).
    pub fn ended(&mut self, id: &str, how: WhoState) {
        let now = sess_sys::now_ms();
        match self.live(id) {
            Some(entry) => {
                entry.state = how;
                entry.changed = now;
                entry.from = None;
            }
            None if how == WhoState::Cleanup => {
                // Removed after its program had ended: the end was a cleanup.
                match self.file.sessions.iter_mut().rev().find(|s| s.id == id) {
                    Some(entry) => entry.state = how,
                    None => return,
                }
            }
            None => return,
        }
        let ended = self.file.sessions.iter().filter(|s| s.state.ended()).count();
        if ended > KEEP_ENDED {
            let mut drop = ended - KEEP_ENDED;
            self.file.sessions.retain(|s| {
                let old = s.state.ended() && drop > 0;
                drop -= usize::from(old);
                !old
            });
        }
        self.publish();
    }
}
