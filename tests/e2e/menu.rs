//! `sessmenu`: what it shows at login, its prompts word for word, its own
//! echo of the answer, and where each answer leads.

use crate::harness::{Pending, Term, World, stat, unique, wait_until};

const HEADER: &str = "USER         PID %CPU %MEM   RSS TT       STAT START   TIME COMMAND";
const RETURN_LINE: &str = "To instead start a new session as usual, just press return: ";

/// A disconnected session running an interactive `sh` with a `sleep` in
/// the background.
struct Busy {
    id: String,
    /// The session's pty, as `tty` inside it says.
    tty: String,
    sh: i32,
    sleep: i32,
    /// The sleep's argument, unique to this session.
    secs: usize,
}

fn busy_session(world: &World, title: Option<&str>) -> Busy {
    let mut term = world.term();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    let secs = 100_000 + unique();
    term.line(&format!("sleep {secs} &"));
    let sleep = term.ask("$!").parse().expect("a pid");
    let tty = term.ask("$(tty)");
    let sh = world.program_pid(&id);
    if let Some(title) = title {
        world.ok("sessname", &["-s", &id, title]);
    }
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0, "sess after disconnect -s {id}");
    Busy { id, tty, sh, sleep, secs }
}

/// Runs `sessmenu ARGS` in `term` and returns its pending status and
/// everything it shows before the last prompt line, split into lines (CR
/// LF).
fn menu(term: &mut Term, args: &str) -> (Pending, Vec<String>) {
    let status = term.start(&format!("sessmenu{args}"));
    term.expect(&format!("sessmenu{args}; echo"));
    term.expect("\n");
    let shown = term.expect_between("", RETURN_LINE);
    // Typed ahead of the outer shell, the command line is echoed before that
    // shell prints its prompt, which then comes before the menu.
    let shown = shown.trim_start_matches(['\r', '\n']);
    let shown = shown.strip_prefix("[out]$ ").unwrap_or(shown);
    let mut lines: Vec<String> = shown.split("\r\n").map(str::to_owned).collect();
    assert_eq!(lines.pop().as_deref(), Some(""), "the menu's lines end in CR LF:\n{shown}");
    (status, lines)
}

/// The user running the tests, by name.
fn user() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid()).unwrap().unwrap().name
}

/// Checks the block of one session (header line, ps listing) at the start
/// of `lines`; returns the lines after its listing.
#[track_caller]
fn check_block<'a>(world: &World, lines: &'a [String], busy: &Busy) -> &'a [String] {
    assert_eq!(
        lines[0],
        format!("You have a disconnected session on {}, with these processes:", busy.tty)
    );
    assert_eq!(lines[1], HEADER);
    let listing: Vec<&String> = lines[2..]
        .iter()
        .take_while(|l| {
            !l.starts_with("You have") && !l.starts_with("Session ") && !l.starts_with("Would")
        })
        .collect();
    let listed: Vec<i32> = listing.iter().map(|l| field(l, 1).parse().expect("a pid")).collect();
    let mut members: Vec<i32> = world
        .pids()
        .into_iter()
        .filter_map(stat)
        .filter(|s| s.session == busy.sh && s.state != 'Z')
        .map(|s| s.pid)
        .collect();
    members.sort();
    assert_eq!(listed, members, "every process of the kernel session, by pid:\n{listing:#?}");
    let tt = busy.tty.trim_start_matches("/dev/");
    for (pid, stat, command) in
        [(busy.sh, "Ss+", "sh".to_owned()), (busy.sleep, "S", format!("sleep {}", busy.secs))]
    {
        let line = listing.iter().find(|l| field(l, 1) == pid.to_string()).expect("listed");
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!((f[0], f[5], f[6]), (user().as_str(), tt, stat), "USER TT STAT of {line:?}");
        for (i, name) in [(2, "%CPU"), (3, "%MEM")] {
            assert!(f[i].parse::<f64>().is_ok(), "{name} of {line:?}");
        }
        assert!(f[4].parse::<u64>().is_ok_and(|rss| rss > 0), "RSS of {line:?}");
        assert!(f[7].len() == 5, "START of {line:?} is HH:MM or Mmmdd");
        assert!(
            f[8].split_once(':').is_some_and(|(m, s)| m.parse::<u32>().is_ok() && s.len() == 2)
        );
        // Columns line up under the header.
        assert_eq!(&line[HEADER.find("COMMAND").unwrap()..], command, "COMMAND of {line:?}");
        let pid_end = HEADER.find("PID").unwrap() + 3;
        assert!(line[..pid_end].ends_with(&format!(" {pid}")), "PID column of {line:?}");
    }
    &lines[2 + listing.len()..]
}

