//! The tools under test and how to drive each one: start a program attached
//! to a test terminal, detach, reattach, create detached sessions, find the
//! tool's processes, and kill them all at the end.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use clap::ValueEnum;

use crate::error::{Error, Result, bail};
use crate::procs;
use crate::relay;
use crate::term::{NESTING_VARS, TestTerm};
use crate::workload::WORKLOAD_COMMS;

/// A tool under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Kind {
    /// The program directly on the test terminal: the baseline.
    Raw,
    /// sess: the client hands the terminal to the session's master.
    Sess,
    /// The program on a pty of its own, copied to the terminal by a minimal
    /// poll loop with no screen model: the floor of any design in which a
    /// master writes to the user's terminal.
    Relay,
    /// dtach: a master per session, its client copies every byte.
    Dtach,
    /// tmux: one server for all sessions, renders into the terminal.
    Tmux,
    /// GNU screen: a backend per session, renders into the terminal.
    Screen,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Raw, Kind::Sess, Kind::Relay, Kind::Dtach, Kind::Tmux, Kind::Screen];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Raw => "raw pty",
            Kind::Sess => "sess",
            Kind::Relay => "relay",
            Kind::Dtach => "dtach",
            Kind::Tmux => "tmux",
            Kind::Screen => "screen",
        }
    }

    /// Whether the tool keeps sessions that can be detached and reattached
    /// (the raw pty and the relay end with their terminal).
    pub fn has_sessions(self) -> bool {
        !matches!(self, Kind::Raw | Kind::Relay)
    }

    /// Short lower-case word for tags and socket names.
    fn word(self) -> &'static str {
        match self {
            Kind::Raw => "raw",
            Kind::Sess => "sess",
            Kind::Relay => "relay",
            Kind::Dtach => "dtach",
            Kind::Tmux => "tmux",
            Kind::Screen => "screen",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to find one session again, to detach from it or reattach to it.
#[derive(Debug, Clone)]
pub enum Handle {
    /// A sess session id.
    Sess(String),
    /// A dtach socket.
    Socket(PathBuf),
    /// A tmux session name or a screen session name.
    Name(String),
}

/// Environment variable that tags every process the benchmark starts. Its
/// value is `RUN:TOOL`; everything a tool forks inherits it.
pub const TAG_VAR: &str = "SESS_BENCH_TAG";

/// Everything shared by the runs of one benchmark: where things live and the
/// environment given to every tool.
pub struct Ctx {
    /// Unique id of this benchmark run (in tags, markers and names).
    pub run: String,
    /// Private temporary directory of the run.
    pub dir: PathBuf,
    /// Directory with the sess binaries (sess, sessd, sesslist, ...).
    pub sess_bin: PathBuf,
    /// This binary, which is also the relay tool.
    exe: PathBuf,
    /// Name of this instance of the tools, when not the run's main one
    /// (see [`Ctx::instance`]).
    instance: Option<String>,
    serial: AtomicU32,
}

/// Test terminals use this TERM, and a UTF-8 locale so that every tool
/// passes the file's UTF-8 through.
const TERM: &str = "xterm-256color";
const LOCALE: &str = "C.UTF-8";

/// Patience for steps that should take milliseconds.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(15);

impl Ctx {
    pub fn new(run: String, dir: PathBuf, sess_bin: PathBuf) -> Result<Ctx> {
        let exe = std::env::current_exe()?;
        let ctx = Ctx { run, dir, sess_bin, exe, instance: None, serial: AtomicU32::new(0) };
        ctx.make_dirs()?;
        Ok(ctx)
    }

    /// A second, independent instance of every tool in the same run: its
    /// own directories (in `name` under the run's), so its own sessd and
    /// tmux server, and its own tags. Its sessions can run side by side with
    /// the main instance's without sharing a process.
    pub fn instance(&self, name: &str) -> Result<Ctx> {
        let ctx = Ctx {
            run: self.run.clone(),
            dir: self.dir.join(name),
            sess_bin: self.sess_bin.clone(),
            exe: self.exe.clone(),
            instance: Some(name.to_string()),
            serial: AtomicU32::new(0),
        };
        ctx.make_dirs()?;
        Ok(ctx)
    }

    fn make_dirs(&self) -> Result<()> {
        for sub in ["runtime", "state", "screen", "sock"] {
            mkdir_private(&self.dir.join(sub))?;
        }
        // A screenrc of our own: no start-up splash waiting for a key.
        std::fs::write(self.screenrc(), "startup_message off\n")?;
        Ok(())
    }

    /// Adds `line` to the screenrc of this instance.
    pub fn add_screenrc(&self, line: &str) -> Result<()> {
        use std::io::Write;
        let mut rc = std::fs::OpenOptions::new().append(true).open(self.screenrc())?;
        writeln!(rc, "{line}")?;
        Ok(())
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.join("runtime")
    }

    fn screenrc(&self) -> PathBuf {
        self.dir.join("screenrc")
    }

    /// The `TAG_VAR=value` entry of `kind`'s processes.
    pub fn tag(&self, kind: Kind) -> String {
        format!("{TAG_VAR}={}", self.tag_value(kind))
    }

    /// `RUN:TOOL`, or `RUN:TOOL:INSTANCE` in a second instance.
    fn tag_value(&self, kind: Kind) -> String {
        match &self.instance {
            None => format!("{}:{}", self.run, kind.word()),
            Some(name) => format!("{}:{}:{name}", self.run, kind.word()),
        }
    }

    /// Environment for every process started for `kind`.
    pub fn env(&self, kind: Kind) -> Vec<(String, String)> {
        let path = |sub: &str| self.dir.join(sub).to_string_lossy().into_owned();
        vec![
            (TAG_VAR.into(), self.tag_value(kind)),
            ("TERM".into(), TERM.into()),
            ("LC_ALL".into(), LOCALE.into()),
            ("SESS_RUNTIME_DIR".into(), path("runtime")),
            ("SESS_STATE_DIR".into(), path("state")),
            ("SCREENDIR".into(), path("screen")),
        ]
    }

    /// A name unique within the run, for sockets and tmux/screen sessions.
    fn unique(&self, kind: Kind) -> String {
        let n = self.serial.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}{n}", kind.word())
    }

    fn sess_cmd(&self, name: &str) -> OsString {
        self.sess_bin.join(name).into_os_string()
    }

    /// The command line that runs `program` under `kind`, attached to the
    /// current terminal, and the handle of the session it makes (sess ids
    /// are only known once the session exists: see [`Ctx::sess_new_id`]).
    fn attached_argv(&self, kind: Kind, program: &[OsString]) -> (Vec<OsString>, Option<Handle>) {
        let mut argv: Vec<OsString> = Vec::new();
        let handle = match kind {
            Kind::Raw => None,
            Kind::Sess => {
                argv.push(self.sess_cmd("sess"));
                None
            }
            Kind::Relay => return (relay::argv(&self.exe, program), None),
            Kind::Dtach => {
                let sock = self.dir.join("sock").join(self.unique(kind));
                argv.extend(["dtach".into(), "-c".into(), sock.clone().into(), "-z".into()]);
                Some(Handle::Socket(sock))
            }
            Kind::Tmux => {
                let name = self.unique(kind);
                argv.extend(self.tmux_base());
                argv.extend(["new-session".into(), "-s".into(), name.clone().into()]);
                Some(Handle::Name(name))
            }
            Kind::Screen => {
                let name = self.unique(kind);
                argv.extend(["screen".into(), "-c".into(), self.screenrc().into()]);
                argv.extend(["-S".into(), name.clone().into()]);
                Some(Handle::Name(name))
            }
        };
        argv.extend(program.iter().cloned());
        (argv, handle)
    }

    /// tmux with our private socket and no configuration file.
    fn tmux_base(&self) -> [OsString; 5] {
        let sock = self.dir.join("sock").join("tmux");
        ["tmux".into(), "-S".into(), sock.into(), "-f".into(), "/dev/null".into()]
    }

    /// Starts `program` under `kind` on a new test terminal.
    pub fn start(&self, kind: Kind, program: &[OsString]) -> Result<(TestTerm, Option<Handle>)> {
        let (argv, handle) = self.attached_argv(kind, program);
        Ok((TestTerm::spawn(&argv, &self.env(kind))?, handle))
    }

    /// Reattaches a detached session on a new test terminal.
    pub fn reattach(&self, kind: Kind, handle: &Handle) -> Result<TestTerm> {
        let argv: Vec<OsString> = match (kind, handle) {
            (Kind::Sess, Handle::Sess(id)) => vec![self.sess_cmd("reconnect"), id.into()],
            (Kind::Dtach, Handle::Socket(sock)) => {
                let mut argv: Vec<OsString> = vec!["dtach".into(), "-a".into(), sock.into()];
                argv.extend(["-z", "-r", "ctrl_l"].map(OsString::from));
                argv
            }
            (Kind::Tmux, Handle::Name(name)) => {
                let mut argv = self.tmux_base().to_vec();
                argv.extend(["attach-session".into(), "-t".into(), name.into()]);
                argv
            }
            (Kind::Screen, Handle::Name(name)) => {
                let rc = self.screenrc().into();
                vec!["screen".into(), "-c".into(), rc, "-r".into(), name.into()]
            }
            _ => bail!("{kind} cannot reattach"),
        };
        TestTerm::spawn(&argv, &self.env(kind))
    }

    /// Detaches the session attached on `term` and waits for its client to
    /// exit. sess is told with `disconnect -s`; the others get their detach
    /// keys typed.
    pub fn detach(&self, kind: Kind, term: &mut TestTerm, handle: &Handle) -> Result<()> {
        match (kind, handle) {
            (Kind::Sess, Handle::Sess(id)) => {
                self.run_quiet(kind, &[self.sess_cmd("disconnect"), "-s".into(), id.into()])?;
            }
            (Kind::Dtach, _) => term.write(b"\x1c")?,
            (Kind::Tmux, _) => term.write(b"\x02d")?,
            (Kind::Screen, _) => term.write(b"\x01d")?,
            _ => bail!("{kind} cannot detach"),
        }
        term.wait_exit(STEP_TIMEOUT).map_err(|e| e.context("detach"))
    }

    /// Creates a session running `program` that nobody is attached to; a
    /// sess session is started attached on a test terminal that waits for
    /// `ready` (which `program` must print), then disconnected.
    pub fn start_detached(&self, kind: Kind, program: &[OsString], ready: &str) -> Result<()> {
        let mut argv: Vec<OsString> = match kind {
            Kind::Sess => {
                let known = self.sess_ids()?;
                let (mut term, _) = self.start(kind, program)?;
                term.wait_for(ready.as_bytes(), STEP_TIMEOUT)?;
                let id = self.sess_new_id(&known)?;
                return self.detach(kind, &mut term, &Handle::Sess(id));
            }
            Kind::Dtach => {
                let sock = self.dir.join("sock").join(self.unique(kind));
                vec!["dtach".into(), "-n".into(), sock.into(), "-z".into()]
            }
            Kind::Tmux => {
                let mut argv = self.tmux_base().to_vec();
                argv.extend(["new-session", "-d", "-x", "80", "-y", "24"].map(OsString::from));
                argv
            }
            Kind::Screen => {
                let rc = self.screenrc().into();
                let name = self.unique(kind).into();
                vec!["screen".into(), "-c".into(), rc, "-dmS".into(), name]
            }
            Kind::Raw | Kind::Relay => bail!("{kind} has no detached sessions"),
        };
        argv.extend(program.iter().cloned());
        self.run_quiet(kind, &argv)
    }

    /// Runs a control command (no terminal) and checks its exit status.
    fn run_quiet(&self, kind: Kind, argv: &[OsString]) -> Result<()> {
        let out = self.control(kind, argv).output()?;
        if !out.status.success() {
            bail!(
                "{} failed ({}): {}",
                Path::new(&argv[0]).display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// A command without a terminal, in `kind`'s environment.
    fn control(&self, kind: Kind, argv: &[OsString]) -> Command {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).stdin(Stdio::null()).envs(self.env(kind));
        for var in NESTING_VARS {
            cmd.env_remove(var);
        }
        cmd
    }

    /// `sesslist --json`, parsed.
    fn sess_list(&self) -> Result<Vec<serde_json::Value>> {
        let out =
            self.control(Kind::Sess, &[self.sess_cmd("sesslist"), "--json".into()]).output()?;
        if !out.status.success() {
            bail!("sesslist --json failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        match serde_json::from_slice(&out.stdout)? {
            serde_json::Value::Array(list) => Ok(list),
            _ => bail!("sesslist --json did not print an array"),
        }
    }

    /// Ids of the current sess sessions.
    pub fn sess_ids(&self) -> Result<Vec<String>> {
        Ok(self
            .sess_list()?
            .iter()
            .filter_map(|s| s.get("id")?.as_str().map(str::to_string))
            .collect())
    }

    /// The id of the one sess session not in `known`.
    pub fn sess_new_id(&self, known: &[String]) -> Result<String> {
        let fresh: Vec<String> =
            self.sess_ids()?.into_iter().filter(|id| !known.contains(id)).collect();
        match fresh.as_slice() {
            [id] => Ok(id.clone()),
            _ => bail!("expected one new session in sesslist, found {fresh:?}"),
        }
    }

    /// Pids of sess masters, from `sesslist --json`; none when sessd is
    /// not running (asking would start it).
    fn sess_masters(&self) -> Vec<i32> {
        if self.sessd_pid().is_none() {
            return Vec::new();
        }
        let Ok(list) = self.sess_list() else {
            return Vec::new();
        };
        list.iter().filter_map(|s| s.get("master_pid")?.as_i64()).map(|pid| pid as i32).collect()
    }

    /// Pid of sessd, from its pid file.
    pub fn sessd_pid(&self) -> Option<i32> {
        procs::read_pid_file(&self.runtime_dir().join("sessd.pid")).filter(|&p| procs::alive(p))
    }

    /// The tool's own processes (clients, servers, masters, daemon), without
    /// the programs running inside it.
    pub fn tool_pids(&self, kind: Kind) -> Vec<i32> {
        if kind == Kind::Raw {
            return Vec::new();
        }
        let mut pids: Vec<i32> = procs::with_env(&[self.tag(kind)])
            .into_iter()
            .filter(|p| !WORKLOAD_COMMS.contains(&p.comm.as_str()))
            .map(|p| p.pid)
            .collect();
        if kind == Kind::Sess {
            // In case a master does not inherit the client's environment.
            pids.extend(self.sessd_pid());
            pids.extend(self.sess_masters());
        }
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// Kills the programs running inside `kind`'s sessions (which ends the
    /// sessions: every tool then exits on its own).
    pub fn kill_programs(&self, kind: Kind) {
        for p in procs::with_env(&[self.tag(kind)]) {
            if WORKLOAD_COMMS.contains(&p.comm.as_str()) {
                procs::kill_pid(p.pid);
            }
        }
    }

    /// Kills every process started for `kind`, by pid: for sess first sessd
    /// (so that it relaunches nothing), then the masters it knew, then all
    /// that carry the tag or our private SESS_RUNTIME_DIR. Repeats until
    /// none is left (or gives up after a while).
    pub fn kill_all(&self, kind: Kind) -> Result<()> {
        let runtime = format!("SESS_RUNTIME_DIR={}", self.runtime_dir().display());
        let mut entries = vec![self.tag(kind)];
        if kind == Kind::Sess {
            entries.push(runtime);
        }
        if kind == Kind::Sess {
            let masters = self.sess_masters();
            self.sessd_pid().into_iter().chain(masters).for_each(procs::kill_pid);
        }
        for _ in 0..50 {
            let mut pids: Vec<i32> = procs::with_env(&entries).iter().map(|p| p.pid).collect();
            pids.retain(|&p| procs::alive(p));
            if pids.is_empty() {
                return Ok(());
            }
            pids.iter().copied().for_each(procs::kill_pid);
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(Error::new(format!("some {kind} processes would not die")))
    }
}

/// Creates `dir` with mode 0700 (the tools refuse laxer socket directories).
pub fn mkdir_private(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    Ok(())
}

/// Whether `program` can be found in PATH.
pub fn in_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// Turns `sh -c SCRIPT sh ARGS...` into an argv.
pub fn sh(script: &str, args: &[&str]) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec!["sh".into(), "-c".into(), script.into(), "sh".into()];
    argv.extend(args.iter().map(OsString::from));
    argv
}
