//! The command lines of the client binaries (clap), one struct each.

use clap::{CommandFactory, Parser};

/// The per-user session daemon.
///
/// sessd keeps the registry of your sessions and starts one master process
/// per session; the master holds the session's pseudo-terminal and program.
/// Any sess command starts sessd when it is not running. One sessd runs per
/// runtime dir; a second one exits with status 2. Killing sessd loses
/// nothing: the masters and programs keep running, and the next sessd
/// adopts them. Logs go to $SESS_STATE_DIR/sessd.log.
#[derive(Debug, Parser)]
#[command(name = "sessd", version)]
pub struct Sessd {
    /// Stay in the foreground and log to stderr.
    #[arg(long)]
    pub foreground: bool,
    /// What init runs at boot: start, and bring back the sessions whose
    /// restart-style says so (every start reconciles; this is the name for
    /// it in boot scripts).
    #[arg(long)]
    pub boot: bool,
    /// Run as a session master (sessd starts these itself).
    #[arg(long, hide = true)]
    pub master: bool,
}

/// Create a session running PROGRAM and connect this terminal to it.
///
/// The program (default $SHELL, else /bin/sh) runs on a new pseudo-terminal
/// as a session leader, with PTY set to the session's id. The terminal is in
/// raw mode while connected and is restored exactly when the connection
/// ends. The detach key (default ^\, config detach-key) disconnects; typed
/// twice it sends itself. When the connection ends, a pending reconnect is
/// followed. Exit status: the program's (128+N for signal N) if it ended,
/// 0 if the session was disconnected, 127 if the program cannot be run.
#[derive(Debug, Parser)]
#[command(name = "sess", version)]
pub struct Sess {
    /// Name the session (default: the program's basename and a number).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// The program and its arguments (default: $SHELL, else /bin/sh).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "PROGRAM")]
    pub command: Vec<String>,
}

/// Disconnect the current session (or XX) from its terminal.
///
/// The session keeps running; its program notices nothing. The terminal's
/// sess follows its pending reconnect, or exits 0. Returns once the session
/// is disconnected.
#[derive(Debug, Parser)]
#[command(name = "disconnect", version)]
pub struct Disconnect {
    /// The session to disconnect (default: $PTY).
    #[arg(short = 's', value_name = "XX")]
    pub session: Option<String>,
}

/// When this session is done, connect its terminal to TARGET.
///
/// Inside a session (or with -s), nothing happens now: the connection
/// remembers TARGET and connects to it when the session is disconnected or
/// its program exits. Only the latest reconnect counts; no TARGET clears it.
/// Outside any session, the terminal connects to TARGET at once. Status 17
/// when TARGET does not exist, 16 when it is connected elsewhere (-f takes
/// it over).
#[derive(Debug, Parser)]
#[command(name = "reconnect", version)]
pub struct Reconnect {
    /// The session whose connection reconnects (default: $PTY).
    #[arg(short = 's', value_name = "XX")]
    pub session: Option<String>,
    /// Take TARGET over if it is connected somewhere else.
    #[arg(short = 'f')]
    pub force: bool,
    /// The session to connect to; none clears a pending reconnect.
    pub target: Option<String>,
}

/// Show or set the current session's title.
///
/// Without TITLE, prints "session XX" or "session XX: TITLE". With TITLE,
/// sets it (at most 99 bytes are kept).
#[derive(Debug, Parser)]
#[command(name = "sessname", version)]
pub struct Sessname {
    /// The session (default: $PTY).
    #[arg(short = 's', value_name = "XX")]
    pub session: Option<String>,
    /// The new title (at most 99 bytes are kept).
    pub title: Option<String>,
}

/// List your sessions.
///
/// One line per session, sorted by id: "session XX pid MASTER slave PROGRAM
/// connected|disconnected", then " (will drop into YY)" for a pending
/// reconnect and ": TITLE" for a title.
#[derive(Debug, Parser)]
#[command(name = "sesslist", version)]
pub struct Sesslist {
    /// End each record with NUL instead of a newline.
    #[arg(short = '0')]
    pub nul: bool,
    /// Print a JSON array of objects.
    #[arg(long)]
    pub json: bool,
}

/// Kill a session: its program and every process of its kernel session.
///
/// Every process of the session gets SIGHUP and SIGTERM, then SIGKILL after
/// 5 seconds. Refuses without -y, and refuses to kill the session it runs
/// in without -m.
#[derive(Debug, Parser)]
#[command(name = "sesskill", version)]
pub struct Sesskill {
    /// Yes, really kill it.
    #[arg(short = 'y')]
    pub yes: bool,
    /// Allow killing the session this command runs in.
    #[arg(short = 'm')]
    pub me: bool,
    /// The session to kill (default: $PTY).
    #[arg(short = 's', value_name = "XX")]
    pub session: Option<String>,
}

/// Every command with a man page, as clap sees it.
pub fn commands() -> Vec<clap::Command> {
    vec![
        Sessd::command(),
        Sess::command(),
        Disconnect::command(),
        Reconnect::command(),
        Sessname::command(),
        Sesslist::command(),
        Sesskill::command(),
        Session::command(),
        Sessmenu::command(),
        Sesswho::command(),
        Sesswhere::command(),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    fn render(cmd: clap::Command) -> String {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut out).expect("render to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    /// The pages in man/ are generated; `SESS_BLESS=1 cargo test` renews them.
    #[test]
    fn man_pages_are_current() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../man");
        let bless = std::env::var_os("SESS_BLESS").is_some();
        for cmd in super::commands() {
            let path = dir.join(format!("{}.1", cmd.get_name()));
            let page = render(cmd);
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &page).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(on_disk == page, "{} is stale: run SESS_BLESS=1 cargo test", path.display());
        }
    }
}

