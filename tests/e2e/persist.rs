//! Persistence (SPEC §8): sessions come back after a reboot (simulated by
//! `kill -9` of sessd, every master and every program, then `sessd --boot`),
//! `restart-style`, `restart-command`, `immediately`'s respawn limit,
//! checkpoints (`session save`, SIGTERM to sessd) and the record store.

use std::fs;
use std::path::Path;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::harness::{
    Out, World, alive, bin, json_pid, run_command, status_field, unique, wait_until,
};

const MARKER: &str = "[sess: session restored after restart at ";

fn signal(pid: i32, sig: Signal) {
    kill(Pid::from_raw(pid), sig).unwrap_or_else(|e| panic!("kill -{sig} {pid}: {e}"));
}

/// A power cut: SIGKILL to sessd first (so it sees nothing end), then to
/// every other process of the world (masters, programs, their children)
/// until none is left. The world's terminals must be gone already.
fn power_cut(world: &World) {
    let sessd = world.sessd_pid();
    let _ = kill(Pid::from_raw(sessd), Signal::SIGKILL);
    wait_until("sessd is dead", || !alive(sessd));
    wait_until("every master and program of the test is dead", || {
        let left = world.pids();
        for &pid in &left {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        left.iter().all(|&pid| !alive(pid))
    });
}

/// `sessd --boot`, as init runs it: returns once the daemon listens.
#[track_caller]
fn boot(world: &World) {
    let out = world.run("sessd", &["--boot"]);
    assert_eq!((out.code(), out.stdout.as_str(), out.stderr.as_str()), (0, "", ""), "{out:?}");
}

#[track_caller]
fn session(world: &World, args: &[&str]) -> Out {
    let out = world.run("session", args);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "`session {}`: {out:?}", args.join(" "));
    out
}

/// A kept session running `argv`; returns its id.
#[track_caller]
fn create(world: &World, name: &str, argv: &[&str]) -> String {
    let mut args = vec!["create", "-n", name, "--"];
    args.extend(argv);
    session(world, &args);
    id_of(world, name)
}

#[track_caller]
fn id_of(world: &World, name: &str) -> String {
    let list = world.list_json();
    match list.iter().find(|s| s["name"] == name) {
        Some(s) => s["id"].as_str().expect("id is a string").to_owned(),
        None => panic!("no session named {name}: {list:?}"),
    }
}

#[track_caller]
fn status(world: &World, name: &str) -> String {
    session(world, &["status", name]).stdout
}

#[track_caller]
fn set(world: &World, name: &str, key: &str, value: &str) {
    world.ok("session", &["set", name, key, value]);
}

fn log(world: &World) -> String {
    fs::read_to_string(world.state.join("sessd.log")).unwrap_or_default()
}

/// The checkpointed screen of `id` (STATE/screens/XX).
fn saved_screen(world: &World, id: &str) -> String {
    fs::read_to_string(world.state.join("screens").join(id)).unwrap_or_default()
}

/// `sesslist --json`'s facts that a relaunch keeps, per id.
fn kept_facts(list: &[Value]) -> Vec<(Value, Value, Value, Value, Value)> {
    let mut out: Vec<_> = list
        .iter()
        .map(|s| {
            let keep = |k: &str| s[k].clone();
            (keep("id"), keep("name"), keep("title"), keep("cwd"), keep("command"))
        })
        .collect();
    out.sort_by_key(|f| f.0.to_string());
    out
}

/// `2026-12-01T14:55:00Z`: digits where digits go, the separators between.
fn is_rfc3339(time: &str) -> bool {
    let shape = "dddd-dd-ddTdd:dd:ddZ";
    time.len() == shape.len()
        && time
            .chars()
            .zip(shape.chars())
            .all(|(c, s)| if s == 'd' { c.is_ascii_digit() } else { c == s })
}

fn canonical(path: &Path) -> String {
    fs::canonicalize(path).expect("canonicalize").display().to_string()
}

