//! `session`: the process-manager view of the same sessions (SPEC §6).

use crate::cli::{Session, SessionVerb};
use crate::commands;
use crate::daemon::Daemon;
use crate::fatal::{Failure, REFUSED, say};
use crate::signaller::{Signaller, terminal_size};
use sess_proto::{CreateSpec, Refusal, Reply, Request, SessionInfo, State, Verb};
use sess_sys::paths::{Dirs, system_dirs};
use std::io::{Read, Write};

/// Exit status when the user leaves a waiting session at its prompt (^C).
const LEFT: i32 = 130;

fn call(request: Request) -> Result<Reply, Failure> {
    Daemon::connect(&Dirs::from_env())?.call(&request)
}

/// Sends a request about `target`; refusals become failures.
fn act(target: &str, request: Request) -> Result<Reply, Failure> {
    match call(request)? {
        Reply::Refused(Refusal::Running(pid)) => Err(Failure {
            level: "",
            text: format!(
                "The session '{target}' is running (PID {pid}). Use `session rm -f {target}` \
                 to stop and delete the session."
            ),
            status: REFUSED,
        }),
        Reply::Refused(refusal) => Err(Failure::refused(target, refusal)),
        reply => Ok(reply),
    }
}

fn info(target: &str) -> Result<SessionInfo, Failure> {
    match act(target, Request::Resolve { target: target.to_owned() })? {
        Reply::Session(info) => Ok(info),
        other => Err(unexpected(other)),
    }
}

fn unexpected(reply: Reply) -> Failure {
    Failure::fatal(format!("unexpected answer from sessd: {reply:?}"))
}

fn manage(target: &str, verb: Verb) -> Result<i32, Failure> {
    act(target, Request::Manage { target: target.to_owned(), verb }).map(|_| 0)
}

/// `session -g ...`: run again as root (through sudo unless we are root)
/// with the system daemon's dirs, and without `-g`.
fn global() -> Failure {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().unwrap_or_else(|_| "session".into());
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "-g") {
        args.remove(at);
    }
    let (runtime, state) = system_dirs();
    let mut command = if nix::unistd::geteuid().is_root() {
        std::process::Command::new(&exe)
    } else {
        let mut sudo = std::process::Command::new("sudo");
        sudo.arg("--").arg("env");
        sudo.arg(format!("SESS_RUNTIME_DIR={}", runtime.display()));
        sudo.arg(format!("SESS_STATE_DIR={}", state.display()));
        sudo.arg(&exe);
        sudo
    };
    let err =
        command.env("SESS_RUNTIME_DIR", &runtime).env("SESS_STATE_DIR", &state).args(args).exec();
    Failure::fatal(format!("cannot run as root for -g: {err}"))
}

pub fn run(args: Session) -> Result<i32, Failure> {
    if args.global {
        return Err(global());
    }
    match args.verb {
        SessionVerb::Create { name, suspended, dir, env, command } => {
            create(name, suspended, dir, env, command)
        }
        SessionVerb::Attach { name } => attach(&name),
        SessionVerb::Suspend { name } => manage(&name, Verb::Suspend),
        SessionVerb::Resume { name } => manage(&name, Verb::Resume),
        SessionVerb::Stop { name } => manage(&name, Verb::Stop),
        SessionVerb::Start { name } => manage(&name, Verb::Start),
        SessionVerb::Restart { name } => manage(&name, Verb::Restart),
        SessionVerb::Rm { force, name } => manage(&name, Verb::Remove { force }),
        SessionVerb::Save { name } => {
            let target = name.clone().unwrap_or_default();
            act(&target, Request::Save { target: name }).map(|_| 0)
        }
        SessionVerb::Status { name } => {
            say(status_line(&name, &info(&name)?))?;
            Ok(0)
        }
        SessionVerb::List { json } => list(json),
        SessionVerb::Get { name, key } => {
            let Reply::Attributes(pairs) = act(&name, Request::Get { target: name.clone(), key })?
            else {
                return Err(Failure::fatal("unexpected answer from sessd"));
            };
            let mut out = std::io::stdout().lock();
            for (key, value) in pairs {
                writeln!(out, "{key}={value}")?;
            }
            Ok(0)
        }
        SessionVerb::Set { name, key, value } => {
            act(&name, Request::Set { target: name.clone(), key, value }).map(|_| 0)
        }
        SessionVerb::Rename { old, new } => {
            let request = Request::Set { target: old.clone(), key: "name".into(), value: new };
            act(&old, request).map(|_| 0)
        }
        SessionVerb::Export { name } => match act(&name, Request::Export { target: name.clone() })?
        {
            Reply::Text(json) => {
                say(json)?;
                Ok(0)
            }
            other => Err(unexpected(other)),
        },
        SessionVerb::Import { file } => {
            let json = if file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| Failure::fatal(format!("cannot read {}: {e}", file.display())))?
            };
            match act("", Request::Import { json })? {
                Reply::Session(info) => {
                    say(format!("Session '{}' imported.", info.name))?;
                    Ok(0)
                }
                other => Err(unexpected(other)),
            }
        }
    }
}

