//! The processes of a kernel session (every process whose session id is
//! the program's pid), found in /proc, and signals to all of them; and the
//! environment a program was started with.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The live (not zombie) pids whose session id is `sid`.
pub fn members(sid: Pid) -> Vec<Pid> {
    let Ok(all) = procfs::process::all_processes() else {
        return Vec::new();
    };
    all.filter_map(Result::ok)
        .filter_map(|p| p.stat().ok())
        // A zombie is already dead; only its parent's wait remains.
        .filter(|stat| stat.session == sid.as_raw() && stat.state != 'Z')
        .map(|stat| Pid::from_raw(stat.pid))
        .collect()
}

/// `pid`'s state letter in /proc (`R`, `S`, `T`, `Z`, ...), if it exists.
fn state(pid: Pid) -> Option<char> {
    procfs::process::Process::new(pid.as_raw()).and_then(|p| p.stat()).ok().map(|s| s.state)
}

/// Whether `pid` has ended (gone, or a zombie waiting for its parent).
pub fn ended(pid: Pid) -> bool {
    state(pid).is_none_or(|s| s == 'Z')
}

/// Whether `pid` is stopped by a signal (SIGSTOP, SIGTSTP, ...).
pub fn stopped(pid: Pid) -> bool {
    state(pid) == Some('T')
}

/// Sends `sig` to every member of the kernel session `sid`; returns how
/// many there were.
pub fn signal_all(sid: Pid, sig: Signal) -> usize {
    let pids = members(sid);
    for &pid in &pids {
        let _ = kill(pid, sig);
    }
    pids.len()
}

/// The environment `pid` was started with (as execve gave it), without
/// `PTY`; empty if it cannot be read.
pub fn start_env(pid: Pid) -> Vec<(String, String)> {
    let Ok(env) = procfs::process::Process::new(pid.as_raw()).and_then(|p| p.environ()) else {
        return Vec::new();
    };
    let text = |s: &std::ffi::OsStr| s.to_string_lossy().into_owned();
    let mut out: Vec<_> =
        env.iter().filter(|(k, _)| *k != "PTY").map(|(k, v)| (text(k), text(v))).collect();
    out.sort();
    out
}
