//! sessd: the per-user registry of sessions.
//!
//! - [`lock`]: one daemon per runtime dir.
//! - [`record`], [`store`]: session records and their files.
//! - [`attrs`]: attributes as `session get`/`set` see them.
//! - [`registry`]: records, live masters, the process-manager verbs; its
//!   `comeback` module relaunches lost sessions and takes checkpoints, its
//!   `definition` module gets and sets attributes, exports and imports.
//! - [`spawn`]: starting a master.
//! - [`who`]: publishing this user's who/where record.
//! - [`server`]: the socket and its requests.
//! - [`wire`]: async framing.
//!
//! sessd is never in a terminal's data path: it starts masters and answers
//! control requests. Killing it loses nothing; the next one adopts the
//! masters it finds in `RUNTIME/s/`.

mod attrs;
mod lock;
mod record;
mod registry;
mod server;
mod spawn;
mod store;
mod who;
mod wire;

use crate::Fatal;
use lock::PidLock;
use nix::unistd::ForkResult;
use registry::Registry;
use sess_sys::config::Config;
use sess_sys::paths::Dirs;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use tracing::info;

/// Runs sessd. Without `foreground` it forks into the background and the
/// caller's process returns once the daemon listens (or failed to).
pub fn run(dirs: &Dirs, foreground: bool) -> Result<(), Fatal> {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    dirs.ensure_runtime().map_err(Fatal::msg)?;
    dirs.ensure_state().map_err(Fatal::msg)?;
    let config = Config::load(dirs.config.as_deref()).map_err(Fatal::msg)?;
    let mut lock = PidLock::acquire(&dirs.pid_file()).map_err(Fatal::msg)?;

    let ready = if foreground {
        None
    } else {
        let (read, write) = nix::unistd::pipe().map_err(Fatal::msg)?;
        match sess_sys::os::fork().map_err(Fatal::msg)? {
            ForkResult::Parent { .. } => {
                drop(write);
                // The lock is shared with the daemon; unlocking it here would
                // release it for both.
                std::mem::forget(lock);
                return wait_ready(std::fs::File::from(read));
            }
            ForkResult::Child => {
                drop(read);
                let _ = nix::unistd::setsid();
                Some(std::fs::File::from(write))
            }
        }
    };
    lock.write_pid().map_err(Fatal::msg)?;
    crate::log::init(dirs, foreground);

    let socket = dirs.daemon_socket();
    // We hold the lock, so any socket file here is a dead daemon's.
    let _ = std::fs::remove_file(&socket);
    let listener = std::os::unix::net::UnixListener::bind(&socket)
        .map_err(|e| Fatal::msg(format!("cannot listen on {}: {e}", socket.display())))?;
    let _ = std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600));
    listener.set_nonblocking(true).map_err(Fatal::msg)?;
    info!(pid = std::process::id(), socket = %socket.display(), "sessd listening");

    if let Some(mut ready) = ready {
        let _ = ready.write_all(b"ok");
        drop(ready);
        quiet_stdio();
    }

    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(Fatal::msg)?;
    let registry = Arc::new(Registry::open(dirs.clone(), config.max_sessions).map_err(Fatal::msg)?);
    runtime.block_on(async {
        let listener = tokio::net::UnixListener::from_std(listener).map_err(Fatal::msg)?;
        registry.adopt().await;
        tokio::select! {
            () = server::serve(listener, Arc::clone(&registry)) => {}
            () = shutdown() => {
                // An orderly stop (or the system's shutdown) is a checkpoint.
                registry.stop();
                info!("sessd stopping: checkpointing; sessions keep running");
                let _ = registry.checkpoint(None).await;
            }
        }
        Ok::<(), Fatal>(())
    })?;
    drop(lock);
    Ok(())
}

/// The parent's side of the fork: wait until the daemon listens.
fn wait_ready(mut pipe: std::fs::File) -> Result<(), Fatal> {
    let mut answer = Vec::new();
    let _ = pipe.read_to_end(&mut answer);
    if answer == b"ok" { Ok(()) } else { Err(Fatal::msg("the daemon did not start; see its log")) }
}

/// Once in the background, stdin and stdout go nowhere; errors go to the log.
fn quiet_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(null.as_fd());
        let _ = nix::unistd::dup2_stdout(null.as_fd());
        let _ = nix::unistd::dup2_stderr(null.as_fd());
    }
}

async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    // SIGHUP must not stop a daemon started from a terminal.
}
