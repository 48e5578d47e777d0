//! The master: one process per session. It holds the pty, runs the
//! program on it, keeps the output tail, and serves the session's socket.
//!
//! - [`spawn`]: the pty and the program's start.
//! - [`conn`]: nonblocking framed connections for the poll loop.
//! - [`connection`]: requests on the session's socket, and the terminal
//!   that connects: attach, repaint, disconnect.
//! - [`terminal`]: the user's terminal while connected.
//! - [`detach`]: the detach key.
//! - [`screen`]: the screen model, and the repaint shown on connect.
//! - [`paint`]: rows of cells as escape sequences.
//! - [`scan`]: a first look at output: drawing, or lasting state.
//! - [`track`]: the scroll region, noted as the emulator parses.
//! - [`placement`]: keeping the master off the program's CPU while output
//!   pours.
//!
//! One poll loop, one thread. The pty is read only while the connected
//! terminal's queue has room (a slow terminal slows the program, as a real
//! one would); while disconnected it is always read, so the program never
//! blocks. The master is a session leader without a controlling terminal
//! and ignores SIGHUP, so neither a client's hangup nor sessd's death
//! reaches it.

mod conn;
mod connection;
mod detach;
pub mod model;
pub mod paint;
mod placement;
mod scan;
pub mod screen;
mod spawn;
mod terminal;
mod track;

use crate::kernel_session;
use conn::Conn;
use detach::Typed;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, getpid};
use screen::Screen;
use sess_proto::{End, Launch, Launched, Pending, Refusal, Reply, SessionInfo, State, WinSize};
use sess_sys::paths::Dirs;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use terminal::Terminal;
use tracing::{debug, info, warn};

/// Longest title kept (Bernstein's "long name").
pub const MAX_TITLE: usize = 99;

/// Bytes read from the pty before they are passed on.
const READ_BUF: usize = 64 * 1024;

/// What a pty hands out at most in one read.
const PTY_CHUNK: usize = 4096;

/// The most output the screen looks at between two checks for anything
/// else to do ([`Master::wait`]).
const LOOK_SLICE: usize = 16 * 1024;

/// Bound on typed input queued for a program that does not read it.
const IN_HIGH: usize = 64 * 1024;

/// How long the end of a session waits for its creator to connect.
const CREATOR_WAIT: Duration = Duration::from_secs(10);

/// How long the end of a session waits for sessd's watch.
const WATCHER_WAIT: Duration = Duration::from_secs(5);

/// How often a kill checks whether the kernel session is empty.
const KILL_TICK: Duration = Duration::from_millis(50);

/// Runs the master role: reads its [`Launch`] on stdin, answers
/// [`Launched`] on stdout, then serves the session until it ends.
pub fn run(dirs: &Dirs) -> io::Result<()> {
    let _ = nix::unistd::setsid();
    sess_sys::os::ignore_signal(Signal::SIGHUP)?;
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    // Not through std's stdin, whose buffer would stay for the master's life.
    let mut stdin = std::fs::File::from(sess_sys::os::stdin().try_clone_to_owned()?);
    let launch: Launch = read_frame(&mut stdin)?;
    drop(stdin);
    let span = tracing::info_span!("master", id = %launch.id);
    let _enter = span.enter();
    let result = Master::start(dirs, launch);
    let mut stdout = std::fs::File::from(sess_sys::os::stdout().try_clone_to_owned()?);
    match result {
        Ok(mut master) => {
            stdout.write_all(&sess_proto::frame::encode(&Launched::Running(master.info())))?;
            drop(stdout);
            detach_stdio();
            info!(pid = master.program.as_raw(), tty = %master.tty, "started");
            master.serve();
            master.finish();
            Ok(())
        }
        Err(refusal) => stdout.write_all(&sess_proto::frame::encode(&Launched::Failed(refusal))),
    }
}

fn read_frame<T: serde::de::DeserializeOwned>(r: &mut impl Read) -> io::Result<T> {
    let mut header = [0u8; sess_proto::frame::HEADER];
    r.read_exact(&mut header)?;
    let len = sess_proto::frame::body_len(header).map_err(io::Error::other)?;
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    sess_proto::frame::decode(&body).map_err(io::Error::other)
}

