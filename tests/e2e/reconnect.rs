//! `reconnect`: the pending reconnect of a connection, its messages, and
//! what happens when it fires.

use crate::harness::{World, wait_until};

/// The `sesslist` line of session `id`.
fn list_line(world: &World, id: &str) -> String {
    let out = world.run("sesslist", &[]);
    assert_eq!(out.code(), 0, "sesslist: {out:?}");
    match out.stdout.lines().find(|l| l.starts_with(&format!("session {id} "))) {
        Some(line) => line.to_owned(),
        None => panic!("no line for {id} in sesslist:\n{}", out.stdout),
    }
}

fn connected(world: &World, id: &str) -> bool {
    world.session(id)["connected"].as_bool() == Some(true)
}

#[test]
fn reconnect_inside_a_session_announces_on_stderr_and_does_nothing_yet() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let a = term.session_prompt();
    term.line(&format!("reconnect {b} >$HOME/out 2>$HOME/err"));
    assert_eq!(term.ask("$?"), "0", "status of reconnect");
    assert_eq!(world.read("out"), "", "reconnect's stdout");
    assert_eq!(
        world.read("err"),
        format!("reconnect: will connect to session {b} when session {a} is done\n")
    );
    assert_eq!(term.ask("$PTY"), a, "still in {a}");
    assert!(connected(&world, &a) && !connected(&world, &b));
}

#[test]
fn reconnect_without_a_target_will_drop() {
    let world = World::new();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let a = term.session_prompt();
    term.line("reconnect 2>$HOME/err");
    assert_eq!(term.ask("$?"), "0", "status of reconnect");
    assert_eq!(world.read("err"), format!("reconnect: will drop when session {a} is done\n"));
}

#[test]
fn the_latest_reconnect_wins_and_fires_on_disconnect() {
    let world = World::new();
    let b = world.detached_shell();
    let c = world.detached_shell();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let a = term.session_prompt();
    term.line(&format!("reconnect {b}; reconnect {c}; disconnect"));
    term.expect_line(&format!("sess: info: reconnecting to {c}"));
    term.expect_line(&format!("sess: info: successfully connected to {c}"));
    assert_eq!(term.ask("$PTY"), c);
    assert!(!connected(&world, &a), "{a} is disconnected");
    assert!(!connected(&world, &b), "{b} stays disconnected");
    assert!(connected(&world, &c), "{c} is connected");
}

#[test]
fn a_pending_reconnect_fires_when_the_program_exits() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let a = term.session_prompt();
    term.line(&format!("reconnect {b}; exit"));
    term.expect_line(&format!("sess: info: reconnecting to {b}"));
    term.expect_line(&format!("sess: info: successfully connected to {b}"));
    assert_eq!(term.ask("$PTY"), b);
    // sessd hears of the exit on its own connection, maybe after the jump.
    wait_until(&format!("{a} is gone after its program exited"), || world.find(&a).is_none());
}

#[test]
fn reconnect_without_a_target_clears_the_pending_one() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    let done = term.start("sess sh");
    term.session_prompt();
    term.line(&format!("reconnect {b}; reconnect; disconnect"));
    assert_eq!(term.finish(done), 0, "sess exits quietly");
    assert!(!term.text().contains("sess: info: reconnecting"), "no reconnect happened");
    assert!(!connected(&world, &b));
}

#[test]
fn a_missing_target_fails_with_17_when_it_fires() {
    let world = World::new();
    let mut term = world.term();
    let before = term.modes(&["-g"]);
    let done = term.start("sess sh");
    term.session_prompt();
    term.line("reconnect zz; disconnect");
    term.expect_line("sess: info: reconnecting to zz");
    term.expect_line("sess: fatal: signaller cannot reconnect to session zz; does it exist?");
    assert_eq!(term.finish(done), 17);
    assert_eq!(term.modes(&["-g"]), before, "terminal modes restored");
}

#[test]
fn a_target_connected_elsewhere_fails_with_16_and_stays_there() {
    let world = World::new();
    let mut other = world.term();
    let _other_done = other.start("sess sh");
    let b = other.session_prompt();
    let mut term = world.term();
    let done = term.start("sess sh");
    term.session_prompt();
    term.line(&format!("reconnect {b}; disconnect"));
    term.expect_line("sess: fatal: session already connected somewhere else");
    assert_eq!(term.finish(done), 16);
    assert_eq!(other.ask("$PTY"), b, "the other terminal keeps {b}");
    assert!(connected(&world, &b));
}

#[test]
fn reconnect_f_takes_the_target_over() {
    let world = World::new();
    let mut other = world.term();
    let other_done = other.start("sess sh");
    let b = other.session_prompt();
    let mut term = world.term();
    let _done = term.start("sess sh");
    term.session_prompt();
    term.line(&format!("reconnect -f {b}; disconnect"));
    term.expect_line(&format!("sess: info: successfully connected to {b}"));
    other.expect_line(&format!("sess: info: session {b} taken over"));
    assert_eq!(other.finish(other_done), 0, "the other sess exits 0");
    assert_eq!(term.ask("$PTY"), b);
    assert!(connected(&world, &b));
}

#[test]
fn reconnect_s_of_a_session_that_is_not_connected_fails() {
    let world = World::new();
    let d = world.detached_shell();
    let out = world.run("reconnect", &["-s", &d, "zz"]);
    assert_eq!(
        (out.code(), out.stderr.as_str()),
        (2, format!("reconnect: fatal: session {d} not connected\n").as_str()),
        "{out:?}"
    );
}

#[test]
fn sesslist_shows_the_pending_reconnect_and_a_disconnect_clears_it() {
    let world = World::new();
    let mut term = world.term();
    let done = term.start("sess sh");
    let a = term.session_prompt();
    term.line("reconnect zz");
    assert_eq!(term.ask("$?"), "0");
    let s = world.session(&a);
    let (master, pid) = (s["master_pid"].to_string(), s["pid"].to_string());
    assert_eq!(
        list_line(&world, &a),
        format!("session {a} pid {master} slave {pid} connected (will drop into zz)")
    );
    assert_eq!(s["pending_reconnect"], "zz", "pending_reconnect in --json");
    world.ok("disconnect", &["-s", &a]);
    assert_eq!(term.finish(done), 17, "the pending reconnect fired and failed");
    assert_eq!(list_line(&world, &a), format!("session {a} pid {master} slave {pid} disconnected"));
    assert!(world.session(&a)["pending_reconnect"].is_null());
}

#[test]
fn reconnect_outside_any_session_connects_now() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    let done = term.start(&format!("reconnect {b}"));
    term.expect_line(&format!("reconnect: info: reconnecting to {b}"));
    term.expect_line(&format!("reconnect: info: successfully connected to {b}"));
    assert_eq!(term.ask("$PTY"), b);
    assert!(connected(&world, &b));
    world.ok("disconnect", &["-s", &b]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn reconnect_outside_to_a_missing_or_busy_session_fails() {
    let world = World::new();
    let mut term = world.term();
    let done = term.start("reconnect zz");
    term.expect_line("reconnect: fatal: signaller cannot reconnect to session zz; does it exist?");
    assert_eq!(term.finish(done), 17);
    let mut other = world.term();
    let _other_done = other.start("sess sh");
    let b = other.session_prompt();
    let done = term.start(&format!("reconnect {b}"));
    term.expect_line("reconnect: fatal: session already connected somewhere else");
    assert_eq!(term.finish(done), 16);
    assert_eq!(other.ask("$PTY"), b, "the other terminal keeps {b}");
}