/// Offer your disconnected sessions at login.
///
/// For each disconnected session, shows its terminal, a ps-style listing of
/// its processes and its title, then asks for its two-character id: typing
/// it reconnects (an id that was not offered is asked for again); just
/// Return, or a single character, starts a new session running PROGRAM
/// (default $SHELL) as `sess` would. Without a terminal on stdin, or without a
/// disconnected session, it starts the new session at once (with --no-new,
/// it exits 0 instead).
#[derive(Debug, Parser)]
#[command(name = "sessmenu", version)]
pub struct Sessmenu {
    /// Never start a new session: exit 0 instead.
    #[arg(long)]
    pub no_new: bool,
    /// The program for a new session, and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "PROGRAM")]
    pub command: Vec<String>,
}

/// Show every user's sessions on this machine.
///
/// One line per session: `XX  Mmm dd hh:mm  USER  MASTERPID` (the session's
/// start, local time). With -l, sessions that ended during this boot too.
/// The administrator can turn this off (`who = false` in the system config,
/// /etc/sess/config.toml or $SESS_SYSTEM_CONFIG; `who-dir` moves the records
/// from /run/sess/who).
#[derive(Debug, Parser)]
#[command(name = "sesswho", version)]
pub struct Sesswho {
    /// Also show sessions that ended (exit, cleanup).
    #[arg(short = 'l')]
    pub long: bool,
}

/// Show where every user's sessions are connected from.
///
/// One line per session: `XX  Mmm dd hh:mm  connect FROM` or `disconnect`
/// (the time of the last change). FROM is the client's SSH peer address or
/// `(local TTY)`. With -l, ended sessions (exit, cleanup) too. The system
/// config switches it off and moves its records as for sesswho.
#[derive(Debug, Parser)]
#[command(name = "sesswhere", version)]
pub struct Sesswhere {
    /// Also show sessions that ended (exit, cleanup).
    #[arg(short = 'l')]
    pub long: bool,
}

/// Manage sessions as named, kept services.
///
/// Sessions made with `session create` are kept: when the program exits the
/// session stays, stopped, until `session rm`. Every verb takes a session's
/// id or name, and `sess` sessions appear here too. A `waiting` session
/// (created with -s, "created and suspended") has not started its program;
/// a `suspended` one is stopped: by `session suspend` (SIGSTOP), or by
/// anyone's SIGSTOP, until `session resume` or anyone's SIGCONT.
///
/// Exit status: 0 on success; 1 when the request is refused (`rm` of a
/// running session, a taken name, the session limit `max-sessions`); 2 for
/// bad usage, an unknown session, a bad attribute or any other error.
#[derive(Debug, Parser)]
#[command(name = "session", version)]
pub struct Session {
    /// System-wide sessions, kept by root's daemon (runtime /run/sess/system,
    /// state /var/lib/sess); a user other than root goes through sudo.
    #[arg(short = 'g')]
    pub global: bool,
    #[command(subcommand)]
    pub verb: SessionVerb,
}

#[derive(Debug, clap::Subcommand)]
pub enum SessionVerb {
    /// Create a kept session running PROGRAM.
    Create {
        /// The session's name (default: the program's basename and a number).
        #[arg(short = 'n', value_name = "NAME")]
        name: Option<String>,
        /// Create it waiting: the program starts when someone attaches.
        #[arg(short = 's')]
        suspended: bool,
        /// Run the program in DIR.
        #[arg(short = 'C', value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
        /// Add K=V to the program's environment.
        #[arg(short = 'e', value_name = "K=V")]
        env: Vec<String>,
        /// The program and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Connect this terminal to a session (a waiting one asks first, a
    /// suspended one is resumed).
    Attach { name: String },
    /// Stop every process of the session with SIGSTOP.
    Suspend { name: String },
    /// Continue every process of the session with SIGCONT.
    Resume { name: String },
    /// End the program (SIGHUP, SIGTERM, then SIGKILL); the session stays.
    Stop { name: String },
    /// Start the program of a stopped or waiting session.
    Start { name: String },
    /// Stop, then start (same id and name, a new pid).
    Restart { name: String },
    /// Print the session's state (with the exit status of a program that
    /// ended by itself).
    Status { name: String },
    /// List sessions.
    List {
        /// Print a JSON array of objects.
        #[arg(long)]
        json: bool,
    },
    /// Print attributes as key=value lines.
    Get { name: String, key: Option<String> },
    /// Set an attribute (command and restart-command as ['/bin/x', 'arg']
    /// or as shell words; cwd and log as absolute paths).
    Set {
        name: String,
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Rename a session (the same as `set OLD name NEW`).
    Rename { old: String, new: String },
    /// Delete a session; -f stops a running one first.
    Rm {
        #[arg(short = 'f')]
        force: bool,
        name: String,
    },
    /// Print a session's definition as JSON.
    Export { name: String },
    /// Checkpoint: send save-signal to the sessions that set one, wait up
    /// to 5 s, and store each session's screen (all sessions without NAME).
    Save { name: Option<String> },
    /// Create a session from a definition (a new id and a free name).
    Import {
        /// The JSON file, or - for standard input.
        file: std::path::PathBuf,
    },
}
