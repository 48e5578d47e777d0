//! Usage errors, the session limit (`max-sessions`), and a closed stdout:
//! each is one clear line with its status, and nothing is lost.

use super::*;
use crate::harness::{bin, wait_child};
use std::process::Stdio;

/// A session whose program must survive every refusal of a test.
#[track_caller]
fn bystander(world: &World) -> i32 {
    says(world, &["create", "-n", "bystander", "sleep", "1000"], "Session 'bystander' started\n");
    pid_of(world, "bystander")
}

#[test]
fn usage_errors_print_one_line_with_status_2() {
    let world = World::new();
    let pid = bystander(&world);
    let cases: &[(&[&str], &str)] = &[
        (&[], "no command given"),
        (&["bogus"], "'bogus'"),
        (&["create"], "<COMMAND>"),
        (&["create", "-n"], "-n <NAME>"),
        (&["create", ""], "an empty program name"),
        (&["create", "-s", ""], "an empty program name"),
        (&["status"], "<NAME>"),
        (&["set", "bystander"], "<KEY> <VALUE>"),
        (&["rename", "bystander"], "<NEW>"),
        (&["rm", "-x", "bystander"], "'-x'"),
        (&["list", "extra"], "'extra'"),
        (&["stop", "bystander", "extra"], "'extra'"),
    ];
    for &(args, names) in cases {
        let out = session(&world, args);
        let what = format!("`session {}`", args.join(" "));
        assert_eq!((out.code(), out.stdout.as_str()), (2, ""), "{what}: {out:?}");
        let line = out.stderr.strip_suffix('\n').unwrap_or(&out.stderr);
        assert!(
            line.starts_with("session: fatal: ") && !line.contains('\n'),
            "{what} prints one `session: fatal:` line: {:?}",
            out.stderr
        );
        assert!(line.contains(names), "{what}: the line says what is wrong ({names}): {line:?}");
        assert!(!line.contains("panicked"), "{what}: {line:?}");
    }
    let help = session(&world, &["--help"]);
    assert_eq!((help.code(), help.stderr.as_str()), (0, ""), "session --help");
    for verb in [
        "create", "attach", "suspend", "resume", "stop", "start", "restart", "status", "list",
        "get", "set", "rename", "rm", "export", "import", "save",
    ] {
        assert!(help.stdout.contains(&format!("  {verb} ")), "--help lists {verb}");
    }
    assert!(alive(pid), "the session outlived every usage error");
    assert_eq!(list_json(&world).len(), 1, "nothing was created");
}

#[test]
fn the_session_limit_refuses_every_way_of_creating_with_status_1() {
    let world = World::with_config("max-sessions = 2\n");
    let pid = bystander(&world);
    says(
        &world,
        &["create", "-n", "later", "-s", "sleep", "2000"],
        "Session 'later' created and suspended.\n",
    );
    let export = session(&world, &["export", "later"]);
    assert_eq!(export.code(), 0, "{export:?}");
    let file = world.file("later.json", &export.stdout).display().to_string();
    let facts = |world: &World| -> Vec<(Value, Value, Value, Value)> {
        let list = list_json(world);
        list.iter()
            .map(|s| (s["id"].clone(), s["name"].clone(), s["state"].clone(), s["pid"].clone()))
            .collect()
    };
    let before = facts(&world);
    let limit = "session: fatal: session limit reached (2)\n";
    for args in [
        &["create", "sleep", "3000"][..],
        &["create", "-s", "-n", "third", "sleep", "3000"],
        &["import", &file],
    ] {
        let out = session(&world, args);
        assert_eq!(
            (out.code(), out.stdout.as_str(), out.stderr.as_str()),
            (1, "", limit),
            "`session {}`",
            args.join(" ")
        );
    }
    let mut term = world.term();
    assert_eq!(term.run("sess sleep 3000 2>$HOME/err"), 1, "sess past the limit");
    assert_eq!(world.read("err"), "sess: fatal: session limit reached (2)\n");
    assert_eq!(facts(&world), before, "nothing else changed");
    assert!(alive(pid));
    assert!(!runs(&world, &["sleep", "3000"]), "no refused program ran");
    // The limit is the config's at the time: raising it needs no restart.
    fs::write(&world.config, "max-sessions = 3\n").expect("config");
    says(&world, &["create", "-n", "third", "sleep", "3000"], "Session 'third' started\n");
    assert_eq!(list_json(&world).len(), 3);
}

#[test]
fn a_closed_stdout_is_one_fatal_line_not_a_panic() {
    let world = World::new();
    bystander(&world);
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut cmd = world.command(bin("session"));
    cmd.env("RUST_BACKTRACE", "1").args(["status", "bystander"]);
    cmd.stdin(Stdio::null()).stdout(Stdio::from(writer)).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn session");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read stderr");
    let status = wait_child(child, "session status bystander");
    assert_eq!(status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.starts_with("session: fatal: cannot write to standard output: ")
            && stderr.lines().count() == 1,
        "one line, no backtrace: {stderr:?}"
    );
}

#[test]
fn a_variable_that_is_not_utf8_is_left_out_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let world = World::new();
    let mut cmd = world.command(bin("session"));
    cmd.env(std::ffi::OsStr::from_bytes(b"BAD"), std::ffi::OsStr::from_bytes(b"\xff"));
    cmd.env("GOOD", "yes").args(["create", "-n", "envy", "-s", "sleep", "1000"]);
    let out = crate::harness::run_command(cmd, "session create with BAD=\\xff");
    assert_eq!(
        (out.code(), out.stdout.as_str(), out.stderr.as_str()),
        (0, "Session 'envy' created and suspended.\n", "")
    );
    let env = get(&world, "envy", "env");
    assert!(env.contains("'GOOD=yes'") && !env.contains("BAD="), "env={env}");
    let mut term = world.term();
    assert_eq!(term.run("BAD=$(printf '\\377') sess sh -c 'exit 5'"), 5, "sess runs the program");
}