fn create(
    name: Option<String>,
    suspended: bool,
    dir: Option<std::path::PathBuf>,
    env: Vec<String>,
    command: Vec<String>,
) -> Result<i32, Failure> {
    let here = std::env::current_dir()?;
    let cwd = dir.map(|d| here.join(d)).unwrap_or(here);
    if !cwd.is_dir() {
        return Err(Failure::fatal(format!("cannot use {}: not a directory", cwd.display())));
    }
    let mut vars: Vec<(String, String)> =
        crate::environment().into_iter().filter(|(k, _)| k != "PTY").collect();
    for pair in env {
        let Some((key, value)) = pair.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(Failure::fatal(format!("-e {pair}: use -e KEY=VALUE")));
        };
        vars.retain(|(k, _)| k != key);
        vars.push((key.to_owned(), value.to_owned()));
    }
    let spec = CreateSpec {
        name,
        command: command.clone(),
        env: vars,
        cwd: cwd.display().to_string(),
        size: terminal_size(),
        kept: true,
        attach: false,
        start_suspended: suspended,
    };
    match call(Request::Create(spec))? {
        Reply::Session(info) if suspended => {
            say(format!("Session '{}' created and suspended.", info.name))?;
            Ok(0)
        }
        Reply::Session(info) => {
            say(format!("Session '{}' started", info.name))?;
            Ok(0)
        }
        Reply::Refused(refusal) => Err(Failure::refused(&command[0], refusal)),
        other => Err(unexpected(other)),
    }
}

/// `Session 'NAME' is running, PID N.` and the other states' lines.
pub fn status_line(name: &str, info: &SessionInfo) -> String {
    let pid = info.pid.map_or(String::new(), |p| p.to_string());
    match info.state {
        State::Running => format!("Session '{name}' is running, PID {pid}."),
        State::Suspended => format!("Session '{name}' is suspended, PID {pid}."),
        State::Stopped => match info.exit_status {
            Some(status) => format!("Session '{name}' is stopped (exit status {status})."),
            None => format!("Session '{name}' is stopped."),
        },
        State::Waiting => format!("Session '{name}' is waiting to be started."),
    }
}

fn list(json: bool) -> Result<i32, Failure> {
    let Reply::Sessions(sessions) = call(Request::List)? else {
        return Err(Failure::fatal("unexpected answer from sessd"));
    };
    let mut out = std::io::stdout().lock();
    if json {
        let list: Vec<_> = sessions.iter().map(commands::json).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&list).expect("plain JSON"))?;
        return Ok(0);
    }
    let rows: Vec<[String; 6]> = sessions.iter().map(table_row).collect();
    let header = ["ID", "NAME", "STATE", "PID", "CONNECTED", "TITLE/COMMAND"].map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line += cell;
            } else {
                line += &format!("{cell:<width$}  ", width = widths[i]);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(0)
}

fn table_row(info: &SessionInfo) -> [String; 6] {
    let state = format!("{:?}", info.state).to_lowercase();
    let what = if info.title.is_empty() {
        shlex::try_join(info.command.iter().map(String::as_str)).unwrap_or_default()
    } else {
        info.title.clone()
    };
    [
        info.id.clone(),
        info.name.clone(),
        state,
        info.pid.map_or("-".into(), |p| p.to_string()),
        if info.connected { "yes" } else { "no" }.into(),
        crate::signaller::visible(&what),
    ]
}

/// Connects to a session; a waiting one asks before starting its program,
/// a suspended one is resumed.
fn attach(target: &str) -> Result<i32, Failure> {
    let mut signaller = Signaller::new(Dirs::from_env())?;
    let info = info(target)?;
    match info.state {
        State::Waiting => {
            let command = shlex::try_join(info.command.iter().map(String::as_str))
                .unwrap_or_else(|_| info.command.join(" "));
            let prompt = format!(
                "Session '{target}' is suspended; press Enter to start {command}, ^C to leave it: "
            );
            if !signaller.confirm(&prompt) {
                return Ok(LEFT);
            }
            manage(target, Verb::Start)?;
        }
        State::Stopped => {
            return Err(Failure::fatal(format!(
                "session {target} is stopped; `session start {target}` starts it"
            ))
            .with_status(REFUSED));
        }
        // A connect continues the foreground only; continue them all.
        State::Suspended => manage(target, Verb::Resume).map(drop)?,
        State::Running => {}
    }
    Ok(signaller.follow(target.to_owned(), false, true))
}
