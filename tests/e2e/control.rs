//! `sessname`, `sesslist`, `sesskill`.

use crate::harness::{World, alive, json_pid, stat, wait_until};

#[test]
fn sessname_prints_and_sets_the_title() {
    let world = World::new();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let id = term.session_prompt();
    term.line(
        "sessname >$HOME/n1; sessname 'writing net test program' >$HOME/set 2>&1; \
         sessname >$HOME/n2",
    );
    assert_eq!(term.ask("$?"), "0");
    assert_eq!(world.read("n1"), format!("session {id}\n"));
    assert_eq!(world.read("set"), "", "setting a title prints nothing");
    assert_eq!(world.read("n2"), format!("session {id}: writing net test program\n"));
    let out = world.run("sessname", &["-s", &id]);
    assert_eq!(
        (out.code(), out.stdout.as_str()),
        (0, format!("session {id}: writing net test program\n").as_str())
    );
    assert_eq!(world.session(&id)["title"], "writing net test program");
}

#[test]
fn sessname_truncates_titles_to_99_bytes() {
    let world = World::new();
    let id = world.detached_shell();
    let long = "0123456789".repeat(15);
    world.ok("sessname", &["-s", &id, &long]);
    let out = world.run("sessname", &["-s", &id]);
    assert_eq!(out.stdout, format!("session {id}: {}\n", &long[..99]));
    assert_eq!(world.session(&id)["title"], &long[..99]);
}

/// Three sessions: connected with a pending reconnect and a title,
/// disconnected with a title, disconnected without. Returns, in
/// `sesslist` order (by id: shorter first, then bytes), each id with what
/// its line must say after `slave PID `.
fn three_sessions(world: &World) -> (crate::harness::Term, Vec<(String, String)>) {
    let b = world.detached_shell();
    world.ok("sessname", &["-s", &b, "finishing up paper.3"]);
    let c = world.detached_shell();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let a = term.session_prompt();
    term.line(&format!("sessname 'writing net test program'; reconnect {b}"));
    term.expect(&format!("will connect to session {b} when session {a} is done"));
    let mut ids = vec![
        (a, format!("connected (will drop into {b}): writing net test program")),
        (b, "disconnected: finishing up paper.3".to_owned()),
        (c, "disconnected".to_owned()),
    ];
    ids.sort_by(|(x, _), (y, _)| (x.len(), x.as_bytes()).cmp(&(y.len(), y.as_bytes())));
    (term, ids)
}

#[test]
fn sesslist_prints_one_line_per_session_sorted_by_id() {
    let world = World::new();
    let (_term, ids) = three_sessions(&world);
    let expected: String = ids
        .iter()
        .map(|(id, rest)| {
            let s = world.session(id);
            let (master, pid) = (json_pid(&s, "master_pid"), json_pid(&s, "pid"));
            format!("session {id} pid {master} slave {pid} {rest}\n")
        })
        .collect();
    let out = world.run("sesslist", &[]);
    assert_eq!((out.code(), out.stdout.as_str()), (0, expected.as_str()));
}

#[test]
fn sesslist_0_ends_records_with_nul() {
    let world = World::new();
    let (_term, ids) = three_sessions(&world);
    let lines = world.run("sesslist", &[]).stdout;
    let out = world.run("sesslist", &["-0"]);
    assert_eq!(out.code(), 0);
    assert_eq!(out.stdout, lines.replace('\n', "\0"));
    assert_eq!(out.stdout.matches('\0').count(), ids.len());
}