/// Points stdin and stdout at /dev/null once sessd has its answer.
fn detach_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&null);
        let _ = nix::unistd::dup2_stdout(&null);
    }
}

/// A kill in progress: who waits for it, and when SIGKILL follows.
struct Kill {
    deadline: Instant,
    waiting: Vec<Conn>,
}

struct Master {
    launch: Launch,
    title: String,
    last_use: u64,
    pty: OwnedFd,
    /// False once every holder of the slave has closed it (EIO).
    pty_open: bool,
    tty: String,
    size: WinSize,
    program: Pid,
    exit_status: Option<i32>,
    listener: UnixListener,
    socket: PathBuf,
    signals: SignalFd,
    conns: Vec<Conn>,
    term: Option<Terminal>,
    screen: Screen,
    to_pty: Vec<u8>,
    kill: Option<Kill>,
    read_buf: Vec<u8>,
    /// Until the creator's first connection (or this time), the session
    /// does not end, and a pending reconnect waits for that connection.
    creator_wait: Option<Instant>,
    creator_pending: Option<Pending>,
    /// Until sessd's watch connects (or this time), the session does not
    /// end, so the exit status of a program that exits at once reaches it.
    watcher_wait: Option<Instant>,
    placement: placement::Placement,
}

/// What a poll slot belongs to.
#[derive(Clone, Copy)]
enum Slot {
    Listener,
    Signals,
    Pty,
    Conn(usize),
    TermConn,
    TermIn,
    TermOut,
}

