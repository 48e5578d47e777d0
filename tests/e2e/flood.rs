//! A session pouring output out still answers: keys reach the program,
//! requests are served, a resize reaches it, and the detach key detaches,
//! each while output flows. And a master that moves off the CPU of a
//! program pouring output keeps its CPU affinity.
//!
//! The first program floods its terminal from the background, a line at a
//! time, for as long as it lives, noting the window size in ~/size every
//! 200 lines, while `cat` records every key in ~/got.

use crate::harness::{World, json_pid, status_field, wait_until};
use crate::term::Term;

const FLOOD: &str = r#"stty raw -echo
(
    i=0
    while :; do
        echo flood
        i=$((i + 1))
        if [ $((i % 200)) = 0 ]; then
            stty size < /dev/tty > "$HOME/size.new" && mv "$HOME/size.new" "$HOME/size"
        fi
    done
) &
echo "READY-$PTY."
exec cat > "$HOME/got"
"#;

/// Waits until the terminal shows more of the flood than it had.
#[track_caller]
fn flowing(term: &Term) {
    let from = term.mark();
    term.wait_bytes("more of the flood", from, |shown| {
        if shown.windows(5).filter(|w| w == b"flood").count() >= 100 {
            Ok(())
        } else {
            Err(format!("{} bytes since, fewer than 100 flood lines", shown.len()))
        }
    });
}

#[test]
fn a_session_pouring_output_still_answers_keys_requests_resizes_and_the_detach_key() {
    let world = World::new();
    let mut term = world.term();
    world.file("flood.sh", FLOOD);
    let done = term.start("sess sh flood.sh");
    let id = term.expect_between("READY-", ".");
    flowing(&term);

    term.send(b"abc");
    world.wait_file("got", "abc");
    flowing(&term);

    assert_eq!(world.session(&id)["connected"].as_bool(), Some(true), "{id} is connected");
    flowing(&term);

    term.resize(31, 97);
    wait_until("the program sees 31 rows and 97 columns", || world.read("size").trim() == "31 97");
    flowing(&term);

    term.send(b"\x1cx");
    assert_eq!(term.finish(done), 0, "sess after ^\\ x");
    let session = world.session(&id);
    assert_eq!(session["connected"].as_bool(), Some(false), "{id} is disconnected");
    assert_eq!(world.read("got"), "abc", "the detach key and its partner are not sent");
}

/// Pours output from a process pinned to CPU 0 until ~/stop appears, then
/// rests in `cat`.
const POUR_ON_CPU0: &str = r#"echo "READY-$PTY."
taskset -c 0 sh -c 'while [ ! -e "$HOME/stop" ]; do yes pour | head -n 20000; done'
echo RESTING
exec cat
"#;

/// The CPUs `pid` may run on, as /proc shows them (`0-1`).
#[track_caller]
fn cpus_allowed(pid: i32) -> String {
    status_field(pid, "Cpus_allowed_list").expect("Cpus_allowed_list in /proc/PID/status")
}

/// Waits until `bytes` more of the pour have arrived.
#[track_caller]
fn pour(term: &Term, bytes: usize) {
    let from = term.mark();
    term.wait_bytes("a pour of output", from, |shown| {
        if shown.len() >= bytes { Ok(()) } else { Err(format!("{} bytes so far", shown.len())) }
    });
}

#[track_caller]
fn taskset(args: &[&str]) {
    let out = std::process::Command::new("taskset").args(args).output().expect("run taskset");
    assert!(out.status.success(), "taskset {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_master_that_moves_off_a_pouring_programs_cpu_keeps_its_cpu_affinity() {
    let mine = cpus_allowed(std::process::id() as i32);
    if !(mine.starts_with("0-") || mine.starts_with("0,1")) {
        return; // the test needs CPUs 0 and 1
    }
    let world = World::new();
    let mut term = world.term();
    world.file("pour.sh", POUR_ON_CPU0);
    let done = term.start("sess sh pour.sh");
    let id = term.expect_between("READY-", ".");
    let master = json_pid(&world.session(&id), "master_pid");
    // Held to the program's CPU, the master has nowhere to go.
    taskset(&["-p", "-c", "0", &master.to_string()]);
    pour(&term, 1 << 20);
    assert_eq!(cpus_allowed(master), "0", "a master allowed one CPU stays on it");

    // Free to go to CPU 1 as well: it may move there while it shares CPU 0
    // with the program, and is left free.
    taskset(&["-p", "-c", "0,1", &master.to_string()]);
    pour(&term, 4 << 20);
    world.file("stop", "");
    term.expect("RESTING");
    assert_eq!(cpus_allowed(master), "0-1", "the master's CPU affinity after the pour");
    term.send(b"\x1cx");
    assert_eq!(term.finish(done), 0, "sess after ^\\ x");
}
