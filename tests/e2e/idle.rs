//! A quiet session lets go of its screen model and keeps only the repaint
//! (docs/ARCHITECTURE.md, "The screen is lazy"): its master's memory drops,
//! a reconnect still shows exactly the screen and scrollback it had, and
//! output wakes the model again.

use std::num::NonZeroU16;

use crate::harness::{Term, World, json_pid, status_field, wait_until};

/// The size of [`World::term`]'s terminals.
const ROWS: u16 = 30;
const COLS: u16 = 100;

/// Lines the program prints: a screenful and more than `restore-lines`.
const LINES: usize = 600;

/// The program's output, as the pty shows it (CR LF line ends).
fn printed() -> String {
    (0..LINES)
        .map(|i| {
            format!(
                "\x1b[3{}mline {i}\x1b[0m: the quick brown fox {}\r\n",
                i % 8,
                "=".repeat(i % 40)
            )
        })
        .collect()
}

/// A judge emulator (vt100, independent of the master's) fed `bytes`.
fn judge(bytes: &[u8]) -> vt100::Parser {
    let nz = |n| NonZeroU16::new(n).expect("a screen has rows and columns");
    let mut judge = vt100::Parser::new(nz(ROWS), nz(COLS), 1000);
    judge.process(bytes);
    judge
}

/// The screen's rows as text with colours, then the number of scrollback
/// rows and the oldest of the last `restore-lines` (500) of them.
fn seen(judge: &mut vt100::Parser) -> (String, usize, String) {
    let screen = judge.screen().contents_formatted();
    judge.screen_mut().set_scrollback(usize::MAX);
    let back = judge.screen().scrollback();
    judge.screen_mut().set_scrollback(500);
    let oldest = judge.screen().rows(0, COLS).next().unwrap_or_default();
    judge.screen_mut().set_scrollback(0);
    (screen, back.min(500), oldest)
}

/// The anonymous memory a process holds, in KiB.
fn rss_anon(pid: i32) -> u64 {
    let value = status_field(pid, "RssAnon").unwrap_or_default();
    value.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[track_caller]
fn reconnect(term: &mut Term, id: &str) -> usize {
    let mark = term.mark();
    let _connected = term.start(&format!("reconnect {id}"));
    term.expect_line(&format!("reconnect: info: successfully connected to {id}"));
    mark
}

#[test]
fn a_quiet_session_lets_go_of_its_model_and_shows_the_same_screen() {
    let world = World::new();
    let mut term = world.term();
    let script = format!("printf '%s' '{}'\nprintf 'DONE-%s.' \"$PTY\"\nexec cat\n", printed());
    world.file("print.sh", &script);
    let done = term.start("sess sh print.sh");
    let id = term.expect_between("DONE-", ".");
    world.ok("disconnect", &["-s", &id]);
    assert_eq!(term.finish(done), 0);
    let master = json_pid(&world.session(&id), "master_pid");

    // The model of 600 lines at 100 columns holds well over a MiB of cells
    // (once the output is parsed, within 50 ms); asleep, 5 s after the
    // output, the master keeps the repaint (tens of KiB).
    wait_until("the master's model holds the output", || rss_anon(master) > 1500);
    wait_until("the quiet master lets go of its screen model", || rss_anon(master) < 900);

    let mut want = judge(format!("{}DONE-{id}.", printed()).as_bytes());
    let mut term = world.term();
    let mark = reconnect(&mut term, &id);
    let want = seen(&mut want);
    term.wait_bytes("the restored screen and scrollback", mark, |bytes| {
        let got = seen(&mut judge(bytes));
        if got == want { Ok(()) } else { Err(format!("shows {got:?}\nwant {want:?}")) }
    });

    // Output wakes the model: what the program writes next is on the screen
    // a later reconnect (at another size) restores.
    term.line("awake again");
    term.expect("awake again\r\nawake again");
    world.ok("disconnect", &["-s", &id]);
    let mut wide = Term::open(&world, ROWS + 10, COLS + 20, &[]);
    let mark = reconnect(&mut wide, &id);
    wide.wait_bytes("the woken model's screen", mark, |bytes| {
        let nz = |n| NonZeroU16::new(n).expect("a size");
        let mut judge = vt100::Parser::new(nz(ROWS + 10), nz(COLS + 20), 0);
        judge.process(bytes);
        let text = judge.screen().contents();
        let lines: Vec<&str> = text.lines().collect();
        match lines.iter().rposition(|l| l.starts_with("line 599")) {
            Some(i) if lines[i + 1..].iter().filter(|l| l.contains("awake again")).count() == 2 => {
                Ok(())
            }
            _ => Err(format!("shows {text:?}")),
        }
    });
}
