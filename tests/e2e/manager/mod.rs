//! `session`, the process manager (SPEC §6), in parts:
//!
//! - `lifecycle`: create and names, status, the signals of suspend, resume
//!   and stop reaching the whole kernel session, start and restart.
//! - `attach`: waiting sessions and `session attach`.
//! - `attributes`: `get`, `set`, `rename`.
//! - `records`: `rm`, kept versus ephemeral sessions, ids for names,
//!   `list`, export/import, records that survive `kill -9` of sessd.
//! - `usage`: usage errors, the session limit, a closed stdout.
//!
//! This file holds what they share.

mod attach;
mod attributes;
mod lifecycle;
mod records;
mod usage;

use std::fs;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::harness::{Out, Stat, Term, World, alive, chmod, stat, wait_until};
use crate::term::visible;

/// `session ARGS`, run without a terminal.
#[track_caller]
pub(super) fn session(world: &World, args: &[&str]) -> Out {
    world.run("session", args)
}

/// `session ARGS` must succeed and print exactly `stdout` (nothing on
/// stderr).
#[track_caller]
pub(super) fn says(world: &World, args: &[&str], stdout: &str) {
    let out = session(world, args);
    assert_eq!(
        (out.code(), out.stdout.as_str(), out.stderr.as_str()),
        (0, stdout, ""),
        "`session {}`",
        args.join(" ")
    );
}

/// `session ARGS` must fail with `code` and one `session: fatal: ...` line
/// on stderr, nothing on stdout; returns that line.
#[track_caller]
pub(super) fn fails(world: &World, args: &[&str], code: i32) -> String {
    let out = session(world, args);
    let what = format!("`session {}`", args.join(" "));
    assert_eq!((out.code(), out.stdout.as_str()), (code, ""), "{what}: {out:?}");
    assert!(
        out.stderr.starts_with("session: fatal: ")
            && out.stderr.ends_with('\n')
            && out.stderr.lines().count() == 1,
        "{what} prints one `session: fatal: ...` line: {:?}",
        out.stderr
    );
    out.stderr.trim_end().to_owned()
}

/// `session get NAME KEY`: the value.
#[track_caller]
pub(super) fn get(world: &World, name: &str, key: &str) -> String {
    let out = session(world, &["get", name, key]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "`session get {name} {key}`");
    let prefix = format!("{key}=");
    match out.stdout.strip_suffix('\n').and_then(|line| line.strip_prefix(&prefix)) {
        Some(value) if !value.contains('\n') => value.to_owned(),
        _ => panic!("`session get {name} {key}` prints {:?}, not one `{key}=...` line", out.stdout),
    }
}

/// `session get NAME`: every line but those that change with time alone.
#[track_caller]
pub(super) fn get_all(world: &World, name: &str) -> Vec<String> {
    let out = session(world, &["get", name]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "`session get {name}`");
    out.stdout
        .lines()
        .filter(|l| !l.starts_with("runtime=") && !l.starts_with("last-use="))
        .map(str::to_owned)
        .collect()
}

/// The program's pid of a running or suspended session, from `get`.
#[track_caller]
pub(super) fn pid_of(world: &World, name: &str) -> i32 {
    let pid = get(world, name, "pid");
    pid.parse().unwrap_or_else(|_| panic!("pid of {name} is {pid:?}, not a number"))
}

/// Creates the kept session `ends`, whose program exits with status 3 once
/// HOME/go exists ([`end`]).
#[track_caller]
pub(super) fn create_ends(world: &World) {
    says(
        world,
        &["create", "-n", "ends", "sh", "-c", "until [ -e $HOME/go ]; do sleep 0.05; done; exit 3"],
        "Session 'ends' started\n",
    );
}

/// Lets the program of `ends` ([`create_ends`]) exit, and waits until it
/// is gone and the session shows stopped.
#[track_caller]
pub(super) fn end(world: &World) {
    let pid = pid_of(world, "ends");
    world.file("go", "");
    wait_until("ends is over", || !alive(pid) && status(world, "ends").contains("stopped"));
}

