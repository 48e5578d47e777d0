//! `sesswho` and `sesswhere`: the records each daemon publishes in the who
//! dir (a private one per test, named by the world's system config), their
//! formats, the administrator's switch, and forged records.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::harness::{Term, World, alive, chmod, json_pid, wait_until};

/// A world whose who dir exists, as the tmpfiles.d rule makes it.
fn who_world() -> World {
    let world = World::new();
    fs::create_dir(&world.who).expect("create the who dir");
    chmod(&world.who, 0o1777);
    world
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The local times (`%b %e %H:%M`, by `date`) of every minute from `from`
/// to now: what a time stamped in between may show.
struct Since(Vec<String>);

impl Since {
    fn new(world: &World, from: i64) -> Since {
        let to = now();
        let mut times: Vec<String> =
            (from..=to).step_by(60).chain([to]).map(|t| date(world, t)).collect();
        times.dedup();
        Since(times)
    }
}

fn date(world: &World, secs: i64) -> String {
    let mut cmd = world.command("date");
    cmd.args([format!("-d@{secs}"), "+%b %e %H:%M".to_owned()]);
    let out = crate::harness::run_command(cmd, "date");
    assert_eq!(out.code(), 0, "date: {out:?}");
    out.stdout.trim_end_matches('\n').to_owned()
}

/// The stdout lines of a command that must succeed quietly.
#[track_caller]
fn lines(world: &World, prog: &str, args: &[&str]) -> Vec<String> {
    let out = world.run(prog, args);
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "{prog} {args:?}: {out:?}");
    out.stdout.lines().map(str::to_owned).collect()
}

/// Whether `got` is `expected` with `TIME` standing for a time of `since`.
fn timed(got: &[String], expected: &[String], since: &Since) -> bool {
    got.len() == expected.len()
        && got
            .iter()
            .zip(expected)
            .all(|(g, e)| since.0.iter().any(|t| *g == e.replacen("TIME", t, 1)))
}

/// Waits until `PROG ARGS` prints `expected` (see [`timed`]) for times
/// since `t0`; the daemon writes its record as its masters report.
#[track_caller]
fn wait_lines(world: &World, cmd: (&str, &[&str]), expected: &[String], t0: i64) {
    let (prog, args) = cmd;
    let deadline = std::time::Instant::now() + crate::harness::timeout();
    let (last, since) = loop {
        let got = lines(world, prog, args);
        let since = Since::new(world, t0);
        if timed(&got, expected, &since) {
            return;
        }
        if std::time::Instant::now() > deadline {
            break (got, since);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    panic!(
        "`{prog} {args:?}` printed:\n{}\nexpected (TIME one of {:?}):\n{}",
        last.join("\n"),
        since.0,
        expected.join("\n")
    );
}

fn user() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid()).unwrap().unwrap().name
}

fn master(world: &World, id: &str) -> i32 {
    json_pid(&world.session(id), "master_pid")
}

/// `sess sh` on `term`; returns the terminal, the session id and the
/// terminal's path.
fn connected(mut term: Term) -> (Term, String, String) {
    let tty = term.ask("$(tty)");
    let _done = term.start("sess sh");
    let id = term.session_prompt();
    (term, id, tty)
}

/// `reconnect ID` (outside any session: connect now) on `term`.
fn reconnect(term: &mut Term, id: &str) -> crate::harness::Pending {
    let done = term.start(&format!("reconnect {id}"));
    term.expect_line(&format!("reconnect: info: successfully connected to {id}"));
    done
}

const WHO: (&str, &[&str]) = ("sesswho", &[]);
const WHO_L: (&str, &[&str]) = ("sesswho", &["-l"]);
const WHERE: (&str, &[&str]) = ("sesswhere", &[]);
const WHERE_L: (&str, &[&str]) = ("sesswhere", &["-l"]);

