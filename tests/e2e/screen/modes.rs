//! The parts of the screen beyond text and colours: input modes (each
//! mouse protocol, cursor keys and keypad apart), modes and attributes the
//! judge cannot see (checked in the bytes the new terminal received),
//! wide characters at the right margin, a pending wrap, the title.

use super::steps::{Restored, go, round_trip, start_steps, whole};
use super::{COLS, ROWS, assert_same, judge, reconnect, shows, view};
use crate::harness::World;

/// Steps of input modes: each sets some and resets the previous ones.
const MODE_STEPS: [&str; 3] = [
    "\x1b[H\x1b[2Jstep 1: cursor keys, click mouse, bracketed paste\
     \x1b[?1h\x1b[?1000h\x1b[?2004h",
    "\r\nstep 2: keypad, any-motion mouse in UTF-8, hidden cursor\
     \x1b[?1l\x1b=\x1b[?1000l\x1b[?1003h\x1b[?1005h\x1b[?2004l\x1b[?25l",
    "\r\nstep 3: click mouse in SGR, visible cursor, all else off\
     \x1b>\x1b[?1003l\x1b[?1005l\x1b[?1000h\x1b[?1006h\x1b[?25h",
];

#[test]
fn each_input_mode_and_mouse_protocol_is_restored_as_the_program_last_set_it() {
    let world = World::new();
    let steps: Vec<_> = MODE_STEPS.iter().map(whole).collect();
    let mut term = world.term();
    let (id, mut done) = start_steps(&world, &mut term, &steps);
    let mut mark = term.mark();
    let mut written = String::new();
    for (k, step) in MODE_STEPS.iter().enumerate() {
        go(&world, k + 1);
        written.push_str(step);
        let want = judge(ROWS, COLS, written.as_bytes());
        term.wait_bytes(&format!("step {}, live", k + 1), mark, shows(&view(&want), ROWS, COLS));
        let mut fresh = world.term();
        let restored = round_trip(&world, &mut term, done, &mut fresh, &id, &view(&want));
        // The new terminal is now the live one.
        (term, done, mark) = (fresh, restored.done, restored.mark);
    }
    super::disconnect(&world, &mut term, &id, done);
}

#[test]
fn a_terminal_left_in_other_modes_is_set_to_the_sessions() {
    let world = World::new();
    let paint = "\x1b[H\x1b[2Jplain screen, default modes";
    let want = judge(ROWS, COLS, paint.as_bytes());
    let mut term = world.term();
    let (id, done) = start_steps(&world, &mut term, &[whole(paint)]);
    let mark = term.mark();
    go(&world, 1);
    term.wait_bytes("the screen, live", mark, shows(&view(&want), ROWS, COLS));
    super::disconnect(&world, &mut term, &id, done);

    // The new terminal was left by an earlier program in the alternate
    // screen with every input mode on and the cursor hidden.
    let mut fresh = world.term();
    let mark = fresh.mark();
    fresh.line(
        "printf '\\033[?1049h\\033[?1h\\033=\\033[?2004h\\033[?1002h\\033[?1006h\\033[?25l'; \
         echo dirty",
    );
    fresh.expect_line("dirty");
    let (_, done) = reconnect(&mut fresh, &id);
    fresh.wait_bytes("the session's screen and modes", mark, shows(&view(&want), ROWS, COLS));
    super::disconnect(&world, &mut fresh, &id, done);
}

/// The SGR state the tests follow beyond the judge: attributes by number
/// and the underline's style and colour.
#[derive(Clone, Debug, Default, PartialEq)]
struct Pen {
    attrs: Vec<u16>,
    underline: u16,
    underline_colour: Option<String>,
}

impl Pen {
    /// Applies the parameters of one `CSI ... m`.
    fn apply(&mut self, params: &str) {
        let mut params = params.split(';').map(|p| p.split(':').collect::<Vec<_>>());
        while let Some(p) = params.next() {
            let n: u16 = p[0].parse().unwrap_or(0);
            let colour = |p: &[&str], params: &mut dyn Iterator<Item = Vec<&str>>| {
                // Colon form: 5:i, 2::r:g:b or 2:r:g:b; else the next params.
                let sub: Vec<String> = if p.len() > 1 {
                    p[1..].iter().filter(|s| !s.is_empty()).map(|s| s.to_string()).collect()
                } else {
                    let kind = params.next().map(|p| p[0].to_owned()).unwrap_or_default();
                    let n = if kind == "5" { 1 } else { 3 };
                    let mut sub = vec![kind];
                    sub.extend(params.take(n).map(|p| p[0].to_owned()));
                    sub
                };
                sub.join(":")
            };
            match n {
                0 => *self = Pen::default(),
                4 => self.underline = p.get(1).map_or(1, |s| s.parse().unwrap_or(1)),
                24 => self.underline = 0,
                1..=9 if !self.attrs.contains(&n) => {
                    self.attrs.push(n);
                    self.attrs.sort();
                }
                22 => self.attrs.retain(|&a| a != 1 && a != 2),
                23 | 25 | 27..=29 => self.attrs.retain(|&a| a != n - 20),
                38 | 48 => {
                    colour(&p, &mut params);
                }
                58 => self.underline_colour = Some(colour(&p, &mut params)),
                59 => self.underline_colour = None,
                _ => {}
            }
        }
    }
}

