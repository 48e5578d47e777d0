//! The control commands: one request, one reply, exit.

use crate::cli;
use crate::daemon::Daemon;
use crate::fatal::Failure;
use crate::signaller::Signaller;
use sess_proto::{Pending, Reply, Request, SessionInfo, State};
use sess_sys::paths::Dirs;
use std::io::Write;

/// The session a command acts on: `-s XX`, else `$PTY`.
fn current(session: Option<String>) -> Result<String, Failure> {
    session
        .or_else(|| std::env::var("PTY").ok().filter(|p| !p.is_empty()))
        .ok_or_else(Failure::no_target)
}

/// Sends `request` about `target`; `Ok` or a failure in the SPEC's words.
fn act(target: &str, request: Request) -> Result<Reply, Failure> {
    let reply = Daemon::connect(&Dirs::from_env())?.call(&request)?;
    match reply {
        Reply::Refused(refusal) => Err(Failure::refused(target, refusal)),
        reply => Ok(reply),
    }
}

fn session_info(target: &str) -> Result<SessionInfo, Failure> {
    match act(target, Request::Resolve { target: target.to_owned() })? {
        Reply::Session(info) => Ok(info),
        other => Err(Failure::fatal(format!("unexpected answer from sessd: {other:?}"))),
    }
}

pub fn disconnect(args: cli::Disconnect) -> Result<i32, Failure> {
    let target = current(args.session)?;
    match act(&target, Request::Disconnect { target: target.clone() }) {
        Err(f) if f.text.ends_with(" not connected") => {
            Err(Failure::warning(format!("session {target} already disconnected")))
        }
        other => other.map(|_| 0),
    }
}

pub fn reconnect(args: cli::Reconnect) -> Result<i32, Failure> {
    let inside =
        args.session.clone().or_else(|| std::env::var("PTY").ok().filter(|p| !p.is_empty()));
    let Some(cur) = inside else {
        let target = args.target.ok_or_else(Failure::no_target)?;
        return Ok(Signaller::new(Dirs::from_env())?.follow(target, args.force, true));
    };
    let pending = args.target.clone().map(|target| Pending { target, force: args.force });
    act(&cur, Request::SetPending { target: cur.clone(), pending })?;
    let prog = sess_sys::prog_name();
    match args.target {
        Some(target) => {
            eprintln!("{prog}: will connect to session {target} when session {cur} is done")
        }
        None => eprintln!("{prog}: will drop when session {cur} is done"),
    }
    Ok(0)
}

pub fn sessname(args: cli::Sessname) -> Result<i32, Failure> {
    let target = current(args.session)?;
    match args.title {
        Some(title) => {
            act(&target, Request::SetTitle { target: target.clone(), title })?;
        }
        None => {
            let info = session_info(&target)?;
            match info.title.as_str() {
                "" => crate::fatal::say(format!("session {}", info.id))?,
                title => crate::fatal::say(format!("session {}: {title}", info.id))?,
            }
        }
    }
    Ok(0)
}

pub fn sesskill(args: cli::Sesskill) -> Result<i32, Failure> {
    if !args.yes {
        return Err(Failure::fatal("-y not specified, so no action taken"));
    }
    let ours = std::env::var("PTY").ok().filter(|p| !p.is_empty());
    let target = current(args.session)?;
    if !args.me && ours.is_some() {
        let info = session_info(&target)?;
        if Some(&info.id) == ours.as_ref() {
            return Err(Failure::fatal(
                "that session is us, and -m not specified, so no action taken",
            ));
        }
    }
    act(&target, Request::Kill { target: target.clone() })?;
    Ok(0)
}

