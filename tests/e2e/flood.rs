//! A session pouring output out still answers: keys reach the program,
//! requests are served, a resize reaches it, and the detach key detaches,
//! each while output flows.
//!
//! The program floods its terminal from the background, a line at a time,
//! for as long as it lives, noting the window size in ~/size every 200
//! lines, while `cat` records every key in ~/got.

use crate::harness::{World, wait_until};
use crate::term::Term;

const FLOOD: &str = r#"stty raw -echo
(
    i=0
    while :; do
        echo flood
        i=$((i + 1))
        if [ $((i % 200)) = 0 ]; then
            stty size < /dev/tty > "$HOME/size.new" && mv "$HOME/size.new" "$HOME/size"
        fi
    done
) &
echo "READY-$PTY."
exec cat > "$HOME/got"
"#;

/// Waits until the terminal shows more of the flood than it had.
#[track_caller]
fn flowing(term: &Term) {
    let from = term.mark();
    term.wait_bytes("more of the flood", from, |shown| {
        if shown.windows(5).filter(|w| w == b"flood").count() >= 100 {
            Ok(())
        } else {
            Err(format!("{} bytes since, fewer than 100 flood lines", shown.len()))
        }
    });
}

#[test]
fn a_session_pouring_output_still_answers_keys_requests_resizes_and_the_detach_key() {
    let world = World::new();
    let mut term = world.term();
    world.file("flood.sh", FLOOD);
    let done = term.start("sess sh flood.sh");
    let id = term.expect_between("READY-", ".");
    flowing(&term);

    term.send(b"abc");
    world.wait_file("got", "abc");
    flowing(&term);

    assert_eq!(world.session(&id)["connected"].as_bool(), Some(true), "{id} is connected");
    flowing(&term);

    term.resize(31, 97);
    wait_until("the program sees 31 rows and 97 columns", || world.read("size").trim() == "31 97");
    flowing(&term);

    term.send(b"\x1cx");
    assert_eq!(term.finish(done), 0, "sess after ^\\ x");
    let session = world.session(&id);
    assert_eq!(session["connected"].as_bool(), Some(false), "{id} is disconnected");
    assert_eq!(world.read("got"), "abc", "the detach key and its partner are not sent");
}