#[test]
fn a_sess_shell_comes_back_after_a_reboot_with_its_screen_above_the_marker() {
    let world = World::new();
    let work = world.home.join("work dir");
    fs::create_dir(&work).expect("work dir");
    let n = unique();
    let (id, old_pid) = {
        let mut term = world.term();
        term.line("cd \"$HOME/work dir\" && export PERSIST_VAR=kept-value");
        let done = term.start("sess -n keepme sh");
        let id = term.session_prompt();
        term.line(&format!("sessname 'my title'; echo BEFORE\"\"-{n}-REBOOT"));
        term.expect(&format!("BEFORE-{n}-REBOOT"));
        term.line("disconnect");
        assert_eq!(term.finish(done), 0);
        (id.clone(), world.program_pid(&id))
    };
    let before = kept_facts(&world.list_json());
    // An orderly shutdown of sessd checkpoints; then everything dies.
    let sessd = world.sessd_pid();
    signal(sessd, Signal::SIGTERM);
    wait_until("sessd has stopped", || !alive(sessd));
    assert!(saved_screen(&world, &id).contains(&format!("BEFORE-{n}-REBOOT")));
    power_cut(&world);
    // A reboot empties the runtime dir (a tmpfs); the state dir stays.
    fs::remove_dir_all(&world.runtime).expect("remove the runtime dir");
    boot(&world);

    let list = world.list_json();
    assert_eq!(kept_facts(&list), before, "id, name, title, cwd and command are kept");
    let back = world.session(&id);
    assert_eq!(back["state"], "running", "{back}");
    assert_ne!(json_pid(&back, "pid"), old_pid, "a new program");
    assert!(alive(json_pid(&back, "pid")));

    let mut term = world.term();
    let done = term.start(&format!("reconnect {id}"));
    term.expect(&format!("BEFORE-{n}-REBOOT"));
    let time = term.expect_between(MARKER, "]");
    assert!(is_rfc3339(&time), "the marker's time {time:?}");
    assert_eq!(term.session_prompt(), id, "a new shell's prompt below the marker");
    assert_eq!(term.ask("$PERSIST_VAR"), "kept-value", "the environment is kept");
    assert_eq!(term.ask("$(pwd -P)"), canonical(&work), "the cwd is kept");
    assert_eq!(term.ask("$PTY"), id);
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
}

#[test]
fn a_reboot_brings_back_what_restart_style_says() {
    let world = World::new();
    let a = create(&world, "runs", &["sh"]);
    let b = create(&world, "stopped", &["sh"]);
    world.ok("session", &["stop", "stopped"]);
    let c = create(&world, "never", &["sh"]);
    set(&world, "never", "restart-style", "never");
    let d = create(&world, "anyway", &["sh"]);
    set(&world, "anyway", "restart-style", "anyway");
    world.ok("session", &["stop", "anyway"]);
    session(&world, &["create", "-s", "-n", "waits", "--", "sh"]);
    let e = create(&world, "respawns", &["sh"]);
    set(&world, "respawns", "restart-style", "immediately");
    let old_pid = world.program_pid(&a);

    power_cut(&world);
    boot(&world);

    assert_eq!(world.list_json().len(), 6, "every record is kept: {:?}", world.list_json());
    assert!(status(&world, "stopped").starts_with("Session 'stopped' is stopped"));
    assert_eq!(status(&world, "never"), "Session 'never' is stopped.\n");
    assert_eq!(status(&world, "waits"), "Session 'waits' is waiting to be started.\n");
    for (id, name) in [(&a, "runs"), (&d, "anyway"), (&e, "respawns")] {
        let pid = world.program_pid(id);
        assert!(alive(pid), "{name} runs again");
        assert_eq!(status(&world, name), format!("Session '{name}' is running, PID {pid}.\n"));
        assert_eq!(id_of(&world, name), *id, "{name} keeps its id");
    }
    assert_ne!(world.program_pid(&a), old_pid);
    for id in [&b, &c] {
        assert_eq!(world.session(id)["pid"], Value::Null, "{id} has no program");
    }
    // The kept attributes still apply: `never` stays as set.
    let out = session(&world, &["get", "never", "restart-style"]);
    assert_eq!(out.stdout, "restart-style=never\n");
}

