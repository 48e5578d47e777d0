//! The paper's §4 idioms (Bernstein 1991) on real terminals.

use crate::harness::{World, wait_until};

fn connected(world: &World, id: &str) -> bool {
    world.session(id)["connected"].as_bool() == Some(true)
}

#[test]
fn reconnect_then_disconnect_flips_between_two_sessions() {
    let world = World::new();
    let yy = world.detached_shell();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let xx = term.session_prompt();
    let signaller = term.sess_pid(&world);
    let pids = (world.program_pid(&xx), world.program_pid(&yy));
    for (from, to) in [(&xx, &yy), (&yy, &xx), (&xx, &yy)] {
        term.line(&format!("reconnect {to}; disconnect"));
        term.expect(&format!(
            "reconnect: will connect to session {to} when session {from} is done"
        ));
        term.expect_line(&format!("sess: info: reconnecting to {to}"));
        term.expect_line(&format!("sess: info: successfully connected to {to}"));
        assert_eq!(term.ask("$PTY"), *to, "flipped from {from} to {to}");
        assert!(connected(&world, to) && !connected(&world, from));
    }
    assert_eq!(term.sess_pid(&world), signaller, "the same signaller all along");
    assert_eq!(
        (world.program_pid(&xx), world.program_pid(&yy)),
        pids,
        "both programs kept running"
    );
}

#[test]
fn exec_reconnect_switches_and_ends_the_current_session() {
    let world = World::new();
    let yy = world.detached_shell();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let xx = term.session_prompt();
    term.line(&format!("exec reconnect {yy}"));
    term.expect(&format!("reconnect: will connect to session {yy} when session {xx} is done"));
    term.expect_line(&format!("sess: info: reconnecting to {yy}"));
    term.expect_line(&format!("sess: info: successfully connected to {yy}"));
    assert_eq!(term.ask("$PTY"), yy);
    // sessd hears of the exit on its own time.
    wait_until(&format!("sessd forgets {xx}, which ended"), || world.find(&xx).is_none());
}

#[test]
fn sess_reconnect_switches_from_outside_any_session() {
    let world = World::new();
    let xx = world.detached_shell();
    let mut term = world.term();
    let done = term.start(&format!("sess reconnect {xx}"));
    let prefix = format!("reconnect: will connect to session {xx} when session ");
    let helper = term.expect_between(&prefix, " is done");
    term.expect_line(&format!("sess: info: reconnecting to {xx}"));
    term.expect_line(&format!("sess: info: successfully connected to {xx}"));
    assert_eq!(term.ask("$PTY"), xx);
    assert!(world.find(&helper).is_none(), "the helper session {helper} ended");
    world.ok("disconnect", &["-s", &xx]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn sess_reconnect_switches_without_finishing_the_current_session() {
    let world = World::new();
    let xx = world.detached_shell();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let yy = term.session_prompt();
    term.line(&format!("sess reconnect {xx}"));
    term.expect_line(&format!("sess: info: successfully connected to {xx}"));
    assert_eq!(term.ask("$PTY"), xx);
    assert!(connected(&world, &yy), "{yy} still runs, connected, under it");
}

#[test]
fn sess_reconnect_piped_to_tee_records_the_session() {
    let world = World::new();
    let rf = world.detached_shell();
    let mut term = world.term();
    let before = term.modes(&["-g"]);
    let done = term.start(&format!("sess reconnect {rf} | tee $HOME/record"));
    term.expect_line(&format!("sess: info: successfully connected to {rf}"));
    assert_eq!(term.ask("$PTY"), rf, "the terminal shows {rf} through tee");
    term.line("echo RE\"\"CORDED-$((6*7))");
    term.expect("RECORDED-42");
    crate::harness::wait_until("the record holds the session's output", || {
        world.read("record").contains("RECORDED-42")
    });
    world.ok("disconnect", &["-s", &rf]);
    assert_eq!(term.finish(done), 0, "status of the pipeline");
    assert_eq!(term.modes(&["-g"]), before, "terminal modes restored");
}

#[test]
fn sess_reconnect_works_every_time() {
    // The helper session's program may finish before its creator's
    // connection is up; the pending reconnect must still be followed.
    let world = World::new();
    let xx = world.detached_shell();
    let mut term = world.term();
    for round in 0..10 {
        let done = term.start(&format!("sess reconnect {xx}"));
        term.expect_line(&format!("sess: info: successfully connected to {xx}"));
        assert_eq!(term.ask("$PTY"), xx, "round {round}");
        world.ok("disconnect", &["-s", &xx]);
        assert_eq!(term.finish(done), 0, "round {round}");
    }
}
