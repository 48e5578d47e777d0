//! `sessmenu`: at login, offer the user's disconnected sessions, show what
//! runs in each, and take two characters to reconnect (SPEC §5).

use crate::cli;
use crate::daemon::Daemon;
use crate::fatal::Failure;
use crate::signaller::Signaller;
use sess_proto::{Reply, Request, SessionInfo, State};
use sess_sys::paths::Dirs;
use std::io::Write;
use std::os::unix::process::CommandExt;

const BS: u8 = 0x08;
const DEL: u8 = 0x7f;
const BEL: u8 = 0x07;

const RETURN_LINE: &str = "To instead start a new session as usual, just press return: ";

pub fn sessmenu(args: cli::Sessmenu) -> Result<i32, Failure> {
    let tty = nix::unistd::isatty(sess_sys::os::stdin()).unwrap_or(false);
    let disconnected = if tty { disconnected()? } else { Vec::new() };
    if disconnected.is_empty() {
        return new_session(&args);
    }
    let mut signaller = Signaller::new(Dirs::from_env())?;
    // Raw before the menu shows: an answer typed ahead is read as keys.
    let raw = signaller.enter_raw();
    let eol = if raw && nix::unistd::isatty(sess_sys::os::stdout()).unwrap_or(false) {
        "\r\n"
    } else {
        "\n"
    };
    offer(&disconnected, eol)?;
    // Two characters, or three if a session past the 416th is offered.
    let max = disconnected.iter().map(|s| s.id.len()).max().unwrap_or(2).max(2);
    loop {
        let answer = signaller.read_answer(max);
        if answer.len() < 2 {
            drop(signaller);
            return new_session(&args);
        }
        if disconnected.iter().any(|s| s.id == answer) {
            return Ok(signaller.follow(answer, false, true));
        }
        // A typo at login must not end the login: ask again.
        let raw = signaller.enter_raw();
        let warning =
            format!("{}: warning: no disconnected session {answer}", sess_sys::prog_name());
        sess_sys::tty::say(&warning, raw);
        let mut out = std::io::stdout().lock();
        write!(out, "{RETURN_LINE}")?;
        out.flush()?;
    }
}

/// Each session's terminal, processes and title, then the question.
fn offer(disconnected: &[SessionInfo], eol: &str) -> Result<(), Failure> {
    let mut lines = Vec::new();
    for s in disconnected {
        let tty = crate::signaller::visible(s.tty.as_deref().unwrap_or("?"));
        lines.push(format!("You have a disconnected session on {tty}, with these processes:"));
        lines.push(crate::ps::HEADER.to_owned());
        lines.extend(s.pid.map(|p| crate::ps::session_lines(p as i32)).unwrap_or_default());
        if !s.title.is_empty() {
            let title = crate::signaller::visible(&s.title);
            lines.push(format!("Session {} is named: {title}.", s.id));
        }
    }
    let last = &disconnected.last().expect("not empty").id;
    if disconnected.len() == 1 {
        lines.push("Would you like to reconnect to that session?".into());
        lines.push(format!("If so, type its two-character extension, {last}."));
    } else {
        lines.push("Would you like to reconnect to one of those sessions?".into());
        lines.push(format!(
            "If so, type its two-character extension, like {last} for the last one."
        ));
    }
    let mut out = std::io::stdout().lock();
    for line in lines {
        write!(out, "{line}{eol}")?;
    }
    write!(out, "{RETURN_LINE}")?;
    out.flush()?;
    Ok(())
}

/// The user's running, disconnected sessions, by id.
fn disconnected() -> Result<Vec<SessionInfo>, Failure> {
    match Daemon::connect(&Dirs::from_env())?.call(&Request::List)? {
        Reply::Sessions(all) => Ok(all
            .into_iter()
            .filter(|s| matches!(s.state, State::Running | State::Suspended) && !s.connected)
            .collect()),
        Reply::Refused(refusal) => Err(Failure::refused("", refusal)),
        other => Err(Failure::fatal(format!("unexpected answer from sessd: {other:?}"))),
    }
}

/// `sess PROGRAM...` in this process's place, or nothing with `--no-new`.
fn new_session(args: &cli::Sessmenu) -> Result<i32, Failure> {
    if args.no_new {
        return Ok(0);
    }
    let sess = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("sess")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| "sess".into());
    let err = std::process::Command::new(&sess).args(&args.command).exec();
    Err(Failure::fatal(format!("cannot exec {}: {err}", sess.display())))
}

/// The line editing of the answer: printable characters are echoed, BS and
/// DEL erase, a character past `max` rings the bell, CR or LF accepts, and
/// end of input means an empty answer. Pure, for the tests.
#[derive(Debug, Default)]
pub struct Answer {
    pub text: String,
    pub done: bool,
}

impl Answer {
    /// Takes one typed byte; returns what to echo.
    pub fn key(&mut self, byte: u8, max: usize) -> Vec<u8> {
        match byte {
            b'\r' | b'\n' => {
                self.done = true;
                b"\r\n".to_vec()
            }
            BS | DEL => {
                if self.text.pop().is_some() {
                    vec![BS, b' ', BS]
                } else {
                    Vec::new()
                }
            }
            0x04 if self.text.is_empty() => {
                self.done = true;
                b"\r\n".to_vec()
            }
            b if b.is_ascii_graphic() => {
                if self.text.len() >= max {
                    vec![BEL]
                } else {
                    self.text.push(b as char);
                    vec![b]
                }
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[u8]) -> (Answer, Vec<u8>) {
        let mut a = Answer::default();
        let mut echo = Vec::new();
        for &k in keys {
            if a.done {
                break;
            }
            echo.extend(a.key(k, 2));
        }
        (a, echo)
    }

    #[test]
    fn two_characters_and_return() {
        let (a, echo) = typed(b"p3\r");
        assert!(a.done);
        assert_eq!(a.text, "p3");
        assert_eq!(echo, b"p3\r\n");
    }

    #[test]
    fn erase_and_bell() {
        let (a, echo) = typed(b"pq\x7fx\x08\x08\x08r1z\n");
        assert_eq!(a.text, "r1");
        assert_eq!(echo, b"pq\x08 \x08x\x08 \x08\x08 \x08r1\x07\r\n");
    }

    #[test]
    fn end_of_input_is_return() {
        let (a, _) = typed(b"\x04");
        assert!(a.done);
        assert_eq!(a.text, "");
    }
}
