//! The command lines of the client binaries (clap), one struct each.

use clap::Parser;

/// Create a session running PROGRAM and connect this terminal to it.
#[derive(Debug, Parser)]
#[command(name = "sess", version, about, long_about = None)]
pub struct Sess {
    /// Name the session (default: the program's basename and a number).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// The program and its arguments (default: $SHELL, else /bin/sh).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PROGRAM"
    )]
    pub command: Vec<String>,
}

/// Disconnect the current session (or XX) from its terminal.
#[derive(Debug, Parser)]
#[command(name = "disconnect", version, about, long_about = None)]
pub struct Disconnect {
    /// The session to disconnect (default: $PTY).
    #[arg(short = 's', value_name = "XX")]
    pub session: Option<String>,
}

/// When this session is done, connect its terminal to TARGET; outside a
/// session, connect this terminal to TARGET now.
#[derive(Debug, Parser)]
#[command(name = "reconnect", version, about, long_about = None)]
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
#[derive(Debug, Parser)]
#[command(name = "sessname", version, about, long_about = None)]
pub struct Sessname {
    /// The session (default: $PTY).
    #[arg(short = 's', value_name = "XX")]
    pub session: Option<String>,
    /// The new title (at most 99 bytes are kept).
    pub title: Option<String>,
}

/// List your sessions.
#[derive(Debug, Parser)]
#[command(name = "sesslist", version, about, long_about = None)]
pub struct Sesslist {
    /// End each record with NUL instead of a newline.
    #[arg(short = '0')]
    pub nul: bool,
    /// Print a JSON array of objects.
    #[arg(long)]
    pub json: bool,
}

/// Kill a session: its program and every process of its kernel session.
#[derive(Debug, Parser)]
#[command(name = "sesskill", version, about, long_about = None)]
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
