//! The screen a (re)connect shows (SPEC §4 "Inside a session"): the last
//! lines of scrollback, then the exact screen — colours and attributes, soft
//! wraps, wide and combining characters, the cursor (place, visibility,
//! saved position and pens), the alternate screen with the primary under
//! it, the input modes, the title — then live output, with SIGWINCH.
//!
//! The judge is an emulator independent of the product's (`vt100`; the
//! master uses alacritty_terminal): it is fed the bytes a test terminal
//! received since a mark, and its screen is compared with the same emulator
//! fed the program's output directly (the reference) or with what the
//! session's first terminal showed live. Waits are on the judge's screen
//! coming to match, with a deadline.

use std::fmt::Write as _;
use std::num::NonZeroU16;

use crate::harness::{Pending, Term, World, wait_until};

/// The size of [`World::term`]'s terminals.
const ROWS: u16 = 30;
const COLS: u16 = 100;

/// Scrollback lines every judge keeps (more than any test makes).
const SCROLLBACK: usize = 1000;

/// Keeps the window title (OSC 0 and 2).
#[derive(Default)]
struct Titles(Option<String>);

impl vt100::Callbacks for Titles {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.0 = Some(String::from_utf8_lossy(title).into_owned());
    }
}

type Judge = vt100::Parser<Titles>;

/// A judge of `rows` x `cols` fed `bytes`.
fn judge(rows: u16, cols: u16, bytes: &[u8]) -> Judge {
    let nz = |n| NonZeroU16::new(n).expect("a screen has rows and columns");
    let mut judge =
        vt100::Parser::new_with_callbacks(nz(rows), nz(cols), SCROLLBACK, Titles::default());
    judge.process(bytes);
    judge
}

/// One cell as the judge holds it.
#[derive(Clone, Debug, PartialEq)]
struct Look {
    text: String,
    wide: bool,
    fg: vt100::Color,
    bg: vt100::Color,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    inverse: bool,
}

/// Everything a judge shows that a restore must reproduce.
#[derive(Clone, Debug, PartialEq)]
struct View {
    /// Each row's text, trailing blanks trimmed.
    rows: Vec<String>,
    cells: Vec<Vec<Look>>,
    /// The rows that continue on the next (soft wraps).
    wrapped: Vec<bool>,
    cursor: (u16, u16),
    cursor_hidden: bool,
    alternate: bool,
    app_cursor: bool,
    app_keypad: bool,
    bracketed_paste: bool,
    mouse: (vt100::MouseProtocolMode, vt100::MouseProtocolEncoding),
    title: Option<String>,
}

/// How the judge holds `cell`.
fn look(cell: &vt100::Cell) -> Look {
    // A blank written as a space and one never written look the same.
    let text = match cell.contents() {
        "" if !cell.is_wide_continuation() => " ",
        text => text,
    };
    Look {
        text: text.to_owned(),
        wide: cell.is_wide(),
        fg: cell.fgcolor(),
        bg: cell.bgcolor(),
        bold: cell.bold(),
        dim: cell.dim(),
        italic: cell.italic(),
        underline: cell.underline(),
        inverse: cell.inverse(),
    }
}

fn view(judge: &Judge) -> View {
    let s = judge.screen();
    let (rows, cols) = s.size();
    let (rows, cols) = (rows.get(), cols.get());
    let look = |r, c| look(s.cell(r, c).expect("a cell inside the screen"));
    View {
        rows: texts(judge),
        cells: (0..rows).map(|r| (0..cols).map(|c| look(r, c)).collect()).collect(),
        wrapped: (0..rows).map(|r| s.row_wrapped(r)).collect(),
        cursor: s.cursor_position(),
        cursor_hidden: s.hide_cursor(),
        alternate: s.alternate_screen(),
        app_cursor: s.application_cursor(),
        app_keypad: s.application_keypad(),
        bracketed_paste: s.bracketed_paste(),
        mouse: (s.mouse_protocol_mode(), s.mouse_protocol_encoding()),
        title: judge.callbacks().0.clone(),
    }
}

