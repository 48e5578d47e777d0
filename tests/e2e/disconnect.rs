//! `disconnect`: silent, returns once the session is disconnected; its
//! errors; and the "no -s specified" message every $PTY command shares.

use crate::harness::World;

#[test]
fn disconnect_inside_a_session_is_silent_and_sess_exits_0() {
    let world = World::new();
    let mut term = world.term();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    term.line("disconnect >$HOME/out 2>$HOME/err; echo $? >$HOME/status; sesslist >$HOME/list");
    assert_eq!(term.finish(done), 0, "sess after disconnect");
    world.wait_file("status", "0\n");
    assert_eq!(world.read("out"), "", "disconnect's stdout");
    assert_eq!(world.read("err"), "", "disconnect's stderr");
    world.wait_file("list", &{
        let s = world.session(&id);
        format!("session {id} pid {} slave {} disconnected\n", s["master_pid"], s["pid"])
    });
}

#[test]
fn disconnect_s_from_outside_returns_once_disconnected() {
    let world = World::new();
    let mut term = world.term();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    assert_eq!(world.session(&id)["connected"], true);
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(world.session(&id)["connected"], false, "right after disconnect -s");
    assert_eq!(term.finish(done), 0, "sess after disconnect -s");
    assert_eq!(world.session(&id)["state"], "running");
}

#[test]
fn commands_defaulting_to_pty_need_pty_or_s() {
    let world = World::new();
    for (prog, args) in [
        ("disconnect", &[][..]),
        ("sessname", &[][..]),
        ("sesskill", &["-y"][..]),
        ("reconnect", &[][..]),
    ] {
        let out = world.run(prog, args);
        assert_eq!(
            (out.code(), out.stdout.as_str(), out.stderr.as_str()),
            (
                2,
                "",
                format!(
                    "{prog}: fatal: no -s specified, and PTY not set; are we under a session?\n"
                )
                .as_str()
            ),
            "`{prog} {}` outside any session",
            args.join(" ")
        );
    }
}

#[test]
fn disconnect_of_an_unknown_session_fails() {
    let world = World::new();
    let _id = world.detached_shell();
    for name in ["zz", "q7"] {
        let out = world.run("disconnect", &["-s", name]);
        assert_eq!(
            (out.code(), out.stderr.as_str()),
            (
                2,
                format!(
                    "disconnect: fatal: cannot find session {name}; if it exists, do you own it?\n"
                )
                .as_str()
            ),
            "disconnect -s {name}: {out:?}"
        );
    }
}

#[test]
fn disconnect_of_a_disconnected_session_warns() {
    let world = World::new();
    let id = world.detached_shell();
    let out = world.run("disconnect", &["-s", &id]);
    assert_eq!(
        (out.code(), out.stderr.as_str()),
        (2, format!("disconnect: warning: session {id} already disconnected\n").as_str()),
        "{out:?}"
    );
    assert_eq!(world.session(&id)["state"], "running");
}
