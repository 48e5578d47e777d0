//! Talking to sessd: connect, starting it first when it is not running.

use crate::fatal::Failure;
use sess_proto::{Reply, Request};
use sess_sys::paths::Dirs;
use sess_sys::wire::{Conn, WireError};
use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a client waits for a daemon it started to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Daemon {
    conn: Conn,
}

fn not_running(e: &WireError) -> bool {
    matches!(e, WireError::Io(e) if matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
    ))
}

impl Daemon {
    /// Connects to the user's sessd, starting one if none runs.
    pub fn connect(dirs: &Dirs) -> Result<Daemon, Failure> {
        dirs.ensure_runtime()?;
        let socket = dirs.daemon_socket();
        match Conn::connect(&socket) {
            Ok(conn) => return Ok(Daemon { conn }),
            Err(e) if not_running(&e) => {}
            Err(e) => return Err(Failure::fatal(format!("cannot talk to sessd: {e}"))),
        }
        start()?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match Conn::connect(&socket) {
                Ok(conn) => return Ok(Daemon { conn }),
                Err(e) if not_running(&e) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(Failure::fatal(format!("cannot talk to sessd: {e}"))),
            }
        }
    }

    pub fn call(&mut self, request: &Request) -> Result<Reply, Failure> {
        self.conn.call(request).map_err(|e| Failure::fatal(format!("lost sessd: {e}")))
    }
}

/// The `sessd` next to this program, else the one on `PATH`.
fn sessd_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("sessd")))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("sessd"))
}

/// Starts sessd in the background and waits until it listens. Another
/// client starting one at the same moment is fine.
fn start() -> Result<(), Failure> {
    let path = sessd_path();
    let out = Command::new(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| Failure::fatal(format!("cannot start {}: {e}", path.display())))?;
    let said = String::from_utf8_lossy(&out.stderr);
    if out.status.success() || said.contains("already running") {
        return Ok(());
    }
    let reason = said.lines().next().unwrap_or("").trim_start_matches("sessd: fatal: ");
    Err(Failure::fatal(format!("cannot start sessd: {reason}")))
}