/// The text of each row of the screen, trailing blanks trimmed.
fn texts(judge: &Judge) -> Vec<String> {
    let cols = judge.screen().size().1.get();
    judge.screen().rows(0, cols).map(|r| r.trim_end().to_owned()).collect()
}

/// The judge's scrollback rows, oldest first, trailing blanks trimmed.
fn scrollback(judge: &mut Judge) -> Vec<String> {
    let cols = judge.screen().size().1.get();
    let screen = judge.screen_mut();
    screen.set_scrollback(usize::MAX);
    let len = screen.scrollback();
    let mut rows = Vec::with_capacity(len);
    for offset in (1..=len).rev() {
        screen.set_scrollback(offset);
        rows.push(screen.rows(0, cols).next().unwrap_or_default().trim_end().to_owned());
    }
    screen.set_scrollback(0);
    rows
}

/// The screen's rows, numbered, for failure messages.
fn dump(rows: &[String]) -> String {
    rows.iter().enumerate().fold(String::new(), |mut out, (i, r)| {
        let _ = writeln!(out, "{i:3}|{r}");
        out
    })
}

/// What differs between two views, readably ("" if nothing).
fn diff(want: &View, got: &View) -> String {
    if want == got {
        return String::new();
    }
    let mut out = String::new();
    let mut cells = 0;
    for (r, (w, g)) in want.cells.iter().zip(&got.cells).enumerate() {
        for (c, (w, g)) in w.iter().zip(g).enumerate() {
            if w != g && cells < 12 {
                let _ = writeln!(out, "cell ({r},{c}): expected {w:?}\n{:14}got {g:?}", "");
                cells += 1;
            }
        }
    }
    let wraps =
        |v: &View| -> Vec<usize> { (0..v.wrapped.len()).filter(|&r| v.wrapped[r]).collect() };
    macro_rules! field {
        ($($f:ident),*) => {$(
            if want.$f != got.$f {
                let _ = writeln!(out, "{}: expected {:?}, got {:?}", stringify!($f), want.$f, got.$f);
            }
        )*};
    }
    field!(cursor, cursor_hidden, alternate, app_cursor, app_keypad, bracketed_paste, mouse, title);
    if want.wrapped != got.wrapped {
        let _ =
            writeln!(out, "soft-wrapped rows: expected {:?}, got {:?}", wraps(want), wraps(got));
    }
    let _ = write!(
        out,
        "---- expected screen ----\n{}---- got ----\n{}----",
        dump(&want.rows),
        dump(&got.rows)
    );
    out
}

/// A check for [`Term::wait_bytes`]: the bytes, fed to a judge of
/// `rows` x `cols`, show `want`; returns that judge.
fn shows(want: &View, rows: u16, cols: u16) -> impl FnMut(&[u8]) -> Result<Judge, String> {
    move |bytes| {
        let judge = judge(rows, cols, bytes);
        let got = view(&judge);
        if got == *want { Ok(judge) } else { Err(diff(want, &got)) }
    }
}

#[track_caller]
fn assert_same(want: &View, got: &View, what: &str) {
    let differences = diff(want, got);
    assert!(differences.is_empty(), "{what}:\n{differences}");
}

/// Starts `sess sh NAME` on `term` for a script `body`, run after the
/// script noted its session id in ~/id; returns the id.
fn start_script(world: &World, term: &mut Term, name: &str, body: &str) -> (String, Pending) {
    world.file(name, &format!("echo \"$PTY\" >\"$HOME/id\"\n{body}"));
    let done = term.start(&format!("sess sh {name}"));
    wait_until("the script noted its session id", || world.read("id").ends_with('\n'));
    (world.read("id").trim().to_owned(), done)
}