/// `session status NAME`'s line.
#[track_caller]
pub(super) fn status(world: &World, name: &str) -> String {
    let out = session(world, &["status", name]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "`session status {name}`: {out:?}");
    out.stdout
}

/// `session list --json`, parsed.
#[track_caller]
pub(super) fn list_json(world: &World) -> Vec<Value> {
    let out = session(world, &["list", "--json"]);
    assert_eq!(out.code(), 0, "session list --json: {out:?}");
    match serde_json::from_str(&out.stdout) {
        Ok(Value::Array(items)) => items,
        other => panic!("session list --json is not a JSON array: {other:?}\n{out:?}"),
    }
}

/// The `session list --json` object of the session named `name`.
#[track_caller]
pub(super) fn listed(world: &World, name: &str) -> Value {
    let list = list_json(world);
    match list.iter().find(|s| s["name"] == name) {
        Some(s) => s.clone(),
        None => panic!("no session named {name} in session list --json: {list:?}"),
    }
}

/// Asserts that the terminal has shown each of `lines`, ending in CR LF.
#[track_caller]
pub(super) fn shown_lines(term: &Term, lines: &[&str]) {
    let shown = term.text();
    for line in lines {
        assert!(
            shown.contains(&format!("{line}\r\n")),
            "the line {line:?} was not shown; the terminal shows:\n{}",
            visible(&shown)
        );
    }
}

/// Every pid in /proc.
pub(super) fn all_pids() -> Vec<i32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect()
}

/// The live (not zombie) processes of the kernel session `sid`.
pub(super) fn members(sid: i32) -> Vec<Stat> {
    all_pids()
        .into_iter()
        .filter_map(stat)
        .filter(|s| s.session == sid && s.state != 'Z' && s.state != 'X')
        .collect()
}

/// Whether a process of this world runs exactly `argv`.
pub(super) fn runs(world: &World, argv: &[&str]) -> bool {
    world.pids().into_iter().any(|pid| {
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).filter(|a| !a.is_empty()).collect();
        args.len() == argv.len() && args.iter().zip(argv).all(|(a, b)| *a == b.as_bytes())
    })
}

/// Creates session `name` running a shell with a background job (`sleep
/// 1000 & sleep 1000`); waits until both sleeps run; returns the program's
/// pid and every process of its kernel session.
#[track_caller]
pub(super) fn background_job(world: &World, name: &str) -> (i32, Vec<i32>) {
    says(
        world,
        &["create", "-n", name, "sh", "-c", "sleep 1000 & sleep 1000"],
        &format!("Session '{name}' started\n"),
    );
    let pid = pid_of(world, name);
    let mut all = Vec::new();
    wait_until(&format!("two sleeps run in {name}'s kernel session {pid}"), || {
        let procs = members(pid);
        all = procs.iter().map(|s| s.pid).collect();
        procs.iter().filter(|s| s.comm == "sleep").count() == 2
    });
    assert!(all.contains(&pid), "the program {pid} leads its kernel session: {all:?}");
    assert!(all.len() >= 2, "the program has a child: {all:?}");
    (pid, all)
}

/// Waits until every one of `pids` is in state `state` (/proc/PID/stat).
#[track_caller]
pub(super) fn wait_state(pids: &[i32], state: char) {
    let deadline = Instant::now() + crate::harness::timeout();
    loop {
        let seen: Vec<(i32, Option<char>)> =
            pids.iter().map(|&p| (p, stat(p).map(|s| s.state))).collect();
        if seen.iter().all(|(_, s)| *s == Some(state)) {
            return;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting until {pids:?} are all in state {state}; states: {seen:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A duration as `get` shows it (`90s`, `1m30s`, `1m 30s`, `1h30m`, a bare
/// number of seconds), in seconds.
pub(super) fn seconds(text: &str) -> Option<u64> {
    let text = text.replace(' ', "");
    if let Ok(n) = text.parse() {
        return Some(n);
    }
    let (mut total, mut num) = (0, String::new());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            'h' => 3600,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0
            }
            'm' => 60,
            's' => 1,
            'd' => 86400,
            _ => return None,
        };
    }
    num.is_empty().then_some(total)
}
