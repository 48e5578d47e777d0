//! `rm`, kept versus ephemeral sessions, every verb by id, `list`,
//! export/import, and records that survive `kill -9` of sessd.

use super::*;

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
    create_ends(&world);
    end(&world);
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
fn sess_n_names_a_session_for_every_verb_and_names_stay_unique() {
    let world = World::new();
    let mut term = world.term();
    let done = term.start("sess -n shell sh");
    let id = term.session_prompt();
    let pid = world.program_pid(&id);
    says(&world, &["status", "shell"], &format!("Session 'shell' is running, PID {pid}.\n"));
    let mut other = world.term();
    let modes = other.modes(&["-g"]);
    assert_eq!(other.run("sess -n shell sh 2>$HOME/err"), 1, "a taken name");
    assert_eq!(world.read("err"), "sess: fatal: a session named 'shell' already exists\n");
    assert_eq!(other.run("sess -n p7 sh 2>$HOME/err"), 2, "an id-shaped name");
    assert!(
        world.read("err").starts_with("sess: fatal: invalid name 'p7'"),
        "{}",
        world.read("err")
    );
    assert_eq!(other.modes(&["-g"]), modes, "the terminal is as it was");
    assert_eq!(list_json(&world).len(), 1, "nothing was created");
    fails(&world, &["create", "-n", "shell", "sleep", "1"], 1);
    world.ok("session", &["set", "shell", "title", "named"]);
    world.ok("session", &["suspend", "shell"]);
    says(&world, &["status", "shell"], &format!("Session 'shell' is suspended, PID {pid}.\n"));
    world.ok("session", &["resume", "shell"]);
    assert_eq!(term.ask("$PTY"), id);
    world.ok("disconnect", &["-s", "shell"]);
    assert_eq!(term.finish(done), 0);
    world.ok("session", &["rm", "-f", "shell"]);
    assert_eq!(list_json(&world), Vec::<Value>::new(), "an ephemeral session stopped is gone");
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
    create_ends(&world);
    end(&world);

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

#[test]
fn bernsteins_commands_accept_a_name_and_echo_it() {
    let world = World::new();
    says(&world, &["create", "-n", "svc", "sh"], "Session 'svc' started\n");
    let id = get(&world, "svc", "id");
    let pid = pid_of(&world, "svc");
    world.ok("sessname", &["-s", "svc", "by name"]);
    let out = world.run("sessname", &["-s", "svc"]);
    assert_eq!((out.code(), out.stdout.as_str()), (0, format!("session {id}: by name\n").as_str()));
    let mut term = world.term();
    let done = term.start("reconnect svc");
    assert_eq!(term.session_prompt(), id);
    world.ok("disconnect", &["-s", "svc"]);
    assert_eq!(term.finish(done), 0);
    shown_lines(
        &term,
        &["reconnect: info: reconnecting to svc", "reconnect: info: successfully connected to svc"],
    );
    let out = world.run("disconnect", &["-s", "svc"]);
    assert_eq!(
        (out.code(), out.stderr.as_str()),
        (2, "disconnect: warning: session svc already disconnected\n")
    );
    world.ok("sesskill", &["-y", "-s", "svc"]);
    wait_until("the program is gone", || !alive(pid));
    assert_eq!(list_json(&world), Vec::<Value>::new());
    let out = world.run("sesskill", &["-y", "-s", "svc"]);
    assert_eq!(
        (out.code(), out.stderr.as_str()),
        (2, "sesskill: fatal: cannot find session svc; if it exists, do you own it?\n")
    );
}