/// Starts a session that writes the bytes `paint` once its terminal is
/// live (the connect has cleared the screen), so that they pass through
/// live, then waits; returns the id.
fn start_painting(world: &World, term: &mut Term, paint: &str) -> (String, Pending) {
    world.file("paint.bin", paint);
    let body = format!(
        "while [ ! -e \"$HOME/go\" ]; do sleep 0.05; done\ncat \"$HOME/paint.bin\"\n{IDLE}"
    );
    let mark = term.mark();
    let (id, done) = start_script(world, term, "paint.sh", &body);
    term.wait_bytes("the connect to clear the screen", mark, |bytes| {
        // After the typed command's echo, a blank screen.
        let typed = bytes.windows(8).any(|w| w == b"paint.sh");
        let rows = texts(&judge(ROWS, COLS, bytes));
        if typed && rows.iter().all(|r| r.is_empty()) { Ok(()) } else { Err(dump(&rows)) }
    });
    world.file("go", "");
    (id, done)
}

/// `disconnect -s ID`; the `sess` or `reconnect` on `term` returns 0.
#[track_caller]
fn disconnect(world: &World, term: &mut Term, id: &str, done: Pending) {
    world.ok("disconnect", &["-s", id]);
    assert_eq!(term.finish(done), 0, "the client on the terminal after disconnect -s {id}");
}

/// Types `reconnect ID` on `term`; returns the mark from which the judge is
/// fed (the terminal's earlier content does not matter: the repaint clears
/// the screen).
#[track_caller]
fn reconnect(term: &mut Term, id: &str) -> (usize, Pending) {
    let mark = term.mark();
    let done = term.start(&format!("reconnect {id}"));
    term.expect_line(&format!("reconnect: info: successfully connected to {id}"));
    (mark, done)
}

/// Keeps a script alive without output (the shell waits; SIGWINCH is
/// ignored).
const IDLE: &str = "exec sleep 100000\n";

const TITLE: &str = "sess screen test";

/// A screenful of everything the restore covers (ends with the title, so a
/// judge showing the title has seen all of it). Line ends are CR LF, so the
/// pty's LF -> CR LF changes nothing.
fn painting() -> String {
    let mut s = String::from("\x1b[H\x1b[2J");
    // Colours: 16 (normal, bright), 256, truecolor; foreground and background.
    s.push_str("\x1b[31mred\x1b[0m \x1b[92mbright-green\x1b[0m \x1b[38;5;208m256-orange\x1b[0m ");
    s.push_str(
        "\x1b[48;5;22mbg-256\x1b[0m \x1b[38;2;10;200;30mrgb\x1b[48;2;1;2;3m+rgb-bg\x1b[0m\r\n",
    );
    // Attributes, alone and together.
    s.push_str(
        "\x1b[1mbold\x1b[0m \x1b[2mdim\x1b[0m \x1b[3mitalic\x1b[0m \x1b[4munderline\x1b[0m ",
    );
    s.push_str("\x1b[7minverse\x1b[0m \x1b[1;3;4;7;35;46mall-at-once\x1b[0m\r\n");
    // Wide CJK, an emoji, combining marks.
    s.push_str(
        "wide \u{4e2d}\u{6587}\u{5b57} emoji \u{1f600}! combining e\u{301} a\u{308}o\u{302}\r\n",
    );
    // A soft-wrapped long line (150 columns on a 100-column screen).
    s.push_str("long:");
    for i in 0..145 {
        s.push(char::from(b'a' + (i % 26) as u8));
    }
    s.push_str("\r\n");
    // Cursor motion.
    s.push_str("\x1b[12;20Hmoved\x1b[5Cright\x1b[2Aup\x1b[3D\x1b[3Bdown-left");
    // A row with a coloured background to its end (erase with a colour).
    s.push_str("\x1b[25;1H\x1b[44m blue to the end \x1b[K\x1b[0m");
    // The saved cursor (DECSC) with its pen.
    s.push_str("\x1b[20;10H\x1b[1;33msaved:\x1b7\x1b[0m");
    // Input modes: bracketed paste, application cursor keys and keypad,
    // button-motion mouse with SGR encoding; a hidden cursor.
    s.push_str("\x1b[?2004h\x1b[?1h\x1b=\x1b[?1002h\x1b[?1006h\x1b[?25l");
    // The cursor's place and pen.
    s.push_str("\x1b[15;7H\x1b[4;32m");
    s.push_str(&format!("\x1b]2;{TITLE}\x07"));
    s
}

