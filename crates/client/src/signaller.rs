//! The signaller: the client that owns a connection between the user's
//! terminal and a session.
//!
//! It puts the terminal in raw mode and hands its stdin and stdout to the
//! session's master (SCM_RIGHTS); from then on the master does all terminal
//! I/O and no byte passes through here. The signaller forwards window-size
//! changes, holds the connection's pending reconnect and follows it when
//! the session disconnects or ends, restores the terminal on every way
//! out, and returns the program's exit status.

use crate::daemon::Daemon;
use crate::fatal::{ELSEWHERE, Failure, NO_TARGET};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use sess_proto::{
    AttachSpec, End, Event, MasterRequest, Pending, Refusal, Reply, Request, SignallerMsg, WinSize,
};
use sess_sys::config::Config;
use sess_sys::os::{stdin, stdout, window_size};
use sess_sys::paths::Dirs;
use sess_sys::tty::RawMode;
use sess_sys::wire::Conn;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// The size assumed when the terminal does not say.
const FALLBACK_SIZE: WinSize = WinSize { rows: 24, cols: 80 };

/// How a connection ended, as the signaller saw it.
enum Over {
    Ended(End),
    /// SIGHUP or SIGTERM: leave without following any pending reconnect.
    Hangup,
}

pub struct Signaller {
    dirs: Dirs,
    config: Config,
    raw: RawMode,
    signals: SignalFd,
}

impl Signaller {
    /// Checks that stdin is a terminal and saves its modes.
    pub fn new(dirs: Dirs) -> Result<Signaller, Failure> {
        if !nix::unistd::isatty(stdin()).unwrap_or(false) {
            return Err(Failure::fatal("standard input is not a terminal"));
        }
        let config = Config::load(dirs.config.as_deref())?;
        let raw = RawMode::save()?;
        let mut mask = SigSet::empty();
        for sig in [Signal::SIGWINCH, Signal::SIGHUP, Signal::SIGTERM] {
            mask.add(sig);
        }
        mask.thread_block()?;
        let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        Ok(Signaller { dirs, config, raw, signals })
    }

    pub fn dirs(&self) -> &Dirs {
        &self.dirs
    }

    fn say(&self, line: &str) {
        self.raw.say(line);
    }

    fn info(&self, text: &str) {
        self.say(&format!("{}: info: {text}", sess_sys::prog_name()));
    }

    /// Shows `prompt` and waits for Enter (true) or ^C, ^D or end of input
    /// (false), in raw mode (entered before the prompt shows, so an early
    /// answer is read, not turned into a signal).
    pub fn confirm(&mut self, prompt: &str) -> bool {
        if self.raw.enter().is_err() {
            return false;
        }
        eprint!("{prompt}");
        let mut byte = [0u8; 1];
        let answer = loop {
            match nix::unistd::read(stdin(), &mut byte) {
                Ok(1) if matches!(byte[0], b'\r' | b'\n') => break true,
                Ok(1) if matches!(byte[0], 0x03 | 0x04) => break false,
                Ok(1) => {}
                Err(nix::errno::Errno::EINTR) => {}
                _ => break false,
            }
        };
        self.raw.restore();
        eprintln!();
        answer
    }

    /// Puts the terminal in raw mode now, so that what is typed from here on
    /// is read as keys (not echoed or edited by the terminal); false if it
    /// cannot be.
    pub fn enter_raw(&mut self) -> bool {
        self.raw.enter().is_ok()
    }

    /// Reads an answer of at most `max` characters in raw mode, echoing it
    /// as [`crate::menu::Answer`] says; end of input is an empty answer.
    pub fn read_answer(&mut self, max: usize) -> String {
        if self.raw.enter().is_err() {
            return String::new();
        }
        let mut answer = crate::menu::Answer::default();
        let mut byte = [0u8; 1];
        while !answer.done {
            match nix::unistd::read(stdin(), &mut byte) {
                Ok(1) => {
                    let echo = answer.key(byte[0], max);
                    let _ = nix::unistd::write(stdout(), &echo);
                }
                Err(nix::errno::Errno::EINTR) => {}
                _ => {
                    answer.text.clear();
                    break;
                }
            }
        }
        self.raw.restore();
        answer.text
    }

    /// Connects to `target` and stays with the terminal until the last
    /// session it follows is done. `announce` prints the reconnect lines.
    pub fn follow(mut self, mut target: String, mut force: bool, mut announce: bool) -> i32 {
        loop {
            if announce {
                self.info(&format!("reconnecting to {target}"));
            }
            let mut conn = match self.connect(&target, force) {
                Ok(conn) => conn,
                Err(failure) => {
                    self.raw.restore();
                    self.say(&failure.line());
                    return failure.status;
                }
            };
            if announce {
                self.info(&format!("successfully connected to {target}"));
            }
            // A failed send shows up as the connection's end in serve().
            let _ = conn.send(&SignallerMsg::Ready);
            let (over, pending) = self.serve(conn);
            self.raw.restore();
            let status = match over {
                Over::Hangup => return 0,
                Over::Ended(End::Exited(code)) => code,
                Over::Ended(End::Disconnected) => 0,
                Over::Ended(End::TakenOver) => {
                    self.info(&format!("session {target} taken over"));
                    0
                }
            };
            let Some(next) = pending else { return status };
            target = next.target;
            force = next.force;
            announce = true;
        }
    }

