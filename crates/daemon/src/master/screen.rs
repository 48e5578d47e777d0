//! The session's screen: a VT emulator (alacritty_terminal) fed with every
//! byte of output, and the repaint that shows it on a terminal that
//! connects (SPEC §4): the last `restore-lines` lines of scrollback, so they
//! land in the outer terminal's own scrollback, then the screen — the
//! primary one and, if active, the alternate one over it — the saved and
//! current cursor with their pens, a pending wrap, the input modes, cursor
//! visibility and the window title.
//!
//! The scroll region, which alacritty_terminal keeps private, is noted on
//! the way in ([`super::track`]). Not restored (docs/VT-EMULATOR.md): origin
//! mode, charsets, tab stops, cursor shape, palette changes and hyperlinks.
//! A reconnect also sends the program SIGWINCH, and full-screen programs set
//! these again as they repaint.

use super::paint::{self, Cell, Col, Row, Style, attr};
use super::scan::Scan;
use super::track::{Region, Tracking};
use alacritty_terminal::Term;
use alacritty_terminal::event::{Event, EventListener};
use alacritty_terminal::grid::{Dimensions, Grid};
use alacritty_terminal::index::{Column, Line};
use alacritty_terminal::term::cell::{Cell as ACell, Flags};
use alacritty_terminal::term::{Config, TermMode};
use alacritty_terminal::vte::ansi::{self, Processor};
use sess_proto::WinSize;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What the emulator reports besides the grid.
#[derive(Default)]
struct Reported {
    title: Option<String>,
    /// Answers to the program's terminal queries (cursor position, ...).
    replies: Vec<u8>,
}

#[derive(Clone, Default)]
struct Listener(Rc<RefCell<Reported>>);

impl EventListener for Listener {
    fn send_event(&self, event: Event) {
        let mut reported = self.0.borrow_mut();
        match event {
            Event::Title(title) => reported.title = Some(title),
            Event::ResetTitle => reported.title = None,
            Event::PtyWrite(text) => reported.replies.extend_from_slice(text.as_bytes()),
            _ => {}
        }
    }
}

/// The emulator's size. At least 2 columns: alacritty_terminal loops
/// forever reflowing a wide character into a 1-column screen.
struct Size(WinSize);

impl Dimensions for Size {
    fn total_lines(&self) -> usize {
        self.screen_lines()
    }
    fn screen_lines(&self) -> usize {
        usize::from(self.0.rows.max(1))
    }
    fn columns(&self) -> usize {
        usize::from(self.0.cols.max(2))
    }
}

/// Modes restored when they differ from the default: (flag, set, reset).
const MODES: [(TermMode, &str, &str); 12] = [
    (TermMode::APP_CURSOR, "\x1b[?1h", "\x1b[?1l"),
    (TermMode::APP_KEYPAD, "\x1b=", "\x1b>"),
    (TermMode::BRACKETED_PASTE, "\x1b[?2004h", "\x1b[?2004l"),
    (TermMode::MOUSE_REPORT_CLICK, "\x1b[?1000h", "\x1b[?1000l"),
    (TermMode::MOUSE_DRAG, "\x1b[?1002h", "\x1b[?1002l"),
    (TermMode::MOUSE_MOTION, "\x1b[?1003h", "\x1b[?1003l"),
    (TermMode::SGR_MOUSE, "\x1b[?1006h", "\x1b[?1006l"),
    (TermMode::UTF8_MOUSE, "\x1b[?1005h", "\x1b[?1005l"),
    (TermMode::FOCUS_IN_OUT, "\x1b[?1004h", "\x1b[?1004l"),
    (TermMode::LINE_WRAP, "\x1b[?7h", "\x1b[?7l"),
    (TermMode::INSERT, "\x1b[4h", "\x1b[4l"),
    (TermMode::LINE_FEED_NEW_LINE, "\x1b[20h", "\x1b[20l"),
];