/// Written after the repaint, these show the hidden state: the current
/// pen at the cursor, then the saved cursor's place and pen.
const PROBE: &[u8] = b"P\x1b8S";

#[test]
fn a_reconnect_on_a_new_terminal_restores_the_exact_screen() {
    let world = World::new();
    let paint = painting();
    let mut reference = judge(ROWS, COLS, paint.as_bytes());
    let want = view(&reference);
    assert_eq!(
        (want.title.as_deref(), want.cursor, want.cursor_hidden, want.wrapped[3]),
        (Some(TITLE), (14, 6), true, true),
        "the reference judge reads the painting"
    );
    let mut term = world.term();
    let mark = term.mark();
    let (id, done) = start_painting(&world, &mut term, &paint);
    term.wait_bytes("the painting, live", mark, shows(&want, ROWS, COLS));
    disconnect(&world, &mut term, &id, done);

    let mut fresh = world.term();
    let (mark, done) = reconnect(&mut fresh, &id);
    let mut got = fresh.wait_bytes("the painting, restored", mark, shows(&want, ROWS, COLS));
    reference.process(PROBE);
    got.process(PROBE);
    assert_same(
        &view(&reference),
        &view(&got),
        "the pen and the saved cursor (place and pen), shown by printing P, then ESC 8 and S",
    );
    disconnect(&world, &mut fresh, &id, done);
}

/// The primary screen with a prompt, then the alternate screen over it.
fn alternate_painting() -> String {
    let mut s = String::from("\x1b[H\x1b[2J");
    for i in 1..=6 {
        s.push_str(&format!("\x1b[3{i}mprimary row {i}\x1b[0m\r\n"));
    }
    s.push_str("[sh]$ full-screen-program");
    s.push_str("\x1b[?1049h\x1b[H\x1b[2J");
    s.push_str("alternate top\r\n\x1b[1malternate bold\x1b[0m");
    s.push_str("\x1b[10;10H\x1b[7malternate inverse\x1b[0m");
    s.push_str("\x1b[30;1H~ alternate bottom");
    s.push_str("\x1b[5;3H");
    s
}

#[test]
fn the_alternate_screen_is_restored_with_the_primary_under_it() {
    let world = World::new();
    let paint = alternate_painting();
    let mut reference = judge(ROWS, COLS, paint.as_bytes());
    let want = view(&reference);
    assert!(want.alternate, "the reference judge is on the alternate screen");
    let mut term = world.term();
    let mark = term.mark();
    let (id, done) = start_painting(&world, &mut term, &paint);
    term.wait_bytes("the alternate screen, live", mark, shows(&want, ROWS, COLS));
    disconnect(&world, &mut term, &id, done);

    let mut fresh = world.term();
    let (mark, done) = reconnect(&mut fresh, &id);
    let mut got =
        fresh.wait_bytes("the alternate screen, restored", mark, shows(&want, ROWS, COLS));
    // Leaving the alternate screen shows the primary, the cursor where it
    // was on the primary screen.
    let leave = b"\x1b[?1049lQ";
    reference.process(leave);
    got.process(leave);
    assert_same(&view(&reference), &view(&got), "the primary screen after CSI ?1049l, then Q");
    disconnect(&world, &mut fresh, &id, done);
}

