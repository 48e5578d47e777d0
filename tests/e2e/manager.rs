//! `session`, the process manager (SPEC §6): create and names, the states
//! and the signals behind them, waiting sessions and `attach`, attributes,
//! `rm`, kept versus ephemeral sessions, export/import, and records that
//! survive `kill -9` of sessd.

use std::fs;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::harness::{Out, Stat, Term, World, alive, chmod, stat, wait_until};
use crate::term::visible;

/// `session ARGS`, run without a terminal.
#[track_caller]
fn session(world: &World, args: &[&str]) -> Out {
    world.run("session", args)
}

/// `session ARGS` must succeed and print exactly `stdout` (nothing on
/// stderr).
#[track_caller]
fn says(world: &World, args: &[&str], stdout: &str) {
    let out = session(world, args);
    assert_eq!(
        (out.code(), out.stdout.as_str(), out.stderr.as_str()),
        (0, stdout, ""),
        "`session {}`",
        args.join(" ")
    );
}

/// `session ARGS` must fail with `code` and one `session: fatal: ...` line
/// on stderr, nothing on stdout; returns that line.
#[track_caller]
fn fails(world: &World, args: &[&str], code: i32) -> String {
    let out = session(world, args);
    let what = format!("`session {}`", args.join(" "));
    assert_eq!((out.code(), out.stdout.as_str()), (code, ""), "{what}: {out:?}");
    assert!(
        out.stderr.starts_with("session: fatal: ")
            && out.stderr.ends_with('\n')
            && out.stderr.lines().count() == 1,
        "{what} prints one `session: fatal: ...` line: {:?}",
        out.stderr
    );
    out.stderr.trim_end().to_owned()
}

/// `session get NAME KEY`: the value.
#[track_caller]
fn get(world: &World, name: &str, key: &str) -> String {
    let out = session(world, &["get", name, key]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "`session get {name} {key}`");
    let prefix = format!("{key}=");
    match out.stdout.strip_suffix('\n').and_then(|line| line.strip_prefix(&prefix)) {
        Some(value) if !value.contains('\n') => value.to_owned(),
        _ => panic!("`session get {name} {key}` prints {:?}, not one `{key}=...` line", out.stdout),
    }
}

/// `session get NAME`: every line but those that change with time alone.
#[track_caller]
fn get_all(world: &World, name: &str) -> Vec<String> {
    let out = session(world, &["get", name]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "`session get {name}`");
    out.stdout
        .lines()
        .filter(|l| !l.starts_with("runtime=") && !l.starts_with("last-use="))
        .map(str::to_owned)
        .collect()
}

/// The program's pid of a running or suspended session, from `get`.
#[track_caller]
fn pid_of(world: &World, name: &str) -> i32 {
    let pid = get(world, name, "pid");
    pid.parse().unwrap_or_else(|_| panic!("pid of {name} is {pid:?}, not a number"))
}

/// `session status NAME`'s line.
#[track_caller]
fn status(world: &World, name: &str) -> String {
    let out = session(world, &["status", name]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "`session status {name}`: {out:?}");
    out.stdout
}

/// `session list --json`, parsed.
#[track_caller]
fn list_json(world: &World) -> Vec<Value> {
    let out = session(world, &["list", "--json"]);
    assert_eq!(out.code(), 0, "session list --json: {out:?}");
    match serde_json::from_str(&out.stdout) {
        Ok(Value::Array(items)) => items,
        other => panic!("session list --json is not a JSON array: {other:?}\n{out:?}"),
    }
}

/// The `session list --json` object of the session named `name`.
#[track_caller]
fn listed(world: &World, name: &str) -> Value {
    let list = list_json(world);
    match list.iter().find(|s| s["name"] == name) {
        Some(s) => s.clone(),
        None => panic!("no session named {name} in session list --json: {list:?}"),
    }
}

/// Asserts that the terminal has shown each of `lines`, ending in CR LF.
#[track_caller]
fn shown_lines(term: &Term, lines: &[&str]) {
    let shown = term.text();
    for line in lines {
        assert!(
            shown.contains(&format!("{line}\r\n")),
            "the line {line:?} was not shown; the terminal shows:\n{}",
            visible(&shown)
        );
    }
}

/// Every pid in /proc.
fn all_pids() -> Vec<i32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect()
}

/// The live (not zombie) processes of the kernel session `sid`.
fn members(sid: i32) -> Vec<Stat> {
    all_pids()
        .into_iter()
        .filter_map(stat)
        .filter(|s| s.session == sid && s.state != 'Z' && s.state != 'X')
        .collect()
}

/// Whether a process of this world runs exactly `argv`.
fn runs(world: &World, argv: &[&str]) -> bool {
    world.pids().into_iter().any(|pid| {
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).filter(|a| !a.is_empty()).collect();
        args.len() == argv.len() && args.iter().zip(argv).all(|(a, b)| *a == b.as_bytes())
    })
}