fn field(line: &str, i: usize) -> String {
    line.split_whitespace().nth(i).unwrap_or_default().to_owned()
}

#[test]
fn without_a_terminal_sessmenu_runs_sess_or_with_no_new_exits_0() {
    let world = World::new();
    let id = world.detached_shell();
    let out = world.run("sessmenu", &["sh"]);
    assert_eq!(
        (out.code(), out.stdout.as_str(), out.stderr.as_str()),
        (2, "", "sess: fatal: standard input is not a terminal\n"),
        "no menu; `sess sh` ran, and it needs a terminal"
    );
    let out = world.run("sessmenu", &["--no-new"]);
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (0, "", ""));
    let ids: Vec<_> = world.list_json().into_iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, [id.as_str()], "no session was started");
}

#[test]
fn without_a_disconnected_session_sessmenu_runs_sess_prog() {
    let world = World::new();
    let mut other = world.term();
    let _connected = other.start("sess sh");
    let a = other.session_prompt();
    let mut term = world.term();
    let n = unique();
    let done = term.start(&format!("sessmenu sh -c 'echo i\"\"n-$PTY-{n}; exit 7'"));
    let id = term.expect_between("in-", &format!("-{n}"));
    assert_eq!(term.finish(done), 7, "sessmenu became `sess PROG`: the program's status");
    assert!(id.len() == 2 && id != a, "a new session ran the program, not {a}: {id:?}");
    assert!(!term.text().contains("You have"), "no menu:\n{}", term.text());
    assert_eq!(term.run("sessmenu --no-new"), 0);
    wait_until("only the connected session is left (--no-new started none)", || {
        let ids: Vec<_> = world.list_json().into_iter().map(|s| s["id"].clone()).collect();
        ids == [a.as_str()]
    });
}

#[test]
fn one_disconnected_session_is_shown_with_its_processes_and_two_characters_reconnect() {
    let world = World::new();
    let mut first = world.term();
    let _connected = first.start("sess sh");
    let a = first.session_prompt();
    let b = busy_session(&world, Some("finishing up paper.3"));
    let mut term = world.term();
    let (_status, lines) = menu(&mut term, "");
    let rest = check_block(&world, &lines, &b);
    assert_eq!(
        rest,
        [
            format!("Session {} is named: finishing up paper.3.", b.id),
            "Would you like to reconnect to that session?".to_owned(),
            format!("If so, type its two-character extension, {}.", b.id),
        ],
        "after the listing of {} (the connected {a} is not offered)",
        b.id
    );
    term.send(format!("{}\r", b.id).as_bytes());
    term.expect_line(&format!("sessmenu: info: successfully connected to {}", b.id));
    assert_eq!(term.ask("$PTY"), b.id, "the terminal is in {}", b.id);
    assert_eq!(world.session(&b.id)["connected"], true);
    assert_eq!(term.ask("$!"), b.sleep.to_string(), "the same shell, its job still there");
    assert_eq!(world.session(&a)["connected"], true, "{a} keeps its terminal");
}

#[test]
fn several_disconnected_sessions_are_offered_in_order_with_the_last_as_example() {
    let world = World::new();
    let mut sessions = [busy_session(&world, None), busy_session(&world, None)];
    sessions.sort_by(|x, y| (x.id.len(), &x.id).cmp(&(y.id.len(), &y.id)));
    let [b, c] = sessions;
    world.ok("sessname", &["-s", &c.id, "mail"]);
    let mut term = world.term();
    let modes = term.stty();
    let (status, lines) = menu(&mut term, "");
    let rest = check_block(&world, &lines, &b);
    let rest = check_block(&world, rest, &c);
    assert_eq!(
        rest,
        [
            format!("Session {} is named: mail.", c.id),
            "Would you like to reconnect to one of those sessions?".to_owned(),
            format!("If so, type its two-character extension, like {} for the last one.", c.id),
        ]
    );
    term.send(format!("{}\n", b.id).as_bytes());
    term.expect_line(&format!("sessmenu: info: successfully connected to {}", b.id));
    assert_eq!(term.ask("$PTY"), b.id, "LF accepts too; the first one is reachable");
    assert_eq!(world.session(&c.id)["connected"], false);
    term.line("disconnect");
    assert_eq!(term.finish(status), 0, "sessmenu's status once the connection ends");
    assert_eq!(term.stty(), modes, "the terminal's modes are restored");
}

