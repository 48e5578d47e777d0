//! The daemon side of sess: `sessd` and the per-session master.
//!
//! - [`sessd`]: the registry daemon (tokio): ids, names, starting and
//!   adopting masters, answering control requests.
//! - [`master`]: one process per session (a plain poll loop): the pty, the
//!   program, the user's terminal while connected.
//! - [`ids`]: session ids and names.
//! - [`kernel_session`]: the processes of a session, from /proc.
//! - [`log`]: where the daemon's logs go.
//!
//! Both roles live in the `sessd` binary: sessd starts each master as
//! `sessd --master`.

#![forbid(unsafe_code)]

pub mod ids;
pub mod kernel_session;
pub mod log;
pub mod master;
pub mod sessd;

use sess_sys::paths::Dirs;

/// A fatal error: one line, status 2.
#[derive(Debug)]
pub struct Fatal(pub String);

impl Fatal {
    pub fn msg(e: impl std::fmt::Display) -> Fatal {
        Fatal(e.to_string())
    }
}

/// Runs one session's master (`sess-master`, or `sessd --master`); returns
/// the exit status.
pub fn master_main() -> i32 {
    use std::io::IsTerminal;
    if sess_sys::os::stdin().is_terminal() {
        eprintln!("sess-master: fatal: sessd starts this, with a session to hold on its stdin");
        return 2;
    }
    // Inherited from sessd's starter, as for sessd (see `main`).
    let _ = nix::sys::signal::SigSet::empty().thread_set_mask();
    let dirs = Dirs::from_env();
    log::init_master(&dirs);
    match master::run(&dirs) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!(error = %e, "master failed");
            1
        }
    }
}

/// Runs `sessd` (or, with `master`, one session's master); returns the
/// exit status.
pub fn main(foreground: bool, master: bool) -> i32 {
    if master {
        return master_main();
    }
    // A client that starts sessd from a terminal blocks SIGTERM, SIGHUP and
    // SIGWINCH for its signalfd, and the mask survives exec: a daemon
    // inheriting it would never see the SIGTERM of an orderly shutdown.
    let _ = nix::sys::signal::SigSet::empty().thread_set_mask();
    sess_sys::os::close_inherited_fds();
    let dirs = Dirs::from_env();
    match sessd::run(&dirs, foreground) {
        Ok(()) => 0,
        Err(Fatal(msg)) => {
            eprintln!("sessd: fatal: {msg}");
            2
        }
    }
}
