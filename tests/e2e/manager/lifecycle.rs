//! `session create` and names, `status`, and the signals behind suspend,
//! resume, stop, start and restart.

use super::*;

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
    says(&world, &["status", "svc"], "Session 'svc' is stopped.\n");
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
fn suspended_is_what_the_program_is_whoever_stopped_or_continued_it() {
    let world = World::new();
    let (pid, _) = background_job(&world, "svc");
    let status = |state: &str| format!("Session 'svc' is {state}, PID {pid}.\n");
    let shows = |state: &str| {
        let want = status(state);
        wait_until(&format!("status says {state}"), || {
            session(&world, &["status", "svc"]).stdout == want
        });
        assert_eq!(listed(&world, "svc")["state"], state);
    };
    kill(Pid::from_raw(pid), Signal::SIGSTOP).expect("SIGSTOP");
    shows("suspended");
    kill(Pid::from_raw(pid), Signal::SIGCONT).expect("SIGCONT");
    shows("running");
    world.ok("session", &["suspend", "svc"]);
    says(&world, &["status", "svc"], &status("suspended"));
    kill(Pid::from_raw(pid), Signal::SIGCONT).expect("SIGCONT");
    shows("running");
    world.ok("session", &["suspend", "svc"]);
    world.ok("session", &["resume", "svc"]);
    says(&world, &["status", "svc"], &status("running"));
    assert!(alive(pid));
}