#[test]
fn sessmenu_echoes_the_answer_itself_bs_and_del_erase_a_third_character_rings() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    let _status = menu(&mut term, " sh");
    let from = term.mark();
    // BS on an empty answer erases nothing; x DEL; y z; w rings; BS BS.
    term.send(b"\x08x\x7fyzw\x08\x08\r");
    let expected: &[u8] = b"x\x08 \x08yz\x07\x08 \x08\x08 \x08\r\n";
    term.wait_bytes("sessmenu's echo", from, |shown| {
        let got = &shown[..shown.len().min(expected.len())];
        if shown.len() >= expected.len() && got == expected {
            Ok(())
        } else {
            Err(format!("shown so far: {:?}", String::from_utf8_lossy(shown)))
        }
    });
    let id = term.session_prompt();
    assert_ne!(id, b, "an emptied answer starts a new session");
    assert_eq!(world.session(&b)["connected"], false);
}

#[test]
fn return_lf_eof_or_fewer_than_two_characters_start_a_new_session() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    for keys in ["\r", "\n", "\x04", "p\r", "p3\x7f\n"] {
        let done = term.start("sessmenu sh");
        term.expect(RETURN_LINE);
        term.send(keys.as_bytes());
        let id = term.session_prompt();
        assert_ne!(id, b, "keys {keys:?}");
        assert_eq!(
            world.session(&id)["connected"],
            true,
            "keys {keys:?}: a new, connected session"
        );
        term.line("exit 0");
        assert_eq!(term.finish(done), 0, "keys {keys:?}: sess's status after exit 0");
        assert_eq!(world.session(&b)["connected"], false, "keys {keys:?}");
    }
}

#[test]
fn an_id_not_offered_is_refused_and_the_question_asked_again() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    let _status = menu(&mut term, " 2>$HOME/err");
    term.send(b"zz\r"); // not even the shape of an id
    term.expect(&format!("zz\r\n{RETURN_LINE}"));
    world.wait_file("err", "sessmenu: warning: no disconnected session zz\r\n");
    term.send(format!("{b}\r").as_bytes());
    wait_until(&format!("the terminal is connected to {b}"), || {
        world.session(&b)["connected"] == true
    });
    assert_eq!(term.ask("$PTY"), b);
}

#[test]
fn with_no_new_return_at_the_menu_exits_0_and_starts_nothing() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    let modes = term.stty();
    let (status, _) = menu(&mut term, " --no-new");
    term.send(b"\r");
    assert_eq!(term.finish(status), 0);
    assert_eq!(term.stty(), modes, "the terminal's modes are restored");
    let ids: Vec<_> = world.list_json().into_iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, [b.as_str()], "no session was started");
}

/// `contrib/profile/sessmenu.sh`.
fn snippet() -> String {
    format!("{}/contrib/profile/sessmenu.sh", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_profile_snippet_runs_sessmenu_only_in_interactive_shells_outside_a_session() {
    let world = World::new();
    let mut term = world.term();
    // A script on a terminal, outside any session: not interactive.
    let script = format!("sh -c '. {}; echo not rep\"\"laced'", snippet());
    let done = term.start(&script);
    term.expect("not replaced");
    assert_eq!(term.finish(done), 0);
    let _done = term.start("sess sh");
    let a = term.session_prompt();
    // In the session's interactive shell, PTY is set: it carries on.
    term.line(&format!(". {}; echo in\"\"side-$PTY", snippet()));
    term.expect(&format!("inside-{a}"));
    assert_eq!(term.ask("$$"), world.program_pid(&a).to_string(), "the same shell");
    let mut login = world.term();
    login.line(&format!(". {}", snippet()));
    let id = login.session_prompt();
    assert_ne!(id, a, "the login shell became sessmenu, then `sess`: a new session");
    assert_eq!(world.session(&id)["connected"], true);
}
