//! `sess PROG`: where the program runs, what it inherits, what `sess`
//! returns, how it refuses, and how output waits for a terminal that does
//! not read.

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use crate::harness::{Term, World, alive, stat, wait_until};
use crate::procs::{environ, fd_target, tty_nr_of};

#[test]
fn program_is_a_session_leader_with_the_pty_as_stdio_and_controlling_tty() {
    let world = World::new();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let id = term.session_prompt();
    let session = world.session(&id);
    let pid = crate::harness::json_pid(&session, "pid");
    let tty = session["tty"].as_str().expect("tty is a string").to_owned();
    assert!(tty.starts_with("/dev/pts/"), "tty of {id} is {tty:?}");

    let st = stat(pid).expect("the program is alive");
    assert_eq!((st.session, st.pgrp), (pid, pid), "sid and pgid of the program (pid {pid})");
    for fd in 0..3 {
        assert_eq!(fd_target(pid, fd), tty, "fd {fd} of the program");
    }
    let rdev = std::fs::metadata(&tty).expect("stat the pty").rdev();
    assert_eq!(st.tty_nr, tty_nr_of(rdev), "controlling tty of the program is {tty}");
}

#[test]
fn program_gets_pty_and_the_clients_term() {
    let world = World::new();
    let mut term = Term::open(&world, 30, 100, &[("TERM", Some("vt220"))]);
    let _done = term.start("sess sh");
    let id = term.session_prompt();
    assert_eq!(term.ask("$PTY"), id, "PTY inside the session");
    assert_eq!(term.ask("$TERM"), "vt220", "TERM inside the session");
    let pid = world.program_pid(&id);
    assert!(
        environ(pid).contains(&format!("PTY={id}")),
        "the program's environment has PTY={id}: {:?}",
        environ(pid)
    );
}

#[test]
fn program_term_defaults_to_xterm_256color_when_the_client_has_none() {
    let world = World::new();
    let mut term = Term::open(&world, 30, 100, &[("TERM", None)]);
    assert_eq!(term.ask("${TERM-unset}"), "unset", "the outer shell has no TERM");
    let _done = term.start("sess sh");
    term.session_prompt();
    assert_eq!(term.ask("${TERM-unset}"), "xterm-256color");
}

#[test]
fn program_starts_with_the_terminals_window_size() {
    let world = World::new();
    let mut term = Term::open(&world, 33, 101, &[]);
    let _done = term.start("sess sh");
    term.session_prompt();
    assert_eq!(term.ask("$(stty size)"), "33 101");
}

#[test]
fn sess_returns_the_programs_exit_status() {
    let world = World::new();
    let mut term = world.term();
    assert_eq!(term.run("sess sh -c 'exit 7'"), 7);
    assert_eq!(term.run("sess true"), 0);
}

#[test]
fn sess_returns_128_plus_the_signal_that_killed_the_program() {
    let world = World::new();
    let mut term = world.term();
    assert_eq!(term.run("sess sh -c 'kill -TERM $$'"), 143);
}

#[test]
fn sess_refuses_a_stdin_that_is_not_a_terminal() {
    let world = World::new();
    let out = world.run("sess", &["sh"]);
    assert_eq!(
        (out.code(), out.stderr.as_str()),
        (2, "sess: fatal: standard input is not a terminal\n"),
        "{out:?}"
    );
    assert_eq!(world.run("sesslist", &[]).stdout, "", "no session left behind");
}

#[test]
fn sess_of_a_missing_program_fails_127_and_leaves_no_session() {
    let world = World::new();
    let mut term = world.term();
    for prog in ["/nonexistent/e2e-prog", "no-such-e2e-program"] {
        let done = term.start(&format!("sess {prog}"));
        term.expect(&format!("sess: fatal: cannot exec {prog}: "));
        assert_eq!(term.finish(done), 127, "sess {prog}");
    }
    let out = world.run("sesslist", &[]);
    assert_eq!((out.code(), out.stdout.as_str()), (0, ""), "sesslist afterwards");
}

#[test]
fn the_output_of_a_program_that_exits_at_once_is_shown() {
    let world = World::new();
    let mut term = world.term();
    for round in 0..5 {
        let done = term.start(&format!("sess sh -c 'echo SH\"\"ORT-$((6*7))-{round}'"));
        term.expect(&format!("SHORT-42-{round}"));
        assert_eq!(term.finish(done), 0, "round {round}");
    }
}

#[test]
fn sess_without_a_program_runs_shell_and_n_names_the_session() {
    let world = World::new();
    let mut term = world.term();
    let _done = term.start("sess");
    let id = term.session_prompt();
    let session = world.session(&id);
    assert_eq!(session["command"], serde_json::json!(["/bin/sh"]), "{session}");
    let mut other = world.term();
    let _other_done = other.start("sess -n work sh");
    let named = other.session_prompt();
    assert_eq!(world.session(&named)["name"], "work");
}

/// Bytes `pid` has written so far.
fn written(pid: i32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("wchar: ")?.parse().ok()).unwrap_or(0)
}

#[test]
fn a_terminal_that_stops_reading_pauses_the_program_and_loses_nothing() {
    const LINES: u32 = 200_000;
    let world = World::new();
    let mut term = world.term();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    let shell = world.program_pid(&id);
    term.hold();
    let mark = term.mark();
    // (The quotes keep the marker out of the command line's echo.)
    term.line(&format!("seq 1 {LINES}; echo END-OF\"-\"SEQ"));
    // The terminal reads nothing: the master's queue fills up, so the
    // program waits in its write, well short of its 1.2 MiB.
    let seq = || world.children(shell).into_iter().find(|s| s.comm == "seq").map(|s| s.pid);
    wait_until("seq waits in a write", || {
        seq().is_some_and(|pid| {
            let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
            stat(pid).is_some_and(|s| s.state == 'S') && wchan == "wait_woken"
        })
    });
    let pid = seq().expect("seq runs");
    // And it stays there: what waits is bounded (the terminal's pty, the
    // master's 64 KiB queue, the program's pty), not the whole output.
    let window = Instant::now() + Duration::from_millis(300);
    while Instant::now() < window {
        assert!(alive(pid), "seq ran to its end while nothing was read");
        assert!(written(pid) < 256 * 1024, "seq wrote {} bytes", written(pid));
        std::thread::sleep(Duration::from_millis(10));
    }
    term.release();
    let lines = term.wait_bytes("every line, then the end marker", mark, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        let end = text.find("END-OF-SEQ\r\n").ok_or("no end marker yet")?;
        Ok(text[..end].split("\r\n").filter_map(|l| l.parse::<u32>().ok()).collect::<Vec<_>>())
    });
    let want: Vec<u32> = (1..=LINES).collect();
    let first_wrong = want.iter().zip(&lines).find(|(a, b)| a != b);
    assert!(lines == want, "{} lines shown, first wrong: {first_wrong:?}", lines.len());
    term.line("exit");
    assert_eq!(term.finish(done), 0);
}