/// Creates session `name` running a shell with a background job (`sleep
/// 1000 & sleep 1000`); waits until both sleeps run; returns the program's
/// pid and every process of its kernel session.
#[track_caller]
fn background_job(world: &World, name: &str) -> (i32, Vec<i32>) {
    says(
        world,
        &["create", "-n", name, "sh", "-c", "sleep 1000 & sleep 1000"],
        &format!("Session '{name}' started\n"),
    );
    let pid = pid_of(world, name);
    let mut all = Vec::new();
    wait_until(&format!("two sleeps run in {name}'s kernel session {pid}"), || {
        let procs = members(pid);
        all = procs.iter().map(|s| s.pid).collect();
        procs.iter().filter(|s| s.comm == "sleep").count() == 2
    });
    assert!(all.contains(&pid), "the program {pid} leads its kernel session: {all:?}");
    assert!(all.len() >= 2, "the program has a child: {all:?}");
    (pid, all)
}

/// Waits until every one of `pids` is in state `state` (/proc/PID/stat).
#[track_caller]
fn wait_state(pids: &[i32], state: char) {
    let deadline = Instant::now() + crate::harness::timeout();
    loop {
        let seen: Vec<(i32, Option<char>)> =
            pids.iter().map(|&p| (p, stat(p).map(|s| s.state))).collect();
        if seen.iter().all(|(_, s)| *s == Some(state)) {
            return;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting until {pids:?} are all in state {state}; states: {seen:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A duration as `get` shows it (`90s`, `1m30s`, `1m 30s`, `1h30m`, a bare
/// number of seconds), in seconds.
fn seconds(text: &str) -> Option<u64> {
    let text = text.replace(' ', "");
    if let Ok(n) = text.parse() {
        return Some(n);
    }
    let (mut total, mut num) = (0, String::new());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            'h' => 3600,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0
            }
            'm' => 60,
            's' => 1,
            'd' => 86400,
            _ => return None,
        };
    }
    num.is_empty().then_some(total)
}

// ---- 1. create, status, names ----

#[test]
fn status_names_each_state() {
    let world = World::new();
    let (pid, _) = background_job(&world, "svc");
    assert!(alive(pid));
    says(&world, &["status", "svc"], &format!("Session 'svc' is running, PID {pid}.\n"));
    assert_eq!(listed(&world, "svc")["state"], "running");
    world.ok("session", &["suspend", "svc"]);
    says(&world, &["status", "svc"], &format!("Session 'svc' is suspended, PID {pid}.\n"));
    assert_eq!(listed(&world, "svc")["state"], "suspended");
    world.ok("session", &["resume", "svc"]);
    says(&world, &["status", "svc"], &format!("Session 'svc' is running, PID {pid}.\n"));
    world.ok("session", &["stop", "svc"]);
    let line = status(&world, "svc");
    assert!(
        line == "Session 'svc' is stopped.\n"
            || (line.starts_with("Session 'svc' is stopped (exit status ")
                && line.ends_with(").\n")),
        "status of a stopped session: {line:?}"
    );
    assert_eq!(listed(&world, "svc")["state"], "stopped");
    says(
        &world,
        &["create", "-n", "later", "-s", "/bin/sleep", "1000"],
        "Session 'later' created and suspended.\n",
    );
    says(&world, &["status", "later"], "Session 'later' is waiting to be started.\n");
    assert_eq!(listed(&world, "later")["state"], "waiting");
}

#[test]
fn automatic_names_are_the_basename_and_the_smallest_free_number() {
    let world = World::new();
    says(&world, &["create", "sh", "-c", "sleep 1000"], "Session 'sh1' started\n");
    says(&world, &["create", "/bin/sh", "-c", "sleep 1000"], "Session 'sh2' started\n");
    says(&world, &["create", "sleep", "1000"], "Session 'sleep1' started\n");
    world.ok("session", &["rm", "-f", "sh1"]);
    says(&world, &["create", "sh", "-c", "sleep 1000"], "Session 'sh1' started\n");
    says(&world, &["create", "sh", "-c", "sleep 1000"], "Session 'sh3' started\n");
    let mut names: Vec<String> =
        list_json(&world).iter().map(|s| s["name"].as_str().unwrap_or("?").to_owned()).collect();
    names.sort();
    assert_eq!(names, ["sh1", "sh2", "sh3", "sleep1"]);
}

#[test]
fn an_automatic_name_never_has_the_shape_of_an_id() {
    let world = World::new();
    // `p1`..`p9` and `p10`..`p99` are ids (a letter, one or two hex digits).
    let p = world.file("p", "#!/bin/sh\nexec sleep 1000\n");
    chmod(&p, 0o755);
    let p = p.display().to_string();
    says(&world, &["create", &p], "Session 'p100' started\n");
    says(&world, &["create", &p], "Session 'p101' started\n");
}

#[test]
fn a_taken_name_is_refused_with_status_1() {
    let world = World::new();
    says(&world, &["create", "-n", "svc", "sleep", "1000"], "Session 'svc' started\n");
    let pid = pid_of(&world, "svc");
    let line = fails(&world, &["create", "-n", "svc", "sleep", "2000"], 1);
    assert!(line.contains("svc"), "the refusal names the session: {line:?}");
    assert_eq!(list_json(&world).len(), 1, "nothing was created");
    assert_eq!(pid_of(&world, "svc"), pid, "the first svc is untouched");
    assert_eq!(get(&world, "svc", "command"), "['sleep', '1000']");
    assert!(!runs(&world, &["sleep", "2000"]), "the refused program did not run");
}

#[test]
fn an_id_shaped_name_is_refused_with_status_2() {
    let world = World::new();
    for name in ["p0", "q5", "a1f", "o9"] {
        let line = fails(&world, &["create", "-n", name, "sleep", "1000"], 2);
        assert!(line.contains(name), "the refusal names {name}: {line:?}");
    }
    assert_eq!(list_json(&world), Vec::<Value>::new(), "nothing was created");
    assert!(!runs(&world, &["sleep", "1000"]), "no program ran");
}

#[test]
fn create_c_and_e_reach_the_program() {
    let world = World::new();
    let dir = world.root.join("work dir");
    fs::create_dir(&dir).expect("work dir");
    let dir = dir.display().to_string();
    says(
        &world,
        &[
            "create",
            "-n",
            "where",
            "-C",
            &dir,
            "-e",
            "K=hello world",
            "-e",
            "L=2",
            "--",
            "sh",
            "-c",
            "pwd > $HOME/out; echo \"$K/$L\" >> $HOME/out; sleep 1000",
        ],
        "Session 'where' started\n",
    );
    world.wait_file("out", &format!("{dir}\nhello world/2\n"));
    assert_eq!(get(&world, "where", "cwd"), dir);
    let env = get(&world, "where", "env");
    assert!(env.contains("'K=hello world'") && env.contains("'L=2'"), "env={env}");
    assert_eq!(listed(&world, "where")["cwd"], dir.as_str());
}

// ---- 2. signals to the whole kernel session; stop, start, restart ----

#[test]
fn suspend_resume_and_stop_reach_the_background_job_too() {
    let world = World::new();
    let (pid, all) = background_job(&world, "job");
    world.ok("session", &["suspend", "job"]);
    wait_state(&all, 'T');
    world.ok("session", &["resume", "job"]);
    wait_state(&all, 'S');
    world.ok("session", &["stop", "job"]);
    wait_until(&format!("{all:?} are all gone"), || all.iter().all(|&p| !alive(p)));
    assert_eq!(members(pid).len(), 0, "nothing is left of the kernel session");
    assert!(status(&world, "job").starts_with("Session 'job' is stopped"));
    let s = listed(&world, "job");
    assert_eq!((&s["state"], &s["pid"]), (&Value::from("stopped"), &Value::Null), "{s}");
    assert_eq!(get(&world, "job", "state"), "stopped");
}

#[test]
fn stop_escalates_to_sigkill_after_stop_timeout() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "stubborn", "sh", "-c", "trap '' HUP TERM; sleep 1000 & sleep 1000"],
        "Session 'stubborn' started\n",
    );
    world.ok("session", &["set", "stubborn", "stop-timeout", "2s"]);
    let pid = pid_of(&world, "stubborn");
    let mut all = Vec::new();
    wait_until("two sleeps run", || {
        let procs = members(pid);
        all = procs.iter().map(|s| s.pid).collect();
        procs.iter().filter(|s| s.comm == "sleep").count() == 2
    });
    let start = Instant::now();
    world.ok("session", &["stop", "stubborn"]);
    wait_until(&format!("{all:?} are all gone"), || all.iter().all(|&p| !alive(p)));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(1900), "SIGKILL came after {took:?}, not 2s");
    assert!(status(&world, "stubborn").starts_with("Session 'stubborn' is stopped"));
}

