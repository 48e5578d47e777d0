//! The client side of sess: every command a user types.
//!
//! - [`cli`]: the command lines (clap).
//! - [`signaller`]: `sess` and `reconnect` on the user's terminal.
//! - [`commands`]: the control commands (disconnect, reconnect inside a
//!   session, sessname, sesslist, sesskill).
//! - [`manager`]: `session`, the process-manager verbs.
//! - [`menu`]: `sessmenu`, the login offer; [`ps`] its process listing.
//! - [`who`]: `sesswho` and `sesswhere`, from the who dir.
//! - [`daemon`]: reaching sessd, starting it when needed.
//! - [`fatal`]: failures in the SPEC's words and statuses.
//!
//! Each `main_*` function is a whole binary: parse, run, print at most one
//! error line, return the exit status.

#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod daemon;
pub mod fatal;
pub mod manager;
pub mod menu;
pub mod ps;
pub mod signaller;
pub mod who;

use clap::Parser;
use fatal::Failure;
use sess_proto::{CreateSpec, Reply, Request};
use sess_sys::paths::Dirs;
use signaller::Signaller;

/// Parses argv as `A`; a usage error becomes its exit status.
pub fn parse<A: Parser>() -> Result<A, i32> {
    A::try_parse().map_err(sess_sys::exit::usage)
}

/// Parses argv as `A`, runs `f`, and turns the outcome into a status.
fn main_with<A: Parser>(f: impl FnOnce(A) -> Result<i32, Failure>) -> i32 {
    let args = match parse::<A>() {
        Ok(args) => args,
        Err(status) => return status,
    };
    match f(args) {
        Ok(status) => status,
        Err(failure) => {
            eprintln!("{}", failure.line());
            failure.status
        }
    }
}

pub fn main_sess() -> i32 {
    main_with(sess)
}

pub fn main_disconnect() -> i32 {
    main_with(commands::disconnect)
}

pub fn main_reconnect() -> i32 {
    main_with(commands::reconnect)
}

pub fn main_sessname() -> i32 {
    main_with(commands::sessname)
}

pub fn main_sesslist() -> i32 {
    main_with(commands::sesslist)
}

pub fn main_sesskill() -> i32 {
    main_with(commands::sesskill)
}

pub fn main_session() -> i32 {
    main_with(manager::run)
}

pub fn main_sessmenu() -> i32 {
    main_with(menu::sessmenu)
}

pub fn main_sesswho() -> i32 {
    main_with(who::sesswho)
}

pub fn main_sesswhere() -> i32 {
    main_with(who::sesswhere)
}

/// `sess [-n NAME] [PROGRAM [ARG...]]`: a new ephemeral session, connected.
/// This process's environment for a new program. Variables whose name or
/// value is not UTF-8 cannot cross the protocol and are left out.
pub fn environment() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

fn sess(args: cli::Sess) -> Result<i32, Failure> {
    let signaller = Signaller::new(Dirs::from_env())?;
    let command = if args.command.is_empty() {
        vec![std::env::var("SHELL").ok().filter(|s| !s.is_empty()).unwrap_or("/bin/sh".into())]
    } else {
        args.command
    };
    let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or("/".into());
    let spec = CreateSpec {
        name: args.name,
        command: command.clone(),
        env: environment(),
        cwd,
        size: signaller::terminal_size(),
        kept: false,
        attach: true,
        start_suspended: false,
    };
    let mut daemon = daemon::Daemon::connect(signaller.dirs())?;
    match daemon.call(&Request::Create(spec))? {
        Reply::Session(info) => {
            drop(daemon);
            Ok(signaller.follow(info.id, false, false))
        }
        Reply::Refused(refusal) => Err(Failure::refused(&command[0], refusal)),
        other => Err(Failure::fatal(format!("unexpected answer from sessd: {other:?}"))),
    }
}