#[test]
fn sesswho_and_sesswhere_show_live_sessions_in_the_spec_formats() {
    let world = who_world();
    let t0 = now();
    let (_term, a, tty) = connected(world.term());
    let b = world.detached_shell();
    let who = |id: &str| format!("{id}  TIME  {:<16}  {}", user(), master(&world, id));
    wait_lines(&world, WHO, &[who(&a), who(&b)], t0);
    let expected = [format!("{a}  TIME  connect (local {tty})"), format!("{b}  TIME  disconnect")];
    wait_lines(&world, WHERE, &expected, t0);
    let file = fs::metadata(world.who.join(user())).expect("the user's record");
    let me = nix::unistd::geteuid().as_raw();
    assert_eq!(
        (file.uid(), file.mode() & 0o7777),
        (me, 0o644),
        "owned by its user, readable by all"
    );
}

#[test]
fn records_follow_connect_disconnect_exit_and_cleanup_and_l_keeps_ended_ones() {
    let world = who_world();
    let t0 = now();
    let a = world.detached_shell();
    let b = world.detached_shell();
    let (pa, pb) = (master(&world, &a), master(&world, &b));
    let mut term = world.term();
    let tty = term.ask("$(tty)");
    let done = reconnect(&mut term, &b);
    let a_off = format!("{a}  TIME  disconnect");
    wait_lines(&world, WHERE_L, &[a_off.clone(), format!("{b}  TIME  connect (local {tty})")], t0);
    world.ok("disconnect", &["-s", &b]);
    assert_eq!(term.finish(done), 0);
    wait_lines(&world, WHERE_L, &[a_off.clone(), format!("{b}  TIME  disconnect")], t0);
    let done = reconnect(&mut term, &b);
    term.line("exit 3");
    assert_eq!(term.finish(done), 3);
    wait_lines(&world, WHERE_L, &[a_off.clone(), format!("{b}  TIME  exit")], t0);
    wait_lines(&world, WHERE, &[a_off], t0);
    world.ok("sesskill", &["-y", "-s", &a]);
    wait_lines(&world, WHERE_L, &[format!("{a}  TIME  cleanup"), format!("{b}  TIME  exit")], t0);
    wait_lines(&world, WHERE, &[], t0);
    wait_lines(&world, WHO, &[], t0);
    let who = |id: &str, pid: i32, how: &str| format!("{id}  TIME  {:<16}  {pid}  {how}", user());
    wait_lines(&world, WHO_L, &[who(&a, pa, "cleanup"), who(&b, pb, "exit")], t0);
}

#[test]
fn from_is_the_ssh_peer_with_control_characters_made_visible() {
    let world = who_world();
    let t0 = now();
    let ssh =
        Term::open(&world, 30, 100, &[("SSH_CONNECTION", Some("198.51.100.7 52144 10.0.0.1 22"))]);
    let (_ssh, a, _) = connected(ssh);
    let evil =
        Term::open(&world, 30, 100, &[("SSH_CONNECTION", Some("\x1b[2J\x07evil 1 10.0.0.1 22"))]);
    let (_evil, b, _) = connected(evil);
    let expected =
        [format!("{a}  TIME  connect 198.51.100.7"), format!("{b}  TIME  connect ^[[2J^Gevil")];
    wait_lines(&world, WHERE, &expected, t0);
}

#[track_caller]
fn assert_fatal(world: &World, message: &str) {
    for (prog, args) in [WHO, WHO_L, WHERE, WHERE_L] {
        let out = world.run(prog, args);
        assert_eq!(
            (out.code(), out.stdout.as_str(), out.stderr.as_str()),
            (2, "", format!("{prog}: fatal: {message}\n").as_str()),
            "{prog} {args:?}"
        );
    }
}

/// A session that was connected, then disconnected: every event a daemon
/// publishes has happened.
fn connect_and_disconnect(world: &World) {
    let (mut term, a, _) = connected(world.term());
    term.line("disconnect");
    wait_until("the session is disconnected", || world.session(&a)["connected"] == false);
}