/// Drawing-only output waits, unparsed, up to this many bytes: enough lines
/// that most of a bulk of output can be passed over (see [`Screen::parse`]).
const BATCH: usize = 256 * 1024;

/// Drawing-only output waits at most this long before it is parsed.
const PARSE_DELAY: Duration = Duration::from_millis(50);

pub struct Screen {
    term: Term<Listener>,
    parser: Processor,
    reported: Listener,
    restore_lines: usize,
    region: Region,
    scan: Scan,
    /// Output that only draws, not parsed yet.
    pending: Vec<u8>,
    pending_since: Option<Instant>,
    batch: usize,
    /// Bytes passed over undrawn, for the tests.
    #[cfg(test)]
    passed_over: usize,
}

impl Screen {
    pub fn new(size: WinSize, restore_lines: usize) -> Screen {
        let reported = Listener::default();
        let config = Config { scrolling_history: restore_lines, ..Config::default() };
        let term = Term::new(config, &Size(size), reported.clone());
        Screen {
            term,
            parser: Processor::new(),
            reported,
            restore_lines,
            region: None,
            scan: Scan::default(),
            pending: Vec::new(),
            pending_since: None,
            batch: BATCH,
            #[cfg(test)]
            passed_over: 0,
        }
    }

    /// Feeds program output; any split of the stream gives the same screen.
    ///
    /// Output that changes lasting state (modes, title, queries, ...) is
    /// parsed at once, with everything before it. Output that only draws
    /// waits (up to [`BATCH`] bytes or [`PARSE_DELAY`]): everything that
    /// reads the screen parses it first, and a bulk of it is mostly passed
    /// over, as lines that scroll out of reach need no drawing.
    pub fn feed(&mut self, bytes: &[u8]) {
        let at_rest = self.scan.at_rest();
        let before = (self.scan.barrier_end, self.scan.line_feeds);
        let chunk = self.scan.chunk(bytes);
        if !chunk.stateful && chunk.dropped.is_empty() && (at_rest || !self.pending.is_empty()) {
            self.pending.extend_from_slice(bytes);
            self.pending_since.get_or_insert_with(Instant::now);
            if self.pending.len() >= self.batch {
                self.parse();
            }
            return;
        }
        self.parse_pending(before);
        let mut handler = Tracking { term: &mut self.term, region: &mut self.region };
        let mut from = 0;
        for cut in chunk.dropped.iter().chain([&(bytes.len()..bytes.len())]) {
            self.parser.advance(&mut handler, &bytes[from..cut.start]);
            from = cut.end;
        }
        self.scan.mark();
    }

    /// When the waiting output must be parsed, if any waits.
    pub fn parse_due(&self) -> Option<Instant> {
        self.pending_since.map(|since| since + PARSE_DELAY)
    }

    /// Parses the output that waits.
    pub fn parse(&mut self) {
        self.parse_pending((self.scan.barrier_end, self.scan.line_feeds));
        self.scan.mark();
    }

    /// Parses `pending`, given the scan's last barrier and the CR LFs after
    /// it. Without a scroll region, a stretch of drawing with enough line
    /// feeds after it scrolls everything it drew out of the screen and the
    /// kept scrollback: only the pen it leaves matters, so only its colour
    /// changes are parsed, then the rest from the start of a line.
    fn parse_pending(&mut self, (barrier_end, line_feeds): (usize, usize)) {
        self.pending_since = None;
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        // From any row, 2 × rows line feeds push every row out of the
        // screen; the scrollback holds `restore_lines` more.
        let keep = 2 * self.term.screen_lines() + self.restore_lines + 1;
        let from = (self.region.is_none() && line_feeds > keep)
            .then(|| memchr::memrchr_iter(b'\n', &pending[barrier_end..]).nth(keep))
            .flatten()
            .map(|lf| barrier_end + lf + 1);
        let mut handler = Tracking { term: &mut self.term, region: &mut self.region };
        match from {
            Some(from) => {
                #[cfg(test)]
                {
                    self.passed_over += from;
                }
                for sgr in pen_changes(&pending[..from]).iter().rev() {
                    self.parser.advance(&mut handler, sgr);
                }
                self.parser.advance(&mut handler, b"\r");
                self.parser.advance(&mut handler, &pending[from..]);
            }
            None => self.parser.advance(&mut handler, &pending),
        }
        // The buffer serves the next bulk ([`Screen::parse_idle`] frees it).
        self.pending = pending;
        self.pending.clear();
    }

