//! `sesswho` and `sesswhere`: every user's sessions on this machine, from
//! the records each user's daemon publishes in the who dir.

use crate::cli;
use crate::fatal::Failure;
use sess_sys::config::SystemConfig;
use sess_sys::who::{self, WhoEntry, WhoFile, WhoState};
use std::io::Write;

/// A time as `Mmm dd hh:mm` (`%b %e %H:%M`), local.
fn when(ms: u64) -> String {
    jiff::Timestamp::from_millisecond(ms as i64)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::system()).strftime("%b %e %H:%M").to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Every published session, users in order, ids in order; ended ones only
/// with `-l`.
fn sessions(long: bool) -> Result<Vec<(String, WhoEntry)>, Failure> {
    let config = SystemConfig::load()?;
    if !config.who {
        return Err(Failure::fatal("session reporting is disabled on this system"));
    }
    let files: Vec<WhoFile> = who::read_all(&config.who_dir).map_err(|e| {
        let reason = e
            .raw_os_error()
            .map_or_else(|| e.to_string(), |n| nix::errno::Errno::from_raw(n).desc().to_owned());
        Failure::fatal(format!("cannot open {}: {reason}", config.who_dir.display()))
    })?;
    let mut out = Vec::new();
    for file in files {
        let mut entries: Vec<WhoEntry> =
            file.sessions.into_iter().filter(|s| long || !s.state.ended()).collect();
        entries.sort_by(|a, b| (a.id.len(), &a.id, a.started).cmp(&(b.id.len(), &b.id, b.started)));
        out.extend(entries.into_iter().map(|e| (file.user.clone(), e)));
    }
    Ok(out)
}

fn ended_word(state: WhoState) -> &'static str {
    match state {
        WhoState::Exit => "exit",
        WhoState::Cleanup => "cleanup",
        WhoState::Connect => "connect",
        WhoState::Disconnect => "disconnect",
    }
}

/// `XX  Mmm dd hh:mm  USER(padded to 16)  MASTERPID`.
pub fn sesswho(args: cli::Sesswho) -> Result<i32, Failure> {
    let mut out = std::io::stdout().lock();
    for (user, s) in sessions(args.long)? {
        let pid = s.master_pid.map_or(String::new(), |p| p.to_string());
        let mut line = format!("{}  {}  {user:<16}  {pid}", s.id, when(s.started));
        if s.state.ended() {
            line = format!("{line}  {}", ended_word(s.state));
        }
        writeln!(out, "{}", crate::signaller::visible(&line))?;
    }
    Ok(0)
}

/// `XX  Mmm dd hh:mm  connect FROM` / `... disconnect` (time of the last
/// change), and with `-l` `... exit` / `... cleanup`.
pub fn sesswhere(args: cli::Sesswhere) -> Result<i32, Failure> {
    let mut out = std::io::stdout().lock();
    for (_, s) in sessions(args.long)? {
        let what = match (s.state, &s.from) {
            (WhoState::Connect, Some(from)) => format!("connect {from}"),
            (state, _) => ended_word(state).to_owned(),
        };
        let line = format!("{}  {}  {what}", s.id, when(s.changed));
        writeln!(out, "{}", crate::signaller::visible(&line))?;
    }
    Ok(0)
}