#[test]
fn a_session_that_starts_suspended_comes_back_waiting() {
    let world = World::new();
    let id = create(&world, "held", &["sh"]);
    set(&world, "held", "start-suspended", "yes");
    set(&world, "held", "restart-style", "anyway");
    assert!(status(&world, "held").starts_with("Session 'held' is running"));

    power_cut(&world);
    boot(&world);

    assert_eq!(status(&world, "held"), "Session 'held' is waiting to be started.\n");
    assert_eq!(world.session(&id)["pid"], Value::Null, "its program is not started");
    world.ok("session", &["start", "held"]);
    let pid = world.program_pid(&id);
    assert_eq!(status(&world, "held"), format!("Session 'held' is running, PID {pid}.\n"));
}

#[test]
fn a_relaunch_runs_restart_command_in_the_same_cwd_and_env() {
    let world = World::new();
    let dir = world.home.join("rdir");
    fs::create_dir(&dir).expect("rdir");
    let dir_arg = dir.display().to_string();
    session(&world, &["create", "-n", "srv", "-C", &dir_arg, "-e", "SRV_MODE=blue", "--", "cat"]);
    let id = id_of(&world, "srv");
    set(
        &world,
        "srv",
        "restart-command",
        "sh -c 'echo \"$SRV_MODE $(pwd -P)\" >restarted; exec cat'",
    );
    assert!(!dir.join("restarted").exists(), "restart-command is only for relaunches");

    power_cut(&world);
    boot(&world);

    let expected = format!("blue {}\n", canonical(&dir));
    wait_until("restart-command has run", || {
        fs::read_to_string(dir.join("restarted")).is_ok_and(|t| t == expected)
    });
    let back = world.session(&id);
    assert_eq!((back["name"].as_str(), back["state"].as_str()), (Some("srv"), Some("running")));
    let cmd = fs::read_to_string(format!("/proc/{}/cmdline", json_pid(&back, "pid")))
        .expect("cmdline of the relaunched program");
    assert_eq!(cmd, "cat\0", "the restart-command's program runs (it exec'd cat)");
    let out = session(&world, &["get", "srv", "command"]);
    assert_eq!(out.stdout, "command=['cat']\n", "the command itself is unchanged");
}

#[test]
fn immediately_respawns_then_gives_up_after_five_respawns_within_a_minute() {
    let world = World::new();
    let runs = world.home.join("runs");
    let prog = format!("echo run >>'{}'", runs.display());
    session(&world, &["create", "-s", "-n", "flaky", "--", "sh", "-c", &prog]);
    set(&world, "flaky", "restart-style", "immediately");
    world.ok("session", &["start", "flaky"]);
    // (Between an exit and its respawn the session is briefly stopped too.)
    wait_until("sessd.log says it gave up", || {
        log(&world).contains("respawned 5 times within a minute; leaving it stopped")
    });
    assert_eq!(status(&world, "flaky"), "Session 'flaky' is stopped (exit status 0).\n");
    assert_eq!(
        fs::read_to_string(&runs).unwrap_or_default(),
        "run\n".repeat(6),
        "the first run and 5 respawns"
    );
    // A start by hand gives it the full budget again.
    world.ok("session", &["start", "flaky"]);
    wait_until("sessd.log says it gave up again", || {
        log(&world).matches("respawned 5 times within a minute").count() == 2
    });
    assert_eq!(fs::read_to_string(&runs).unwrap_or_default(), "run\n".repeat(12));
}

/// A program that appends `saved` to HOME/FILE on SIGUSR1 and prints a
/// screen marker; `sleep` in a loop so the trap runs at once.
fn saver(world: &World, file: &str, mark: &str) -> String {
    let path = world.home.join(file).display().to_string();
    format!("trap 'echo saved >>\"{path}\"' USR1; echo {mark}; while :; do sleep 1; done",)
}

