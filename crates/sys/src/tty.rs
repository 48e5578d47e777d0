//! The user's terminal: raw mode that is always undone.
//!
//! [`RawMode`] saves the terminal modes and the file status flags of stdin
//! and stdout (the master sets `O_NONBLOCK` on the fds it is handed), and
//! puts them back exactly on [`RawMode::restore`] and on drop.

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::termios::{SetArg, Termios, cfmakeraw, tcgetattr, tcsetattr};
use std::io::Write;
use std::os::fd::BorrowedFd;

pub use crate::os::{stdin, stdout};

fn get_flags(fd: BorrowedFd<'_>) -> Option<OFlag> {
    fcntl(fd, FcntlArg::F_GETFL).ok().map(OFlag::from_bits_retain)
}

pub struct RawMode {
    saved: Termios,
    stdin_flags: Option<OFlag>,
    stdout_flags: Option<OFlag>,
    raw: bool,
}

impl RawMode {
    /// Saves the modes of the terminal on stdin; does not change them yet.
    pub fn save() -> nix::Result<RawMode> {
        Ok(RawMode {
            saved: tcgetattr(stdin())?,
            stdin_flags: get_flags(stdin()),
            stdout_flags: get_flags(stdout()),
            raw: false,
        })
    }

    pub fn is_raw(&self) -> bool {
        self.raw
    }

    /// Puts the terminal in raw mode.
    pub fn enter(&mut self) -> nix::Result<()> {
        let mut raw = self.saved.clone();
        cfmakeraw(&mut raw);
        tcsetattr(stdin(), SetArg::TCSADRAIN, &raw)?;
        self.raw = true;
        Ok(())
    }

    /// Puts back exactly the modes and flags saved at the start.
    pub fn restore(&mut self) {
        if let Some(flags) = self.stdin_flags {
            let _ = fcntl(stdin(), FcntlArg::F_SETFL(flags));
        }
        if let Some(flags) = self.stdout_flags {
            let _ = fcntl(stdout(), FcntlArg::F_SETFL(flags));
        }
        let _ = tcsetattr(stdin(), SetArg::TCSADRAIN, &self.saved);
        self.raw = false;
    }

    /// Writes one line to stderr, ending it with CR LF while raw.
    pub fn say(&self, line: &str) {
        say(line, self.raw);
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        self.restore();
    }
}

/// Writes one line to stderr; `raw` ends it with CR LF.
pub fn say(line: &str, raw: bool) {
    let end = if raw { "\r\n" } else { "\n" };
    let _ = write!(std::io::stderr().lock(), "{line}{end}");
}
