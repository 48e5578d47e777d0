//! Opening the session's pty and starting its program on it.

use nix::fcntl::{OFlag, open};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::stat::{Mode, fchmod};
use nix::unistd::{AccessFlags, Pid, access};
use sess_proto::{CreateSpec, Refusal};
use sess_sys::os::{Program, SpawnError, set_window_size, spawn_on_pty};
use std::os::fd::{AsFd, OwnedFd};

/// `TERM` for a program whose creator had none.
pub const DEFAULT_TERM: &str = "xterm-256color";

/// The master side of a session's pty.
pub struct Pty {
    pub fd: OwnedFd,
    /// The slave's path, e.g. `/dev/pts/4`.
    pub tty: String,
}

fn failed(e: impl std::fmt::Display) -> Refusal {
    Refusal::Failed(format!("cannot open a pseudo-terminal: {e}"))
}

/// Opens a pty of the spec's size and starts the program on its slave.
pub fn start(id: &str, spec: &CreateSpec) -> Result<(Pty, Pid), Refusal> {
    let master =
        posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC).map_err(failed)?;
    grantpt(&master).map_err(failed)?;
    unlockpt(&master).map_err(failed)?;
    let tty = ptsname_r(&master).map_err(failed)?;
    let slave =
        open(tty.as_str(), OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC, Mode::empty())
            .map_err(failed)?;
    fchmod(&slave, Mode::from_bits_truncate(0o600)).map_err(failed)?;
    set_window_size(master.as_fd(), spec.size).map_err(failed)?;

    let env = program_env(id, &spec.env);
    let exec_failed = |reason: String| Refusal::ExecFailed {
        program: spec.command.first().cloned().unwrap_or_default(),
        reason,
    };
    let path = resolve(&spec.command[0], &env)
        .ok_or_else(|| exec_failed(nix::errno::Errno::ENOENT.desc().to_owned()))?;
    let program = Program::new(&path, &spec.command, &env, &spec.cwd)
        .map_err(|e| exec_failed(e.to_string()))?;
    let pid = spawn_on_pty(&program, slave).map_err(|e| match e {
        SpawnError::Exec(errno) => exec_failed(errno.desc().to_owned()),
        SpawnError::Chdir(errno) => {
            Refusal::Failed(format!("cannot change directory to {}: {}", spec.cwd, errno.desc()))
        }
        other => exec_failed(other.to_string()),
    })?;
    Ok((Pty { fd: master.into(), tty }, pid))
}

/// The creator's environment plus `PTY=ID`, and `TERM` if it had none.
fn program_env(id: &str, env: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<_> = env.iter().filter(|(k, _)| k != "PTY").cloned().collect();
    out.push(("PTY".into(), id.into()));
    if !out.iter().any(|(k, v)| k == "TERM" && !v.is_empty()) {
        out.retain(|(k, _)| k != "TERM");
        out.push(("TERM".into(), DEFAULT_TERM.into()));
    }
    out
}

/// Finds `program` as execvp would, in the session's own `PATH`.
fn resolve(program: &str, env: &[(String, String)]) -> Option<String> {
    if program.is_empty() {
        return None;
    }
    if program.contains('/') {
        return Some(program.to_owned());
    }
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str())
        .unwrap_or("/usr/local/bin:/usr/bin:/bin");
    path.split(':')
        .map(|dir| if dir.is_empty() { "." } else { dir })
        .map(|dir| format!("{dir}/{program}"))
        .find(|candidate| {
            std::fs::metadata(candidate).is_ok_and(|m| m.is_file())
                && access(candidate.as_str(), AccessFlags::X_OK).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn term_defaults_and_pty_is_set() {
        let out = program_env("p3", &env(&[("PTY", "old"), ("HOME", "/h")]));
        assert!(out.contains(&("PTY".into(), "p3".into())));
        assert!(!out.contains(&("PTY".into(), "old".into())));
        assert!(out.contains(&("TERM".into(), DEFAULT_TERM.into())));
        let out = program_env("p3", &env(&[("TERM", "vt100")]));
        assert!(out.contains(&("TERM".into(), "vt100".into())));
        assert_eq!(out.iter().filter(|(k, _)| k == "TERM").count(), 1);
    }

    #[test]
    fn programs_resolve_in_the_sessions_path() {
        let e = env(&[("PATH", "/nonexistent:/bin:/usr/bin")]);
        assert!(resolve("sh", &e).unwrap().ends_with("/sh"));
        assert_eq!(resolve("./x", &e).as_deref(), Some("./x"));
        assert_eq!(resolve("no-such-program-here", &e), None);
        assert_eq!(resolve("", &e), None);
    }
}
