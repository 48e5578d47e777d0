//! A `ps`-style listing of a kernel session's processes, read from /proc
//! (no `ps` needed): USER PID %CPU %MEM RSS TT STAT START TIME COMMAND.

use procfs::Current;
use procfs::process::{Process, Stat};

pub const HEADER: &str = "USER         PID %CPU %MEM   RSS TT       STAT START   TIME COMMAND";

/// The lines for every process whose session id is `sid`, by pid.
pub fn session_lines(sid: i32) -> Vec<String> {
    let Ok(all) = procfs::process::all_processes() else { return Vec::new() };
    let mut procs: Vec<(Process, Stat)> = all
        .filter_map(Result::ok)
        .filter_map(|p| Some((p.stat().ok()?, p)).map(|(s, p)| (p, s)))
        .filter(|(_, s)| s.session == sid && s.state != 'Z')
        .collect();
    procs.sort_by_key(|(_, s)| s.pid);
    let ctx = Context::new();
    procs.iter().map(|(p, s)| ctx.line(p, s)).collect()
}

struct Context {
    ticks: f64,
    boot: u64,
    now: u64,
    mem_kib: u64,
    page_kib: u64,
}

impl Context {
    fn new() -> Context {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Context {
            ticks: procfs::ticks_per_second() as f64,
            boot: procfs::boot_time_secs().unwrap_or(0),
            now,
            mem_kib: procfs::Meminfo::current().map_or(0, |m| m.mem_total / 1024),
            page_kib: procfs::page_size() / 1024,
        }
    }

    fn line(&self, p: &Process, s: &Stat) -> String {
        let user = p
            .uid()
            .ok()
            .and_then(|uid| nix::unistd::User::from_uid(uid.into()).ok().flatten())
            .map_or_else(|| p.uid().map(|u| u.to_string()).unwrap_or_default(), |u| u.name);
        let cpu_secs = (s.utime + s.stime) as f64 / self.ticks;
        let started = self.boot + (s.starttime as f64 / self.ticks) as u64;
        let elapsed = self.now.saturating_sub(started).max(1) as f64;
        let rss_kib = s.rss * self.page_kib;
        let mem = if self.mem_kib > 0 { 100.0 * rss_kib as f64 / self.mem_kib as f64 } else { 0.0 };
        let command = match p.cmdline() {
            Ok(argv) if !argv.is_empty() => argv.join(" "),
            _ => format!("[{}]", s.comm),
        };
        let time = cpu_secs as u64;
        format!(
            "{user:<8} {pid:>7} {cpu:>4.1} {mem:>4.1} {rss:>5} {tt:<8} {stat:<4} {start:>5} {min:>3}:{sec:02} {command}",
            pid = s.pid,
            cpu = 100.0 * cpu_secs / elapsed,
            rss = rss_kib,
            tt = tty_name(s.tty_nr),
            stat = stat(s),
            start = start_time(started, self.now),
            min = time / 60,
            sec = time % 60,
            command = crate::signaller::visible(&command),
        )
    }
}

/// `pts/3` for a pty, `?` without a terminal.
fn tty_name(tty_nr: i32) -> String {
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    match major {
        0 => "?".into(),
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 if minor < 64 => format!("tty{minor}"),
        _ => format!("{major}/{minor}"),
    }
}

/// The state letter, `s` for a session leader, `+` in the foreground.
fn stat(s: &Stat) -> String {
    let mut out = s.state.to_string();
    if s.session == s.pid {
        out.push('s');
    }
    if s.pgrp == s.tpgid {
        out.push('+');
    }
    out
}

/// `HH:MM` for today, else `Mmm dd`.
fn start_time(started: u64, now: u64) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(started as i64) else { return "?".into() };
    let zoned = ts.to_zoned(jiff::tz::TimeZone::system());
    let today = jiff::Timestamp::from_second(now as i64)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::system()).date())
        .ok();
    if today == Some(zoned.date()) {
        zoned.strftime("%H:%M").to_string()
    } else {
        zoned.strftime("%b%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tty_numbers_become_names() {
        assert_eq!(tty_name(0), "?");
        assert_eq!(tty_name((136 << 8) | 3), "pts/3");
        assert_eq!(tty_name((4 << 8) | 1), "tty1");
    }

    #[test]
    fn this_process_is_listed() {
        let me = procfs::process::Process::myself().unwrap().stat().unwrap();
        let lines = session_lines(me.session);
        assert!(lines.iter().any(|l| l.split_whitespace().nth(1) == Some(&me.pid.to_string())));
    }
}