#[test]
fn stop_sends_hup_then_term_then_kill() {
    let world = World::new();
    says(
        &world,
        &[
            "create",
            "-n",
            "traps",
            "sh",
            "-c",
            "trap 'echo HUP >> $HOME/sigs' HUP; trap 'echo TERM >> $HOME/sigs' TERM; \
             (trap '' HUP TERM; exec sleep 1000) & \
             while :; do sleep 0.1; done",
        ],
        "Session 'traps' started\n",
    );
    world.ok("session", &["set", "traps", "stop-timeout", "1s"]);
    let pid = pid_of(&world, "traps");
    let mut all = Vec::new();
    wait_until("the background `sleep 1000` runs", || {
        let procs = members(pid);
        all = procs.iter().map(|s| s.pid).collect();
        procs.iter().any(|s| {
            fs::read(format!("/proc/{}/cmdline", s.pid)).is_ok_and(|c| c == b"sleep\x001000\0")
        })
    });
    world.ok("session", &["stop", "traps"]);
    wait_until(&format!("{all:?} are all gone"), || all.iter().all(|&p| !alive(p)));
    assert_eq!(world.read("sigs"), "HUP\nTERM\n", "the program got SIGHUP, then SIGTERM");
    assert!(status(&world, "traps").starts_with("Session 'traps' is stopped"));
}