#[test]
fn vi_is_restored_on_the_alternate_screen_and_leaves_the_primary_as_it_was() {
    let world = World::new();
    world.file("poem.txt", "verse one\nverse two\nverse three\nverse four\nverse five\n");
    let mut term = world.term();
    let mark = term.mark();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    let prompt = format!("[{id}]$");
    term.line("printf 'before-%s\\n' 1 2 3");
    // The primary screen before vi: the command, three lines, a prompt.
    let before = term.wait_bytes("the lines before vi", mark, |bytes| {
        let rows = texts(&judge(ROWS, COLS, bytes));
        match rows.iter().position(|r| r == "before-3") {
            Some(i) if rows[i + 1] == prompt => Ok(rows[..=i + 1].to_vec()),
            _ => Err(dump(&rows)),
        }
    });
    let vi = "vi -u NONE -i NONE poem.txt";
    term.line(vi);
    let verses = ["verse one", "verse two", "verse three", "verse four", "verse five"];
    let vi_screen = |bytes: &[u8]| {
        let judge = judge(ROWS, COLS, bytes);
        let v = view(&judge);
        let tildes = v.rows[verses.len()..usize::from(ROWS) - 1].iter().all(|r| r == "~");
        if v.alternate && v.rows[..verses.len()] == verses && tildes {
            Ok(v)
        } else {
            Err(format!("alternate screen: {}\n{}", v.alternate, dump(&v.rows)))
        }
    };
    let live = term.wait_bytes("vi's screen, live", mark, vi_screen);
    disconnect(&world, &mut term, &id, done);

    let mut fresh = world.term();
    let (mark, done) = reconnect(&mut fresh, &id);
    let restored = fresh.wait_bytes("vi's screen, restored", mark, vi_screen);
    assert_eq!(restored.cursor, live.cursor, "vi's cursor");
    fresh.send(b":q!\r");
    let last = before.len() - 1;
    let mut want = before.clone();
    want[last] = format!("{prompt} {vi}");
    want.push(prompt.clone());
    fresh.wait_bytes("the primary screen back after :q!", mark, |bytes| {
        let judge = judge(ROWS, COLS, bytes);
        let v = view(&judge);
        let blank = v.rows[want.len()..].iter().all(|r| r.is_empty());
        if !v.alternate && v.rows[..want.len()] == want[..] && blank {
            Ok(())
        } else {
            Err(format!(
                "alternate screen: {}\n---- expected the primary screen to begin ----\n{}\
                 ---- got ----\n{}",
                v.alternate,
                dump(&want),
                dump(&v.rows)
            ))
        }
    });
    disconnect(&world, &mut fresh, &id, done);
}

/// A session shell prints 100 numbered lines on `term`; returns the id, the
/// pending `sess` and the judge of what `term` showed live.
fn hundred_lines(term: &mut Term) -> (String, Pending, Judge) {
    let mark = term.mark();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    term.line("i=1; while [ $i -le 100 ]; do echo line-$i; i=$((i+1)); done");
    let prompt = format!("[{id}]$");
    let live = term.wait_bytes("100 lines, live", mark, |bytes| {
        let judge = judge(ROWS, COLS, bytes);
        let rows = texts(&judge);
        let last = usize::from(ROWS) - 1;
        if rows[last - 1] == "line-100" && rows[last] == prompt {
            Ok(judge)
        } else {
            Err(dump(&rows))
        }
    });
    (id, done, live)
}

/// The judge of `term` from `mark` once its screen shows `want`'s rows.
#[track_caller]
fn wait_rows(term: &Term, what: &str, mark: usize, want: &[String]) -> Judge {
    term.wait_bytes(what, mark, |bytes| {
        let judge = judge(ROWS, COLS, bytes);
        let rows = texts(&judge);
        if rows == want {
            Ok(judge)
        } else {
            Err(format!("---- expected ----\n{}---- got ----\n{}", dump(want), dump(&rows)))
        }
    })
}

/// The `line-N` rows among `rows`, as numbers.
fn numbered(rows: &[String]) -> Vec<u32> {
    rows.iter().filter_map(|r| r.strip_prefix("line-")?.parse().ok()).collect()
}