/// The pen `bytes` set, by their SGR sequences, where `text` first shows.
fn pen_at(bytes: &[u8], text: &str) -> Option<Pen> {
    let mut pen = Pen::default();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(text.as_bytes()) {
            return Some(pen);
        }
        if bytes[i..].starts_with(b"\x1b[") {
            let len = bytes[i + 2..].iter().position(|b| (0x40..=0x7e).contains(b))?;
            if bytes[i + 2 + len] == b'm' {
                pen.apply(&String::from_utf8_lossy(&bytes[i + 2..i + 2 + len]));
            }
            i += 3 + len;
        } else {
            i += 1;
        }
    }
    None
}

/// Words in underline styles and colours and attributes the judge does not
/// hold (strike-through, hidden).
const UNDERLINES: &[(&str, &str)] = &[
    ("4", "w-single"),
    ("4:2", "w-double"),
    ("4:3", "w-curly"),
    ("4:4", "w-dotted"),
    ("4:5", "w-dashed"),
    ("4;58:2::255:0:0", "w-red-line"),
    ("4:3;58:5:196", "w-curly-indexed"),
    ("9", "w-struck"),
    ("8", "w-hidden"),
    ("1;3;9;4:4;58:5:46", "w-together"),
];

#[test]
fn underline_styles_and_colours_and_strike_through_reach_the_new_terminal() {
    let world = World::new();
    let mut paint = String::from("\x1b[H\x1b[2J");
    for (sgr, word) in UNDERLINES {
        paint.push_str(&format!("\x1b[{sgr}m{word}\x1b[0m \r\n"));
    }
    let want = judge(ROWS, COLS, paint.as_bytes());
    let mut term = world.term();
    let (id, done) = start_steps(&world, &mut term, &[whole(&paint)]);
    let mark = term.mark();
    go(&world, 1);
    let live = term.wait_bytes("the words, live", mark, |bytes| {
        shows(&view(&want), ROWS, COLS)(bytes).map(|_| bytes.to_vec())
    });
    let mut fresh = world.term();
    let Restored { bytes, done, .. } =
        round_trip(&world, &mut term, done, &mut fresh, &id, &view(&want));
    for (sgr, word) in UNDERLINES {
        let expected = pen_at(&live, word).expect("the word, live");
        assert!(
            expected != Pen::default(),
            "the test's reading of SGR {sgr} for {word}: {expected:?}"
        );
        assert_eq!(
            pen_at(&bytes, word),
            Some(expected),
            "the pen of {word} (SGR {sgr}) as the new terminal's bytes set it"
        );
    }
    super::disconnect(&world, &mut fresh, &id, done);
}

/// Modes the judge does not follow: (name, set, reset).
const HIDDEN_MODES: &[(&str, &str, &str)] = &[
    ("autowrap off", "\x1b[?7l", "\x1b[?7h"),
    ("insert mode", "\x1b[4h", "\x1b[4l"),
    ("focus reports", "\x1b[?1004h", "\x1b[?1004l"),
];

#[test]
fn autowrap_insert_mode_and_focus_reports_reach_the_new_terminal() {
    let world = World::new();
    let mut paint = String::from("\x1b[H\x1b[2Jmodes the judge cannot see");
    for (_, set, _) in HIDDEN_MODES {
        paint.push_str(set);
    }
    paint.push_str("\x1b]2;hidden modes\x07");
    let want = judge(ROWS, COLS, paint.as_bytes());
    let mut term = world.term();
    let (id, done) = start_steps(&world, &mut term, &[whole(&paint)]);
    let mark = term.mark();
    go(&world, 1);
    term.wait_bytes("the screen, live", mark, shows(&view(&want), ROWS, COLS));
    let mut fresh = world.term();
    let Restored { bytes, done, .. } =
        round_trip(&world, &mut term, done, &mut fresh, &id, &view(&want));
    let find = |needle: &str| bytes.windows(needle.len()).rposition(|w| w == needle.as_bytes());
    for (name, set, reset) in HIDDEN_MODES {
        let (set_at, reset_at) = (find(set), find(reset));
        assert!(
            set_at.is_some() && set_at > reset_at,
            "{name}: the new terminal's bytes end with {set:?} set (last set at {set_at:?}, \
             last reset at {reset_at:?})"
        );
    }
    super::disconnect(&world, &mut fresh, &id, done);
}