#[test]
fn start_and_restart_give_a_new_pid_with_the_same_id_and_name() {
    let world = World::new();
    let (first, all) = background_job(&world, "job");
    let id = get(&world, "job", "id");
    world.ok("session", &["stop", "job"]);
    wait_until("the first run is gone", || all.iter().all(|&p| !alive(p)));
    world.ok("session", &["start", "job"]);
    let second = pid_of(&world, "job");
    assert_ne!(second, first, "start gives a new pid");
    assert!(alive(second));
    says(&world, &["status", "job"], &format!("Session 'job' is running, PID {second}.\n"));
    assert_eq!(get(&world, "job", "id"), id, "same id");
    wait_until("the second run's sleeps run", || {
        members(second).iter().filter(|s| s.comm == "sleep").count() == 2
    });
    let second_all: Vec<i32> = members(second).iter().map(|s| s.pid).collect();
    world.ok("session", &["restart", "job"]);
    let third = pid_of(&world, "job");
    assert!(third != first && third != second, "restart gives a new pid: {first} {second} {third}");
    assert!(alive(third));
    wait_until("the second run is gone", || second_all.iter().all(|&p| !alive(p)));
    says(&world, &["status", "job"], &format!("Session 'job' is running, PID {third}.\n"));
    assert_eq!(get(&world, "job", "id"), id, "same id after restart");
    let s = listed(&world, "job");
    assert_eq!((&s["id"], &s["name"]), (&Value::from(id.as_str()), &Value::from("job")));
    assert_eq!(list_json(&world).len(), 1, "still one session");
}

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

// ---- 4. attributes ----

#[test]
fn the_seed_example_sets_and_gets_attributes() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "backend", "-s", "/bin/sleep", "1000"],
        "Session 'backend' created and suspended.\n",
    );
    world.ok("session", &["set", "backend", "start-suspended", "yes"]);
    let lines = get_all(&world, "backend");
    for line in ["name=backend", "command=['/bin/sleep', '1000']", "start-suspended=yes"] {
        assert!(
            lines.iter().any(|l| l == line),
            "`session get backend` lacks {line:?}: {lines:#?}"
        );
    }
    for line in ["stop-timeout=5s", "ttl=none", "restart-style=if-running", "keep=yes"] {
        assert!(lines.iter().any(|l| l == line), "default {line:?} missing: {lines:#?}");
    }
    for key in ["id", "pid", "state", "created-at"] {
        assert!(lines.iter().any(|l| l.starts_with(&format!("{key}="))), "{key} missing");
    }
    assert_eq!(get(&world, "backend", "state"), "waiting");
    says(&world, &["get", "backend", "name"], "name=backend\n");
}