#[test]
fn a_stopped_session_shows_an_exit_status_only_when_its_program_ended_itself() {
    let world = World::new();
    create_ends(&world);
    world.ok("session", &["stop", "ends"]);
    says(&world, &["status", "ends"], "Session 'ends' is stopped.\n");
    assert_eq!(listed(&world, "ends")["exit_status"], Value::Null, "stopped, not exited");
    world.ok("session", &["start", "ends"]);
    end(&world);
    says(&world, &["status", "ends"], "Session 'ends' is stopped (exit status 3).\n");
    assert_eq!(listed(&world, "ends")["exit_status"], 3);
    fs::remove_file(world.home.join("go")).expect("rm go");
    world.ok("session", &["restart", "ends"]);
    says(
        &world,
        &["status", "ends"],
        &format!("Session 'ends' is running, PID {}.\n", pid_of(&world, "ends")),
    );
    assert_eq!(listed(&world, "ends")["exit_status"], Value::Null, "a new run");
    world.ok("session", &["stop", "ends"]);
    says(&world, &["status", "ends"], "Session 'ends' is stopped.\n");
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
fn an_automatic_name_fits_however_long_the_program_name() {
    let world = World::new();
    let base = "x".repeat(70);
    let p = world.file(&base, "#!/bin/sh\nexec sleep 1000\n");
    chmod(&p, 0o755);
    let name = format!("{}1", &base[..58]);
    says(&world, &["create", &p.display().to_string()], &format!("Session '{name}' started\n"));
    assert_eq!(get(&world, &name, "name"), name);
}

/// A job-control shell's background job has a process group of its own,
/// and an orphaned grandchild's parent is outside the session, yet all are
/// in the program's kernel session.
#[test]
fn suspend_resume_and_stop_reach_other_process_groups_and_orphans() {
    let world = World::new();
    says(
        &world,
        &[
            "create",
            "-n",
            "jobs",
            "sh",
            "-c",
            "set -m; sleep 1000 & (sleep 3000 &); exec sleep 2000",
        ],
        "Session 'jobs' started\n",
    );
    let pid = pid_of(&world, "jobs");
    let mut procs = Vec::new();
    // Until the subshell has exited, the third sleep is not orphaned yet.
    wait_until("three sleeps, one of them orphaned, in the kernel session", || {
        procs = members(pid);
        let pids: Vec<i32> = procs.iter().map(|s| s.pid).collect();
        procs.len() == 3
            && procs.iter().all(|s| s.comm == "sleep")
            && procs.iter().any(|s| !pids.contains(&s.ppid))
    });
    let groups: std::collections::HashSet<i32> = procs.iter().map(|s| s.pgrp).collect();
    assert!(groups.len() >= 2, "the job has a process group of its own: {procs:?}");
    let ours: Vec<i32> = procs.iter().map(|s| s.pid).collect();
    world.ok("session", &["suspend", "jobs"]);
    wait_state(&ours, 'T');
    world.ok("session", &["resume", "jobs"]);
    wait_state(&ours, 'S');
    world.ok("session", &["stop", "jobs"]);
    wait_until(&format!("{ours:?} are all gone"), || ours.iter().all(|&p| !alive(p)));
    says(&world, &["status", "jobs"], "Session 'jobs' is stopped.\n");
}

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

/// Stopped processes keep SIGHUP and SIGTERM pending: `stop` of a
/// suspended session must continue them, not wait for SIGKILL.
#[test]
fn a_suspended_session_stops_at_once_restarts_and_is_removed_only_with_f() {
    let world = World::new();
    let script = "trap 'echo HUP >> $HOME/sigs; exit 1' HUP; \
                  trap 'echo TERM >> $HOME/sigs; exit 1' TERM; sleep 1000 & wait";
    says(&world, &["create", "-n", "held", "sh", "-c", script], "Session 'held' started\n");
    world.ok("session", &["set", "held", "stop-timeout", "1h"]);
    let pid = pid_of(&world, "held");
    let mut all = Vec::new();
    wait_until("the sleep runs", || {
        let procs = members(pid);
        all = procs.iter().map(|s| s.pid).collect();
        procs.iter().any(|s| s.comm == "sleep")
    });
    world.ok("session", &["suspend", "held"]);
    wait_state(&all, 'T');
    world.ok("session", &["stop", "held"]);
    wait_until(&format!("{all:?} are all gone"), || all.iter().all(|&p| !alive(p)));
    // SIGTERM may come before the shell runs its HUP trap; either way the
    // program ran a trap, so SIGKILL (an hour away) was not needed.
    let sigs = world.read("sigs");
    assert!(
        !sigs.is_empty() && sigs.lines().all(|l| l == "HUP" || l == "TERM"),
        "the shell ran its HUP or TERM trap: {sigs:?}"
    );
    says(&world, &["status", "held"], "Session 'held' is stopped.\n");
    world.ok("session", &["start", "held"]);
    let second = pid_of(&world, "held");
    world.ok("session", &["suspend", "held"]);
    wait_state(&[second], 'T');
    world.ok("session", &["restart", "held"]);
    let third = pid_of(&world, "held");
    assert_ne!(third, second);
    says(&world, &["status", "held"], &format!("Session 'held' is running, PID {third}.\n"));
    world.ok("session", &["suspend", "held"]);
    wait_state(&[third], 'T');
    let out = session(&world, &["rm", "held"]);
    assert_eq!((out.code(), out.stdout.as_str()), (1, ""));
    assert_eq!(
        out.stderr,
        format!(
            "The session 'held' is running (PID {third}). Use `session rm -f held` to stop and \
             delete the session.\n"
        )
    );
    world.ok("session", &["rm", "-f", "held"]);
    wait_until("the third run is gone", || !alive(third));
    assert_eq!(list_json(&world), Vec::<Value>::new());
}

#[test]
fn a_waiting_session_can_be_stopped_or_restarted() {
    let world = World::new();
    for name in ["idle", "later"] {
        says(
            &world,
            &["create", "-n", name, "-s", "sleep", "1000"],
            &format!("Session '{name}' created and suspended.\n"),
        );
    }
    world.ok("session", &["stop", "idle"]);
    says(&world, &["status", "idle"], "Session 'idle' is stopped.\n");
    assert!(!runs(&world, &["sleep", "1000"]), "stop did not start it");
    world.ok("session", &["restart", "later"]);
    let pid = pid_of(&world, "later");
    says(&world, &["status", "later"], &format!("Session 'later' is running, PID {pid}.\n"));
    for verb in ["suspend", "resume"] {
        let line = fails(&world, &[verb, "idle"], 1);
        assert_eq!(line, "session: fatal: session idle is not running", "`session {verb} idle`");
    }
}

#[test]
fn start_in_a_directory_that_is_gone_says_so() {
    let world = World::new();
    let dir = world.root.join("gone");
    fs::create_dir(&dir).expect("dir");
    let dir = dir.display().to_string();
    says(
        &world,
        &["create", "-n", "lost", "-s", "-C", &dir, "sleep", "1000"],
        "Session 'lost' created and suspended.\n",
    );
    fs::remove_dir(&dir).expect("rmdir");
    let line = fails(&world, &["start", "lost"], 2);
    assert_eq!(
        line,
        format!("session: fatal: cannot change directory to {dir}: No such file or directory")
    );
    says(&world, &["status", "lost"], "Session 'lost' is stopped.\n");
    assert!(!runs(&world, &["sleep", "1000"]));
}

/// The program dies at SIGHUP, a background child ignores SIGHUP and
/// SIGTERM: the child still gets SIGKILL after `stop-timeout`, and `stop`
/// returns only when the whole kernel session is gone.
#[test]
fn stop_kills_a_child_that_outlives_the_program() {
    let world = World::new();
    says(
        &world,
        &[
            "create",
            "-n",
            "left",
            "sh",
            "-c",
            "(trap '' HUP TERM; exec sleep 1000) & exec sleep 2000",
        ],
        "Session 'left' started\n",
    );
    world.ok("session", &["set", "left", "stop-timeout", "1s"]);
    let pid = pid_of(&world, "left");
    let mut all = Vec::new();
    wait_until("both sleeps run", || {
        let procs = members(pid);
        all = procs.iter().map(|s| s.pid).collect();
        procs.iter().filter(|s| s.comm == "sleep").count() == 2
    });
    let start = Instant::now();
    world.ok("session", &["stop", "left"]);
    let took = start.elapsed();
    assert!(all.iter().all(|&p| !alive(p)), "stop returned with {:?} alive", members(pid));
    assert!(took >= Duration::from_millis(900), "the child got SIGKILL after {took:?}, not 1s");
    says(&world, &["status", "left"], "Session 'left' is stopped.\n");
}