pub fn sesslist(args: cli::Sesslist) -> Result<i32, Failure> {
    let sessions = match Daemon::connect(&Dirs::from_env())?.call(&Request::List)? {
        Reply::Sessions(sessions) => sessions,
        Reply::Refused(refusal) => return Err(Failure::refused("", refusal)),
        other => {
            return Err(Failure::fatal(format!("unexpected answer from sessd: {other:?}")));
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<_> = sessions.iter().map(json).collect();
        let text = serde_json::to_string_pretty(&list).expect("plain JSON");
        writeln!(out, "{text}")?;
        return Ok(0);
    }
    let end = if args.nul { "\0" } else { "\n" };
    for info in &sessions {
        write!(out, "{}{end}", list_line(info))?;
    }
    Ok(0)
}

/// `session XX pid M slave P STATE[ (will drop into YY)][: TITLE]`.
pub fn list_line(info: &SessionInfo) -> String {
    let mut line = format!("session {}", info.id);
    let state = match info.state {
        State::Running if info.connected => "connected",
        State::Running => "disconnected",
        State::Suspended => "suspended",
        State::Waiting => "waiting",
        State::Stopped => "stopped",
    };
    if let (Some(master), Some(pid)) = (info.master_pid, info.pid) {
        line += &format!(" pid {master} slave {pid}");
    }
    line += &format!(" {state}");
    if let Some(target) = &info.pending_reconnect {
        line += &format!(" (will drop into {target})");
    }
    if !info.title.is_empty() {
        line += &format!(": {}", info.title);
    }
    line
}

/// A session as `sesslist --json` and `session list --json` print it.
pub fn json(info: &SessionInfo) -> serde_json::Value {
    let state = match info.state {
        State::Running => "running",
        State::Suspended => "suspended",
        State::Waiting => "waiting",
        State::Stopped => "stopped",
    };
    serde_json::json!({
        "id": info.id,
        "name": info.name,
        "title": info.title,
        "state": state,
        "connected": info.connected,
        "pid": info.pid,
        "master_pid": info.master_pid,
        "tty": info.tty,
        "command": info.command,
        "cwd": info.cwd,
        "created_at": sess_sys::rfc3339(info.created_at),
        "last_use": sess_sys::rfc3339(info.last_use),
        "runtime_ms": sess_sys::now_ms().saturating_sub(info.created_at),
        "pending_reconnect": info.pending_reconnect,
        "connected_from": info.connected_from,
        "kept": info.kept,
        "exit_status": info.exit_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> SessionInfo {
        SessionInfo {
            id: "p7".into(),
            name: "sh1".into(),
            title: String::new(),
            state: State::Running,
            connected: true,
            pid: Some(16615),
            master_pid: Some(16614),
            tty: None,
            command: vec!["sh".into()],
            cwd: "/".into(),
            created_at: 0,
            last_use: 0,
            pending_reconnect: None,
            connected_from: None,
            kept: false,
            exit_status: None,
        }
    }

    #[test]
    fn list_lines_follow_the_paper() {
        let mut i = info();
        assert_eq!(list_line(&i), "session p7 pid 16614 slave 16615 connected");
        i.title = "writing net test program".into();
        i.pending_reconnect = Some("ra".into());
        assert_eq!(
            list_line(&i),
            "session p7 pid 16614 slave 16615 connected (will drop into ra): writing net test program"
        );
        i.connected = false;
        i.pending_reconnect = None;
        i.title.clear();
        assert_eq!(list_line(&i), "session p7 pid 16614 slave 16615 disconnected");
        i.state = State::Stopped;
        i.pid = None;
        assert_eq!(list_line(&i), "session p7 stopped");
    }

    #[test]
    fn json_has_the_documented_fields() {
        let v = json(&info());
        for key in [
            "id",
            "name",
            "title",
            "state",
            "connected",
            "pid",
            "master_pid",
            "tty",
            "command",
            "cwd",
            "created_at",
            "last_use",
            "runtime_ms",
            "pending_reconnect",
            "connected_from",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["created_at"], "1970-01-01T00:00:00Z");
        assert_eq!(v["state"], "running");
    }
}