#[test]
fn every_attribute_can_be_set_and_is_shown_by_get() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "svc", "-s", "sleep", "1000"],
        "Session 'svc' created and suspended.\n",
    );
    let log = world.root.join("svc.log").display().to_string();
    let cases: &[(&str, &str, &str)] = &[
        ("title", "my service", "my service"),
        ("command", "['/bin/sleep', '2000']", "['/bin/sleep', '2000']"),
        ("command", "sleep 3000 'a b'", "['sleep', '3000', 'a b']"),
        ("cwd", "/tmp", "/tmp"),
        ("env", "['A=1', 'B=2']", "['A=1', 'B=2']"),
        ("env", "A=1 'B=two words'", "['A=1', 'B=two words']"),
        ("start-suspended", "no", "no"),
        ("start-suspended", "yes", "yes"),
        ("keep", "no", "no"),
        ("keep", "yes", "yes"),
        ("restart-style", "anyway", "anyway"),
        ("restart-style", "immediately", "immediately"),
        ("restart-style", "never", "never"),
        ("restart-style", "if-running", "if-running"),
        ("restart-command", "['/bin/sleep', '5']", "['/bin/sleep', '5']"),
        ("restart-command", "/bin/sleep 6", "['/bin/sleep', '6']"),
        ("save-signal", "USR1", "USR1"),
        ("ttl", "1h30m", "1h30m"),
        ("ttl", "none", "none"),
        ("timeout", "5m", "5m"),
        ("limit-cpu", "10", "10"),
        ("limit-mem", "100000000", "100000000"),
        ("limit-nofile", "256", "256"),
        ("limit-nproc", "50", "50"),
        ("schedule", "*/5 * * * *", "*/5 * * * *"),
        ("schedule", "@daily", "@daily"),
        ("log", &log, &log),
        ("stop-timeout", "2s", "2s"),
    ];
    for &(key, value, shown) in cases {
        let out = session(&world, &["set", "svc", key, value]);
        assert_eq!(
            (out.code(), out.stdout.as_str(), out.stderr.as_str()),
            (0, "", ""),
            "`session set svc {key} {value:?}` succeeds silently"
        );
        assert_eq!(get(&world, "svc", key), shown, "after `set svc {key} {value:?}`");
    }
    // A bare number is seconds.
    for (key, value) in [("ttl", "90"), ("timeout", "90s"), ("stop-timeout", "3")] {
        world.ok("session", &["set", "svc", key, value]);
        let got = get(&world, "svc", key);
        assert_eq!(seconds(&got), seconds(value), "{key}={got} after `set svc {key} {value}`");
    }
    assert_eq!(listed(&world, "svc")["title"], "my service", "the title shows at once");
    world.ok("session", &["set", "svc", "name", "renamed"]);
    assert_eq!(get(&world, "renamed", "name"), "renamed");
    assert_eq!(get(&world, "renamed", "title"), "my service", "the same session");
}

#[test]
fn bad_values_and_unknown_keys_are_refused_and_change_nothing() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "svc", "-s", "sleep", "1000"],
        "Session 'svc' created and suspended.\n",
    );
    world.ok("session", &["set", "svc", "title", "before"]);
    let before = get_all(&world, "svc");
    let styles: &[&str] = &["if-running", "anyway", "immediately", "never"];
    let cases: &[(&str, &str, &[&str])] = &[
        ("start-suspended", "maybe", &["yes", "no"]),
        ("keep", "perhaps", &["yes", "no"]),
        ("restart-style", "sometimes", styles),
        ("ttl", "forever", &[]),
        ("timeout", "soon", &[]),
        ("stop-timeout", "later", &[]),
        ("limit-cpu", "lots", &[]),
        ("limit-mem", "lots", &[]),
        ("limit-nofile", "many", &[]),
        ("limit-nproc", "x", &[]),
        ("schedule", "every tuesday", &["cron"]),
        ("save-signal", "NOSUCHSIG", &[]),
        ("command", "'unbalanced", &[]),
        ("command", "", &[]),
        ("restart-command", "'unbalanced", &[]),
        ("cwd", "relative/dir", &[]),
        ("env", "NOEQUALS", &[]),
        ("name", "p3", &[]),
        ("colour", "red", &["title", "restart-style", "stop-timeout"]),
        ("id", "x9", &[]),
        ("pid", "1", &[]),
        ("state", "running", &[]),
    ];
    for &(key, value, allowed) in cases {
        let line = fails(&world, &["set", "svc", key, value], 2);
        assert!(line.contains(key), "`set svc {key} {value:?}`: the key is named: {line:?}");
        for word in allowed {
            assert!(line.contains(word), "`set svc {key} {value:?}`: {word:?} allowed: {line:?}");
        }
        assert_eq!(get_all(&world, "svc"), before, "`set svc {key} {value:?}` changed something");
    }
}

#[test]
fn rename_changes_the_name() {
    let world = World::new();
    says(&world, &["create", "-n", "backend", "sleep", "1000"], "Session 'backend' started\n");
    says(&world, &["create", "-n", "other", "sleep", "1000"], "Session 'other' started\n");
    let id = get(&world, "backend", "id");
    let pid = pid_of(&world, "backend");
    world.ok("session", &["rename", "backend", "mybackend"]);
    assert_eq!(get(&world, "mybackend", "name"), "mybackend");
    assert_eq!(get(&world, "mybackend", "id"), id, "the same session");
    says(
        &world,
        &["status", "mybackend"],
        &format!("Session 'mybackend' is running, PID {pid}.\n"),
    );
    let out = session(&world, &["status", "backend"]);
    assert_eq!(
        (out.code(), out.stdout.as_str(), out.stderr.as_str()),
        (2, "", "session: fatal: cannot find session backend; if it exists, do you own it?\n")
    );
    assert!(fails(&world, &["rename", "mybackend", "other"], 1).contains("other"));
    assert!(fails(&world, &["rename", "mybackend", "q1"], 2).contains("q1"));
    assert_eq!(get(&world, "mybackend", "id"), id, "refused renames change nothing");
    assert_eq!(get(&world, "other", "name"), "other");
}