#[test]
fn who_false_in_the_system_config_turns_both_off_and_nothing_is_published() {
    let world = who_world();
    let system = format!("who = false\nwho-dir = {:?}\n", world.who.display().to_string());
    fs::write(world.root.join("system.toml"), system).unwrap();
    connect_and_disconnect(&world);
    assert_fatal(&world, "session reporting is disabled on this system");
    assert_eq!(fs::read_dir(&world.who).unwrap().count(), 0, "nothing published in the who dir");
}

#[test]
fn a_missing_who_dir_is_a_fatal_error_and_daemons_do_not_create_it() {
    let world = World::new();
    connect_and_disconnect(&world);
    assert_fatal(
        &world,
        &format!("cannot open {}: No such file or directory", world.who.display()),
    );
    assert!(!world.who.exists());
}

#[test]
fn who_dir_moves_the_records_and_a_dir_made_later_is_used() {
    let world = World::new();
    let elsewhere = world.root.join("elsewhere");
    let system = format!("who-dir = {:?}\n", elsewhere.display().to_string());
    fs::write(world.root.join("system.toml"), system).unwrap();
    let a = world.detached_shell();
    assert_fatal(
        &world,
        &format!("cannot open {}: No such file or directory", elsewhere.display()),
    );
    fs::create_dir(&elsewhere).unwrap();
    chmod(&elsewhere, 0o1777);
    let t0 = now();
    let mut term = world.term();
    let tty = term.ask("$(tty)");
    let _done = reconnect(&mut term, &a);
    wait_lines(&world, WHERE, &[format!("{a}  TIME  connect (local {tty})")], t0);
    assert!(elsewhere.join(user()).is_file());
    assert!(!world.who.exists(), "the test world's usual who dir is not used");
}

#[test]
fn a_record_whose_owner_is_not_its_user_is_ignored() {
    let world = who_world();
    let t0 = now();
    let a = world.detached_shell();
    let mine = format!("{a}  TIME  {:<16}  {}", user(), master(&world, &a));
    wait_lines(&world, WHO, std::slice::from_ref(&mine), t0);
    let other = nix::unistd::User::from_name("nobody").unwrap().expect("a user nobody");
    assert_ne!(other.uid, nix::unistd::geteuid(), "the forgery needs another uid");
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let ms = t0 * 1000;
    let record = |user: &str| {
        format!(
            r#"{{"user":"{user}","boot_id":"{}","sessions":[{{"id":"x9","started":{ms},"master_pid":4242,"state":"disconnect","changed":{ms},"from":null}}]}}"#,
            boot.trim()
        )
    };
    // A file named nobody, owned by us: ignored.
    let path = world.who.join("nobody");
    fs::write(&path, record("nobody")).unwrap();
    wait_lines(&world, WHO, std::slice::from_ref(&mine), t0);
    // The same file owned by nobody is read: the owner was the reason.
    nix::unistd::chown(&path, Some(other.uid), None).unwrap();
    let forged = format!("x9  TIME  {:<16}  4242", "nobody");
    wait_lines(&world, WHO, &[forged.clone(), mine], t0);
    // Our own file replaced by one owned by nobody: ignored too.
    let ours = world.who.join(user());
    fs::remove_file(&ours).unwrap();
    fs::write(&ours, record(&user())).unwrap();
    nix::unistd::chown(&ours, Some(other.uid), None).unwrap();
    wait_lines(&world, WHO, &[forged], t0);
}

/// The published record of this user, parsed: each session's
/// (id, master pid, started, changed).
fn record(world: &World) -> Vec<(String, i64, i64, i64)> {
    let text = fs::read_to_string(world.who.join(user())).expect("the user's record");
    let file: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let n = |v: &serde_json::Value| v.as_i64().unwrap_or(-1);
    let sessions = file["sessions"].as_array().expect("sessions").iter();
    sessions
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                n(&s["master_pid"]),
                n(&s["started"]),
                n(&s["changed"]),
            )
        })
        .collect()
}

