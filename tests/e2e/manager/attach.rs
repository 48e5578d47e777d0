//! Waiting sessions (`create -s`) and `session attach`.

use super::*;

// ---- 3. waiting sessions and attach ----

#[test]
fn create_s_does_not_run_the_program() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "backend", "-s", "/bin/sleep", "999999"],
        "Session 'backend' created and suspended.\n",
    );
    says(&world, &["status", "backend"], "Session 'backend' is waiting to be started.\n");
    let s = listed(&world, "backend");
    assert_eq!((&s["state"], &s["pid"]), (&Value::from("waiting"), &Value::Null), "{s}");
    assert_eq!(get(&world, "backend", "start-suspended"), "yes");
    assert!(alive(world.sessd_pid()));
    assert!(!runs(&world, &["/bin/sleep", "999999"]), "the program does not run");
}

#[test]
fn attach_to_a_waiting_session_asks_and_ctrl_c_leaves_it_waiting() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "backend", "-s", "/bin/sleep", "999999"],
        "Session 'backend' created and suspended.\n",
    );
    let mut term = world.term();
    let before = term.modes(&["-g"]);
    term.line("session attach backend; echo ST\"\"ATUS=$?.");
    term.expect(
        "Session 'backend' is suspended; press Enter to start /bin/sleep 999999, ^C to leave it: ",
    );
    // The prompt means `session attach` is ready for the answer: ^C must
    // be read as one (raw mode), not kill it with SIGINT (which also makes
    // the outer shell drop the rest of its command line).
    let from = term.text().len();
    term.send(b"\x03");
    term.expect("[out]$ ");
    let after = visible(&term.text()[from..]);
    assert!(
        !after.contains("^C"),
        "^C was echoed by a terminal still in cooked mode: the prompt came before \
         `session attach` was ready to read the answer; the terminal shows after it:\n{after}"
    );
    assert!(after.contains("STATUS=130."), "^C leaves with status 130; after it:\n{after}");
    assert_eq!(term.modes(&["-g"]), before, "terminal modes restored");
    says(&world, &["status", "backend"], "Session 'backend' is waiting to be started.\n");
    assert!(!runs(&world, &["/bin/sleep", "999999"]), "the program does not run");
}

#[test]
fn attach_to_a_waiting_session_and_enter_starts_it_and_connects() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "later", "-s", "sh", "-c", "echo STA\"\"RTED; exec sh"],
        "Session 'later' created and suspended.\n",
    );
    let id = get(&world, "later", "id");
    let mut term = world.term();
    let done = term.start("session attach later");
    term.expect(
        "Session 'later' is suspended; press Enter to start sh -c 'echo STA\"\"RTED; exec sh', \
         ^C to leave it: ",
    );
    term.send(b"\r");
    term.expect("STARTED");
    assert_eq!(term.session_prompt(), id);
    assert_eq!(term.ask("$PTY"), id, "typing reaches the started program");
    let s = listed(&world, "later");
    assert_eq!((&s["state"], &s["connected"]), (&Value::from("running"), &Value::Bool(true)));
    says(
        &world,
        &["status", "later"],
        &format!("Session 'later' is running, PID {}.\n", pid_of(&world, "later")),
    );
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
    assert_eq!(listed(&world, "later")["connected"], false);
    shown_lines(
        &term,
        &["session: info: reconnecting to later", "session: info: successfully connected to later"],
    );
}

#[test]
fn attach_to_a_running_session_connects_like_reconnect() {
    let world = World::new();
    says(&world, &["create", "-n", "shell", "sh"], "Session 'shell' started\n");
    let id = get(&world, "shell", "id");
    let mut term = world.term();
    let done = term.start("session attach shell");
    assert_eq!(term.session_prompt(), id);
    assert_eq!(term.ask("$PTY"), id);
    assert_eq!(listed(&world, "shell")["connected"], true);
    world.ok("disconnect", &["-s", "shell"]);
    assert_eq!(term.finish(done), 0);
    shown_lines(
        &term,
        &["session: info: reconnecting to shell", "session: info: successfully connected to shell"],
    );
}

#[test]
fn attach_to_a_stopped_session_is_refused_with_status_1() {
    let world = World::new();
    says(&world, &["create", "-n", "svc", "sleep", "1000"], "Session 'svc' started\n");
    world.ok("session", &["stop", "svc"]);
    let mut term = world.term();
    assert_eq!(term.run("session attach svc 2>$HOME/err"), 1);
    let err = world.read("err");
    assert!(
        err.starts_with("session: fatal: ") && err.lines().count() == 1,
        "one fatal line: {err:?}"
    );
    assert!(status(&world, "svc").starts_with("Session 'svc' is stopped"));
}

#[test]
fn start_of_a_waiting_session_runs_it_without_a_terminal() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "backend", "-s", "/bin/sleep", "999999"],
        "Session 'backend' created and suspended.\n",
    );
    world.ok("session", &["start", "backend"]);
    let pid = pid_of(&world, "backend");
    assert!(alive(pid));
    says(&world, &["status", "backend"], &format!("Session 'backend' is running, PID {pid}.\n"));
    assert!(runs(&world, &["/bin/sleep", "999999"]), "the program runs");
    let s = listed(&world, "backend");
    assert_eq!((&s["state"], &s["connected"]), (&Value::from("running"), &Value::Bool(false)));
}

#[test]
fn attach_to_a_suspended_session_resumes_every_process_of_it() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "paused", "sh", "-c", "sleep 1000 & exec sh"],
        "Session 'paused' started\n",
    );
    let id = get(&world, "paused", "id");
    let pid = pid_of(&world, "paused");
    let mut all = Vec::new();
    wait_until("the shell and its background sleep run", || {
        let procs = members(pid);
        all = procs.iter().map(|s| s.pid).collect();
        procs.iter().any(|s| s.comm == "sleep") && procs.iter().any(|s| s.comm == "sh")
    });
    world.ok("session", &["suspend", "paused"]);
    wait_state(&all, 'T');
    let mut term = world.term();
    let done = term.start("session attach paused");
    assert_eq!(term.session_prompt(), id);
    wait_state(&all, 'S');
    assert_eq!(term.ask("$PTY"), id, "the shell answers");
    says(&world, &["status", "paused"], &format!("Session 'paused' is running, PID {pid}.\n"));
    world.ok("disconnect", &["-s", "paused"]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn attach_to_a_session_connected_elsewhere_is_status_16_and_the_other_keeps_it() {
    let world = World::new();
    says(&world, &["create", "-n", "shell", "sh"], "Session 'shell' started\n");
    let id = get(&world, "shell", "id");
    let mut first = world.term();
    let done = first.start("session attach shell");
    assert_eq!(first.session_prompt(), id);
    let mut second = world.term();
    assert_eq!(second.run("session attach shell 2>$HOME/err"), 16);
    assert_eq!(
        world.read("err"),
        "session: info: reconnecting to shell\n\
         session: fatal: session already connected somewhere else\n",
        "the messages of `reconnect` outside a session"
    );
    assert_eq!(first.ask("$PTY"), id, "the first terminal keeps the session");
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(first.finish(done), 0);
}

#[test]
fn attach_to_an_unknown_session_is_status_2_and_echoes_the_name() {
    let world = World::new();
    let mut term = world.term();
    let modes = term.modes(&["-g"]);
    assert_eq!(term.run("session attach nosuch 2>$HOME/err"), 2);
    assert_eq!(
        world.read("err"),
        "session: fatal: cannot find session nosuch; if it exists, do you own it?\n"
    );
    assert_eq!(term.modes(&["-g"]), modes, "the terminal is as it was");
}