// ---- 5. rm ----

#[test]
fn rm_of_a_running_session_is_refused_with_the_exact_text() {
    let world = World::new();
    says(&world, &["create", "-n", "backend", "sleep", "1000"], "Session 'backend' started\n");
    let pid = pid_of(&world, "backend");
    let out = session(&world, &["rm", "backend"]);
    let refusal = format!(
        "The session 'backend' is running (PID {pid}). Use `session rm -f backend` to stop and \
         delete the session.\n"
    );
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (1, "", refusal.as_str()));
    assert!(alive(pid), "still running");
    says(&world, &["status", "backend"], &format!("Session 'backend' is running, PID {pid}.\n"));
}

#[test]
fn rm_f_stops_and_deletes_a_running_session() {
    let world = World::new();
    let (_, all) = background_job(&world, "job");
    world.ok("session", &["rm", "-f", "job"]);
    wait_until(&format!("{all:?} are all gone"), || all.iter().all(|&p| !alive(p)));
    fails(&world, &["status", "job"], 2);
    assert_eq!(list_json(&world), Vec::<Value>::new());
}

#[test]
fn rm_of_a_stopped_or_waiting_session_deletes_it() {
    let world = World::new();
    says(&world, &["create", "-n", "svc", "sleep", "1000"], "Session 'svc' started\n");
    world.ok("session", &["stop", "svc"]);
    world.ok("session", &["rm", "svc"]);
    says(
        &world,
        &["create", "-n", "later", "-s", "sleep", "1000"],
        "Session 'later' created and suspended.\n",
    );
    world.ok("session", &["rm", "later"]);
    assert_eq!(list_json(&world), Vec::<Value>::new());
    let line = fails(&world, &["get", "svc"], 2);
    assert_eq!(line, "session: fatal: cannot find session svc; if it exists, do you own it?");
    // The names are free again.
    says(
        &world,
        &["create", "-n", "svc", "-s", "sleep", "1000"],
        "Session 'svc' created and suspended.\n",
    );
}

// ---- 6. kept and ephemeral sessions ----

#[test]
fn a_kept_session_whose_program_exits_is_stopped_with_its_exit_status() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "ends", "sh", "-c", "until [ -e $HOME/go ]; do sleep 0.05; done; exit 3"],
        "Session 'ends' started\n",
    );
    let pid = pid_of(&world, "ends");
    world.file("go", "");
    wait_until("the program is gone", || !alive(pid));
    wait_until("status says stopped", || status(&world, "ends").contains("stopped"));
    says(&world, &["status", "ends"], "Session 'ends' is stopped (exit status 3).\n");
    let s = listed(&world, "ends");
    assert_eq!(
        (&s["state"], &s["exit_status"], &s["kept"], &s["pid"]),
        (&Value::from("stopped"), &Value::from(3), &Value::Bool(true), &Value::Null),
        "{s}"
    );
}

#[test]
fn a_kept_session_whose_program_exits_at_once_keeps_its_exit_status() {
    let world = World::new();
    for n in 1..=4 {
        let name = format!("quick{n}");
        says(
            &world,
            &["create", "-n", &name, "sh", "-c", "exit 3"],
            &format!("Session '{name}' started\n"),
        );
    }
    for n in 1..=4 {
        let name = format!("quick{n}");
        wait_until("status says stopped", || status(&world, &name).contains("stopped"));
        says(
            &world,
            &["status", &name],
            &format!("Session '{name}' is stopped (exit status 3).\n"),
        );
        assert_eq!(listed(&world, &name)["exit_status"], 3);
    }
}

#[test]
fn a_sess_session_is_listed_while_running_and_vanishes_when_its_program_exits() {
    let world = World::new();
    let mut term = world.term();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    let pid = world.program_pid(&id);
    let out = session(&world, &["list"]);
    assert_eq!(out.code(), 0);
    let row: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cols| cols.first() == Some(&id.as_str()))
        .unwrap_or_else(|| panic!("no row for {id} in `session list`:\n{}", out.stdout));
    let pid_text = pid.to_string();
    assert_eq!(row[..4], [id.as_str(), "sh1", "running", pid_text.as_str()], "{row:?}");
    let s = listed(&world, "sh1");
    assert_eq!((&s["id"], &s["kept"]), (&Value::from(id.as_str()), &Value::Bool(false)), "{s}");
    says(&world, &["status", &id], &format!("Session '{id}' is running, PID {pid}.\n"));
    says(&world, &["status", "sh1"], &format!("Session 'sh1' is running, PID {pid}.\n"));
    term.line("exit 7");
    assert_eq!(term.finish(done), 7);
    wait_until(&format!("{id} is gone from session list"), || {
        list_json(&world).iter().all(|s| s["id"] != id.as_str())
    });
    let line = fails(&world, &["status", &id], 2);
    assert_eq!(
        line,
        format!("session: fatal: cannot find session {id}; if it exists, do you own it?")
    );
}

