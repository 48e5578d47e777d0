//! The detach key: `^\` alone detaches after 500 ms, `^\ KEY` detaches at
//! once and drops KEY, `^\ ^\` sends one `^\`; config `detach-key`.
//!
//! The program records every byte it gets in ~/got (raw mode, `cat`).

use std::time::{Duration, Instant};

use crate::harness::{Pending, Term, World};

const RECORDER: &str = "stty raw -echo\necho \"READY-$PTY.\"\nexec cat > \"$HOME/got\"\n";

/// Starts the recorder in a session on `term`; returns the id.
fn recorder(world: &World, term: &mut Term) -> (String, Pending) {
    world.file("rec.sh", RECORDER);
    let done = term.start("sess sh rec.sh");
    let id = term.expect_between("READY-", ".");
    (id, done)
}

/// Reconnects `term` (outside any session) to `id`.
fn reconnect(term: &mut Term, id: &str) -> Pending {
    let done = term.start(&format!("reconnect {id}"));
    term.expect_line(&format!("reconnect: info: successfully connected to {id}"));
    done
}

fn connected(world: &World, id: &str) -> bool {
    world.session(id)["connected"].as_bool() == Some(true)
}

#[test]
fn a_lone_detach_key_detaches_after_half_a_second_and_is_not_sent() {
    let world = World::new();
    let mut term = world.term();
    let (id, done) = recorder(&world, &mut term);
    term.send(b"a");
    world.wait_file("got", "a");
    let pressed = Instant::now();
    term.send(b"\x1c");
    assert_eq!(term.finish(done), 0, "sess after the detach key");
    let waited = pressed.elapsed();
    assert!(
        waited >= Duration::from_millis(450),
        "detached {waited:?} after a lone ^\\; expected 500 ms without input first"
    );
    assert!(!connected(&world, &id), "{id} is disconnected");
    let done = reconnect(&mut term, &id);
    term.send(b"b");
    world.wait_file("got", "ab");
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn the_detach_key_and_another_key_detach_at_once_and_the_key_is_dropped() {
    let world = World::new();
    let mut term = world.term();
    let (id, done) = recorder(&world, &mut term);
    term.send(b"a");
    world.wait_file("got", "a");
    term.send(b"\x1cx");
    assert_eq!(term.finish(done), 0, "sess after ^\\ x");
    assert!(!connected(&world, &id), "{id} is disconnected");
    let done = reconnect(&mut term, &id);
    term.send(b"b");
    world.wait_file("got", "ab");
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn the_detach_key_twice_sends_one_literal_detach_key() {
    let world = World::new();
    let mut term = world.term();
    let (id, done) = recorder(&world, &mut term);
    term.send(b"a");
    world.wait_file("got", "a");
    term.send(b"\x1c\x1c");
    term.send(b"b");
    world.wait_file("got", "a\x1cb");
    assert!(connected(&world, &id), "{id} is still connected after ^\\ ^\\");
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn config_detach_key_ctrl_a_replaces_the_default() {
    let world = World::with_config("detach-key = \"^A\"\n");
    let mut term = world.term();
    let (id, done) = recorder(&world, &mut term);
    term.send(b"a\x1c");
    world.wait_file("got", "a\x1c");
    assert!(connected(&world, &id), "^\\ is an ordinary key under ^A");
    term.send(b"\x01");
    assert_eq!(term.finish(done), 0, "sess after a lone ^A");
    assert!(!connected(&world, &id), "{id} is disconnected");
    let done = reconnect(&mut term, &id);
    term.send(b"b");
    world.wait_file("got", "a\x1cb");
    term.send(b"\x01y");
    assert_eq!(term.finish(done), 0, "reconnect after ^A y");
    assert!(!connected(&world, &id), "{id} is disconnected");
}

#[test]
fn config_detach_key_none_disables_detaching() {
    let world = World::with_config("detach-key = \"none\"\n");
    let mut term = world.term();
    let (id, done) = recorder(&world, &mut term);
    term.send(b"a\x1c");
    world.wait_file("got", "a\x1c");
    term.send(b"x\x1c\x1c\x01");
    world.wait_file("got", "a\x1cx\x1c\x1c\x01");
    assert!(connected(&world, &id), "no key detaches under detach-key = none");
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
}
