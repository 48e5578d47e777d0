//! Who/where records (SPEC §5 sesswho, sesswhere): each user's daemon keeps
//! one file in the who dir, named after the user and owned by them, listing
//! that user's sessions; anyone may read them all. A file whose owner is not
//! the user it is named after is ignored.

use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
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

/// Writes the user's file atomically: a temporary file of this process
/// beside it (created new, never through a link someone else planted in the
/// shared dir), readable by all, renamed over the old one.
pub fn publish(dir: &Path, file: &WhoFile) -> io::Result<()> {
    let tmp = dir.join(format!(".{}.{}.tmp", file.user, std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut out = fs::OpenOptions::new().write(true).create_new(true).mode(0o644).open(&tmp)?;
    let written = (|| {
        // The daemon's umask is strict; the record is for everyone to read.
        out.set_permissions(fs::Permissions::from_mode(0o644))?;
        out.write_all(serde_json::to_string(file).map_err(io::Error::other)?.as_bytes())?;
        out.sync_all()?;
        fs::rename(&tmp, dir.join(&file.user))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// A user's file larger than this is not read (a record takes ~150 bytes
/// per session).
const MAX_FILE: u64 = 4 << 20;

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
        let Some(mut file) = read_one(&entry.path(), &name) else { continue };
        if file.boot_id != boot {
            file.sessions.retain(|s| !s.state.ended());
        }
        files.push(file);
    }
    files.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(files)
}

/// The file `path` of user `name`, if it is a plain file (opened without
/// following a link or blocking on a fifo), owned by that user, of a sane
/// size, and names that user inside.
fn read_one(path: &Path, name: &str) -> Option<WhoFile> {
    let owner = nix::unistd::User::from_name(name).ok().flatten()?.uid.as_raw();
    let flags = nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK;
    let mut handle =
        fs::OpenOptions::new().read(true).custom_flags(flags.bits()).open(path).ok()?;
    let meta = handle.metadata().ok()?;
    if !meta.is_file() || meta.uid() != owner || meta.len() > MAX_FILE {
        return None;
    }
    let mut text = String::new();
    Read::by_ref(&mut handle).take(MAX_FILE).read_to_string(&mut text).ok()?;
    let file: WhoFile = serde_json::from_str(&text).ok()?;
    (file.user == name).then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(user: &str) -> WhoFile {
        let entry = WhoEntry {
            id: "p0".into(),
            started: 1,
            master_pid: Some(2),
            state: WhoState::Exit,
            changed: 3,
            from: None,
        };
        WhoFile { user: user.into(), boot_id: boot_id(), sessions: vec![entry] }
    }

    #[test]
    fn published_files_are_read_back_and_links_fifos_and_strangers_skipped() {
        let dir = std::env::temp_dir().join(format!("sess-who-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let me = user_name();
        publish(&dir, &file(&me)).unwrap();
        let mode = fs::metadata(dir.join(&me)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(read_all(&dir).unwrap(), [file(&me)]);
        // Our file under another user's name, a link and a fifo: skipped.
        let other = if me == "root" { "daemon" } else { "root" };
        fs::copy(dir.join(&me), dir.join(other)).unwrap();
        std::os::unix::fs::symlink(dir.join(&me), dir.join("bin")).unwrap();
        nix::unistd::mkfifo(&dir.join("sys"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(read_all(&dir).unwrap(), [file(&me)]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