#[test]
fn every_verb_accepts_an_id() {
    let world = World::new();
    let (first, all) = background_job(&world, "job");
    let id = get(&world, "job", "id");
    says(&world, &["get", &id, "name"], "name=job\n");
    world.ok("session", &["suspend", &id]);
    wait_state(&all, 'T');
    says(&world, &["status", &id], &format!("Session '{id}' is suspended, PID {first}.\n"));
    world.ok("session", &["resume", &id]);
    wait_state(&all, 'S');
    world.ok("session", &["set", &id, "title", "by id"]);
    assert_eq!(get(&world, "job", "title"), "by id");
    let out = session(&world, &["rm", &id]);
    let refusal = format!(
        "The session '{id}' is running (PID {first}). Use `session rm -f {id}` to stop and \
         delete the session.\n"
    );
    assert_eq!((out.code(), out.stderr.as_str()), (1, refusal.as_str()));
    let export = session(&world, &["export", &id]);
    assert_eq!(export.code(), 0, "{export:?}");
    world.ok("session", &["stop", &id]);
    assert!(status(&world, &id).starts_with(&format!("Session '{id}' is stopped")));
    world.ok("session", &["start", &id]);
    let second = pid_of(&world, &id);
    assert_ne!(second, first);
    world.ok("session", &["restart", &id]);
    assert_ne!(pid_of(&world, &id), second);
    world.ok("session", &["rename", &id, "job2"]);
    assert_eq!(get(&world, &id, "name"), "job2");
    world.ok("session", &["rm", "-f", &id]);
    assert_eq!(list_json(&world), Vec::<Value>::new());
}

// ---- `session list` ----

#[test]
fn session_list_prints_a_padded_table_and_the_json_of_sesslist() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "a-long-name", "sleep", "1000"],
        "Session 'a-long-name' started\n",
    );
    says(
        &world,
        &["create", "-n", "w", "-s", "sleep", "2000"],
        "Session 'w' created and suspended.\n",
    );
    world.ok("session", &["set", "w", "title", "my title"]);
    let pid = pid_of(&world, "a-long-name");
    let (a, w) = (get(&world, "a-long-name", "id"), get(&world, "w", "id"));
    let out = session(&world, &["list"]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two rows:\n{}", out.stdout);
    let header = lines[0];
    let names = ["ID", "NAME", "STATE", "PID", "CONNECTED", "TITLE/COMMAND"];
    assert_eq!(header.split_whitespace().collect::<Vec<_>>(), names, "{header:?}");
    let starts: Vec<usize> = {
        let mut from = 0;
        names
            .iter()
            .map(|n| {
                let at = from + header[from..].find(n).expect("column in header");
                from = at + n.len();
                at
            })
            .collect()
    };
    let field = |line: &str, col: usize| -> String {
        let end = starts.get(col + 1).copied().unwrap_or(line.len()).min(line.len());
        line.get(starts[col]..end).unwrap_or("").trim_end().to_owned()
    };
    let pid_text = pid.to_string();
    let expected = [
        [a.as_str(), "a-long-name", "running", pid_text.as_str(), "sleep 1000"],
        [w.as_str(), "w", "waiting", "", "my title"],
    ];
    for (line, want) in lines[1..].iter().zip(expected) {
        let got = [field(line, 0), field(line, 1), field(line, 2), field(line, 3), field(line, 5)];
        assert_eq!(got[..3], want[..3], "columns of {line:?} under {header:?}");
        if !want[3].is_empty() {
            assert_eq!(got[3], want[3], "PID column of {line:?}");
        }
        assert_eq!(got[4], want[4], "TITLE/COMMAND column of {line:?}");
    }
    let strip = |list: Vec<Value>| -> Vec<Value> {
        list.into_iter()
            .map(|mut s| {
                if let Some(o) = s.as_object_mut() {
                    o.remove("runtime_ms");
                    o.remove("last_use");
                }
                s
            })
            .collect()
    };
    assert_eq!(
        strip(list_json(&world)),
        strip(world.list_json()),
        "session list --json = sesslist --json"
    );
}

// ---- 7. export and import ----