    /// Parses what waits and lets go of the buffer it waited in.
    pub fn parse_idle(&mut self) {
        self.parse();
        self.pending = Vec::new();
    }

    /// Takes the emulator's answers to terminal queries.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.reported.0.borrow_mut().replies)
    }

    pub fn resize(&mut self, size: WinSize) {
        self.parse();
        let size = Size(size);
        // The emulator resets the scroll region when the size changes.
        if (size.columns(), size.screen_lines()) != (self.term.columns(), self.term.screen_lines())
        {
            self.region = None;
        }
        self.term.resize(size);
    }

    /// The bytes that make a terminal of the screen's size show the
    /// scrollback tail and then exactly this screen.
    pub fn repaint(&mut self) -> Vec<u8> {
        self.parse();
        let mut out = String::from("\x1b[?1049l\x1b[r\x1b[0m");
        let rows = self.term.screen_lines();
        let cols = self.term.columns();
        let alt = self.term.mode().contains(TermMode::ALT_SCREEN);
        let restore_lines = self.restore_lines;
        let (history, primary, primary_cursor) = self.with_primary(|g| {
            let cursor = (g.cursor.point.line.0.max(0) as usize, g.cursor.point.column.0);
            (history(g, restore_lines), screen(g), cursor)
        });
        paint::write_history(&mut out, &history, rows);
        // ED 0 from home, not ED 2: some terminals push the screen into
        // their scrollback on ED 2.
        out.push_str("\x1b[H\x1b[J");
        paint_rows(&mut out, &primary, primary_cursor);
        if alt {
            // 1049 saves the primary's cursor as it switches.
            cup(&mut out, primary_cursor.0, primary_cursor.1);
            out.push_str("\x1b[?1049h\x1b[H\x1b[J");
            let grid = self.term.grid();
            let cursor = (grid.cursor.point.line.0.max(0) as usize, grid.cursor.point.column.0);
            paint_rows(&mut out, &screen(grid), cursor);
        }
        if let Some((top, bottom)) = self.region {
            let _ = write!(out, "\x1b[{};{}r", top + 1, bottom);
        }
        let grid = self.term.grid();
        let saved = &grid.saved_cursor;
        cup(&mut out, saved.point.line.0.max(0) as usize, saved.point.column.0);
        paint::sgr(&mut out, &Style::default(), &style(&saved.template));
        out.push_str("\x1b7\x1b[0m");
        let cursor = &grid.cursor;
        let (row, col) = (cursor.point.line.0.max(0) as usize, cursor.point.column.0);
        if cursor.input_needs_wrap {
            // A pending wrap is recreated by printing the last cell again.
            let line = row_of(grid, cursor.point.line);
            let last =
                if line.cells[cols - 1].width == 0 && cols > 1 { cols - 2 } else { cols - 1 };
            cup(&mut out, row, last);
            let cell = &line.cells[last];
            paint::sgr(&mut out, &Style::default(), &cell.style);
            out.push_str(if cell.text.is_empty() { " " } else { &cell.text });
            paint::sgr(&mut out, &cell.style, &Style::default());
        } else {
            cup(&mut out, row, col);
        }
        paint::sgr(&mut out, &Style::default(), &style(&cursor.template));
        let mode = *self.term.mode();
        let default = TermMode::default();
        for (flag, set, reset) in MODES {
            if mode.contains(flag) != default.contains(flag) {
                out.push_str(if mode.contains(flag) { set } else { reset });
            }
        }
        if !mode.contains(TermMode::SHOW_CURSOR) {
            out.push_str("\x1b[?25l");
        }
        if let Some(title) = &self.reported.0.borrow().title {
            let _ = write!(out, "\x1b]2;{}\x07", title.replace(['\x07', '\x1b'], ""));
        }
        out.into_bytes()
    }

    /// The scrollback tail and the primary screen as plain lines with their
    /// colours, no modes and no cursor: what a relaunched session shows of
    /// its past above the restore marker.
    pub fn checkpoint(&mut self) -> String {
        self.parse();
        let restore_lines = self.restore_lines;
        let (mut rows, screen_rows) = self.with_primary(|g| (history(g, restore_lines), screen(g)));
        let used = screen_rows.iter().rposition(|r| r.cells.iter().any(|c| c.text.trim() != ""));
        rows.extend(screen_rows.into_iter().take(used.map_or(0, |i| i + 1)));
        let mut out = String::new();
        let mut pen = Style::default();
        for row in &rows {
            paint::write_row(&mut out, row, &mut pen, 0);
            if !row.wrapped {
                paint::sgr(&mut out, &pen, &Style::default());
                pen = Style::default();
                out.push_str("\r\n");
            }
        }
        paint::sgr(&mut out, &pen, &Style::default());
        out
    }

    /// Runs `f` on the primary grid. alacritty_terminal keeps the inactive
    /// grid private, so while the alternate screen is active we swap to the
    /// primary and back; swapping back clears the alternate grid, so it is
    /// put back from a clone.
    fn with_primary<R>(&mut self, f: impl FnOnce(&Grid<ACell>) -> R) -> R {
        if !self.term.mode().contains(TermMode::ALT_SCREEN) {
            return f(self.term.grid());
        }
        let alt = self.term.grid().clone();
        self.term.swap_alt();
        let r = f(self.term.grid());
        self.term.swap_alt();
        *self.term.grid_mut() = alt;
        r
    }
}

