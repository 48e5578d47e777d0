//! The test world: private directories, real terminals, the real binaries.
//!
//! - [`World`]: one test's temp dirs and environment; runs commands; kills
//!   every process it started (found by its unique `SESS_RUNTIME_DIR` in
//!   `/proc/*/environ`) on drop, and prints the daemon log on failure.
//! - [`Term`]: a pseudo-terminal opened by the test with an interactive `sh`
//!   on its slave (session leader, slave as controlling tty). Writing to the
//!   master is typing; a reader thread collects everything shown.
//!
//! Waits are on conditions with a deadline ([`timeout`]), never on sleeps.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

pub use crate::procs::{Stat, alive, stat};

/// How long any one condition may take to come true. Generous: the suite
/// must pass on a loaded two-core machine with tests running in parallel.
pub fn timeout() -> Duration {
    let secs = std::env::var("SESS_E2E_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    Duration::from_secs(secs)
}

/// The path of one of the binaries under test.
pub fn bin(name: &str) -> &'static str {
    match name {
        "sess" => env!("CARGO_BIN_EXE_sess"),
        "sessd" => env!("CARGO_BIN_EXE_sessd"),
        "disconnect" => env!("CARGO_BIN_EXE_disconnect"),
        "reconnect" => env!("CARGO_BIN_EXE_reconnect"),
        "sessname" => env!("CARGO_BIN_EXE_sessname"),
        "sesslist" => env!("CARGO_BIN_EXE_sesslist"),
        "sesskill" => env!("CARGO_BIN_EXE_sesskill"),
        other => panic!("no binary {other}"),
    }
}

fn bin_dir() -> &'static Path {
    Path::new(bin("sess")).parent().expect("binaries live in a directory")
}

