//! Real full-screen programs across a reconnect, at the same size and at
//! another (issue 3 points 2, 3 and 5): `less` comes back on the alternate
//! screen in its keypad mode and takes keys; `vi` repaints at the size of
//! the new terminal, and so does `top`; a program that does not repaint is
//! reflowed or padded,
//! nothing lost or doubled.

use super::steps::{go, start_steps, whole};
use super::{COLS, ROWS, View, diff, dump, judge, reconnect, scrollback, texts, view};
use crate::harness::{Term, World};

#[test]
fn less_is_restored_on_the_alternate_screen_in_its_keypad_mode_and_takes_keys() {
    let world = World::new();
    let numbers: String = (1..=200).map(|i| format!("number {i}\n")).collect();
    world.file("numbers.txt", &numbers);
    let mut term = world.term();
    let mark = term.mark();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    let prompt = format!("[{id}]$");
    term.line("less numbers.txt");
    let last = usize::from(ROWS) - 1;
    let page = |v: &View, first: usize| {
        v.alternate
            && (0..last).all(|r| v.rows[r] == format!("number {}", first + r))
            && !v.rows[last].is_empty()
    };
    let live = term.wait_bytes("less's first page, live", mark, |bytes| {
        let v = view(&judge(ROWS, COLS, bytes));
        if page(&v, 1) { Ok(v) } else { Err(dump(&v.rows)) }
    });
    assert!(live.app_keypad && live.app_cursor, "less turned the keypad mode on: {live:?}");
    super::disconnect(&world, &mut term, &id, done);

    let mut fresh = world.term();
    let (mark, done) = reconnect(&mut fresh, &id);
    fresh.wait_bytes("less's first page, restored", mark, |bytes| {
        let v = view(&judge(ROWS, COLS, bytes));
        // The prompt line is less's own business (it repaints it on the
        // SIGWINCH of the connect); the page, modes and cursor row are not.
        let mut want = live.clone();
        (want.rows[last], want.cells[last], want.cursor.1) =
            (v.rows[last].clone(), v.cells[last].clone(), v.cursor.1);
        if v == want { Ok(()) } else { Err(diff(&want, &v)) }
    });
    // less repaints on the connect's SIGWINCH (its prompt is then `:`), and
    // drops what is typed before it does.
    fresh.wait_bytes("less's own repaint", mark, |bytes| {
        let v = view(&judge(ROWS, COLS, bytes));
        if page(&v, 1) && v.rows[last] == ":" { Ok(()) } else { Err(dump(&v.rows)) }
    });
    // The cursor keys reach less in the mode it asked for: Down scrolls a
    // line (sent as the application-mode ESC O B).
    fresh.send(b"\x1bOB");
    fresh.wait_bytes("less one line down", mark, |bytes| {
        let v = view(&judge(ROWS, COLS, bytes));
        if page(&v, 2) { Ok(()) } else { Err(dump(&v.rows)) }
    });
    fresh.send(b"q");
    fresh.wait_bytes("the primary screen back after q", mark, |bytes| {
        let v = view(&judge(ROWS, COLS, bytes));
        let rows: Vec<&String> = v.rows.iter().filter(|r| !r.is_empty()).collect();
        let end = [&format!("{prompt} less numbers.txt"), &prompt];
        if !v.alternate && rows.ends_with(&end) { Ok(()) } else { Err(dump(&v.rows)) }
    });
    super::disconnect(&world, &mut fresh, &id, done);
}

const VERSES: [&str; 5] = ["verse one", "verse two", "verse three", "verse four", "verse five"];

/// vi's screen at `rows`: the verses, then `~` on every row but the last.
fn vi_screen(rows: u16, cols: u16) -> impl Fn(&[u8]) -> Result<View, String> {
    move |bytes| {
        let v = view(&judge(rows, cols, bytes));
        let tildes = v.rows[VERSES.len()..usize::from(rows) - 1].iter().all(|r| r == "~");
        if v.alternate && v.rows[..VERSES.len()] == VERSES && tildes && v.cursor == (0, 0) {
            Ok(v)
        } else {
            Err(format!(
                "alternate screen: {}, cursor {:?}\n{}",
                v.alternate,
                v.cursor,
                dump(&v.rows)
            ))
        }
    }
}

/// vi, left on a 30x100 terminal, is reconnected from one of `rows` x
/// `cols`: it gets SIGWINCH and its repaint at the new size is what shows;
/// it then quits to the primary screen.
fn vi_at(rows: u16, cols: u16) {
    let world = World::new();
    world.file("poem.txt", &VERSES.map(|v| format!("{v}\n")).concat());
    let mut term = world.term();
    let mark = term.mark();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    term.line("vi -u NONE -i NONE poem.txt");
    term.wait_bytes("vi's screen, live", mark, vi_screen(ROWS, COLS));
    super::disconnect(&world, &mut term, &id, done);

    let mut other = Term::open(&world, rows, cols, &[]);
    let (mark, done) = reconnect(&mut other, &id);
    other.wait_bytes(&format!("vi's screen at {rows}x{cols}"), mark, vi_screen(rows, cols));
    other.send(b":q!\r");
    let prompt = format!("[{id}]$");
    other.wait_bytes("the primary screen back after :q!", mark, |bytes| {
        let v = view(&judge(rows, cols, bytes));
        let last = v.rows.iter().rposition(|r| !r.is_empty());
        if !v.alternate && last.is_some_and(|i| v.rows[i] == prompt) {
            Ok(())
        } else {
            Err(format!("alternate screen: {}\n{}", v.alternate, dump(&v.rows)))
        }
    });
    super::disconnect(&world, &mut other, &id, done);
}

