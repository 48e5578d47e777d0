//! The test terminal's modes are restored exactly (`stty -g` before ==
//! after) on every way out of `sess`.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::harness::{Pending, Term, World, alive};

/// Starts `sess sh` on a fresh terminal, checks that the terminal went raw,
/// lets `leave` end the connection, and checks the modes afterwards.
/// `status`: the exit status `sess` must return, if the SPEC names one.
fn restored_after(
    leave: impl FnOnce(&World, &mut Term, &str, Pending) -> i32,
    status: Option<i32>,
) {
    let world = World::new();
    let mut term = world.term();
    let before = term.modes(&["-g"]);
    let done = term.start("sess sh");
    let id = term.session_prompt();
    let during = term.modes(&["-a"]);
    let flags: Vec<&str> = during.split_whitespace().collect();
    assert!(
        flags.contains(&"-icanon") && flags.contains(&"-echo") && flags.contains(&"-isig"),
        "the terminal is in raw mode while connected: {during}"
    );
    let got = leave(&world, &mut term, &id, done);
    if let Some(status) = status {
        assert_eq!(got, status, "status of sess");
    }
    assert_eq!(term.modes(&["-g"]), before, "stty -g after sess == before");
    assert_eq!(term.stty(), before, "stty -g in the shell after sess == before");
}

/// Checks that session `id` is still running, disconnected.
fn left_running(world: &World, id: &str) {
    let session = world.session(id);
    assert_eq!(
        (session["state"].as_str(), session["connected"].as_bool()),
        (Some("running"), Some(false)),
        "{session}"
    );
    assert!(alive(world.program_pid(id)), "the program of {id} is alive");
}

#[test]
fn modes_restored_after_disconnect() {
    restored_after(
        |_, term, _, done| {
            term.line("disconnect");
            term.finish(done)
        },
        Some(0),
    );
}

#[test]
fn modes_restored_after_the_program_exits() {
    restored_after(
        |_, term, _, done| {
            term.line("exit 3");
            term.finish(done)
        },
        Some(3),
    );
}

#[test]
fn modes_restored_after_the_detach_key() {
    restored_after(
        |_, term, _, done| {
            term.send(b"\x1cx");
            term.finish(done)
        },
        Some(0),
    );
}

#[test]
fn modes_restored_after_sighup_to_sess_and_the_session_keeps_running() {
    restored_after(
        |world, term, id, done| {
            let sess = term.sess_pid(world);
            kill(Pid::from_raw(sess), Signal::SIGHUP).expect("kill -HUP sess");
            let status = term.finish(done);
            left_running(world, id);
            status
        },
        None,
    );
}

#[test]
fn modes_restored_after_sigterm_to_sess_and_the_session_keeps_running() {
    restored_after(
        |world, term, id, done| {
            let sess = term.sess_pid(world);
            kill(Pid::from_raw(sess), Signal::SIGTERM).expect("kill -TERM sess");
            let status = term.finish(done);
            left_running(world, id);
            status
        },
        None,
    );
}

#[test]
fn modes_restored_after_an_error() {
    let world = World::new();
    let mut term = world.term();
    let before = term.modes(&["-g"]);
    assert_eq!(term.run("sess /nonexistent/e2e-prog"), 127);
    assert_eq!(term.modes(&["-g"]), before, "stty -g after a failed sess == before");
}