/// A number unique in this test process, for markers that cannot be
/// confused with earlier output (a reconnect redraws old screens).
pub fn unique() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Polls `cond` until it holds or the deadline passes (for conditions
/// outside a terminal: files, /proc, sesslist).
#[track_caller]
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout();
    while !cond() {
        if Instant::now() > deadline {
            panic!("timed out after {:?} waiting until {what}", timeout());
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The result of running a command to completion.
#[derive(Debug)]
pub struct Out {
    pub status: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The exit status; panics if the command died of a signal.
    #[track_caller]
    pub fn code(&self) -> i32 {
        match self.status {
            Some(code) => code,
            None => panic!("command killed by signal {:?}: {self:?}", self.signal),
        }
    }
}

pub struct World {
    dir: Option<tempfile::TempDir>,
    pub root: PathBuf,
    pub runtime: PathBuf,
    pub state: PathBuf,
    pub home: PathBuf,
    pub config: PathBuf,
}

impl World {
    /// A fresh world; the runtime and state dirs are left for the binaries
    /// to create.
    pub fn new() -> World {
        let dir = tempfile::Builder::new().prefix("sess-e2e.").tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        let home = root.join("home");
        fs::create_dir(&home).expect("home dir");
        World {
            runtime: root.join("run"),
            state: root.join("state"),
            config: root.join("config.toml"),
            home,
            root,
            dir: Some(dir),
        }
    }

    /// A fresh world with this user config.
    pub fn with_config(toml: &str) -> World {
        let world = World::new();
        fs::write(&world.config, toml).expect("write config");
        world
    }

    /// The environment every process of this world gets (on top of a
    /// cleared one).
    pub fn env(&self) -> Vec<(String, String)> {
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir().display());
        let p = |p: &Path| p.display().to_string();
        vec![
            ("PATH".into(), path),
            ("HOME".into(), p(&self.home)),
            ("SESS_RUNTIME_DIR".into(), p(&self.runtime)),
            ("SESS_STATE_DIR".into(), p(&self.state)),
            ("SESS_CONFIG".into(), p(&self.config)),
            ("SESS_SYSTEM_CONFIG".into(), p(&self.root.join("system.toml"))),
            ("XDG_RUNTIME_DIR".into(), p(&self.root.join("xdg-run"))),
            ("XDG_STATE_HOME".into(), p(&self.root.join("xdg-state"))),
            ("XDG_CONFIG_HOME".into(), p(&self.root.join("xdg-config"))),
            ("SHELL".into(), "/bin/sh".into()),
            ("TERM".into(), "xterm".into()),
            ("LC_ALL".into(), "C".into()),
            ("PS1".into(), "[${PTY:-out}]$ ".into()),
        ]
    }

    /// A command of this world: cleared environment plus [`World::env`],
    /// run in HOME.
    pub fn command(&self, prog: &str) -> Command {
        let mut cmd = Command::new(prog);
        cmd.env_clear().envs(self.env()).current_dir(&self.home);
        cmd
    }

    /// Runs one of the binaries without a terminal (stdin /dev/null).
    #[track_caller]
    pub fn run(&self, prog: &str, args: &[&str]) -> Out {
        let mut cmd = self.command(bin(prog));
        cmd.args(args);
        run_command(cmd, &format!("{prog} {}", args.join(" ")))
    }

    /// Runs a control command that must succeed silently.
    #[track_caller]
    pub fn ok(&self, prog: &str, args: &[&str]) {
        let out = self.run(prog, args);
        assert_eq!(
            (out.code(), out.stdout.as_str(), out.stderr.as_str()),
            (0, "", ""),
            "`{prog} {}` should succeed silently",
            args.join(" ")
        );
    }

    /// `sesslist --json`, parsed.
    #[track_caller]
    pub fn list_json(&self) -> Vec<Value> {
        let out = self.run("sesslist", &["--json"]);
        assert_eq!(out.code(), 0, "sesslist --json failed: {out:?}");
        match serde_json::from_str(&out.stdout) {
            Ok(Value::Array(items)) => items,
            other => panic!("sesslist --json is not a JSON array: {other:?}\n{out:?}"),
        }
    }

    /// The `sesslist --json` object of session `id`, if listed.
    pub fn find(&self, id: &str) -> Option<Value> {
        self.list_json().into_iter().find(|s| s["id"] == id)
    }

    /// The `sesslist --json` object of session `id`.
    #[track_caller]
    pub fn session(&self, id: &str) -> Value {
        let list = self.list_json();
        match list.iter().find(|s| s["id"] == id) {
            Some(s) => s.clone(),
            None => panic!("session {id} not in sesslist --json: {list:?}"),
        }
    }

    /// The program's pid of session `id`.
    #[track_caller]
    pub fn program_pid(&self, id: &str) -> i32 {
        json_pid(&self.session(id), "pid")
    }

    /// Waits until file `name` in HOME holds exactly `expected`.
    #[track_caller]
    pub fn wait_file(&self, name: &str, expected: &str) {
        let deadline = Instant::now() + timeout();
        loop {
            let got = self.read(name);
            if got == expected {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {:?}: ~/{name} holds {got:?}, expected {expected:?}",
                    timeout()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The pid in `sessd.pid`.
    #[track_caller]
    pub fn sessd_pid(&self) -> i32 {
        let path = self.runtime.join("sessd.pid");
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{} holds {text:?}, not a pid", path.display()))
    }

    /// Writes a file into HOME and returns its path.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.home.join(name);
        fs::write(&path, content).expect("write file");
        path
    }

    /// A file in HOME, read (empty if missing).
    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.home.join(name)).unwrap_or_default()
    }

    /// A new test terminal (30 rows, 100 columns) running `sh`.
    pub fn term(&self) -> Term {
        Term::open(self, 30, 100, &[])
    }

    /// A new disconnected session running `sh`; returns its id.
    #[track_caller]
    pub fn detached_shell(&self) -> String {
        let mut term = self.term();
        let done = term.start("sess sh");
        let id = term.session_prompt();
        self.ok("disconnect", &["-s", &id]);
        assert_eq!(term.finish(done), 0, "sess after disconnect -s {id}");
        id
    }

    /// Every live process of this world (found by its SESS_RUNTIME_DIR).
    pub fn pids(&self) -> Vec<i32> {
        let needle = format!("SESS_RUNTIME_DIR={}", self.runtime.display()).into_bytes();
        let me = std::process::id() as i32;
        let mut pids = Vec::new();
        let Ok(dir) = fs::read_dir("/proc") else {
            return pids;
        };
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if pid == me {
                continue;
            }
            let Ok(environ) = fs::read(entry.path().join("environ")) else {
                continue;
            };
            if environ.split(|&b| b == 0).any(|var| var == needle.as_slice()) {
                pids.push(pid);
            }
        }
        pids
    }

    /// The live processes of this world whose parent is `ppid`.
    pub fn children(&self, ppid: i32) -> Vec<Stat> {
        self.pids()
            .into_iter()
            .filter_map(stat)
            .filter(|s| s.ppid == ppid && s.state != 'Z')
            .collect()
    }

    fn kill_all(&self) {
        for _ in 0..100 {
            let pids = self.pids();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.kill_all();
        if thread::panicking() {
            let log = self.state.join("sessd.log");
            match fs::read_to_string(&log) {
                Ok(text) => eprintln!("---- {} ----\n{text}---- end of log ----", log.display()),
                Err(e) => eprintln!("---- no daemon log at {}: {e}", log.display()),
            }
            if std::env::var_os("SESS_E2E_KEEP").is_some()
                && let Some(dir) = self.dir.take()
            {
                eprintln!("---- world kept at {}", dir.keep().display());
            }
        }
    }
}

/// A pid field of a `sesslist --json` object.
#[track_caller]
pub fn json_pid(session: &Value, key: &str) -> i32 {
    match session[key].as_i64() {
        Some(pid) => pid as i32,
        None => panic!("`{key}` is not a number in {session}"),
    }
}

/// Runs `cmd` to completion with stdin /dev/null, stdout and stderr
/// captured, bounded by [`timeout`].
#[track_caller]
pub fn run_command(mut cmd: Command, what: &str) -> Out {
    cmd.stdin(Stdio::null());
    run_command_with_stdin(cmd, what)
}

/// Like [`run_command`], with the stdin `cmd` already has.
#[track_caller]
pub fn run_command_with_stdin(mut cmd: Command, what: &str) -> Out {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let out = drain(child.stdout.take().expect("stdout piped"));
    let err = drain(child.stderr.take().expect("stderr piped"));
    let status = wait_child(child, what);
    let collect = |rx: mpsc::Receiver<Vec<u8>>, name: &str| match rx.recv_timeout(timeout()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => panic!("{name} of `{what}` still open after it exited (held by a daemon?)"),
    };
    use std::os::unix::process::ExitStatusExt;
    Out {
        status: status.code(),
        signal: status.signal(),
        stdout: collect(out, "stdout"),
        stderr: collect(err, "stderr"),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

/// Waits for `child` to exit, killing it (and failing) after [`timeout`].
#[track_caller]
pub fn wait_child(mut child: Child, what: &str) -> std::process::ExitStatus {
    let pid = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(timeout()) {
        Ok(status) => status.expect("wait"),
        Err(_) => {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            panic!("`{what}` did not exit within {:?}", timeout());
        }
    }
}

/// What a terminal has shown so far.
#[derive(Default)]
struct Screen {
    bytes: Mutex<Vec<u8>>,
    grew: Condvar,
}

/// A test terminal: a pty opened by the test, an interactive `sh` on it.
pub struct Term {
    master: File,
    slave: File,
    shown: Arc<Screen>,
    cursor: usize,
    pub shell: Child,
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
            while let Ok(n) = reader.read(&mut buf) {
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

    /// Everything shown so far, lossily decoded.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.shown.bytes.lock().unwrap()).into_owned()
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

/// Sets the mode bits of a path.
pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}