/// The SGR sequences in `drawing` (drawing-only output: every ESC starts
/// a CSI sequence) since the last one that starts with a reset, last first.
fn pen_changes(drawing: &[u8]) -> Vec<&[u8]> {
    let mut changes = Vec::new();
    for esc in memchr::memrchr_iter(0x1b, drawing) {
        let seq = &drawing[esc..];
        // ESC ESC [ is one sequence: the parser ignores the first ESC.
        if seq.get(1) != Some(&b'[') {
            continue;
        }
        let Some(end) = seq[2..].iter().position(|b| (0x40..=0x7e).contains(b)) else {
            continue;
        };
        if seq[2 + end] != b'm' {
            continue;
        }
        changes.push(&seq[..3 + end]);
        let first = seq[2..2 + end].split(|&b| b == b';').next().unwrap_or_default();
        if first.iter().all(|&b| b == b'0') {
            break;
        }
    }
    changes
}

/// A cell colour in the paint model.
pub fn col(c: ansi::Color) -> Col {
    match c {
        ansi::Color::Named(n) if (n as usize) < 16 => Col::Idx(n as u8),
        ansi::Color::Named(_) => Col::Default,
        ansi::Color::Indexed(i) => Col::Idx(i),
        ansi::Color::Spec(c) => Col::Rgb(c.r, c.g, c.b),
    }
}

