//! The chunk-boundary property end to end (issue 3 point 5): the same
//! output written by a program in different splits — cut inside escape
//! sequences and UTF-8 characters, in small and large pieces, each piece a
//! separate write — gives the same restored screen (and scrollback).

use super::steps::{go, round_trip, start_steps};
use super::{
    COLS, Judge, Look, PROBE, ROWS, TITLE, assert_same, dump, judge, look, painting, scrollback,
    view,
};
use crate::harness::{Term, World};

/// A way to cut output into pieces.
type Split = fn(&[u8]) -> Vec<Vec<u8>>;

/// `bytes` cut into pieces of `n` bytes.
fn every(bytes: &[u8], n: usize) -> Vec<Vec<u8>> {
    bytes.chunks(n).map(<[u8]>::to_vec).collect()
}

/// `bytes` cut after every byte `cut` accepts (given the byte before).
fn after(bytes: &[u8], cut: impl Fn(u8, u8) -> bool) -> Vec<Vec<u8>> {
    let mut pieces = vec![Vec::new()];
    for (i, &b) in bytes.iter().enumerate() {
        pieces.last_mut().expect("a piece").push(b);
        let before = if i > 0 { bytes[i - 1] } else { 0 };
        if cut(before, b) && i + 1 < bytes.len() {
            pieces.push(Vec::new());
        }
    }
    pieces
}

/// `bytes` cut after the ESC of every escape sequence.
fn inside_escapes(bytes: &[u8]) -> Vec<Vec<u8>> {
    after(bytes, |_, b| b == 0x1b)
}

/// `bytes` cut after the first byte of every multi-byte UTF-8 character
/// that follows a `[`.
fn inside_characters(bytes: &[u8]) -> Vec<Vec<u8>> {
    after(bytes, |before, b| before == b'[' && b >= 0xc0)
}

/// Waits until `term` has shown, since `mark`, the bytes `end` (the
/// title that ends a step): cheap on a large output.
#[track_caller]
fn wait_end(term: &Term, what: &str, mark: usize, end: &[u8]) {
    term.wait_bytes(what, mark, |bytes| {
        if bytes.windows(end.len()).any(|w| w == end) {
            Ok(())
        } else {
            Err(format!("{} bytes, without {:?}", bytes.len(), String::from_utf8_lossy(end)))
        }
    });
}

/// The same output written in each of `splits`, step after step: after
/// each, a reconnect on a new terminal shows the screen (and, if
/// `history`, that many last rows of scrollback) a judge fed all the output
/// shows; `probe`
/// is then written to both. `output(k)` is step k's output, ending with the
/// title `end(k)`.
fn same_in_every_split(
    output: impl Fn(usize) -> String,
    end: impl Fn(usize) -> String,
    splits: &[Split],
    history: Option<usize>,
    probe: &[u8],
) {
    let world = World::new();
    let outputs: Vec<String> = (1..=splits.len()).map(&output).collect();
    let steps: Vec<_> = outputs.iter().zip(splits).map(|(o, split)| split(o.as_bytes())).collect();
    let mut term = world.term();
    let (id, mut done) = start_steps(&world, &mut term, &steps);
    let mut mark = term.mark();
    let mut all = Vec::new();
    for (k, out) in outputs.iter().enumerate() {
        go(&world, k + 1);
        all.extend_from_slice(out.as_bytes());
        let ending = format!("\x1b]2;{}\x07", end(k + 1));
        wait_end(&term, &format!("split {} written, live", k + 1), mark, ending.as_bytes());
        let mut reference = judge(ROWS, COLS, &all);
        let mut fresh = world.term();
        let restored = round_trip(&world, &mut term, done, &mut fresh, &id, &view(&reference));
        let mut got = restored.judge;
        let (want, got_rows) = (scrollback(&mut reference), scrollback(&mut got));
        let want = &want[want.len().saturating_sub(history.unwrap_or(0))..];
        assert!(
            history.is_none() || got_rows == want,
            "split {}: the new terminal's scrollback\n---- expected ----\n{}---- got ----\n{}",
            k + 1,
            dump(want),
            dump(&got_rows)
        );
        if let Some(n) = history {
            let (want, got) = (scrollback_looks(&mut reference), scrollback_looks(&mut got));
            let want = &want[want.len().saturating_sub(n)..];
            let first = want.iter().zip(&got).position(|(w, g)| w != g);
            assert!(
                first.is_none() && want.len() == got.len(),
                "split {}: the colours and attributes of the scrollback, first differing \
                 row {first:?}",
                k + 1
            );
        }
        reference.process(probe);
        got.process(probe);
        assert_same(&view(&reference), &view(&got), &format!("split {}, then the probe", k + 1));
        (term, done, mark) = (fresh, restored.done, restored.mark);
    }
    super::disconnect(&world, &mut term, &id, done);
}

/// The cells of each scrollback row, oldest first.
fn scrollback_looks(judge: &mut Judge) -> Vec<Vec<Look>> {
    judge.screen_mut().set_scrollback(usize::MAX);
    let len = judge.screen().scrollback();
    let cols = judge.screen().size().1.get();
    let rows = (1..=len)
        .rev()
        .map(|offset| {
            judge.screen_mut().set_scrollback(offset);
            let screen = judge.screen();
            (0..cols).map(|c| look(screen.cell(0, c).expect("a cell of the top row"))).collect()
        })
        .collect();
    judge.screen_mut().set_scrollback(0);
    rows
}

