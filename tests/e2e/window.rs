//! The window size follows the terminal; a (re)connect sends SIGWINCH and
//! SIGCONT; output made while disconnected is shown on reconnect.
//!
//! The programs are small scripts that wait in `wait` (which a trapped
//! signal interrupts) and note signals in a file.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::harness::{Pending, Term, World, wait_until};

/// Waits in the background forever; traps run at once.
const IDLE: &str = "sleep 100000 &\nwhile :; do wait; done\n";

/// Starts `sess sh NAME` for a script whose first output is `READY-$PTY.`.
fn start_script(world: &World, term: &mut Term, name: &str, body: &str) -> (String, Pending) {
    world.file(name, &format!("{body}echo \"READY-$PTY.\"\n{IDLE}"));
    let done = term.start(&format!("sess sh {name}"));
    let id = term.expect_between("READY-", ".");
    (id, done)
}

/// Disconnects `id`, then sends SIGUSR1 to its program and waits for the
/// program to note `ARMED` (so its traps are set only from now on).
fn disconnect_and_arm(world: &World, term: &mut Term, id: &str, done: Pending) {
    world.ok("disconnect", &["-s", id]);
    assert_eq!(term.finish(done), 0);
    kill(Pid::from_raw(world.program_pid(id)), Signal::SIGUSR1).expect("kill -USR1");
    world.wait_file("sigs", "ARMED\n");
}

fn reconnect(term: &mut Term, id: &str) -> Pending {
    let done = term.start(&format!("reconnect {id}"));
    term.expect_line(&format!("reconnect: info: successfully connected to {id}"));
    done
}

fn has_line(world: &World, file: &str, line: &str) -> bool {
    world.read(file).lines().any(|l| l == line)
}

#[test]
fn resizing_the_terminal_resizes_the_program() {
    let world = World::new();
    let mut term = world.term();
    let body = "trap 'stty size >>\"$HOME/sizes\"' WINCH\nstty size >\"$HOME/start\"\n";
    let (_id, _done) = start_script(&world, &mut term, "size.sh", body);
    assert_eq!(world.read("start"), "30 100\n", "size at start");
    term.resize(40, 120);
    wait_until("the program sees 40 rows, 120 columns", || {
        world.read("sizes").lines().last() == Some("40 120")
    });
    term.resize(25, 81);
    wait_until("the program sees 25 rows, 81 columns", || {
        world.read("sizes").lines().last() == Some("25 81")
    });
}

const ARM: &str = "trap 'trap \"echo W >>$HOME/sigs\" WINCH; trap \"echo C >>$HOME/sigs\" CONT; \
                   echo ARMED >>$HOME/sigs' USR1\n";

#[test]
fn a_reconnect_sends_sigwinch_even_at_the_same_size() {
    let world = World::new();
    let mut term = world.term();
    let (id, done) = start_script(&world, &mut term, "sigs.sh", ARM);
    disconnect_and_arm(&world, &mut term, &id, done);
    let done = reconnect(&mut term, &id);
    wait_until("the program got SIGWINCH", || has_line(&world, "sigs", "W"));
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn a_connect_sends_sigcont() {
    let world = World::new();
    let mut term = world.term();
    let (id, done) = start_script(&world, &mut term, "sigs.sh", ARM);
    disconnect_and_arm(&world, &mut term, &id, done);
    let done = reconnect(&mut term, &id);
    wait_until("the program got SIGCONT", || has_line(&world, "sigs", "C"));
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn output_made_while_disconnected_is_shown_on_reconnect() {
    let world = World::new();
    let mut term = world.term();
    let body = "trap 'echo \"AWAY-$((6*7))-OUTPUT\"; echo done >>\"$HOME/away\"' USR1\n";
    let (id, done) = start_script(&world, &mut term, "away.sh", body);
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
    kill(Pid::from_raw(world.program_pid(&id)), Signal::SIGUSR1).expect("kill -USR1");
    world.wait_file("away", "done\n");
    assert!(!term.text().contains("AWAY-42"), "not shown while disconnected");
    term.skip();
    let done = term.start(&format!("reconnect {id}"));
    term.wait_for("the redraw shows AWAY-42-OUTPUT", |t| {
        t.contains("AWAY-42-OUTPUT") && t.contains("successfully connected")
    });
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn a_reconnect_from_a_terminal_of_another_size_resizes_the_program() {
    let world = World::new();
    let mut term = world.term();
    let body = "trap 'stty size >>\"$HOME/sizes\"' WINCH\n";
    let (id, done) = start_script(&world, &mut term, "size.sh", body);
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
    let mut big = Term::open(&world, 40, 120, &[]);
    let done = reconnect(&mut big, &id);
    wait_until("the program sees 40 rows, 120 columns", || {
        world.read("sizes").lines().last() == Some("40 120")
    });
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(big.finish(done), 0);
}