#[test]
fn export_then_import_makes_a_copy_with_a_new_id_and_a_free_name() {
    let world = World::new();
    let dir = world.root.join("svc dir");
    fs::create_dir(&dir).expect("dir");
    let dir = dir.display().to_string();
    says(
        &world,
        &["create", "-n", "svc", "-s", "-C", &dir, "-e", "K=v w", "/bin/sleep", "1000"],
        "Session 'svc' created and suspended.\n",
    );
    for (key, value) in [
        ("title", "exported"),
        ("stop-timeout", "2s"),
        ("restart-style", "never"),
        ("restart-command", "/bin/sleep 5"),
        ("save-signal", "USR1"),
        ("schedule", "@daily"),
        ("limit-nofile", "256"),
        ("ttl", "1h"),
    ] {
        world.ok("session", &["set", "svc", key, value]);
    }
    let out = session(&world, &["export", "svc"]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""));
    let json: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("export is not JSON ({e}): {}", out.stdout));
    assert!(json.is_object(), "{json}");
    let file = world.file("svc.json", &out.stdout).display().to_string();
    let out = session(&world, &["import", &file]);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "{out:?}");
    let copy = out
        .stdout
        .strip_prefix("Session '")
        .and_then(|s| s.strip_suffix("' imported.\n"))
        .unwrap_or_else(|| panic!("import prints {:?}", out.stdout))
        .to_owned();
    assert_ne!(copy, "svc", "a free name");
    fails(&world, &["create", "-n", &copy, "true"], 1);
    assert_ne!(get(&world, &copy, "id"), get(&world, "svc", "id"), "a new id");
    let same = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| {
                !["name=", "id=", "pid=", "state=", "created-at="].iter().any(|k| l.starts_with(k))
            })
            .collect()
    };
    assert_eq!(same(get_all(&world, &copy)), same(get_all(&world, "svc")), "the same definition");
    assert_eq!(get(&world, &copy, "cwd"), dir);
    assert_eq!(get(&world, &copy, "command"), "['/bin/sleep', '1000']");
    assert!(get(&world, &copy, "env").contains("'K=v w'"));
    assert_eq!(list_json(&world).len(), 2);
}

// ---- 8. persistence ----

#[test]
fn kill_9_of_sessd_keeps_names_attributes_and_states() {
    let world = World::new();
    let (run_pid, run_all) = background_job(&world, "runs");
    world.ok("session", &["set", "runs", "title", "still running"]);
    world.ok("session", &["set", "runs", "restart-style", "anyway"]);
    let (sus_pid, sus_all) = background_job(&world, "paused");
    world.ok("session", &["suspend", "paused"]);
    wait_state(&sus_all, 'T');
    let (_, stopped_all) = background_job(&world, "halted");
    world.ok("session", &["stop", "halted"]);
    wait_until("halted is gone", || stopped_all.iter().all(|&p| !alive(p)));
    says(
        &world,
        &["create", "-n", "later", "-s", "sleep", "2000"],
        "Session 'later' created and suspended.\n",
    );
    world.ok("session", &["set", "later", "stop-timeout", "2s"]);
    world.ok("session", &["set", "later", "schedule", "@daily"]);
    says(
        &world,
        &["create", "-n", "ends", "sh", "-c", "until [ -e $HOME/go ]; do sleep 0.05; done; exit 3"],
        "Session 'ends' started\n",
    );
    let ends_pid = pid_of(&world, "ends");
    world.file("go", "");
    wait_until("ends is over", || !alive(ends_pid) && status(&world, "ends").contains("stopped"));

    let names = ["runs", "paused", "halted", "later", "ends"];
    let keys = ["id", "name", "title", "state", "pid", "command", "cwd", "kept", "exit_status"];
    let facts = |world: &World| -> Vec<Value> {
        let mut list: Vec<Value> = list_json(world)
            .iter()
            .map(|s| keys.iter().map(|k| (k.to_string(), s[k].clone())).collect())
            .collect();
        list.sort_by_key(|s| s["id"].to_string());
        list
    };
    let before_list = facts(&world);
    let before: Vec<(Vec<String>, String)> =
        names.iter().map(|n| (get_all(&world, n), status(&world, n))).collect();

    let sessd = world.sessd_pid();
    kill(Pid::from_raw(sessd), Signal::SIGKILL).expect("kill -9 sessd");
    wait_until("sessd is dead", || !alive(sessd));

    let after_list = facts(&world);
    assert_ne!(world.sessd_pid(), sessd, "a new sessd");
    assert_eq!(after_list, before_list, "session list --json before and after kill -9 of sessd");
    for (name, before) in names.iter().zip(before) {
        let after = (get_all(&world, name), status(&world, name));
        assert_eq!(after, before, "`session get/status {name}` before and after kill -9 of sessd");
    }
    assert!(run_all.iter().all(|&p| alive(p)), "runs {run_pid} still runs");
    wait_state(&sus_all, 'T');
    assert!(alive(sus_pid));
    // And the new daemon manages them.
    world.ok("session", &["resume", "paused"]);
    wait_state(&sus_all, 'S');
    world.ok("session", &["stop", "runs"]);
    wait_until("runs is gone", || run_all.iter().all(|&p| !alive(p)));
}