/// The screen test's painting with a title of its own for step `k`.
fn painting_step(k: usize) -> String {
    format!("\x1b[0m{}", painting().replace(TITLE, &title_step(k)))
}

fn title_step(k: usize) -> String {
    format!("split painting {k}")
}

#[test]
fn a_painting_written_in_any_split_restores_the_same_screen() {
    let splits: [Split; 4] = [
        |b| vec![b.to_vec()],
        inside_escapes,
        |b| every(b, 7),
        |b| every(b, 1).into_iter().take(64).chain([b[64..].to_vec()]).collect(),
    ];
    // Not the scrollback: ED 2 puts the screen in the model's scrollback
    // (as VTE does), not in the judge's (as xterm).
    same_in_every_split(painting_step, title_step, &splits, None, PROBE);
}

#[test]
fn characters_cut_between_writes_restore_the_same_screen() {
    let splits: [Split; 2] = [|b| vec![b.to_vec()], inside_characters];
    same_in_every_split(characters, characters_title, &splits, None, b"probe");
}

/// Lines of a multi-byte character, a letter, the character again and a
/// sequence that makes the model parse at once (bracketed paste on): cut
/// inside the first character, the rest of the line arrives with that
/// sequence, and the parser is handed the rest of a character followed by
/// another one.
fn characters(k: usize) -> String {
    let mut s = String::from("\x1b[H\x1b[2J");
    for c in ["\u{e9}", "\u{301}", "\u{4e2d}", "\u{2500}", "\u{1f600}"] {
        s.push_str(&format!("[{c}o{c}\x1b[?2004h]\r\n"));
    }
    s.push_str(&format!("\x1b]2;{}\x07", characters_title(k)));
    s
}

fn characters_title(k: usize) -> String {
    format!("characters {k}")
}

/// 2000 lines of mixed output: colours carried across lines (italics and
/// inverse set 800 lines before the end are still on at the end), wide and combining
/// characters, long lines that wrap, cursor motion within and across lines
/// (up only in the first 1000), erasing; then step `k`'s title.
fn bulk(k: usize) -> String {
    bulk_after("", k)
}

/// [`bulk`] after `start`.
fn bulk_after(start: &str, k: usize) -> String {
    let mut s = String::from(start);
    for i in 0..2000 {
        if i == 1200 {
            // Not a background: the judge (unlike xterm and the model) does
            // not fill the lines a scroll brings in with it.
            s.push_str("\x1b[3;7m");
        }
        s.push_str(&format!("\x1b[3{}m{i:05}\x1b[39m ", i % 8));
        match i % 7 {
            0 => s.push_str("wide \u{4e2d}\u{6587} e\u{301}"),
            1 => s.push_str(&"long ".repeat(30)),
            // (Erasing with italics and inverse on: the judge gives the
            // blanks all of the pen, xterm and the model its background.)
            2 if i < 1200 => s.push_str("abcdef\x1b[3Dxyz\x1b[K"),
            3 => s.push_str("\x1b[1mbold\x1b[22m \x1b[4munder\x1b[24m"),
            // Moving up bars the model from passing over the lines before:
            // only in the first half, so that it may pass over some.
            4 if i < 1000 => s.push_str("up\x1b[2A\x1b[2Bdown"),
            5 => s.push_str("\ttab\tstops"),
            _ => s.push_str("plain words on a line"),
        }
        s.push_str("\r\n");
    }
    s.push_str(&format!("bulk step {k} done\x1b]2;{}\x07", bulk_title(k)));
    s
}

fn bulk_title(k: usize) -> String {
    format!("bulk {k}")
}

#[test]
fn bulk_output_written_in_any_split_restores_the_same_screen_and_scrollback() {
    let splits: [Split; 3] = [|b| vec![b.to_vec()], |b| every(b, 4093), |b| every(b, 997)];
    // The default restore-lines: 500 rows of scrollback.
    same_in_every_split(bulk, bulk_title, &splits, Some(500), b"probe");
}

#[test]
fn bulk_output_in_a_scroll_region_written_in_any_split_restores_the_same_screen() {
    let splits: [Split; 2] = [|b| vec![b.to_vec()], |b| every(b, 4093)];
    // Rows scrolled out of a region that starts below the top do not go to
    // the scrollback.
    let output = |k| bulk_after("\x1b[0m\x1b[H\x1b[2Jtitle row\x1b[3;27r\x1b[27;1H", k);
    same_in_every_split(output, bulk_title, &splits, None, b"\nprobe");
}

#[test]
fn bulk_output_on_the_alternate_screen_written_in_any_split_restores_the_same_screen() {
    let splits: [Split; 2] = [|b| vec![b.to_vec()], |b| every(b, 4093)];
    let output = |k| bulk_after("\x1b[0m\x1b[?1049h\x1b[H\x1b[2J", k);
    same_in_every_split(output, bulk_title, &splits, None, b"\x1b[?1049lprobe");
}