impl Master {
    fn start(dirs: &Dirs, mut launch: Launch) -> Result<Master, Refusal> {
        let fail = |what: &str, e: &dyn std::fmt::Display| Refusal::Failed(format!("{what}: {e}"));
        let socket = dirs.master_socket(&launch.id);
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket).map_err(|e| fail("cannot listen", &e))?;
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        std::fs::set_permissions(&socket, private).map_err(|e| fail("cannot listen", &e))?;
        listener.set_nonblocking(true).map_err(|e| fail("cannot listen", &e))?;
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGCHLD);
        mask.add(Signal::SIGTERM);
        mask.thread_block().map_err(|e| fail("signals", &e))?;
        let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(|e| fail("signals", &e))?;
        let (pty, program) = match spawn::start(&launch.id, &launch.spec) {
            Ok(started) => started,
            Err(refusal) => {
                let _ = std::fs::remove_file(&socket);
                return Err(refusal);
            }
        };
        // The program has its environment; sessd's record keeps it.
        launch.spec.env = Vec::new();
        terminal::set_nonblocking(pty.fd.as_fd()).map_err(|e| fail("pty", &e))?;
        let size = launch.spec.size;
        let config = sess_sys::config::Config::load(dirs.config.as_deref()).unwrap_or_default();
        let mut screen = Screen::new(
            size,
            config.restore_lines as usize,
            usize::try_from(config.scrollback_bytes).unwrap_or(usize::MAX),
        );
        if let Some(past) = &launch.restore {
            screen.feed(past.as_bytes());
        }
        Ok(Master {
            creator_wait: launch.spec.attach.then(|| Instant::now() + CREATOR_WAIT),
            watcher_wait: Some(Instant::now() + WATCHER_WAIT),
            creator_pending: None,
            title: String::new(),
            last_use: launch.created_at,
            size: launch.spec.size,
            launch,
            pty: pty.fd,
            pty_open: true,
            tty: pty.tty,
            program,
            exit_status: None,
            listener,
            socket,
            signals,
            conns: Vec::new(),
            term: None,
            screen,
            to_pty: Vec::new(),
            kill: None,
            read_buf: Vec::new(),
            placement: placement::Placement::new(),
        })
    }

    fn info(&self) -> SessionInfo {
        SessionInfo {
            id: self.launch.id.clone(),
            name: self.launch.name.clone(),
            title: self.title.clone(),
            state: State::Running,
            connected: self.term.is_some(),
            pid: Some(self.program.as_raw() as u32),
            master_pid: Some(getpid().as_raw() as u32),
            tty: Some(self.tty.clone()),
            command: self.launch.spec.command.clone(),
            cwd: self.launch.spec.cwd.clone(),
            created_at: self.launch.created_at,
            last_use: self.last_use,
            pending_reconnect: self.term.as_ref().and_then(|t| Some(t.pending.clone()?.target)),
            connected_from: self.term.as_ref().map(|t| t.from.clone()),
            kept: self.launch.spec.kept,
            exit_status: self.exit_status,
        }
    }

    /// The poll loop; returns when the session is over.
    fn serve(&mut self) {
        while !self.done() {
            let ready = match self.wait() {
                Ok(ready) => ready,
                Err(e) => {
                    warn!(error = %e, "poll failed");
                    return;
                }
            };
            // Requests last, highest index first: serving one may remove it
            // from `conns` (swap_remove), which must not move the others.
            let (conns, others): (Vec<_>, Vec<_>) =
                ready.into_iter().partition(|(slot, _)| matches!(slot, Slot::Conn(_)));
            for (slot, flags) in others.into_iter().chain(conns.into_iter().rev()) {
                self.handle(slot, flags);
            }
            self.tick();
        }
    }

    fn done(&self) -> bool {
        self.exit_status.is_some()
            && self.creator_wait.is_none_or(|until| Instant::now() >= until)
            && self.watcher_wait.is_none_or(|until| Instant::now() >= until)
            && self.term.as_ref().is_none_or(|t| t.live)
            && self.kill.as_ref().is_none_or(|_| kernel_session::members(self.program).is_empty())
    }

    /// Polls every fd that has something to do and returns the ready ones.
    /// Output the screen has not looked at yet is looked at first, a slice
    /// at a time for as long as nothing is ready: that is time the loop
    /// would sleep.
    fn wait(&mut self) -> nix::Result<Vec<(Slot, PollFlags)>> {
        let mut fds = Vec::with_capacity(8 + self.conns.len());
        let mut slots = Vec::with_capacity(fds.capacity());
        let mut add = |slot, fd, flags| {
            slots.push(slot);
            fds.push(PollFd::new(fd, flags));
        };
        add(Slot::Listener, self.listener.as_fd(), PollFlags::POLLIN);
        add(Slot::Signals, self.signals.as_fd(), PollFlags::POLLIN);
        let mut pty_flags = PollFlags::empty();
        if self.pty_open && self.term.as_ref().is_none_or(Terminal::has_room) {
            pty_flags |= PollFlags::POLLIN;
        }
        if self.pty_open && !self.to_pty.is_empty() {
            pty_flags |= PollFlags::POLLOUT;
        }
        if !pty_flags.is_empty() {
            add(Slot::Pty, self.pty.as_fd(), pty_flags);
        }
        for (i, conn) in self.conns.iter().enumerate() {
            add(Slot::Conn(i), conn.fd(), PollFlags::POLLIN);
        }
        if let Some(term) = &self.term {
            add(Slot::TermConn, term.conn.fd(), PollFlags::POLLIN);
            if term.live && self.to_pty.len() < IN_HIGH {
                add(Slot::TermIn, term.input(), PollFlags::POLLIN);
            }
            if term.has_queued() {
                add(Slot::TermOut, term.output(), PollFlags::POLLOUT);
            }
        }
        let mut ready = 0;
        while self.screen.behind() {
            ready = poll(&mut fds, PollTimeout::ZERO).unwrap_or(0);
            if ready > 0 {
                break;
            }
            self.screen.look(LOOK_SLICE);
            if !self.screen.behind() {
                // The connected terminal answered the program's queries.
                self.screen.take_replies();
            }
        }
        if ready == 0 {
            let timeout = self.next_deadline().map_or(PollTimeout::NONE, |deadline| {
                let left = deadline.saturating_duration_since(Instant::now());
                PollTimeout::try_from(left + Duration::from_millis(1)).unwrap_or(PollTimeout::MAX)
            });
            match poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(slots
            .into_iter()
            .zip(fds.iter().map(|fd| fd.revents().unwrap_or(PollFlags::empty())))
            .filter(|(_, flags)| !flags.is_empty())
            .collect())
    }

    fn next_deadline(&self) -> Option<Instant> {
        let detach = self.term.as_ref().and_then(|t| t.detach.deadline());
        let kill = self.kill.as_ref().map(|k| k.deadline.min(Instant::now() + KILL_TICK));
        let waits = [self.creator_wait, self.watcher_wait];
        let waits = waits.into_iter().flatten().filter(|_| self.exit_status.is_some());
        let parse = self.screen.due();
        detach.into_iter().chain(kill).chain(waits).chain(parse).min()
    }

    fn handle(&mut self, slot: Slot, flags: PollFlags) {
        let readable =
            flags.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR);
        match slot {
            Slot::Listener => self.accept(),
            Slot::Signals => self.on_signals(),
            Slot::Pty => {
                if flags.contains(PollFlags::POLLOUT) {
                    self.write_pty();
                }
                if readable {
                    self.read_pty();
                }
            }
            Slot::Conn(i) => self.on_conn(i),
            Slot::TermConn => self.on_signaller(),
            Slot::TermIn => self.read_terminal(),
            Slot::TermOut => {
                if let Some(Err(e)) = self.term.as_mut().map(Terminal::flush) {
                    debug!(error = %e, "terminal write failed");
                    self.disconnect(End::Disconnected);
                }
            }
        }
    }

    /// Timers: the detach key's delay, the kill's escalation, and output
    /// that waits to be parsed.
    fn tick(&mut self) {
        let now = Instant::now();
        if self.screen.tick(now) {
            self.read_buf = Vec::new();
            if self.to_pty.is_empty() {
                self.to_pty = Vec::new();
            }
            if let Some(term) = self.term.as_mut() {
                term.idle();
            }
            sess_sys::os::give_back_memory();
        }
        if self.term.as_mut().is_some_and(|t| t.detach.expired(now)) {
            self.disconnect(End::Disconnected);
        }
        if let Some(kill) = &self.kill
            && now >= kill.deadline
        {
            kernel_session::signal_all(self.program, Signal::SIGKILL);
        }
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    match sess_sys::wire::peer_uid(stream.as_fd()) {
                        Ok(uid) if sess_sys::wire::peer_allowed(uid) => {}
                        other => {
                            warn!(peer = ?other, "refused a connection from another user");
                            continue;
                        }
                    }
                    match Conn::new(stream) {
                        Ok(conn) => self.conns.push(conn),
                        Err(e) => warn!(error = %e, "cannot use a new connection"),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    return;
                }
            }
        }
    }

    fn on_signals(&mut self) {
        while let Ok(Some(info)) = self.signals.read_signal() {
            if info.ssi_signo == Signal::SIGTERM as u32 {
                info!("SIGTERM: ending the session");
                self.start_kill(None, Duration::from_secs(5));
            }
        }
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == self.program => {
                    self.program_ended(code);
                }
                Ok(WaitStatus::Signaled(pid, sig, _)) if pid == self.program => {
                    self.program_ended(128 + sig as i32);
                }
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }

    fn program_ended(&mut self, status: i32) {
        info!(status, "program ended");
        self.exit_status = Some(status);
    }

    /// Reads what the pty has now, up to [`READ_BUF`] bytes (a pty gives
    /// at most [`PTY_CHUNK`] a read: taking several before writing them on
    /// saves wake-ups downstream); false when there was nothing to read.
    fn read_pty(&mut self) -> bool {
        if let Some(term) = self.term.as_mut().filter(|t| t.live) {
            // No more than the terminal's queue takes (but a pty chunk at
            // least): output then flows at the terminal's pace, in few
            // large reads and writes, instead of being drained ahead. It
            // is read into that queue and written out from there.
            let want = term.room().clamp(PTY_CHUNK, READ_BUF);
            // Output already waiting means the terminal was full: it is
            // written when the terminal has room again.
            let waiting = term.has_queued();
            let filled = read_available(&self.pty, term.spare(want), &mut self.pty_open);
            let read = term.commit(filled);
            if filled == 0 {
                return false;
            }
            if filled >= PTY_CHUNK {
                // Whether the program shares the master's CPU.
                self.placement.pouring(self.pty.as_fd(), Instant::now());
            }
            self.last_use = sess_sys::now_ms();
            // The terminal first: the model must not delay what the user
            // sees. Writing the queue out leaves the bytes where they are.
            let flushed = if waiting { Ok(()) } else { term.flush() };
            // The screen looks at them when the loop would sleep (`wait`).
            self.screen.feed_later(term.queued(read));
            if let Err(e) = flushed {
                debug!(error = %e, "terminal write failed");
                self.disconnect(End::Disconnected);
            }
            return true;
        }
        // Kept while output flows; let go when the screen goes idle.
        let mut buf = std::mem::take(&mut self.read_buf);
        if buf.is_empty() {
            buf = vec![0; READ_BUF];
        }
        let filled = read_available(&self.pty, &mut buf, &mut self.pty_open);
        if filled > 0 {
            self.output(&buf[..filled]);
        }
        self.read_buf = buf;
        filled > 0
    }

    /// Program output that no terminal shows (yet): kept for replay.
    fn output(&mut self, data: &[u8]) {
        self.last_use = sess_sys::now_ms();
        self.screen.feed(data);
        // Answers to the program's terminal queries: a connected terminal
        // gives its own; while disconnected the model answers, as far as
        // the program takes them in (a terminal's input queue is bounded
        // too: what a program does not read is not kept for ever).
        let replies = self.screen.take_replies();
        if self.term.is_none() && self.to_pty.len() < IN_HIGH {
            self.to_pty.extend_from_slice(&replies);
        }
    }

    fn write_pty(&mut self) {
        match terminal::write_some(self.pty.as_fd(), &self.to_pty) {
            Ok(n) => {
                self.to_pty.drain(..n);
            }
            Err(e) => {
                debug!(error = %e, "pty write failed");
                self.to_pty.clear();
            }
        }
    }

    fn read_terminal(&mut self) {
        let Some(term) = self.term.as_mut() else {
            return;
        };
        let mut buf = [0u8; 4096];
        let n = match nix::unistd::read(term.input(), &mut buf) {
            Ok(0) | Err(Errno::EIO) => return self.disconnect(End::Disconnected),
            Ok(n) => n,
            Err(_) => return,
        };
        let typed = term.detach.feed(&buf[..n], Instant::now(), &mut self.to_pty);
        self.last_use = sess_sys::now_ms();
        self.write_pty();
        if typed == Typed::Detach {
            self.disconnect(End::Disconnected);
        }
    }

    /// Hangs up the kernel session; SIGKILL follows after `timeout`.
    fn start_kill(&mut self, conn: Option<Conn>, timeout: Duration) {
        if self.kill.is_none() {
            for sig in [Signal::SIGHUP, Signal::SIGCONT, Signal::SIGTERM] {
                kernel_session::signal_all(self.program, sig);
            }
        }
        let kill = self
            .kill
            .get_or_insert_with(|| Kill { deadline: Instant::now() + timeout, waiting: vec![] });
        kill.waiting.extend(conn);
    }

    /// The program is gone: show its last output, tell the signaller and
    /// anyone waiting on a kill, and take the socket away.
    fn finish(mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let deadline = Instant::now() + Duration::from_millis(500);
        while self.pty_open && Instant::now() < deadline && self.read_pty() {}
        let status = self.exit_status.unwrap_or(0);
        if let Some(mut term) = self.term.take() {
            if term.live {
                let _ = term.write(&self.screen.leave());
            }
            let flush_until = Instant::now() + Duration::from_secs(2);
            while term.has_queued() && Instant::now() < flush_until {
                let mut pfd = [PollFd::new(term.output(), PollFlags::POLLOUT)];
                let _ = poll(&mut pfd, PollTimeout::from(100u8));
                if term.flush().is_err() {
                    break;
                }
            }
            term.release(End::Exited(status));
        }
        for mut conn in self.kill.take().map(|k| k.waiting).unwrap_or_default() {
            let _ = conn.send(&Reply::Ok);
        }
        self.notify_watchers();
        info!(status, "session over");
    }
}

/// Reads what `pty` has now into `buf`, until `buf` is full or the pty
/// would block; `open` turns false once every holder of the slave has
/// closed it. Returns the bytes read.
fn read_available(pty: &OwnedFd, buf: &mut [u8], open: &mut bool) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match nix::unistd::read(pty, &mut buf[filled..]) {
            Ok(0) | Err(Errno::EIO) => {
                *open = false;
                break;
            }
            Ok(n) => filled += n,
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => break,
            Err(e) => {
                warn!(error = %e, "pty read failed");
                *open = false;
                break;
            }
        }
    }
    filled
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char.
pub fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn titles_truncate_on_char_boundaries() {
        assert_eq!(truncate("abc", 2), "ab");
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("x", 99), "x");
    }
}
