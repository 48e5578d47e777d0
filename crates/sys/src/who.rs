//! Who/where records (SPEC §5 sesswho, sesswhere): each user's daemon keeps
//! one file in the who dir, named after the user and owned by them, listing
//! that user's sessions; anyone may read them all. A file whose owner is not
//! the user it is named after is ignored.

use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhoState {
    Connect,
    Disconnect,
    /// The program exited.
    Exit,
    /// The session was removed (killed, stopped and deleted).
    Cleanup,
}

impl WhoState {
    pub fn ended(self) -> bool {
        matches!(self, WhoState::Exit | WhoState::Cleanup)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoEntry {
    pub id: String,
    /// Milliseconds since the epoch.
    pub started: u64,
    pub master_pid: Option<u32>,
    pub state: WhoState,
    /// When the state last changed.
    pub changed: u64,
    /// Where the connection comes from, while connected.
    pub from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoFile {
    pub user: String,
    /// Ended sessions are only shown for the boot that saw them end.
    pub boot_id: String,
    pub sessions: Vec<WhoEntry>,
}

/// This boot's id (`/proc/sys/kernel/random/boot_id`).
pub fn boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// The name of the user running this process.
pub fn user_name() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map_or_else(|| nix::unistd::geteuid().to_string(), |u| u.name)
}

/// Writes the user's file atomically (a temporary file beside it, renamed).
pub fn publish(dir: &Path, file: &WhoFile) -> io::Result<()> {
    let tmp = dir.join(format!(".{}.tmp", file.user));
    let mut out = fs::File::create(&tmp)?;
    out.write_all(serde_json::to_string(file).map_err(io::Error::other)?.as_bytes())?;
    out.sync_all()?;
    fs::rename(&tmp, dir.join(&file.user))
}

/// Every user's file in `dir` whose owner matches its name; ended sessions
/// of other boots are dropped.
pub fn read_all(dir: &Path) -> io::Result<Vec<WhoFile>> {
    let boot = boot_id();
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let owner = nix::unistd::User::from_name(&name).ok().flatten().map(|u| u.uid.as_raw());
        if !meta.is_file() || owner != Some(meta.uid()) {
            continue;
        }
        let Ok(text) = fs::read_to_string(entry.path()) else { continue };
        let Ok(mut file) = serde_json::from_str::<WhoFile>(&text) else { continue };
        if file.user != name {
            continue;
        }
        if file.boot_id != boot {
            file.sessions.retain(|s| !s.state.ended());
        }
        files.push(file);
    }
    files.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(files)
}