#[test]
fn session_save_sends_save_signal_and_stores_the_screen() {
    let world = World::new();
    let n = unique();
    let with = saver(&world, "saved-a", &format!("SCREEN-{n}-A"));
    let without = saver(&world, "saved-b", &format!("SCREEN-{n}-B"));
    let a = create(&world, "with", &["sh", "-c", &with]);
    set(&world, "with", "save-signal", "USR1");
    let b = create(&world, "without", &["sh", "-c", &without]);
    let pid_a = world.program_pid(&a);

    world.ok("session", &["save", "with"]);
    world.wait_file("saved-a", "saved\n");
    assert!(saved_screen(&world, &a).contains(&format!("SCREEN-{n}-A")), "{a}'s screen stored");
    assert_eq!(saved_screen(&world, &b), "", "`save NAME` checkpoints only NAME");

    world.ok("session", &["save"]);
    world.wait_file("saved-a", "saved\nsaved\n");
    assert!(saved_screen(&world, &b).contains(&format!("SCREEN-{n}-B")), "{b}'s screen stored");
    assert_eq!(world.read("saved-b"), "", "no save-signal set, none sent");
    assert_eq!(world.program_pid(&a), pid_a, "the program runs on");

    // A stopped session keeps its last checkpoint.
    world.ok("session", &["stop", "without"]);
    world.ok("session", &["save", "without"]);
    assert!(saved_screen(&world, &b).contains(&format!("SCREEN-{n}-B")));
    assert!(!log(&world).contains("no checkpoint"), "{}", log(&world));
    let out = world.run("session", &["save", "nosuch"]);
    assert_eq!(out.code(), 2, "{out:?}");
}

#[test]
fn sigterm_to_sessd_checkpoints_and_the_sessions_run_on() {
    let world = World::new();
    let n = unique();
    let prog = saver(&world, "saved", &format!("SCREEN-{n}"));
    let id = create(&world, "svc", &["sh", "-c", &prog]);
    set(&world, "svc", "save-signal", "USR1");
    let pid = world.program_pid(&id);
    let sessd = world.sessd_pid();
    signal(sessd, Signal::SIGTERM);
    wait_until("sessd has stopped", || !alive(sessd));
    assert_eq!(world.read("saved"), "saved\n", "save-signal before sessd stops");
    assert!(saved_screen(&world, &id).contains(&format!("SCREEN-{n}")));
    assert!(alive(pid), "the program runs on");
    assert_eq!(world.program_pid(&id), pid, "a new sessd adopts the session");
    assert_eq!(status(&world, "svc"), format!("Session 'svc' is running, PID {pid}.\n"));
}

