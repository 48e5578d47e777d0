//! What the benchmark reads from /proc: which processes are ours, their CPU
//! time and their memory; and killing them, by pid only.

use std::fs;
use std::path::Path;

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, SysconfVar, sysconf};

/// One process found in /proc.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: i32,
    /// Its `comm` (the executable's base name, at most 15 bytes).
    pub comm: String,
}

/// Every process whose environment holds one of `entries` exactly
/// (`NAME=value` strings). Processes that end or hide during the scan are
/// skipped.
///
/// The benchmark gives each tool's processes a tag variable; everything a
/// tool forks (servers, masters, programs) inherits it, so this finds them
/// all without looking at names.
pub fn with_env(entries: &[String]) -> Vec<Proc> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id() as i32;
    let mut found = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = fs::read(entry.path().join("environ")) else {
            continue;
        };
        let tagged =
            environ.split(|&b| b == 0).any(|var| entries.iter().any(|e| var == e.as_bytes()));
        if tagged {
            found.push(Proc { pid, comm: comm(pid).unwrap_or_default() });
        }
    }
    found.sort_by_key(|p| p.pid);
    found
}

/// The `comm` of `pid`.
pub fn comm(pid: i32) -> Option<String> {
    let text = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(text.trim_end().to_string())
}

/// Whether `pid` still exists (and is not a zombie).
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(state_field(&stat), Some("Z" | "X")),
        Err(_) => false,
    }
}

/// The fields of /proc/PID/stat after the `(comm)` field, which may itself
/// hold spaces and parentheses.
fn fields_after_comm(stat: &str) -> Option<std::str::SplitWhitespace<'_>> {
    let end = stat.rfind(')')?;
    Some(stat[end + 1..].split_whitespace())
}

fn state_field(stat: &str) -> Option<&str> {
    fields_after_comm(stat)?.next()
}

/// User plus system CPU time of `pid`, in clock ticks.
pub fn cpu_ticks(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After comm: state(3) ppid pgrp session tty_nr tpgid flags minflt
    // cminflt majflt cmajflt utime(14) stime(15).
    let mut fields = fields_after_comm(&stat)?.skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second, the unit of [`cpu_ticks`].
pub fn ticks_per_second() -> f64 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(hz)) if hz > 0 => hz as f64,
        _ => 100.0,
    }
}

/// Proportional set size of a process, KiB, from /proc/PID/smaps_rollup.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pss {
    pub total: u64,
    /// Of which anonymous memory (heap, stacks): what a session really adds.
    pub anon: u64,
}

impl std::ops::Add for Pss {
    type Output = Pss;
    fn add(self, o: Pss) -> Pss {
        Pss { total: self.total + o.total, anon: self.anon + o.anon }
    }
}

/// The PSS of `pid`.
pub fn pss(pid: i32) -> Option<Pss> {
    let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| {
        rollup
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Pss { total: field("Pss:")?, anon: field("Pss_Anon:").unwrap_or(0) })
}

/// Sends SIGKILL to `pid`; a process already gone is not an error.
pub fn kill_pid(pid: i32) {
    if pid > 1 {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// Reads a pid file (one decimal number).
pub fn read_pid_file(path: &Path) -> Option<i32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let me = std::process::id() as i32;
        assert!(alive(me));
        assert!(cpu_ticks(me).is_some());
        let pss = pss(me).unwrap();
        assert!(pss.total > 0 && pss.anon > 0 && pss.anon <= pss.total);
        assert!(ticks_per_second() > 0.0);
    }

    #[test]
    fn stat_fields_survive_odd_comm() {
        let stat = "42 (a) b (c)) S 1 2 3 4 5 6 7 8 9 10 11 12 13";
        assert_eq!(state_field(stat), Some("S"));
    }
}
