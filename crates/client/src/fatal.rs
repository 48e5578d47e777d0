//! Failures as the user sees them: one line and an exit status.

use sess_proto::Refusal;

/// Exit statuses (SPEC §7).
pub const REFUSED: i32 = 1;
pub const FATAL: i32 = 2;
pub const ELSEWHERE: i32 = 16;
pub const NO_TARGET: i32 = 17;
pub const CANNOT_EXEC: i32 = 127;

/// A failure: `PROG: fatal: TEXT` (or `warning:`) and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub level: &'static str,
    pub text: String,
    pub status: i32,
}

impl Failure {
    pub fn fatal(text: impl Into<String>) -> Self {
        Failure { level: "fatal", text: text.into(), status: FATAL }
    }

    pub fn with_status(mut self, status: i32) -> Self {
        self.status = status;
        self
    }

    pub fn warning(text: impl Into<String>) -> Self {
        Failure { level: "warning", text: text.into(), status: FATAL }
    }

    /// The line to print; a failure without a level is printed as is.
    pub fn line(&self) -> String {
        if self.level.is_empty() {
            return self.text.clone();
        }
        format!("{}: {}: {}", sess_sys::prog_name(), self.level, self.text)
    }

    pub fn no_session(target: &str) -> Self {
        Failure::fatal(format!("cannot find session {target}; if it exists, do you own it?"))
    }

    pub fn no_target() -> Self {
        Failure::fatal("no -s specified, and PTY not set; are we under a session?")
    }

    /// A refusal about the session `target`, in the SPEC's words.
    pub fn refused(target: &str, refusal: Refusal) -> Self {
        match refusal {
            Refusal::NoSuchSession => Failure::no_session(target),
            Refusal::NotConnected => Failure::fatal(format!("session {target} not connected")),
            Refusal::AlreadyConnected => {
                Failure::fatal("session already connected somewhere else").with_status(ELSEWHERE)
            }
            Refusal::NameTaken(name) => {
                Failure::fatal(format!("a session named '{name}' already exists"))
                    .with_status(REFUSED)
            }
            Refusal::InvalidName(text) => Failure::fatal(text),
            Refusal::ExecFailed { program, reason } => {
                Failure::fatal(format!("cannot exec {program}: {reason}")).with_status(CANNOT_EXEC)
            }
            Refusal::LimitReached(n) => {
                Failure::fatal(format!("session limit reached ({n})")).with_status(REFUSED)
            }
            Refusal::Failed(text) => Failure::fatal(text),
            Refusal::Running(pid) => {
                Failure::fatal(format!("session {target} is running (PID {pid})"))
                    .with_status(REFUSED)
            }
            Refusal::NotRunning => {
                Failure::fatal(format!("session {target} is not running")).with_status(REFUSED)
            }
            Refusal::BadAttribute(text) => Failure::fatal(text),
        }
    }
}

/// Prints one line on stdout; a closed stdout is a failure, not a panic.
pub fn say(line: impl std::fmt::Display) -> Result<(), Failure> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}")
        .map_err(|e| Failure::fatal(format!("cannot write to standard output: {e}")))
}

impl<E: std::fmt::Display> From<E> for Failure
where
    E: std::error::Error,
{
    fn from(e: E) -> Self {
        Failure::fatal(e.to_string())
    }
}