#[test]
fn sigkill_of_sessd_during_a_burst_of_sets_leaves_a_readable_store() {
    let world = World::new();
    let names = ["one", "three", "two"];
    for name in names {
        create(&world, name, &["cat"]);
    }
    world.ok("session", &["stop", "two"]);
    let script = "i=0; while [ ! -e stop-burst ]; do i=$((i+1)); \
                  for s in one two three; do session set $s title t$i 2>/dev/null; done; done";
    let mut burst = world.command("sh");
    burst.args(["-c", script]).stdout(std::process::Stdio::null());
    let mut burst = burst.spawn().expect("start the burst of sets");
    for round in 0..3 {
        let title = |name: &str| world.find(&id_of(&world, name)).map(|s| s["title"].clone());
        let first = title("one");
        wait_until("the burst changes titles", || title("one") != first);
        let sessd = world.sessd_pid();
        signal(sessd, Signal::SIGKILL);
        wait_until(&format!("sessd is dead (round {round})"), || !alive(sessd));
    }
    world.file("stop-burst", "");
    let _ = burst.wait();

    let dir = world.state.join("sessions");
    let mut files: Vec<String> = fs::read_dir(&dir)
        .expect("sessions dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".tmp"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "one record per session and nothing moved aside: {files:?}");
    for file in &files {
        let text = fs::read_to_string(dir.join(file)).expect("read a record");
        serde_json::from_str::<Value>(&text)
            .unwrap_or_else(|e| panic!("{file} is not JSON ({e}): {text:?}"));
    }
    let list = world.list_json();
    let mut listed: Vec<&str> = list.iter().filter_map(|s| s["name"].as_str()).collect();
    listed.sort();
    assert_eq!(listed, names, "every record still loads");
    assert!(!log(&world).contains("moved aside"), "{}", log(&world));
    assert!(status(&world, "two").starts_with("Session 'two' is stopped"));
    assert!(status(&world, "one").starts_with("Session 'one' is running, PID "));
}

#[test]
fn a_corrupt_or_newer_record_is_moved_aside_and_the_others_load() {
    let world = World::new();
    for name in ["good", "torn", "future"] {
        create(&world, name, &["cat"]);
        world.ok("session", &["stop", name]);
    }
    let (good, torn, future) =
        (id_of(&world, "good"), id_of(&world, "torn"), id_of(&world, "future"));
    let sessd = world.sessd_pid();
    signal(sessd, Signal::SIGKILL);
    wait_until("sessd is dead", || !alive(sessd));
    let dir = world.state.join("sessions");
    let record = |id: &str| dir.join(format!("{id}.json"));
    let text = fs::read_to_string(record(&torn)).expect("a record");
    fs::write(record(&torn), &text[..text.len() / 2]).expect("tear a record");
    let text = fs::read_to_string(record(&future)).expect("a record");
    assert!(text.contains("\"format\": 1,"), "{text}");
    fs::write(record(&future), text.replace("\"format\": 1,", "\"format\": 99,")).expect("write");

    let list = world.list_json();
    let ids: Vec<&str> = list.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, [good.as_str()], "the readable record loads: {list:?}");
    assert!(status(&world, "good").starts_with("Session 'good' is stopped"));
    for id in [&torn, &future] {
        assert!(!record(id).exists(), "{id}'s record is moved away");
        assert!(dir.join(format!("{id}.json.bad")).exists(), "{id}'s record is kept aside");
    }
    let log = log(&world);
    assert_eq!(log.matches("unreadable session record moved aside").count(), 2, "{log}");
    assert!(log.contains("newer than"), "the log says why: {log}");
}

#[test]
fn sessions_killed_while_sessd_stops_come_back_at_the_next_start() {
    let world = World::new();
    let ephemeral = world.detached_shell();
    create(&world, "plain", &["cat"]);
    // Output after its save-signal keeps sessd's checkpoint waiting while
    // the shutdown kills the masters.
    let ticks = "trap 'while :; do echo tick; sleep 0.1; done' USR1; while :; do sleep 1; done";
    create(&world, "ticker", &["sh", "-c", ticks]);
    set(&world, "ticker", "save-signal", "USR1");
    let masters: Vec<i32> = world.list_json().iter().map(|s| json_pid(s, "master_pid")).collect();
    assert_eq!(masters.len(), 3);

    // A shutdown without systemd: SIGTERM to everything at once.
    let sessd = world.sessd_pid();
    signal(sessd, Signal::SIGTERM);
    wait_until("sessd is stopping", || log(&world).contains("sessd stopping"));
    for &master in &masters {
        signal(master, Signal::SIGTERM);
    }
    wait_until("the masters have ended their sessions", || masters.iter().all(|&m| !alive(m)));
    wait_until("sessd has stopped", || !alive(sessd));
    power_cut(&world);
    boot(&world);

    let list = world.list_json();
    assert_eq!(list.len(), 3, "{list:?}");
    for s in &list {
        assert_eq!(s["state"], "running", "{s}");
    }
    assert!(world.find(&ephemeral).is_some(), "the `sess` session is back");
}

