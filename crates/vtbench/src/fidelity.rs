//! Restore fidelity by round trip, and the chunk-split property.

use crate::emu::{KINDS, Kind};
use std::fmt::Write as _;

pub const COLS: usize = 80;
pub const ROWS: usize = 24;
pub const HISTORY: usize = 500;

/// A feature test: what the program wrote, then a probe written after the
/// reconnect that exposes hidden state (the pen, the saved cursor, the
/// primary screen under the alternate one, the scroll region, autowrap).
pub struct Case {
    pub name: &'static str,
    pub setup: String,
    pub probe: String,
}

fn case(name: &'static str, setup: impl Into<String>, probe: impl Into<String>) -> Case {
    Case { name, setup: setup.into(), probe: probe.into() }
}

pub fn cases() -> Vec<Case> {
    let rows: String = (1..=ROWS).map(|r| format!("\x1b[{r};1Hrow {r}")).collect();
    let long: String = (0..200).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let history: String =
        (0..600).map(|n| format!("\x1b[3{}mline {n}\x1b[0m\r\n", n % 8)).collect();
    vec![
        case(
            "colours 16/256/rgb + bold dim italic ul inverse strike blink, pen",
            "plain \x1b[1mbold\x1b[0m \x1b[2mdim\x1b[0m \x1b[3mitalic\x1b[0m \x1b[4munder\x1b[0m \
             \x1b[7minv\x1b[0m \x1b[9mstrike\x1b[0m \x1b[5mblink\x1b[0m\r\n\x1b[31mred\x1b[42mongreen\
             \x1b[0m \x1b[91mbright\x1b[0m \x1b[38;5;208m208\x1b[48;5;17m/17\x1b[0m \
             \x1b[38;2;255;128;0mrgb\x1b[48;2;0;64;128mbg\x1b[0m\r\n\x1b[1;3;38;5;200mpen stays",
            " tail",
        ),
        case(
            "underline styles and underline colour (4:x, 58)",
            "\x1b[4:3mcurly\x1b[0m \x1b[4:2mdouble\x1b[0m \x1b[4:4mdotted\x1b[0m \
             \x1b[4;58:2::255:0:0mred-ul\x1b[0m \x1b[4;58:5:33mul33\x1b[0m",
            "",
        ),
        case(
            "alternate screen, primary under it",
            "primary 1\r\nprimary \x1b[32mgreen\x1b[0m 2\r\n\x1b[?1049h\x1b[H\x1b[2Jalt screen\r\n\x1b[44m full \x1b[0m",
            "\x1b[?1049lback",
        ),
        case("scroll region (DECSTBM)", format!("{rows}\x1b[5;10r\x1b[10;1H"), "\nA\nB\nC"),
        case("hidden cursor", "text\x1b[?25l", ""),
        case("application cursor keys (DECCKM)", "\x1b[?1h", ""),
        case("application keypad (DECKPAM)", "\x1b=", ""),
        case("bracketed paste", "\x1b[?2004h", ""),
        case("mouse modes (1002 + 1006)", "\x1b[?1002h\x1b[?1006h", ""),
        case("title OSC 0 (BEL)", "\x1b]0;title zero\x07", ""),
        case("title OSC 2 (ST)", "\x1b]2;vim \u{2014} file.rs\x1b\\", ""),
        case(
            "wide + combining characters",
            "漢字テスト😀|e\u{301}|a\u{308}\u{323}|👍🏽|\x1b[3;80H漢",
            "x",
        ),
        case("soft-wrapped long line", long, ""),
        case(
            "saved cursor (DECSC) + its pen",
            "\x1b[5;10H\x1b[31m\x1b7\x1b[1;1H\x1b[0mhome",
            "\x1b8X",
        ),
        case("autowrap off (DECAWM)", "\x1b[?7l", "x".repeat(100)),
        case("cursor in pending-wrap state", format!("\x1b[3;1H{}", "w".repeat(80)), "Z"),
        case("scrollback: last 500 lines, coloured", history, ""),
    ]
}

/// The outcome of one comparison: `None` when equal.
type Outcome = Option<String>;