#[test]
fn the_scrollback_is_written_before_the_screen() {
    let world = World::new();
    let mut term = world.term();
    let (id, done, mut live) = hundred_lines(&mut term);
    let screen = texts(&live);
    let history = scrollback(&mut live);
    assert_eq!(history.len(), 72, "the live terminal's scrollback:\n{}", dump(&history));
    disconnect(&world, &mut term, &id, done);

    let mut fresh = world.term();
    let (mark, done) = reconnect(&mut fresh, &id);
    let mut got = wait_rows(&fresh, "the last lines on the screen", mark, &screen);
    let got_history = scrollback(&mut got);
    assert_eq!(
        numbered(&got_history),
        (1..=71).collect::<Vec<_>>(),
        "line-1 to line-71 in the new terminal's scrollback:\n{}",
        dump(&got_history)
    );
    assert_eq!(got_history, history, "the new terminal's scrollback is the old one's");
    disconnect(&world, &mut fresh, &id, done);
}

#[test]
fn restore_lines_bounds_the_scrollback_written() {
    let world = World::with_config("restore-lines = 20\n");
    let mut term = world.term();
    let (id, done, mut live) = hundred_lines(&mut term);
    let screen = texts(&live);
    let history = scrollback(&mut live);
    disconnect(&world, &mut term, &id, done);

    let mut fresh = world.term();
    let (mark, done) = reconnect(&mut fresh, &id);
    let mut got = wait_rows(&fresh, "the last lines on the screen", mark, &screen);
    let got_history = scrollback(&mut got);
    assert_eq!(
        got_history,
        history[history.len() - 20..],
        "the last 20 lines of scrollback, and only those, in the new terminal's scrollback"
    );
    disconnect(&world, &mut fresh, &id, done);
}

/// Reconnects a program that printed 50 numbered lines from a terminal of
/// `rows` x `cols`: the program gets SIGWINCH and sees the new size, and
/// the screen shows the end of the output, nothing lost, doubled or
/// garbled.
fn reconnect_at_size(rows: u16, cols: u16) {
    let world = World::new();
    let mut term = world.term();
    let mark = term.mark();
    let body = "trap 'echo \"size $(stty size)\"; stty size >>\"$HOME/sizes\"' WINCH\n\
                i=1; while [ $i -le 50 ]; do echo \"n-$i\"; i=$((i+1)); done\n\
                echo \"READY-$PTY.\"\n\
                sleep 100000 &\n\
                while :; do wait; done\n";
    let (id, done) = start_script(&world, &mut term, "size.sh", body);
    let ready = format!("READY-{id}.");
    term.wait_bytes("READY, live", mark, |bytes| {
        let rows = texts(&judge(ROWS, COLS, bytes));
        if rows.contains(&ready) { Ok(()) } else { Err(dump(&rows)) }
    });
    disconnect(&world, &mut term, &id, done);

    let mut other = Term::open(&world, rows, cols, &[]);
    let (mark, done) = reconnect(&mut other, &id);
    let size = format!("{rows} {cols}");
    wait_until(&format!("`stty size` in the program says {size} after SIGWINCH"), || {
        world.read("sizes").lines().last() == Some(size.as_str())
    });
    let said = format!("size {size}");
    other.wait_bytes("a sane screen ending with the program's new size", mark, |bytes| {
        let mut judge = judge(rows, cols, bytes);
        let screen = texts(&judge);
        let mut all = scrollback(&mut judge);
        all.extend(screen.iter().cloned());
        let all: Vec<String> = all.into_iter().filter(|r| !r.is_empty()).collect();
        let show = || {
            format!(
                "---- screen ----\n{}---- scrollback and screen ----\n{}",
                dump(&screen),
                dump(&all)
            )
        };
        let garbage: Vec<&String> = all
            .iter()
            .filter(|r| !(r.starts_with("n-") || **r == ready || r.starts_with("size ")))
            .collect();
        if !garbage.is_empty() {
            return Err(format!("rows that are no output of the program: {garbage:?}\n{}", show()));
        }
        let numbers: Vec<u32> =
            all.iter().filter_map(|r| r.strip_prefix("n-")?.parse().ok()).collect();
        if numbers != (1..=50).collect::<Vec<_>>() {
            return Err(format!("n-1 to n-50, each once, in order: got {numbers:?}\n{}", show()));
        }
        let end = screen.iter().rposition(|r| !r.is_empty()).unwrap_or(0);
        let on_screen = &screen[..=end];
        let Some(at) = on_screen.iter().position(|r| *r == ready) else {
            return Err(format!("{ready} not on the screen\n{}", show()));
        };
        let tail_ok = at > 0
            && on_screen[at - 1] == "n-50"
            && on_screen[at + 1..].iter().all(|r| r.starts_with("size "))
            && on_screen[end] == said;
        if !tail_ok {
            return Err(format!(
                "expected n-50, {ready}, then size lines ending in {said:?}\n{}",
                show()
            ));
        }
        let cursor = judge.screen().cursor_position();
        if cursor != (end as u16 + 1, 0) {
            return Err(format!("cursor at {cursor:?}, expected under the last line\n{}", show()));
        }
        Ok(())
    });
    disconnect(&world, &mut other, &id, done);
}