#[test]
fn a_session_that_cannot_come_back_is_stopped_if_kept_and_gone_if_not() {
    let world = World::new();
    let dir = world.home.join("gone");
    fs::create_dir(&dir).expect("dir");
    let dir_arg = dir.display().to_string();
    session(&world, &["create", "-n", "kept", "-C", &dir_arg, "--", "cat"]);
    let ephemeral = {
        let mut term = world.term();
        let done = term.start("cd \"$HOME/gone\" && sess sh");
        let id = term.session_prompt();
        term.line("disconnect");
        assert_eq!(term.finish(done), 0);
        id
    };
    power_cut(&world);
    fs::remove_dir(&dir).expect("remove the sessions' cwd");
    boot(&world);

    let list = world.list_json();
    let names: Vec<&str> = list.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["kept"], "the `sess` session {ephemeral} is gone: {list:?}");
    assert_eq!(status(&world, "kept"), "Session 'kept' is stopped.\n");
    let log = log(&world);
    assert!(log.contains("cannot relaunch the session; it stays stopped"), "{log}");
    assert!(log.contains("cannot relaunch the session; it is gone"), "{log}");
    fs::create_dir(&dir).expect("dir again");
    world.ok("session", &["start", "kept"]);
    assert!(status(&world, "kept").starts_with("Session 'kept' is running, PID "));
}

/// `session -g` as root: the verb runs against the system daemon's dirs
/// (here a private pair through `SESS_SYSTEM_RUNTIME_DIR` and
/// `SESS_SYSTEM_STATE_DIR`, never the real /run/sess/system). Without root
/// the re-run goes through sudo, which the suite does not set up.
#[test]
fn session_g_manages_the_system_daemons_sessions() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("session -g needs root here (or sudo); not tested");
        return;
    }
    let world = World::new();
    // A second world owns (and cleans up) the system daemon's processes.
    let system = World::new();
    let global = |args: &[&str]| {
        let mut cmd = world.command(bin("session"));
        cmd.env("SESS_SYSTEM_RUNTIME_DIR", &system.runtime)
            .env("SESS_SYSTEM_STATE_DIR", &system.state)
            .arg("-g")
            .args(args);
        run_command(cmd, &format!("session -g {}", args.join(" ")))
    };
    let out = global(&["create", "-n", "sysd", "--", "cat"]);
    assert_eq!((out.code(), out.stdout.as_str()), (0, "Session 'sysd' started\n"), "{out:?}");
    let pid = json_pid(&system.list_json()[0], "pid");
    let out = global(&["status", "sysd"]);
    assert_eq!(out.stdout, format!("Session 'sysd' is running, PID {pid}.\n"), "{out:?}");
    assert!(system.state.join("sessions").read_dir().expect("system records").count() == 1);
    let out = world.run("session", &["status", "sysd"]);
    assert_eq!(out.code(), 2, "the user's own daemon has no such session: {out:?}");
    assert!(!world.state.join("sessions").exists() || world.list_json().is_empty());
    assert_eq!(global(&["rm", "-f", "sysd"]).code(), 0);
    assert!(system.list_json().is_empty());
}

#[test]
fn a_running_session_whose_record_is_lost_is_adopted_with_its_environment() {
    let world = World::new();
    session(&world, &["create", "-n", "svc", "-e", "SVC_KEY=v1", "--", "cat"]);
    let id = id_of(&world, "svc");
    let sessd = world.sessd_pid();
    signal(sessd, Signal::SIGKILL);
    wait_until("sessd is dead", || !alive(sessd));
    let record = world.state.join("sessions").join(format!("{id}.json"));
    fs::write(&record, "{\"format\": 1, \"id\": ").expect("tear the record");

    // The new sessd moves the record aside and adopts the live master.
    assert_eq!(world.session(&id)["state"], "running");
    assert!(log(&world).contains("unreadable session record moved aside"), "{}", log(&world));
    let out = session(&world, &["get", "svc", "env"]);
    assert!(out.stdout.contains("SVC_KEY=v1"), "{out:?}");

    power_cut(&world);
    boot(&world);
    let environ = crate::procs::environ(world.program_pid(&id));
    assert!(environ.contains(&"SVC_KEY=v1".to_owned()), "{environ:?}");
    assert!(environ.iter().any(|v| v.starts_with("PATH=")), "{environ:?}");
    assert!(environ.contains(&format!("PTY={id}")), "{environ:?}");
}