/// Emulator `judge` fed (setup, probe) against the same emulator fed
/// (repaint, probe): equal before and after the probe.
fn judge(j: Kind, c: &Case, repaint: &str) -> Outcome {
    let mut orig = j.make(COLS, ROWS, HISTORY);
    let mut rest = j.make(COLS, ROWS, HISTORY);
    orig.feed(c.setup.as_bytes());
    rest.feed(repaint.as_bytes());
    if let Some(d) = orig.snap(HISTORY).diff(&rest.snap(HISTORY)) {
        return Some(d);
    }
    orig.feed(c.probe.as_bytes());
    rest.feed(c.probe.as_bytes());
    orig.snap(HISTORY).diff(&rest.snap(HISTORY)).map(|d| format!("after probe: {d}"))
}

fn mark(o: &Outcome) -> &'static str {
    if o.is_some() { "✗" } else { "✓" }
}

/// Prints the matrix: for each crate under test, "self" (a fresh emulator
/// of the same crate fed the repaint) and each other crate as a judge.
pub fn matrix() -> String {
    let cases = cases();
    let mut out = String::new();
    let mut notes = String::new();
    let _ = writeln!(
        out,
        "Each cell: self-round-trip / judged by the other two crates (order: vt100, avt, alacritty_terminal minus the one under test).\n"
    );
    let _ = write!(out, "| feature |");
    for k in KINDS {
        let _ = write!(out, " {} |", k.name());
    }
    let _ = writeln!(out, "\n|---|---|---|---|");
    for c in &cases {
        let _ = write!(out, "| {} |", c.name);
        for k in KINDS {
            let mut a = k.make(COLS, ROWS, HISTORY);
            a.feed(c.setup.as_bytes());
            let rep = a.repaint(HISTORY);
            let mut marks = vec![mark(&{
                let o = judge(k, c, &rep);
                if let Some(d) = &o {
                    let _ = writeln!(notes, "- {} / {} / self: {d}", c.name, k.name());
                }
                o
            })];
            for j in KINDS.into_iter().filter(|j| *j != k) {
                let o = judge(j, c, &rep);
                if let Some(d) = &o {
                    let _ = writeln!(
                        notes,
                        "- {} / {} / judged by {}: {d}",
                        c.name,
                        k.name(),
                        j.name()
                    );
                }
                marks.push(mark(&o));
            }
            let _ = write!(out, " {} / {} {} |", marks[0], marks[1], marks[2]);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\nFirst difference of each failure:\n\n{notes}");
    out
}

/// The same output fed in two pieces, split at every byte, gives the same
/// state as fed whole. Returns the number of failing split points.
pub fn chunk_split(k: Kind) -> (usize, usize) {
    let mut input = String::new();
    for c in cases() {
        if !c.name.starts_with("scrollback") {
            input.push_str(&c.setup);
            input.push_str(&c.probe);
        }
    }
    input.push_str("\x1b[?1049l\x1b[r\x1b[38:2::1:2:3mcolon\x1b[0m\x1bP+q544e\x1b\\done\r\n");
    let bytes = input.as_bytes();
    let mut whole = k.make(COLS, ROWS, HISTORY);
    whole.feed(bytes);
    let want = whole.snap(HISTORY);
    let mut bad = 0;
    for i in 0..=bytes.len() {
        let mut e = k.make(COLS, ROWS, HISTORY);
        e.feed(&bytes[..i]);
        e.feed(&bytes[i..]);
        if e.snap(HISTORY) != want {
            if std::env::var_os("VTBENCH_DEBUG").is_some() {
                let at =
                    String::from_utf8_lossy(&bytes[i.saturating_sub(8)..(i + 8).min(bytes.len())])
                        .into_owned();
                let got = e.snap(HISTORY);
                let text = |s: &crate::model::Snap| -> Vec<String> {
                    s.rows
                        .iter()
                        .map(|r| r.cells.iter().map(|c| c.text.as_str()).collect())
                        .collect()
                };
                let (w, g) = (text(&want), text(&got));
                let row = w.iter().zip(&g).position(|(a, b)| a != b).unwrap_or(0);
                eprintln!(
                    "{}: split {i} ({at:?}): whole {:?} split {:?} bytes {:02x?}",
                    k.name(),
                    w[row],
                    g[row],
                    &bytes[i.saturating_sub(5)..(i + 5).min(bytes.len())]
                );
            }
            bad += 1;
        }
    }
    (bad, bytes.len() + 1)
}
