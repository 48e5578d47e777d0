//! Where things live (SPEC §2), and the runtime-dir safety checks.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Runtime and state dirs of the system-wide daemon (`session -g`).
pub const SYSTEM_RUNTIME: &str = "/run/sess/system";
pub const SYSTEM_STATE: &str = "/var/lib/sess";

#[derive(Debug, Clone)]
pub struct Dirs {
    /// Sockets and the daemon lock; mode 0700.
    pub runtime: PathBuf,
    /// Records, screens and the daemon log.
    pub state: PathBuf,
    /// The user's config file (may not exist).
    pub config: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirError {
    #[error("cannot create {0}: {1}")]
    Create(PathBuf, io::Error),
    #[error("{0} is owned by uid {1}, not by us")]
    Owner(PathBuf, u32),
    #[error("{0} is writable by others (mode {1:o}); refusing to use it")]
    Mode(PathBuf, u32),
    #[error("{0} is not a directory")]
    NotDir(PathBuf),
}

fn env_path(key: &str) -> Option<PathBuf> {
    std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The system daemon's runtime and state dirs: [`SYSTEM_RUNTIME`] and
/// [`SYSTEM_STATE`], or `SESS_SYSTEM_RUNTIME_DIR` and
/// `SESS_SYSTEM_STATE_DIR` (for tests).
pub fn system_dirs() -> (PathBuf, PathBuf) {
    let runtime = env_path("SESS_SYSTEM_RUNTIME_DIR").unwrap_or_else(|| SYSTEM_RUNTIME.into());
    let state = env_path("SESS_SYSTEM_STATE_DIR").unwrap_or_else(|| SYSTEM_STATE.into());
    (runtime, state)
}

impl Dirs {
    /// Resolves the directories from the environment, without touching disk.
    pub fn from_env() -> Dirs {
        let uid = nix::unistd::geteuid().as_raw();
        let home = env_path("HOME").unwrap_or_else(|| PathBuf::from("/"));
        let runtime = env_path("SESS_RUNTIME_DIR")
            .or_else(|| env_path("XDG_RUNTIME_DIR").map(|d| d.join("sess")))
            .unwrap_or_else(|| PathBuf::from(format!("/tmp/sess-{uid}")));
        let state = env_path("SESS_STATE_DIR")
            .or_else(|| env_path("XDG_STATE_HOME").map(|d| d.join("sess")))
            .unwrap_or_else(|| home.join(".local/state/sess"));
        let config = env_path("SESS_CONFIG").or_else(|| {
            env_path("XDG_CONFIG_HOME")
                .or_else(|| env_path("HOME").map(|h| h.join(".config")))
                .map(|d| d.join("sess/config.toml"))
        });
        Dirs { runtime, state, config }
    }

    /// Whether these are the system-wide daemon's dirs.
    pub fn is_system(&self) -> bool {
        self.runtime == system_dirs().0
    }

    pub fn daemon_socket(&self) -> PathBuf {
        self.runtime.join("sessd.sock")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.runtime.join("sessd.pid")
    }

    pub fn masters(&self) -> PathBuf {
        self.runtime.join("s")
    }

    pub fn master_socket(&self, id: &str) -> PathBuf {
        self.masters().join(format!("{id}.sock"))
    }

    pub fn log_file(&self) -> PathBuf {
        self.state.join("sessd.log")
    }

    /// Creates the runtime dir (and `s/`) if missing, and refuses one that
    /// another user owns or others can write.
    pub fn ensure_runtime(&self) -> Result<(), DirError> {
        ensure_private_dir(&self.runtime)?;
        ensure_private_dir(&self.masters())
    }

    /// Creates the state dir if missing.
    pub fn ensure_state(&self) -> Result<(), DirError> {
        ensure_private_dir(&self.state)
    }
}

/// Creates `dir` with mode 0700 (parents too) unless it exists; then checks
/// that it is a directory we own that nobody else can write.
pub fn ensure_private_dir(dir: &Path) -> Result<(), DirError> {
    match fs::DirBuilder::new().recursive(true).mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(DirError::Create(dir.to_owned(), e)),
    }
    let meta = fs::metadata(dir).map_err(|e| DirError::Create(dir.to_owned(), e))?;
    if !meta.is_dir() {
        return Err(DirError::NotDir(dir.to_owned()));
    }
    let uid = nix::unistd::geteuid().as_raw();
    if meta.uid() != uid {
        return Err(DirError::Owner(dir.to_owned(), meta.uid()));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(DirError::Mode(dir.to_owned(), mode));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dir_is_created_0700_and_writable_dirs_refused() {
        let top = std::env::temp_dir().join(format!("sess-paths-{}", std::process::id()));
        let dir = top.join("a/b");
        ensure_private_dir(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(ensure_private_dir(&dir), Err(DirError::Mode(_, 0o777))));
        fs::remove_dir_all(&top).unwrap();
    }

    #[test]
    fn the_system_daemon_is_known_by_its_runtime_dir() {
        let dirs =
            |runtime: &str| Dirs { runtime: runtime.into(), state: "/s".into(), config: None };
        assert!(dirs(SYSTEM_RUNTIME).is_system());
        assert!(!dirs("/run/user/1000/sess").is_system());
    }
}