#[test]
fn a_new_daemon_keeps_the_records_of_adopted_sessions_and_ends_lost_ones() {
    let world = who_world();
    let t0 = now();
    let (_term, a, tty) = connected(world.term());
    let b = world.detached_shell();
    let (pa, pb) = (master(&world, &a), master(&world, &b));
    let expected = [format!("{a}  TIME  connect (local {tty})"), format!("{b}  TIME  disconnect")];
    wait_lines(&world, WHERE, &expected, t0);
    let before = record(&world);
    for pid in [world.sessd_pid(), pb] {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL).unwrap();
        wait_until("the killed process is gone", || !alive(pid));
    }
    wait_until("a new sessd relaunched the lost session", || {
        world.find(&b).is_some_and(|s| s["master_pid"].as_i64().is_some_and(|m| m != i64::from(pb)))
    });
    let pb2 = master(&world, &b);
    let who = |id: &str, pid: i32| format!("{id}  TIME  {:<16}  {pid}", user());
    let lost = format!("{}  exit", who(&b, pb));
    wait_lines(&world, WHO_L, &[who(&a, pa), lost, who(&b, pb2)], t0);
    wait_lines(&world, WHERE, &[expected[0].clone(), format!("{b}  TIME  disconnect")], t0);
    let kept = record(&world).into_iter().find(|s| s.1 == i64::from(pa));
    assert_eq!(
        kept.as_ref(),
        before.iter().find(|s| s.1 == i64::from(pa)),
        "{a}'s start and last change are kept"
    );
}

#[test]
fn a_kept_session_shows_exit_when_stopped_and_cleanup_when_removed() {
    let world = who_world();
    let t0 = now();
    let out = world.run("session", &["create", "-n", "nap", "sleep", "1000"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let id = world.list_json()[0]["id"].as_str().expect("an id").to_owned();
    let pid = master(&world, &id);
    wait_lines(&world, WHERE, &[format!("{id}  TIME  disconnect")], t0);
    assert_eq!(world.run("session", &["stop", "nap"]).code(), 0);
    wait_lines(&world, WHERE_L, &[format!("{id}  TIME  exit")], t0);
    wait_lines(&world, WHO, &[], t0);
    assert_eq!(world.run("session", &["rm", "nap"]).code(), 0);
    wait_lines(&world, WHERE_L, &[format!("{id}  TIME  cleanup")], t0);
    let line = format!("{id}  TIME  {:<16}  {pid}  cleanup", user());
    wait_lines(&world, WHO_L, &[line], t0);
}

#[test]
fn ended_sessions_of_an_earlier_boot_are_not_shown() {
    let world = who_world();
    let nobody = nix::unistd::User::from_name("nobody").unwrap().expect("a user nobody");
    let t0 = now();
    let ms = t0 * 1000;
    let entry = |id: &str, state: &str| {
        format!(
            r#"{{"id":"{id}","started":{ms},"master_pid":77,"state":"{state}","changed":{ms},"from":null}}"#
        )
    };
    let record = format!(
        r#"{{"user":"nobody","boot_id":"not-this-boot","sessions":[{},{}]}}"#,
        entry("p0", "exit"),
        entry("p1", "disconnect")
    );
    let path = world.who.join("nobody");
    fs::write(&path, record).unwrap();
    nix::unistd::chown(&path, Some(nobody.uid), None).unwrap();
    wait_lines(&world, WHERE_L, &["p1  TIME  disconnect".to_owned()], t0);
    let this_boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let text = fs::read_to_string(&path).unwrap().replace("not-this-boot", this_boot.trim());
    fs::write(&path, text).unwrap();
    let expected = ["p0  TIME  exit".to_owned(), "p1  TIME  disconnect".to_owned()];
    wait_lines(&world, WHERE_L, &expected, t0);
}
