//! The test world: private directories, real terminals, the real binaries.
//!
//! - [`World`]: one test's temp dirs and environment; runs commands; kills
//!   every process it started (found by its unique `SESS_RUNTIME_DIR` in
//!   `/proc/*/environ`) on drop, and prints the daemon log on failure.
//! - [`Term`] (in `term.rs`): a test terminal.
//!
//! Waits are on conditions with a deadline ([`timeout`]), never on sleeps.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

pub use crate::procs::{Stat, alive, stat, status_field};
pub use crate::term::{Pending, Term};

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
        "session" => env!("CARGO_BIN_EXE_session"),
        "sessmenu" => env!("CARGO_BIN_EXE_sessmenu"),
        "sesswho" => env!("CARGO_BIN_EXE_sesswho"),
        "sesswhere" => env!("CARGO_BIN_EXE_sesswhere"),
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
    /// The who dir its system config names (`SESS_SYSTEM_CONFIG`); not
    /// created, so nothing is published unless a test creates it.
    pub who: PathBuf,
}

impl World {
    /// A fresh world; the runtime and state dirs are left for the binaries
    /// to create.
    pub fn new() -> World {
        let dir = tempfile::Builder::new().prefix("sess-e2e.").tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        let home = root.join("home");
        fs::create_dir(&home).expect("home dir");
        let who = root.join("who");
        let system = format!("who-dir = {:?}\n", who.display().to_string());
        fs::write(root.join("system.toml"), system).expect("write the system config");
        World {
            who,
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
        all_pids()
            .filter(|&pid| pid != me)
            .filter(|pid| {
                fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == needle.as_slice()))
            })
            .collect()
    }

    /// The live processes of this world whose parent is `ppid`.
    pub fn children(&self, ppid: i32) -> Vec<Stat> {
        self.pids()
            .into_iter()
            .filter_map(stat)
            .filter(|s| s.ppid == ppid && s.state != 'Z')
            .collect()
    }

    /// SIGKILLs every process of this world, and every member of a kernel
    /// session one of them leads (in case a program's environment lost the
    /// marker), until none is left.
    fn kill_all(&self) {
        for _ in 0..100 {
            let mut pids = self.pids();
            let leaders = pids.clone();
            pids.extend(
                all_pids()
                    .filter_map(stat)
                    .filter(|s| s.state != 'Z' && leaders.contains(&s.session))
                    .map(|s| s.pid),
            );
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

/// Every pid in /proc.
fn all_pids() -> impl Iterator<Item = i32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
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

/// Sets the mode bits of a path.
pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}