/// The signals blocked in `pid` (`SigBlk` of /proc/PID/status).
fn blocked_signals(pid: i32) -> u64 {
    let mask = status_field(pid, "SigBlk").expect("SigBlk in /proc/PID/status");
    u64::from_str_radix(&mask, 16).expect("a hex mask")
}

#[test]
fn a_sessd_started_from_a_terminal_stops_on_sigterm_with_a_checkpoint() {
    let world = World::new();
    // `sess` blocks SIGTERM for its signalfd, and starts sessd.
    let id = world.detached_shell();
    let pid = world.program_pid(&id);
    let sessd = world.sessd_pid();
    let term_bit = 1 << (Signal::SIGTERM as u64 - 1);
    assert_eq!(blocked_signals(sessd) & term_bit, 0, "SIGTERM is blocked in sessd");
    signal(sessd, Signal::SIGTERM);
    wait_until("sessd has stopped", || !alive(sessd));
    assert!(log(&world).contains("sessd stopping"), "{}", log(&world));
    let screen = saved_screen(&world, &id);
    assert!(screen.contains(&format!("[{id}]$")), "the shell's prompt: {screen:?}");
    assert!(alive(pid), "the session runs on");
}

/// The boot hooks in contrib/ (not run here: the suite has no systemd or
/// cron) start `sessd --boot`, and the units stop only sessd itself.
#[test]
fn the_boot_hooks_run_sessd_boot_and_the_units_kill_only_sessd() {
    let contrib = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib");
    let read = |path: &str| {
        fs::read_to_string(contrib.join(path)).unwrap_or_else(|e| panic!("contrib/{path}: {e}"))
    };
    for unit in ["systemd/user/sessd.service", "systemd/system/sessd-system.service"] {
        let text = read(unit);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        assert!(lines.contains(&"KillMode=process"), "{unit} kills only sessd");
        let exec = lines.iter().find(|l| l.starts_with("ExecStart=")).expect("ExecStart");
        assert!(exec.ends_with("sessd --boot --foreground"), "{unit}: {exec}");
    }
    let system = read("systemd/system/sessd-system.service");
    assert!(system.contains("SESS_RUNTIME_DIR=/run/sess/system SESS_STATE_DIR=/var/lib/sess"));
    let cron = read("cron/sessd.crontab");
    let line = cron.lines().find(|l| !l.starts_with('#')).expect("a crontab line");
    assert!(line.starts_with("@reboot ") && line.ends_with("sessd --boot"), "{line}");
}

#[test]
fn a_session_whose_master_is_killed_comes_back_per_restart_style() {
    let world = World::new();
    let shell = world.detached_shell();
    let kept = create(&world, "kept", &["sleep", "100000"]);
    let never = create(&world, "never", &["sleep", "100000"]);
    set(&world, "never", "restart-style", "never");
    let before = |id: &str| {
        let s = world.session(id);
        (json_pid(&s, "master_pid"), json_pid(&s, "pid"))
    };
    let old: Vec<(i32, i32)> = [&shell, &kept, &never].iter().map(|id| before(id)).collect();
    for (master, _) in &old {
        signal(*master, Signal::SIGKILL);
    }
    for (id, (master, program)) in [&shell, &kept].into_iter().zip(&old) {
        wait_until("the lost session runs again under a new master", || {
            world.find(id).is_some_and(|s| {
                s["state"] == "running"
                    && s["master_pid"].as_i64().is_some_and(|m| m != i64::from(*master))
            })
        });
        let (new_master, new_program) = before(id);
        assert!(alive(new_master) && alive(new_program), "{id} runs again");
        assert_ne!(new_program, *program, "{id}'s program was started again");
    }
    assert_eq!(world.session(&shell)["command"][0], "sh");
    wait_until("the `never` session stays stopped", || {
        world.find(&never).is_some_and(|s| s["state"] == "stopped")
    });
    assert!(log(&world).contains("session's master is gone; the session comes back"));
}
