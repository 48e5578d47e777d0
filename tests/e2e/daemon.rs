//! `sessd`: one per runtime dir, stale sockets replaced, and `kill -9` of
//! the daemon loses nothing.

use std::os::unix::net::{UnixListener, UnixStream};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use std::io::Read;
use std::process::Stdio;
use std::sync::mpsc;

use crate::harness::{World, alive, bin, chmod, timeout, wait_child, wait_until};

#[test]
fn a_second_sessd_exits_2_already_running() {
    let world = World::new();
    assert_eq!(world.run("sesslist", &[]).code(), 0, "sesslist starts sessd");
    let pid = world.sessd_pid();
    assert!(alive(pid), "sessd {pid} runs");
    let out = world.run("sessd", &["--foreground"]);
    assert_eq!(
        (out.code(), out.stderr.as_str()),
        (2, format!("sessd: fatal: already running (pid {pid})\n").as_str()),
        "{out:?}"
    );
    assert!(alive(pid), "the first sessd still runs");
    assert_eq!(world.sessd_pid(), pid);
    assert_eq!(world.run("sesslist", &[]).code(), 0);
}

#[test]
fn a_stale_socket_from_a_dead_daemon_is_replaced() {
    let world = World::new();
    std::fs::create_dir(&world.runtime).expect("runtime dir");
    chmod(&world.runtime, 0o700);
    let sock = world.runtime.join("sessd.sock");
    drop(UnixListener::bind(&sock).expect("bind a socket"));
    // A parallel test's fork may hold the listener until it execs.
    wait_until("nobody listens on the stale socket", || UnixStream::connect(&sock).is_err());
    let out = world.run("sesslist", &[]);
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (0, "", ""));
    assert!(alive(world.sessd_pid()), "a new sessd runs");
    UnixStream::connect(&sock).expect("the new sessd listens on sessd.sock");
    let mut term = world.term();
    let _done = term.start("sess sh");
    let id = term.session_prompt();
    assert_eq!(world.session(&id)["connected"], true);
}

#[test]
fn sessd_keeps_nothing_its_starter_left_open() {
    let world = World::new();
    // The shell leaves its stdout, a pipe, open as fd 7 (not close-on-exec)
    // for sesslist, which starts sessd: the pipe must end when sh does, as
    // `$(...)` and ssh commands wait for that.
    let mut cmd = world.command("sh");
    cmd.args(["-c", &format!("{} 7>&1 >/dev/null 2>&1", bin("sesslist"))]);
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawn sh");
    let mut out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(out.read_to_end(&mut Vec::new()).map(drop)));
    let ended = rx.recv_timeout(timeout());
    assert!(wait_child(child, "sh").success());
    let sessd = world.sessd_pid();
    assert!(alive(sessd), "sessd runs on");
    assert!(
        matches!(ended, Ok(Ok(()))),
        "the pipe stays open after sh exited: sessd {sessd} holds {:?}",
        std::fs::read_dir(format!("/proc/{sessd}/fd")).map(|d| d
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .collect::<Vec<_>>())
    );
}

/// What must survive the daemon's death, per session.
fn facts(list: &[Value]) -> Vec<Value> {
    let keys = ["id", "name", "title", "state", "connected", "pid", "master_pid", "tty", "command"];
    let mut out: Vec<Value> =
        list.iter().map(|s| keys.iter().map(|k| (k.to_string(), s[k].clone())).collect()).collect();
    out.sort_by_key(|s| s["id"].to_string());
    out
}

#[test]
fn kill_9_of_sessd_loses_nothing() {
    let world = World::new();
    // b: disconnected, a: connected; both shells note a SIGHUP in a file.
    let mut other = world.term();
    let other_done = other.start("sess sh");
    let b = other.session_prompt();
    other.line("trap 'echo HUP >>$HOME/hup-b' HUP; sessname 'the disconnected one'");
    assert_eq!(other.ask("$?"), "0");
    other.line("disconnect");
    assert_eq!(other.finish(other_done), 0);
    let mut term = world.term();
    let _done = term.start("sess sh");
    let a = term.session_prompt();
    term.line("trap 'echo HUP >>$HOME/hup-a' HUP; sessname 'the connected one'");
    assert_eq!(term.ask("$?"), "0");

    let before = facts(&world.list_json());
    assert_eq!(before.len(), 2, "{before:?}");
    let sessd = world.sessd_pid();
    kill(Pid::from_raw(sessd), Signal::SIGKILL).expect("kill -9 sessd");
    wait_until("sessd is dead", || !alive(sessd));

    assert_eq!(term.ask("$PTY"), a, "the connected terminal still works");
    let after = facts(&world.list_json());
    assert_ne!(world.sessd_pid(), sessd, "a new sessd");
    assert_eq!(after, before, "sesslist --json before and after kill -9 of sessd");
    assert_eq!(term.ask("ST\"\"ILL-$PTY"), format!("STILL-{a}"));
    assert_eq!(world.read("hup-a"), "", "{a} got no SIGHUP");
    assert_eq!(world.read("hup-b"), "", "{b} got no SIGHUP");

    let done = other.start(&format!("reconnect {b}"));
    other.expect_line(&format!("reconnect: info: successfully connected to {b}"));
    assert_eq!(other.ask("$PTY"), b, "{b} can be reconnected");
    world.ok("disconnect", &["-s", &b]);
    assert_eq!(other.finish(done), 0);
}
