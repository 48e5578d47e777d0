//! Attributes: `session get`, `set` and `rename`.

use super::*;

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
    world.ok("session", &["set", "svc", "title", &"t".repeat(150)]);
    assert_eq!(get(&world, "svc", "title"), "t".repeat(99), "a title keeps 99 bytes");
    world.ok("session", &["set", "svc", "title", "my service"]);
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
        ("command", "'' -x", &["an empty program name"]),
        ("restart-command", "['']", &["an empty program name"]),
        ("restart-command", "'unbalanced", &[]),
        ("cwd", "relative/dir", &[]),
        ("log", "relative.log", &["absolute"]),
        ("env", "NOEQUALS", &[]),
        ("name", "p3", &[]),
        ("colour", "red", &["title", "restart-style", "stop-timeout"]),
        ("id", "x9", &["read-only"]),
        ("pid", "1", &["read-only"]),
        ("state", "running", &["read-only"]),
        ("created-at", "2020-01-01T00:00:00Z", &["read-only"]),
        ("last-use", "2020-01-01T00:00:00Z", &["read-only"]),
        ("runtime", "1s", &["read-only"]),
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

#[test]
fn get_of_an_unknown_key_names_it_and_every_known_key() {
    let world = World::new();
    says(
        &world,
        &["create", "-n", "svc", "-s", "sleep", "1000"],
        "Session 'svc' created and suspended.\n",
    );
    let line = fails(&world, &["get", "svc", "colour"], 2);
    assert!(line.contains("'colour'"), "{line}");
    for key in get_all(&world, "svc").iter().filter_map(|l| l.split('=').next()) {
        assert!(line.contains(key), "the known key {key} is named: {line}");
    }
    for key in ["runtime", "last-use"] {
        assert!(line.contains(key), "the known key {key} is named: {line}");
    }
    says(&world, &["status", "svc"], "Session 'svc' is waiting to be started.\n");
}

#[test]
fn command_cwd_and_env_take_effect_at_the_next_start_keep_at_once() {
    let world = World::new();
    says(&world, &["create", "-n", "svc", "sleep", "1000"], "Session 'svc' started\n");
    let first = pid_of(&world, "svc");
    let dir = world.root.join("elsewhere");
    fs::create_dir(&dir).expect("dir");
    let dir = dir.display().to_string();
    world.ok(
        "session",
        &["set", "svc", "command", "sh -c 'echo \"$PWD $K\" > $HOME/out; exec sleep 2000'"],
    );
    world.ok("session", &["set", "svc", "cwd", &dir]);
    // The world's own variables stay, so the test still finds its processes.
    let mut env: Vec<String> = world.env().iter().map(|(k, v)| format!("'{k}={v}'")).collect();
    env.push("'K=new'".into());
    world.ok("session", &["set", "svc", "env", &format!("[{}]", env.join(", "))]);
    assert_eq!(pid_of(&world, "svc"), first, "the running program is left alone");
    assert!(runs(&world, &["sleep", "1000"]) && !runs(&world, &["sleep", "2000"]));
    world.ok("session", &["restart", "svc"]);
    world.wait_file("out", &format!("{dir} new\n"));
    wait_until("the new command runs", || runs(&world, &["sleep", "2000"]));
    assert!(!runs(&world, &["sleep", "1000"]), "the old one is gone");
    // keep takes effect at once: the running program's end now ends the session.
    world.ok("session", &["set", "svc", "keep", "no"]);
    let pid = pid_of(&world, "svc");
    kill(Pid::from_raw(pid), Signal::SIGTERM).expect("kill the program");
    wait_until("svc is gone", || list_json(&world).is_empty());
    fails(&world, &["status", "svc"], 2);
}
