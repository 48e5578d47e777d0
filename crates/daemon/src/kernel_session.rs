//! The processes of a kernel session (every process whose session id is
//! the program's pid), found in /proc, and signals to all of them.

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

/// Sends `sig` to every member of the kernel session `sid`; returns how
/// many there were.
pub fn signal_all(sid: Pid, sig: Signal) -> usize {
    let pids = members(sid);
    for &pid in &pids {
        let _ = kill(pid, sig);
    }
    pids.len()
}