#[test]
fn sesslist_json_has_every_field() {
    let world = World::new();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let id = term.session_prompt();
    let s = world.session(&id);
    for key in [
        "id",
        "name",
        "title",
        "state",
        "connected",
        "pid",
        "master_pid",
        "tty",
        "command",
        "cwd",
        "created_at",
        "last_use",
        "runtime_ms",
        "pending_reconnect",
        "connected_from",
    ] {
        assert!(s.get(key).is_some(), "`{key}` missing from {s}");
    }
    assert_eq!(s["name"], "sh1");
    assert_eq!(s["state"], "running");
    assert_eq!(s["connected"], true);
    assert_eq!(s["command"], serde_json::json!(["sh"]));
    assert_eq!(s["cwd"], world.home.display().to_string());
    assert!(s["pending_reconnect"].is_null(), "{s}");
    assert!(s["runtime_ms"].is_u64(), "{s}");
    assert!(alive(json_pid(&s, "pid")) && alive(json_pid(&s, "master_pid")));
    for key in ["created_at", "last_use"] {
        let t = s[key].as_str().unwrap_or_default();
        let b = t.as_bytes();
        assert!(
            t.len() >= 20 && t.ends_with('Z') && b[4] == b'-' && b[10] == b'T' && b[13] == b':',
            "`{key}` is RFC 3339 UTC: {t:?}"
        );
    }
}

#[test]
fn sesslist_of_no_sessions_prints_nothing() {
    let world = World::new();
    let out = world.run("sesslist", &[]);
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (0, "", ""));
    let out = world.run("sesslist", &["--json"]);
    assert_eq!((out.code(), out.stdout.trim()), (0, "[]"));
    let out = world.run("sesslist", &["-0"]);
    assert_eq!((out.code(), out.stdout.as_str()), (0, ""));
}

#[test]
fn sesskill_without_y_refuses() {
    let world = World::new();
    let id = world.detached_shell();
    let out = world.run("sesskill", &["-s", &id]);
    assert_eq!(
        (out.code(), out.stderr.as_str()),
        (2, "sesskill: fatal: -y not specified, so no action taken\n")
    );
    assert!(alive(world.program_pid(&id)), "{id} still runs");
}

#[test]
fn sesskill_of_the_current_session_without_m_refuses() {
    let world = World::new();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let id = term.session_prompt();
    term.line("sesskill -y 2>$HOME/e1; echo $? >$HOME/s1; sesskill -y -s $PTY 2>$HOME/e2");
    assert_eq!(term.ask("$?"), "2", "sesskill -y -s $PTY");
    let refusal = "sesskill: fatal: that session is us, and -m not specified, so no action taken\n";
    assert_eq!(world.read("s1"), "2\n", "sesskill -y");
    assert_eq!(world.read("e1"), refusal);
    assert_eq!(world.read("e2"), refusal);
    assert_eq!(term.ask("$PTY"), id, "still alive");
}

#[test]
fn sesskill_y_kills_the_program_and_its_kernel_session() {
    let world = World::new();
    world.file(
        "kill.sh",
        "sleep 100000 &\necho $! >\"$HOME/child\"\necho \"READY-$PTY.\"\nexec cat\n",
    );
    let mut term = world.term();
    let done = term.start("sess sh kill.sh");
    let id = term.expect_between("READY-", ".");
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
    let pid = world.program_pid(&id);
    let child: i32 = world.read("child").trim().parse().expect("child pid");
    assert_eq!(stat(child).map(|s| s.session), Some(pid), "the child is in the session");
    let out = world.run("sesskill", &["-y", "-s", &id]);
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (0, "", ""));
    assert!(!alive(pid), "the program is dead when sesskill returns");
    assert!(world.find(&id).is_none(), "the record is gone");
    wait_until("the background child is dead", || !alive(child));
}

#[test]
fn sesskill_makes_the_connected_sess_exit_129() {
    let world = World::new();
    let mut term = world.term();
    let before = term.modes(&["-g"]);
    let done = term.start("sess sh");
    let id = term.session_prompt();
    world.ok("sesskill", &["-y", "-s", &id]);
    assert_eq!(term.finish(done), 129);
    assert_eq!(term.modes(&["-g"]), before, "terminal modes restored");
    assert_eq!(world.run("sesslist", &[]).stdout, "");
}