#[test]
fn wide_characters_at_the_right_margin_and_a_pending_wrap_are_restored() {
    let world = World::new();
    let cols = usize::from(COLS);
    let mut paint = String::from("\x1b[H\x1b[2J");
    // A wide character that does not fit in the last column wraps whole.
    paint.push_str(&"a".repeat(cols - 1));
    paint.push_str("\u{4e2d}\u{301} after the wrap\r\n");
    // An emoji and a combining mark on a wide character, then a row filled
    // to the margin by a wide character: the cursor waits to wrap.
    paint.push_str("emoji \u{1f600}\u{1f680} mark \u{6587}\u{302}\r\n");
    paint.push_str(&"b".repeat(cols - 2));
    paint.push('\u{5b57}');
    let mut reference = judge(ROWS, COLS, paint.as_bytes());
    let want = view(&reference);
    assert!(want.cells[1][0].wide, "the reference judge wraps the wide character");
    let mut term = world.term();
    let (id, done) = start_steps(&world, &mut term, &[whole(&paint)]);
    let mark = term.mark();
    go(&world, 1);
    term.wait_bytes("the rows, live", mark, shows(&want, ROWS, COLS));
    let mut fresh = world.term();
    // The judge does not mark a row a wide character wrapped out of as
    // soft-wrapped (xterm and alacritty do); the repaint writes that row to
    // the margin, which it marks.
    let mut restored = want.clone();
    restored.wrapped[0] = true;
    let Restored { judge: mut got, done, .. } =
        round_trip(&world, &mut term, done, &mut fresh, &id, &restored);
    // The next character goes to the start of the next row.
    let probe = b"Z";
    reference.process(probe);
    got.process(probe);
    let mut want = view(&reference);
    want.wrapped[0] = true;
    assert_same(&want, &view(&got), "the pending wrap, shown by printing Z");
    super::disconnect(&world, &mut fresh, &id, done);
}

#[test]
fn a_title_set_by_osc_0_with_st_and_utf8_text_is_restored() {
    let world = World::new();
    let title = "sess \u{2014} \u{4e2d}\u{6587} \u{2713}";
    let paint = format!("\x1b[H\x1b[2Jtitled\x1b]0;{title}\x1b\\");
    let reference = judge(ROWS, COLS, paint.as_bytes());
    let want = view(&reference);
    assert_eq!(want.title.as_deref(), Some(title), "the reference judge reads the title");
    let mut term = world.term();
    let (id, done) = start_steps(&world, &mut term, &[whole(&paint)]);
    let mark = term.mark();
    go(&world, 1);
    term.wait_bytes("the title, live", mark, shows(&want, ROWS, COLS));
    let mut fresh = world.term();
    let Restored { done, .. } = round_trip(&world, &mut term, done, &mut fresh, &id, &want);
    super::disconnect(&world, &mut fresh, &id, done);
}

#[test]
fn a_disconnect_hands_back_the_terminal_on_its_primary_screen_with_default_modes() {
    let world = World::new();
    let paint = "\x1b[H\x1b[2Jprimary\x1b[?1049h\x1b[Halternate\
                 \x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?25l";
    let mut term = world.term();
    let (id, done) = start_steps(&world, &mut term, &[whole(paint)]);
    let mark = term.mark();
    go(&world, 1);
    let live = judge(ROWS, COLS, paint.as_bytes());
    term.wait_bytes("the alternate screen, live", mark, shows(&view(&live), ROWS, COLS));
    super::disconnect(&world, &mut term, &id, done);
    let v = view(&judge(ROWS, COLS, &term.text().into_bytes()[mark..]));
    let modes = (v.alternate, v.cursor_hidden, v.app_cursor, v.app_keypad, v.bracketed_paste);
    assert_eq!(
        (modes, v.mouse),
        ((false, false, false, false, false), Default::default()),
        "the terminal after the disconnect (alternate screen, hidden cursor, cursor keys, \
         keypad, bracketed paste; mouse):\n{}",
        super::dump(&v.rows)
    );
}

/// Output cut at the reconnect, in the middle of: an SGR, a UTF-8
/// character, a title.
const CUT: [(&[u8], &[u8]); 3] = [
    (b"\x1b[H\x1b[2Jbefore \x1b[3", b"1mred\x1b[0m after"),
    (b"\x1b[H\x1b[2Jwide \xe4\xb8", b"\xad after"),
    (b"\x1b[H\x1b[2Jtitled\x1b]2;half", b" and half\x07 after"),
];

#[test]
fn output_cut_mid_sequence_at_the_reconnect_continues_on_the_new_terminal() {
    for (first, second) in CUT {
        let world = World::new();
        let mut term = world.term();
        let (id, done) = start_steps(&world, &mut term, &[whole(first), whole(second)]);
        go(&world, 1);
        super::steps::written(&world, 1);
        let mut fresh = world.term();
        let before = view(&judge(ROWS, COLS, first));
        let restored = round_trip(&world, &mut term, done, &mut fresh, &id, &before);
        go(&world, 2);
        let want = view(&judge(ROWS, COLS, &[first, second].concat()));
        let what = format!("the rest of {:?}", String::from_utf8_lossy(first));
        fresh.wait_bytes(&what, restored.mark, |bytes| {
            let got = view(&judge(ROWS, COLS, bytes));
            if got == want { Ok(()) } else { Err(super::diff(&want, &got)) }
        });
        super::disconnect(&world, &mut fresh, &id, restored.done);
    }
}
