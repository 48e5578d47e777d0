//! A test terminal: a pseudo-terminal opened by the test with an
//! interactive `sh` on its slave (session leader, slave as controlling tty).
//! Writing to the master is typing; a reader thread collects everything
//! shown, and tests wait for what they expect to appear.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Instant;

use nix::fcntl::OFlag;

use crate::harness::{World, run_command_with_stdin, timeout, unique, wait_child, wait_until};

/// What a terminal has shown so far.
#[derive(Default)]
struct Screen {
    bytes: Mutex<Vec<u8>>,
    grew: Condvar,
    /// While true the terminal reads nothing, as a stuck or slow one.
    held: Mutex<bool>,
    released: Condvar,
}

/// A test terminal: a pty opened by the test, an interactive `sh` on it.
pub struct Term {
    master: File,
    slave: File,
    shown: Arc<Screen>,
    cursor: usize,
    shell: Child,
}

impl Term {
    /// Opens a pty of `rows` x `cols` and starts `sh` on it; `env` sets
    /// (Some) or removes (None) variables of the world's environment.
    pub fn open(world: &World, rows: u16, cols: u16, env: &[(&str, Option<&str>)]) -> Term {
        let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
        let ptm = nix::pty::posix_openpt(flags).expect("posix_openpt");
        nix::pty::grantpt(&ptm).expect("grantpt");
        nix::pty::unlockpt(&ptm).expect("unlockpt");
        let slave_path = nix::pty::ptsname_r(&ptm).expect("ptsname");
        let master = File::from(OwnedFd::from(ptm));
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(OFlag::O_NOCTTY.bits())
            .open(&slave_path)
            .expect("open pty slave");
        set_size(&slave, rows, cols);
        let shown = Arc::new(Screen::default());
        let mut reader = master.try_clone().expect("dup master");
        let sink = shown.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let held = sink.held.lock().unwrap();
                drop(sink.released.wait_while(held, |held| *held).unwrap());
                let Ok(n) = reader.read(&mut buf) else { break };
                if n == 0 {
                    break;
                }
                sink.bytes.lock().unwrap().extend_from_slice(&buf[..n]);
                sink.grew.notify_all();
            }
        });
        let mut cmd = world.command("setsid");
        cmd.args(["--ctty", "sh", "-i"]);
        for (key, value) in env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        let stdio = || Stdio::from(slave.try_clone().expect("dup slave"));
        let shell = cmd
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio())
            .spawn()
            .expect("start sh on the test terminal");
        let mut term = Term { master, slave, shown, cursor: 0, shell };
        term.expect("[out]$ ");
        term
    }

    /// The outer shell's pid (a session leader on this terminal).
    pub fn shell_pid(&self) -> i32 {
        self.shell.id() as i32
    }

    /// Sets the terminal's size, as a window resize does: the kernel sends
    /// SIGWINCH to the foreground process group.
    #[track_caller]
    pub fn resize(&mut self, rows: u16, cols: u16) {
        set_size(&self.slave, rows, cols);
    }

    /// Types bytes.
    #[track_caller]
    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("type into the test terminal");
    }

    /// Types a line and Return.
    #[track_caller]
    pub fn line(&mut self, text: &str) {
        self.send(format!("{text}\r").as_bytes());
    }

    /// Stops reading what the terminal is sent (once the read in progress
    /// returns), as a terminal that is stuck or slow; [`Term::release`]
    /// reads on.
    pub fn hold(&self) {
        *self.shown.held.lock().unwrap() = true;
    }

    pub fn release(&self) {
        *self.shown.held.lock().unwrap() = false;
        self.shown.released.notify_all();
    }

    /// Everything shown so far, lossily decoded.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.shown.bytes.lock().unwrap()).into_owned()
    }

    /// The number of bytes shown so far: a mark for [`Term::wait_bytes`].
    pub fn mark(&self) -> usize {
        self.shown.bytes.lock().unwrap().len()
    }

    /// Waits until `check` accepts the raw bytes shown since the byte offset
    /// `from` (returns `Ok`), and returns its value; on timeout, panics with
    /// `check`'s last complaint (its `Err`). For tests that feed what the
    /// terminal received to an emulator of their own.
    #[track_caller]
    pub fn wait_bytes<T>(
        &self,
        what: &str,
        from: usize,
        mut check: impl FnMut(&[u8]) -> Result<T, String>,
    ) -> T {
        let deadline = Instant::now() + timeout();
        let mut bytes = self.shown.bytes.lock().unwrap();
        loop {
            let complaint = match check(&bytes[from.min(bytes.len())..]) {
                Ok(found) => return found,
                Err(complaint) => complaint,
            };
            let now = Instant::now();
            if now >= deadline {
                drop(bytes);
                panic!("timed out after {:?} waiting for {what}\n{complaint}", timeout());
            }
            bytes = self.shown.grew.wait_timeout(bytes, deadline - now).unwrap().0;
        }
    }

    /// Moves the cursor to the end of what is shown now.
    pub fn skip(&mut self) {
        self.cursor = self.text().len();
    }

    /// Waits until `find` locates something in the text shown since the
    /// cursor (returning the end offset of the match, relative to the
    /// cursor, and a value); moves the cursor past the match. The cursor is
    /// an offset in the (lossily decoded) text of everything shown.
    #[track_caller]
    fn wait_find<T>(&mut self, what: &str, mut find: impl FnMut(&str) -> Option<(usize, T)>) -> T {
        let deadline = Instant::now() + timeout();
        let mut bytes = self.shown.bytes.lock().unwrap();
        loop {
            let all = String::from_utf8_lossy(&bytes).into_owned();
            let start = boundary(&all, self.cursor);
            let text = &all[start..];
            if let Some((end, found)) = find(text) {
                self.cursor = start + end;
                return found;
            }
            let now = Instant::now();
            if now >= deadline {
                drop(bytes);
                panic!(
                    "timed out after {:?} waiting for {what}\n---- terminal since cursor \
                     (last 3000 chars) ----\n{}\n---- whole terminal (last 3000 chars) \
                     ----\n{}\n----",
                    timeout(),
                    visible(tail(text, 3000)),
                    visible(tail(&all, 3000)),
                );
            }
            bytes = self.shown.grew.wait_timeout(bytes, deadline - now).unwrap().0;
        }
    }

    /// Waits for `needle` after the cursor; moves the cursor past it.
    #[track_caller]
    pub fn expect(&mut self, needle: &str) {
        self.wait_find(&format!("{needle:?}"), |text| {
            text.find(needle).map(|i| (i + needle.len(), ()))
        })
    }

    /// Waits for a message line (`PROG: info: ...`) ending in CR LF, as
    /// the SPEC asks while the terminal is raw (a bare LF would leave the
    /// cursor in its column).
    #[track_caller]
    pub fn expect_line(&mut self, message: &str) {
        self.expect(message);
        let line_end = self.wait_find(&format!("the end of the line {message:?}"), |text| {
            let rest = text.trim_start_matches('\r');
            let crs = text.len() - rest.len();
            rest.starts_with('\n').then_some((0, crs > 0))
        });
        assert!(line_end, "{message:?} ends in a bare LF, not CR LF");
    }

    /// Waits until `pred` holds for the text shown since the cursor; moves
    /// the cursor to the end.
    #[track_caller]
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&str) -> bool) {
        self.wait_find(what, |text| pred(text).then_some((text.len(), ())))
    }

    /// Waits for `PREFIX...SUFFIX` after the cursor; returns the middle.
    #[track_caller]
    pub fn expect_between(&mut self, prefix: &str, suffix: &str) -> String {
        self.wait_find(&format!("{prefix:?}...{suffix:?}"), |text| {
            let start = text.find(prefix)? + prefix.len();
            let len = text[start..].find(suffix)?;
            Some((start + len + suffix.len(), text[start..start + len].to_owned()))
        })
    }

    /// Types `echo` of a shell expression (into whatever shell reads the
    /// terminal now) and returns its value, e.g. `ask("$PTY")`.
    #[track_caller]
    pub fn ask(&mut self, expr: &str) -> String {
        let n = unique();
        self.line(&format!("echo Q\"\"{n}=\"{expr}\"={n}\"\"Q"));
        self.expect_between(&format!("Q{n}="), &format!("={n}Q"))
    }

    /// Types `CMD; echo <marker with $?>` into the outer shell; the marker
    /// is read by [`Term::finish`].
    pub fn start(&mut self, cmd: &str) -> Pending {
        let n = unique();
        self.line(&format!("{cmd}; echo X\"\"{n}=\"$?\"={n}\"\"X"));
        Pending(n)
    }

    /// Waits for the exit status of a command typed with [`Term::start`].
    #[track_caller]
    pub fn finish(&mut self, pending: Pending) -> i32 {
        let n = pending.0;
        let status = self.expect_between(&format!("X{n}="), &format!("={n}X"));
        status.parse().unwrap_or_else(|_| panic!("status marker holds {status:?}"))
    }

    /// Types `CMD` into the outer shell and returns its exit status.
    #[track_caller]
    pub fn run(&mut self, cmd: &str) -> i32 {
        let pending = self.start(cmd);
        self.finish(pending)
    }

    /// Waits for the prompt of a shell inside a session (`[XX]$ `, the
    /// world's PS1) and returns the session id.
    #[track_caller]
    pub fn session_prompt(&mut self) -> String {
        self.wait_find("a session shell's prompt `[XX]$ `", |text| {
            let mut from = 0;
            while let Some(i) = text[from..].find("]$ ") {
                let end = from + i;
                if let Some(open) = text[..end].rfind('[') {
                    let id = &text[open + 1..end];
                    if id != "out"
                        && !id.is_empty()
                        && id.chars().all(|c| c.is_ascii_alphanumeric())
                    {
                        return Some((end + 3, id.to_owned()));
                    }
                }
                from = end + 3;
            }
            None
        })
    }

    /// `stty ARGS` run by the test on this terminal (not through the shell):
    /// `modes(&["-g"])` is the terminal's modes right now.
    #[track_caller]
    pub fn modes(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("stty");
        cmd.args(args).stdin(Stdio::from(self.slave.try_clone().expect("dup slave")));
        let out = run_command_with_stdin(cmd, "stty");
        assert_eq!(out.code(), 0, "stty {args:?} on the test terminal: {out:?}");
        out.stdout.trim().to_owned()
    }

    /// `stty -g` of the test terminal, asked through the outer shell.
    #[track_caller]
    pub fn stty(&mut self) -> String {
        self.ask("$(stty -g)")
    }

    /// The `sess` process started by the outer shell (its child).
    #[track_caller]
    pub fn sess_pid(&self, world: &World) -> i32 {
        let shell = self.shell_pid();
        let mut found = None;
        wait_until("the outer shell has a `sess` child", || {
            found = world.children(shell).into_iter().find(|s| s.comm == "sess").map(|s| s.pid);
            found.is_some()
        });
        found.unwrap()
    }
}

/// A command typed with [`Term::start`] whose status is still to come.
#[must_use]
pub struct Pending(usize);

/// TIOCSWINSZ through `stty`, with the slave as its stdin.
fn set_size(slave: &File, rows: u16, cols: u16) {
    let mut cmd = Command::new("stty");
    cmd.args(["rows", &rows.to_string(), "cols", &cols.to_string()])
        .stdin(Stdio::from(slave.try_clone().expect("dup slave")));
    let status = wait_child(cmd.spawn().expect("stty"), "stty rows/cols");
    assert!(status.success(), "stty rows {rows} cols {cols} failed");
}

/// The largest char boundary of `text` at or before `at`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Terminal output made readable: newlines kept, other controls escaped.
pub fn visible(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\n' => out.push('\n'),
            '\r' => {}
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
