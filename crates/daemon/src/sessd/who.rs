//! Publishing this user's who/where record (`WHO_DIR/USER`), rewritten on
//! every start, connect, disconnect and end of a session. The system config
//! is read at every write: nothing is published while the administrator has
//! it turned off (`who = false`) or the who dir does not exist, and a who
//! dir created (or moved with `who-dir`) later is used from then on. The
//! system-wide daemon (`session -g`) publishes nothing: its sessions are
//! services, not anyone's login, and its file would be root's, the one
//! root's own daemon writes.

use sess_proto::SessionInfo;
use sess_sys::config::SystemConfig;
use sess_sys::who::{self, WhoEntry, WhoFile, WhoState};
use tracing::info;

/// Ended sessions kept for `sesswho -l` / `sesswhere -l`.
const KEEP_ENDED: usize = 100;

pub struct Who {
    file: WhoFile,
    /// Live sessions an earlier daemon of this boot published, waiting to be
    /// adopted (same id and master pid) or settled as ended.
    earlier: Vec<WhoEntry>,
    /// Why the last write did not happen, to log each reason once.
    quiet: Option<String>,
    /// The system-wide daemon's publisher, which writes nothing.
    system: bool,
}

impl Who {
    /// The publisher. What an earlier daemon of this boot published is
    /// carried over: its ended sessions, and its live ones until
    /// [`Who::started`] adopts them or [`Who::settle`] ends them.
    pub fn open(dirs: &sess_sys::paths::Dirs) -> Who {
        let user = who::user_name();
        let boot_id = who::boot_id();
        let system = dirs.is_system();
        let earlier = SystemConfig::load()
            .ok()
            .filter(|c| c.who && !system)
            .and_then(|c| who::read_all(&c.who_dir).ok())
            .unwrap_or_default()
            .into_iter()
            .find(|f| f.user == user && f.boot_id == boot_id)
            .map(|f| f.sessions)
            .unwrap_or_default();
        let (ended, live) = earlier.into_iter().partition(|s| s.state.ended());
        let file = WhoFile { user, boot_id, sessions: ended };
        Who { file, earlier: live, quiet: None, system }
    }

    fn publish(&mut self) {
        if self.system {
            return self.skip("the system-wide daemon publishes no who record".into());
        }
        let config = match SystemConfig::load() {
            Ok(config) => config,
            Err(e) => return self.skip(format!("cannot read the system config: {e}")),
        };
        if !config.who {
            return self.skip("session reporting is disabled on this system".into());
        }
        match who::publish(&config.who_dir, &self.file) {
            Ok(()) => self.quiet = None,
            Err(e) => self.skip(format!("cannot publish in {}: {e}", config.who_dir.display())),
        }
    }

    fn skip(&mut self, why: String) {
        if self.quiet.as_ref() != Some(&why) {
            info!(reason = %why, "no who record");
            self.quiet = Some(why);
        }
    }

    fn live(&mut self, id: &str) -> Option<&mut WhoEntry> {
        self.file.sessions.iter_mut().find(|s| s.id == id && !s.state.ended())
    }

    /// A session's program has started under a master, or a new daemon
    /// adopted it (then the earlier daemon's entry, with its start time and
    /// last change, is kept).
    pub fn started(&mut self, id: &str, master_pid: Option<u32>) {
        let now = sess_sys::now_ms();
        self.file.sessions.retain(|s| s.id != id || s.state.ended());
        let earlier = self.earlier.iter().position(|s| s.id == id && s.master_pid == master_pid);
        let entry = match earlier {
            Some(i) => self.earlier.remove(i),
            None => WhoEntry {
                id: id.to_owned(),
                started: now,
                master_pid,
                state: WhoState::Disconnect,
                changed: now,
                from: None,
            },
        };
        self.file.sessions.push(entry);
        self.publish();
    }

    /// After adoption: the earlier daemon's live sessions that were not
    /// adopted lost their master while no daemon watched; they ended.
    pub fn settle(&mut self) {
        if self.earlier.is_empty() {
            return self.publish();
        }
        let now = sess_sys::now_ms();
        for mut entry in std::mem::take(&mut self.earlier) {
            entry.state = WhoState::Exit;
            entry.changed = now;
            entry.from = None;
            self.file.sessions.push(entry);
        }
        self.trim();
        self.publish();
    }

    /// A master reported its facts: connected (from where) or not.
    pub fn observed(&mut self, info: &SessionInfo) {
        let state = if info.connected { WhoState::Connect } else { WhoState::Disconnect };
        let Some(entry) = self.live(&info.id) else { return };
        let from = if info.connected { info.connected_from.clone() } else { None };
        if entry.state == state && entry.from == from {
            return;
        }
        entry.state = state;
        entry.from = from;
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
                    Some(entry) => {
                        entry.state = how;
                        entry.changed = now;
                    }
                    None => return,
                }
            }
            None => return,
        }
        self.trim();
        self.publish();
    }

    /// Keeps the last [`KEEP_ENDED`] ended sessions.
    fn trim(&mut self) {
        let ended = self.file.sessions.iter().filter(|s| s.state.ended()).count();
        let mut drop = ended.saturating_sub(KEEP_ENDED);
        self.file.sessions.retain(|s| {
            let old = s.state.ended() && drop > 0;
            drop -= usize::from(old);
            !old
        });
    }
}
