//! Private dirs and sockets, unsafe runtime dirs refused, and bad frames
//! that close only their own connection.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;

use crate::harness::{World, alive, chmod, timeout};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn runtime_dir_is_created_0700_and_sockets_are_0600() {
    let world = World::new();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let id = term.session_prompt();
    assert_eq!(mode(&world.runtime), 0o700, "runtime dir");
    assert_eq!(mode(&world.state), 0o700, "state dir");
    for sock in [world.runtime.join("sessd.sock"), world.runtime.join(format!("s/{id}.sock"))] {
        let meta = std::fs::metadata(&sock).expect("socket exists");
        assert!(meta.file_type().is_socket(), "{} is a socket", sock.display());
        assert_eq!(mode(&sock), 0o600, "{}", sock.display());
    }
    let tty = world.session(&id)["tty"].as_str().unwrap().to_owned();
    assert_eq!(mode(Path::new(&tty)) & 0o077, 0, "the pty slave {tty} is private");
}

#[test]
fn a_runtime_dir_others_can_write_is_refused() {
    let world = World::new();
    std::fs::create_dir(&world.runtime).expect("runtime dir");
    chmod(&world.runtime, 0o777);
    for (prog, args) in [
        ("sesslist", &[][..]),
        ("sessd", &["--foreground"][..]),
        ("disconnect", &["-s", "p0"][..]),
        ("sessname", &["-s", "p0"][..]),
    ] {
        let out = world.run(prog, args);
        assert_eq!(out.code(), 2, "`{prog}` with a 0777 runtime dir: {out:?}");
        let prefix = format!("{prog}: fatal: ");
        assert!(
            out.stderr.starts_with(&prefix) && out.stderr.lines().count() == 1,
            "`{prog}` prints one line `{prefix}...`: {:?}",
            out.stderr
        );
    }
    let mut term = world.term();
    let done = term.start("sess sh");
    term.expect("sess: fatal: ");
    assert_eq!(term.finish(done), 2, "sess with a 0777 runtime dir");
    assert!(!world.runtime.join("sessd.sock").exists(), "no daemon was started there");
}

/// Writes `bytes` on a new connection to `sock` and checks that the peer
/// closes it (whatever it sends first).
fn closed_after(sock: &Path, bytes: &[u8], what: &str) {
    let mut stream =
        UnixStream::connect(sock).unwrap_or_else(|e| panic!("connect {}: {e}", sock.display()));
    stream.set_read_timeout(Some(timeout())).unwrap();
    let _ = stream.write_all(bytes);
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!(
            "{} did not close the connection after {what} ({e}); it sent {got:?}",
            sock.display()
        ),
    }
}

#[test]
fn bad_frames_close_only_their_connection() {
    let world = World::new();
    let b = world.detached_shell();
    let mut term = world.term();
    let _done = term.start("sess sh");
    let a = term.session_prompt();
    let before = (world.sessd_pid(), world.program_pid(&a), world.program_pid(&b));

    let hello = [5, 0, 0, 0, b's', b'e', b's', b's', 1];
    let over = ((1u32 << 20) + 1).to_le_bytes();
    let mut oversize = over.to_vec();
    oversize.extend_from_slice(&[0; 64]);
    let mut after_hello = hello.to_vec();
    after_hello.extend_from_slice(&[3, 0, 0, 0, 0xff, 0xff, 0xff]);
    let mut hello_then_oversize = hello.to_vec();
    hello_then_oversize.extend_from_slice(&oversize);
    let cases: [(&str, &[u8]); 6] = [
        ("garbage", b"\x04\x00\x00\x00\xde\xad\xbe\xef"),
        ("text", b"GET / HTTP/1.0\r\n\r\n"),
        ("an oversize length", &oversize),
        ("a wrong version", &[5, 0, 0, 0, b's', b'e', b's', b's', 2]),
        ("a garbage frame after hello", &after_hello),
        ("an oversize frame after hello", &hello_then_oversize),
    ];
    let socks = [
        world.runtime.join("sessd.sock"),
        world.runtime.join(format!("s/{a}.sock")),
        world.runtime.join(format!("s/{b}.sock")),
    ];
    for sock in &socks {
        for (what, bytes) in cases {
            closed_after(sock, bytes, what);
        }
    }

    let after = (world.sessd_pid(), world.program_pid(&a), world.program_pid(&b));
    assert_eq!(after, before, "(sessd, program a, program b) pids");
    assert!(alive(after.0) && alive(after.1) && alive(after.2));
    assert_eq!(world.session(&a)["connected"], true);
    assert_eq!(term.ask("$PTY"), a, "the connected terminal still works");
}