/// A cell's pen in the paint model.
pub fn style(c: &ACell) -> Style {
    let mut bits = 0;
    for (flag, bit) in [
        (Flags::BOLD, attr::BOLD),
        (Flags::DIM, attr::DIM),
        (Flags::ITALIC, attr::ITALIC),
        (Flags::UNDERLINE, attr::UNDERLINE),
        (Flags::DOUBLE_UNDERLINE, attr::UL_DOUBLE),
        (Flags::UNDERCURL, attr::UL_CURLY),
        (Flags::DOTTED_UNDERLINE, attr::UL_DOTTED),
        (Flags::DASHED_UNDERLINE, attr::UL_DASHED),
        (Flags::INVERSE, attr::INVERSE),
        (Flags::HIDDEN, attr::HIDDEN),
        (Flags::STRIKEOUT, attr::STRIKE),
    ] {
        if c.flags.contains(flag) {
            bits |= bit;
        }
    }
    Style {
        fg: col(c.fg),
        bg: col(c.bg),
        ul: c.underline_color().map_or(Col::Default, col),
        attrs: bits,
    }
}

/// One grid line in the paint model.
pub fn row_of(grid: &Grid<ACell>, line: Line) -> Row {
    let r = &grid[line];
    let cols = grid.columns();
    let cells = (0..cols)
        .map(|i| {
            let c = &r[Column(i)];
            let width = if c.flags.contains(Flags::WIDE_CHAR_SPACER) {
                0
            } else if c.flags.contains(Flags::WIDE_CHAR) {
                2
            } else {
                1
            };
            let mut text = String::new();
            if width != 0 {
                text.push(c.c);
                text.extend(c.zerowidth().into_iter().flatten());
            }
            Cell { text, width, style: style(c) }
        })
        .collect();
    Row { cells, wrapped: r[Column(cols - 1)].flags.contains(Flags::WRAPLINE) }
}

fn screen(grid: &Grid<ACell>) -> Vec<Row> {
    (0..grid.screen_lines()).map(|l| row_of(grid, Line(l as i32))).collect()
}

/// The last `n` scrollback rows, oldest first.
fn history(grid: &Grid<ACell>, n: usize) -> Vec<Row> {
    let k = grid.history_size().min(n);
    (1..=k).rev().map(|i| row_of(grid, Line(-(i as i32)))).collect()
}

/// CUP to a 0-based (row, col).
fn cup(out: &mut String, row: usize, col: usize) {
    let _ = write!(out, "\x1b[{};{}H", row + 1, col + 1);
}