    /// The live master of `target` when it is an id: its socket is named
    /// by it, so sessd need not be asked. `None` sends the caller to sessd:
    /// a name, no live master, or no sessd (which the caller then starts,
    /// so that its policies run again).
    fn master_by_id(&self, target: &str) -> Result<Option<Conn>, Failure> {
        if !sess_proto::is_id(target) {
            return Ok(None);
        }
        self.dirs.ensure_runtime()?;
        if std::os::unix::net::UnixStream::connect(self.dirs.daemon_socket()).is_err() {
            return Ok(None);
        }
        Ok(Conn::connect(&self.dirs.master_socket(target)).ok())
    }

    /// Hands the terminal to the master of `target`.
    fn connect(&mut self, target: &str, force: bool) -> Result<Conn, Failure> {
        let missing = || {
            Failure::fatal(format!(
                "signaller cannot reconnect to session {target}; does it exist?"
            ))
            .with_status(NO_TARGET)
        };
        let mut conn = match self.master_by_id(target)? {
            Some(conn) => conn,
            None => {
                let mut daemon = Daemon::connect(&self.dirs)?;
                let id = match daemon.call(&Request::Resolve { target: target.to_owned() })? {
                    Reply::Session(info) => info.id,
                    Reply::Refused(Refusal::NoSuchSession) => return Err(missing()),
                    Reply::Refused(refusal) => return Err(Failure::refused(target, refusal)),
                    other => {
                        let other = format!("unexpected answer from sessd: {other:?}");
                        return Err(Failure::fatal(other));
                    }
                };
                drop(daemon);
                Conn::connect(&self.dirs.master_socket(&id)).map_err(|_| missing())?
            }
        };
        self.raw.enter()?;
        let spec = AttachSpec {
            size: terminal_size(),
            force,
            detach_key: self.config.detach_key,
            from: connected_from(),
        };
        conn.send_with_fds(&MasterRequest::Attach(spec), &[stdin(), stdout()])?;
        match conn.recv::<Reply>() {
            Ok(Reply::Ok) => Ok(conn),
            Ok(Reply::Refused(Refusal::AlreadyConnected)) => {
                Err(Failure::fatal("session already connected somewhere else")
                    .with_status(ELSEWHERE))
            }
            Ok(Reply::Refused(refusal)) => Err(Failure::refused(target, refusal)),
            Ok(other) => Err(Failure::fatal(format!("unexpected answer from session: {other:?}"))),
            Err(_) => Err(missing()),
        }
    }

    /// Waits for the connection to end, forwarding window sizes and
    /// keeping the pending reconnect.
    fn serve(&mut self, mut conn: Conn) -> (Over, Option<Pending>) {
        let mut pending = None;
        loop {
            let mut fds = [
                PollFd::new(conn.stream().as_fd(), PollFlags::POLLIN),
                PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
            ];
            if poll(&mut fds, PollTimeout::NONE).is_err() {
                continue;
            }
            let conn_ready = fds[0].any().unwrap_or(false);
            let signal_ready = fds[1].any().unwrap_or(false);
            if signal_ready {
                while let Ok(Some(info)) = self.signals.read_signal() {
                    if info.ssi_signo == Signal::SIGWINCH as u32 {
                        let _ = conn.send(&SignallerMsg::Resize(terminal_size()));
                    } else {
                        return (leave(conn), None);
                    }
                }
            }
            if conn_ready {
                match conn.recv::<Event>() {
                    Ok(Event::Pending(p)) => pending = p,
                    Ok(Event::Ended(end)) => return (Over::Ended(end), pending),
                    // The master is gone without a word: the connection is over.
                    Err(_) => return (Over::Ended(End::Disconnected), pending),
                }
            }
        }
    }
}

/// The terminal's size; a terminal that reports none counts as 80x24.
pub fn terminal_size() -> WinSize {
    window_size(stdin()).filter(|s| s.rows > 0 && s.cols > 0).unwrap_or(FALLBACK_SIZE)
}

/// SIGHUP or SIGTERM: ask the master to let go of the terminal and wait
/// (briefly) until it has.
fn leave(mut conn: Conn) -> Over {
    if conn.send(&SignallerMsg::Detach).is_ok() {
        let deadline = Instant::now() + Duration::from_secs(2);
        let _ = conn.stream().set_read_timeout(Some(Duration::from_millis(200)));
        while Instant::now() < deadline {
            if matches!(conn.recv::<Event>(), Ok(Event::Ended(_)) | Err(_)) {
                break;
            }
        }
    }
    Over::Hangup
}

/// Where this connection comes from: the SSH peer, or the local terminal.
pub fn connected_from() -> String {
    if let Ok(ssh) = std::env::var("SSH_CONNECTION")
        && let Some(peer) = ssh.split_whitespace().next()
    {
        return visible(peer);
    }
    let tty = nix::unistd::ttyname(stdin())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "unknown".into());
    format!("(local {})", visible(&tty))
}

/// Control characters made visible (`^[`), so a hostile name cannot
/// drive the terminal of whoever lists it.
pub fn visible(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            c if (c as u32) < 0x20 => format!("^{}", ((c as u8) + 0x40) as char),
            '\x7f' => "^?".into(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(visible("/dev/pts/3"), "/dev/pts/3");
        assert_eq!(visible("a\x1b[2Jb\x7f"), "a^[[2Jb^?");
        assert_eq!(visible("\u{9b}"), "\\u{9b}");
    }
}