#[test]
fn a_reconnect_from_a_bigger_terminal_resizes_and_shows_a_sane_screen() {
    reconnect_at_size(40, 120);
}

#[test]
fn a_reconnect_from_a_smaller_terminal_resizes_and_shows_a_sane_screen() {
    reconnect_at_size(20, 60);
}

#[test]
fn output_made_while_disconnected_is_on_the_restored_screen() {
    let world = World::new();
    let mut term = world.term();
    let done = term.start("sess sh");
    let id = term.session_prompt();
    // The program waits for ~/go (made once it is disconnected), then prints.
    term.line(
        "while [ ! -e \"$HOME/go\" ]; do sleep 0.05; done; \
         for i in 1 2 3; do echo tick $i; done; echo ticked >\"$HOME/ticked\"",
    );
    term.expect("ticked\"");
    disconnect(&world, &mut term, &id, done);
    world.file("go", "");
    world.wait_file("ticked", "ticked\n");
    assert!(!term.text().contains("tick 1"), "nothing printed on the old terminal");

    let mut fresh = world.term();
    let (mark, done) = reconnect(&mut fresh, &id);
    let prompt = format!("[{id}]$");
    fresh.wait_bytes("tick 1, 2, 3 and a prompt on the screen", mark, |bytes| {
        let rows = texts(&judge(ROWS, COLS, bytes));
        let found = rows.iter().position(|r| r == "tick 1").is_some_and(|i| {
            rows[i + 1..].starts_with(&["tick 2".into(), "tick 3".into(), prompt.clone()])
        });
        if found { Ok(()) } else { Err(dump(&rows)) }
    });
    disconnect(&world, &mut fresh, &id, done);
}

#[test]
fn the_scroll_region_is_restored() {
    let world = World::new();
    let mut paint = String::from("\x1b[H\x1b[2J");
    for i in 1..=12 {
        paint.push_str(&format!("row {i}\r\n"));
    }
    paint.push_str("\x1b[5;10r\x1b[10;1H");
    let mut reference = judge(ROWS, COLS, paint.as_bytes());
    let want = view(&reference);
    let mut term = world.term();
    let mark = term.mark();
    let (id, done) = start_painting(&world, &mut term, &paint);
    term.wait_bytes("the rows, live", mark, shows(&want, ROWS, COLS));
    disconnect(&world, &mut term, &id, done);

    let mut fresh = world.term();
    let (mark, done) = reconnect(&mut fresh, &id);
    let mut got = fresh.wait_bytes("the rows, restored", mark, shows(&want, ROWS, COLS));
    // A line feed at the region's bottom scrolls rows 5 to 10 only.
    let probe = b"\nscrolled";
    reference.process(probe);
    got.process(probe);
    assert_same(&view(&reference), &view(&got), "a line feed at the bottom of the scroll region");
    disconnect(&world, &mut fresh, &id, done);
}

/// The same output in any split.
mod chunks;
/// Random bytes, truncated escapes, huge parameters, query floods.
mod hostile;
/// Input modes, attributes the judge cannot see, the margin, the title.
mod modes;
/// less, vi and a program that does not repaint, at other sizes.
mod programs;
/// Sessions that write prepared output in steps; the reconnect round trip.
mod steps;