/// Paints rows from the top, letting soft-wrapped rows wrap by themselves;
/// the cursor's row is written up to the cursor's column.
fn paint_rows(out: &mut String, rows: &[Row], cursor: (usize, usize)) {
    let mut pen = Style::default();
    for (i, r) in rows.iter().enumerate() {
        // The screen was cleared first: blank rows need nothing.
        if r.is_blank() && i != cursor.0 {
            continue;
        }
        if i == 0 || !rows[i - 1].wrapped {
            cup(out, i, 0);
        }
        let min = if i == cursor.0 { cursor.1 } else { 0 };
        paint::write_row(out, r, &mut pen, min);
    }
    paint::sgr(out, &pen, &Style::default());
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: WinSize = WinSize { rows: 6, cols: 20 };

    /// A deterministic mix of text, colours, motion, wide and combining
    /// characters, the alternate screen and a title.
    fn sample() -> Vec<u8> {
        let mut s = String::new();
        for i in 0..30 {
            let _ = write!(s, "\x1b[3{}mline {i} \u{4e2d}\u{6587} e\u{301}\x1b[0m\r\n", i % 8);
        }
        s.push_str("\x1b]2;a title\x07\x1b[?2004h\x1b[?1h\x1b[2;5H\x1b[1;4:3mwavy\x1b[0m");
        s.push_str("\x1b[?1049h\x1b[Halt screen\x1b[2;5r\x1b[3;3H\x1b[7minverse\x1b[?25l");
        s.into_bytes()
    }

    fn fed(bytes: &[u8]) -> Screen {
        let mut screen = Screen::new(SIZE, 50);
        screen.feed(bytes);
        screen
    }

    /// What a fresh emulator shows after being fed `screen`'s repaint.
    type View = (Vec<Row>, Vec<Row>, (usize, usize), TermMode, Option<String>, Region);

    fn view(s: &mut Screen) -> View {
        let grid = s.term.grid();
        let cursor = (grid.cursor.point.line.0 as usize, grid.cursor.point.column.0);
        let mode = *s.term.mode();
        let title = s.reported.0.borrow().title.clone();
        let active = screen(grid);
        let primary = s.with_primary(screen);
        (active, primary, cursor, mode, title, s.region)
    }

    #[test]
    fn a_repaint_recreates_the_screen_in_a_fresh_emulator() {
        let mut original = fed(&sample());
        let repaint = original.repaint();
        let mut copy = fed(&repaint);
        assert_eq!(view(&mut copy), view(&mut original));
        let scrolled = copy.with_primary(|g| history(g, 100));
        assert!(scrolled.len() >= 20, "the scrollback tail was written first");
    }

    #[test]
    fn any_split_of_the_stream_gives_the_same_screen() {
        let bytes = sample();
        let mut whole = fed(&bytes);
        let want = view(&mut whole);
        for cut in 1..bytes.len() {
            let mut split = Screen::new(SIZE, 50);
            split.feed(&bytes[..cut]);
            split.feed(&bytes[cut..]);
            assert_eq!(view(&mut split), want, "split at {cut}");
        }
    }

    /// A stream of drawing with some lasting state changes, from a seed.
    fn stream(seed: u32, len: usize) -> Vec<u8> {
        const DRAW: &[&str] = &[
            "word ",
            "\u{4e2d}\u{6587}",
            "e\u{301}",
            "\t",
            "\x08",
            "\x07",
            "\r",
            "\x1b[0m",
            "\x1b[31m",
            "\x1b[1;4;38;5;200m",
            "\x1b[m",
            "\x1b[0;32m",
            "\x1b[48;2;1;2;3m",
            "\x1b[4:3m",
            "\x1b[58;5;9m",
            "\x1b\x1b[7m",
            "\x1b[K",
            "\x1b[1K",
            "\x1b[3X",
            "\x1b[2P",
            "\x1b[2@",
            "\x1b[5C",
            "\x1b[2D",
            "\x1b[10G",
            "a long line that wraps around the twenty columns of the test screen ",
        ];
        const BARRIER: &[&str] = &[
            "\x1b[3;4H",
            "\x1b[2A",
            "\x1b[J",
            "\x1b[2J",
            "\x1b[L",
            "\x1b[M",
            "\x1b[S",
            "\x1b[T",
            "\x0b",
            "\n",
            "\x1b[3J",
        ];
        const STATEFUL: &[&str] = &[
            "\x1b[?1049h",
            "\x1b[?1049l",
            "\x1b]2;t\x07",
            "\x1b7",
            "\x1b8",
            "\x1b[2;5r",
            "\x1b[r",
            "\x1b[?7l",
            "\x1b[?7h",
            "\x1b(0",
            "\x1b(B",
            "\x1b[4h",
            "\x1b[4l",
            "\x1bM",
            "\x1b[?25l",
            "\x1b[?1h",
            "\x0e",
            "\x0f",
            "\x1b[3\n1m",
        ];
        let mut x = seed | 1;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as usize % n
        };
        let mut out = String::new();
        while out.len() < len {
            let pick = next(1000);
            let piece = match pick {
                0..=1 => STATEFUL[next(STATEFUL.len())],
                2..=6 => BARRIER[next(BARRIER.len())],
                20..=399 => "\r\n",
                _ => DRAW[next(DRAW.len())],
            };
            out.push_str(piece);
        }
        out.into_bytes()
    }

    /// Feeds `bytes` in pieces of pseudo-random sizes.
    fn feed_split(screen: &mut Screen, bytes: &[u8], seed: u32) {
        let mut x = seed | 1;
        let mut rest = bytes;
        while !rest.is_empty() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let n = (x as usize % 700 + 1).min(rest.len());
            screen.feed(&rest[..n]);
            rest = &rest[n..];
        }
    }

    #[test]
    fn passing_over_drawing_gives_the_same_screen_as_parsing_it() {
        let mut passed_over = 0;
        for seed in 1..40u32 {
            let bytes = stream(seed.wrapping_mul(0x9e37_79b9), 60_000);
            let mut lazy = Screen::new(SIZE, 50);
            lazy.batch = 4096;
            feed_split(&mut lazy, &bytes, seed);
            let mut eager = Screen::new(SIZE, 50);
            let mut handler = Tracking { term: &mut eager.term, region: &mut eager.region };
            eager.parser.advance(&mut handler, &bytes);
            assert_eq!(lazy.repaint(), eager.repaint(), "seed {seed}");
            assert_eq!(view(&mut lazy), view(&mut eager), "seed {seed}");
            let pen = |s: &Screen| style(&s.term.grid().cursor.template);
            assert_eq!(pen(&lazy), pen(&eager), "seed {seed}");
            passed_over += lazy.passed_over;
        }
        assert!(passed_over > 200_000, "only {passed_over} bytes were passed over");
    }

    #[test]
    fn bulk_drawing_is_mostly_passed_over() {
        let mut text = Vec::new();
        for i in 0..20_000 {
            let _ = std::io::Write::write_fmt(
                &mut text,
                format_args!("\x1b[3{}mline {i}\x1b[0m and more text\r\n", i % 8),
            );
        }
        let mut screen = Screen::new(WinSize { rows: 24, cols: 80 }, 500);
        for chunk in text.chunks(4095) {
            screen.feed(chunk);
        }
        screen.parse();
        assert!(screen.passed_over > text.len() / 2, "{} of {}", screen.passed_over, text.len());
        let history = screen.with_primary(|g| history(g, 500));
        assert_eq!(history.len(), 500);
        let first: String = history[0].cells.iter().map(|c| c.text.as_str()).collect();
        assert!(first.starts_with("line 19477 and more text"), "{first:?}");
    }

    #[test]
    fn the_pen_set_in_passed_over_output_carries_on() {
        let mut text = b"\x1b[0;1m\x1b[31mred\r\n\x1b[4m".to_vec();
        text.extend(b"plain line\r\n".repeat(3000));
        let mut screen = Screen::new(WinSize { rows: 24, cols: 80 }, 500);
        screen.feed(&text);
        screen.parse();
        assert!(screen.passed_over > 0);
        let history = screen.with_primary(|g| history(g, 500));
        let pen = &history[0].cells[0].style;
        assert_eq!((pen.fg, pen.attrs), (Col::Idx(1), attr::BOLD | attr::UNDERLINE));
    }

    #[test]
    fn long_osc_strings_are_cut() {
        let mut screen = Screen::new(SIZE, 50);
        let mut osc = b"\x1b]2;".to_vec();
        osc.resize(10 << 20, b'x');
        for chunk in osc.chunks(4096) {
            screen.feed(chunk);
        }
        screen.feed(b"\x07");
        let title = screen.reported.0.borrow().title.clone().unwrap_or_default();
        assert_eq!(title.len(), super::super::scan::OSC_MAX - 2);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let mut screen = Screen::new(SIZE, 50);
        let mut x: u32 = 0x9e3779b9;
        let mut noise = Vec::with_capacity(1 << 20);
        for _ in 0..(1 << 20) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push(x as u8);
        }
        screen.feed(&noise);
        screen.feed(b"\x1b[99999999;99999999H\x1b[65535@\x1b[99999999M\x1b[");
        screen.feed(b"\x1b[?1049h\x1b[10000000000000000000000000m");
        screen.resize(WinSize { rows: 1, cols: 1 });
        screen.feed(&noise[..4096]);
        screen.resize(WinSize { rows: 300, cols: 500 });
        let _ = screen.repaint();
    }
}
