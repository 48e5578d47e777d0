//! One sessd per runtime dir: an exclusive flock on `sessd.pid`, which
//! also holds the running daemon's pid.

use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("already running (pid {0})")]
    Running(String),
    #[error("cannot open {0}: {1}")]
    Io(String, io::Error),
}

/// Holds the lock for as long as it lives (across fork, too).
pub struct PidLock {
    file: Flock<File>,
}

impl PidLock {
    pub fn acquire(path: &Path) -> Result<PidLock, LockError> {
        let io_err = |e| LockError::Io(path.display().to_string(), e);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err)?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(file) => Ok(PidLock { file }),
            Err((mut file, _)) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                Err(LockError::Running(pid.trim().to_owned()))
            }
        }
    }

    /// Records the daemon's pid (after it has forked into the background).
    pub fn write_pid(&mut self) -> io::Result<()> {
        let pid = std::process::id();
        self.file.set_len(0)?;
        self.file.rewind()?;
        writeln!(*self.file, "{pid}")?;
        self.file.flush()
    }
}