#[test]
fn vi_repaints_at_the_size_of_a_smaller_terminal() {
    vi_at(20, 60);
}

#[test]
fn vi_repaints_at_the_size_of_a_bigger_terminal() {
    vi_at(40, 120);
}

/// 30 lines of 90 columns, numbered, that fill the screen.
fn numbered_lines() -> Vec<String> {
    (1..=usize::from(ROWS))
        .map(|i| {
            let mut line = format!("line-{i:02}:");
            while line.len() < 90 {
                line.push(char::from(b'a' + (line.len() % 26) as u8));
            }
            line
        })
        .collect()
}

/// A program that ignores SIGWINCH filled the (blank) screen, after
/// `clear`; it is reconnected from a terminal of `rows` x `cols`; returns
/// the screen and the scrollback (oldest first) that terminal then shows.
fn unrepainted_at(clear: &str, rows: u16, cols: u16) -> (Vec<String>, Vec<String>) {
    let world = World::new();
    let paint = format!("{clear}{}", numbered_lines().join("\r\n"));
    let want = texts(&judge(ROWS, COLS, paint.as_bytes()));
    let mut term = world.term();
    let (id, done) = start_steps(&world, &mut term, &[whole(&paint)]);
    let mark = term.mark();
    go(&world, 1);
    term.wait_bytes("the lines, live", mark, |bytes| {
        let got = texts(&judge(ROWS, COLS, bytes));
        if got == want { Ok(()) } else { Err(dump(&got)) }
    });
    super::disconnect(&world, &mut term, &id, done);

    let mut other = Term::open(&world, rows, cols, &[]);
    let (mark, done) = reconnect(&mut other, &id);
    let shown = other.wait_bytes(&format!("the lines at {rows}x{cols}"), mark, |bytes| {
        let mut judge = judge(rows, cols, bytes);
        let screen = texts(&judge);
        let last = screen.iter().rposition(|r| !r.is_empty()).unwrap_or(0);
        if screen[last].ends_with(&numbered_lines()[29][80..]) {
            Ok((screen, scrollback(&mut judge)))
        } else {
            Err(dump(&screen))
        }
    });
    super::disconnect(&world, &mut other, &id, done);
    shown
}

#[test]
fn a_program_that_does_not_repaint_is_reflowed_into_a_narrower_terminal() {
    let (screen, history) = unrepainted_at("\x1b[H\x1b[2J", 20, 60);
    let all: String = history.iter().chain(&screen).map(String::as_str).collect();
    assert_eq!(
        all,
        numbered_lines().concat(),
        "every line, whole and once, across the scrollback and the screen\n\
         ---- scrollback ----\n{}---- screen ----\n{}",
        dump(&history),
        dump(&screen)
    );
}

#[test]
fn a_program_that_does_not_repaint_is_padded_in_a_bigger_terminal() {
    padded("\x1b[H");
}

#[test]
fn a_program_that_clears_and_does_not_repaint_is_padded_in_a_bigger_terminal() {
    padded("\x1b[H\x1b[2J");
}

fn padded(clear: &str) {
    let (screen, history) = unrepainted_at(clear, 40, 120);
    let mut want = numbered_lines();
    want.resize(40, String::new());
    assert_eq!(screen, want, "the lines at the top, blank rows under them");
    assert!(history.iter().all(String::is_empty), "no scrollback:\n{}", dump(&history));
}

#[test]
fn top_repaints_at_the_size_of_a_narrower_terminal_and_quits_to_the_prompt() {
    // (procps top does not use the alternate screen.)
    let world = World::new();
    let mut term = world.term();
    let mark = term.mark();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    term.line("top -d 1");
    // top's summary, a line each (cut to the width; the model's reflow of
    // the 100-column screen would wrap them over two rows at 60).
    let top = |rows: u16, cols: u16| {
        move |bytes: &[u8]| {
            let v = view(&judge(rows, cols, bytes));
            let heads = ["top - ", "Tasks:", "%Cpu(s):", "MiB Mem", "MiB Swap"];
            if v.rows.iter().zip(heads).all(|(r, h)| r.starts_with(h)) {
                Ok(())
            } else {
                Err(dump(&v.rows))
            }
        }
    };
    term.wait_bytes("top, live", mark, top(ROWS, COLS));
    super::disconnect(&world, &mut term, &id, done);

    let mut other = Term::open(&world, 20, 60, &[]);
    let (mark, done) = reconnect(&mut other, &id);
    other.wait_bytes("top at 20x60", mark, top(20, 60));
    other.send(b"q");
    let prompt = format!("[{id}]$");
    other.wait_bytes("the prompt after q", mark, |bytes| {
        let v = view(&judge(20, 60, bytes));
        let last = v.rows.iter().rposition(|r| !r.is_empty());
        if last.is_some_and(|i| v.rows[i] == prompt) { Ok(()) } else { Err(dump(&v.rows)) }
    });
    super::disconnect(&world, &mut other, &id, done);
}
