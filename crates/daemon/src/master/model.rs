//! The screen model: a VT emulator (alacritty_terminal) and the repaint
//! that shows its state on a terminal that connects (SPEC §4): the last
//! `restore-lines` lines of scrollback, so they land in the outer
//! terminal's own scrollback, then the screen — the primary one and, if
//! active, the alternate one over it — the saved and current cursor with
//! their pens, a pending wrap, the input modes, cursor visibility and the
//! window title.
//!
//! The scroll region, which alacritty_terminal keeps private, is noted on
//! the way in ([`super::track`]), with whether anything the repaint does not
//! carry has changed. Not restored (docs/VT-EMULATOR.md): origin mode,
//! charsets, tab stops, cursor shape, palette changes and hyperlinks. A
//! reconnect also sends the program SIGWINCH, and full-screen programs set
//! these again as they repaint.

use super::paint::{self, Cell, Col, Row, Style, attr};
use super::track::{Region, Tracking};
use alacritty_terminal::Term;
use alacritty_terminal::event::{Event, EventListener};
use alacritty_terminal::grid::{Dimensions, Grid};
use alacritty_terminal::index::{Column, Line};
use alacritty_terminal::term::cell::{Cell as ACell, Flags};
use alacritty_terminal::term::{Config, TermMode};
use alacritty_terminal::vte::ansi::{self, Processor, Timeout};
use sess_proto::WinSize;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

/// What the emulator reports besides the grid.
#[derive(Default)]
pub struct Reported {
    pub title: Option<String>,
    /// Answers to the program's terminal queries (cursor position, ...).
    pub replies: Vec<u8>,
}

#[derive(Clone, Default)]
pub struct Listener(pub Rc<RefCell<Reported>>);

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

/// The emulator, its parser, and what is noted beside them.
pub struct Model {
    pub term: Term<Listener>,
    parser: Processor,
    pub region: Region,
    /// State the repaint does not carry (tab stops, charsets, palette, ...)
    /// has changed since the last reset.
    lossy: bool,
    history: usize,
    /// The start of a UTF-8 character cut at the end of the last bytes,
    /// held back until the rest comes: vte 0.15 loses the character after
    /// one cut between two calls (alacritty/vte#159).
    cut: Vec<u8>,
}

impl Model {
    /// A blank screen of `size` keeping `history` lines of scrollback.
    pub fn new(size: WinSize, history: usize, listener: Listener) -> Model {
        let config = Config { scrolling_history: history, ..Config::default() };
        let term = Term::new(config, &Size(size), listener);
        Model {
            term,
            parser: Processor::new(),
            region: None,
            lossy: false,
            history,
            cut: Vec::new(),
        }
    }

    /// Parses output (any split of the stream gives the same screen).
    pub fn advance(&mut self, bytes: &[u8]) {
        let joined;
        let bytes = if self.cut.is_empty() {
            bytes
        } else {
            joined = [std::mem::take(&mut self.cut).as_slice(), bytes].concat();
            &joined
        };
        let (now, later) = bytes.split_at(bytes.len() - cut_char(bytes));
        let mut handler =
            Tracking { term: &mut self.term, region: &mut self.region, lossy: &mut self.lossy };
        self.parser.advance(&mut handler, now);
        self.cut.extend_from_slice(later);
    }

    /// A UTF-8 character begun and not finished: its bytes so far.
    pub fn unfinished(&self) -> &[u8] {
        &self.cut
    }

    /// Changes how many lines of scrollback are kept.
    pub fn set_history(&mut self, lines: usize) {
        if lines != self.history {
            self.history = lines;
            let config = Config { scrolling_history: lines, ..Config::default() };
            self.term.set_options(config);
        }
    }

    pub fn rows(&self) -> usize {
        self.term.screen_lines()
    }

    pub fn resize(&mut self, size: WinSize) {
        let size = Size(size);
        // The emulator resets the scroll region when the size changes.
        if (size.columns(), size.screen_lines()) != (self.term.columns(), self.term.screen_lines())
        {
            self.region = None;
        }
        self.term.resize(size);
    }

    /// What hands a terminal back as a shell expects it: off the alternate
    /// screen, the modes this screen changed back to their defaults, the
    /// cursor shown, the whole screen scrollable, the pen reset.
    pub fn leave(&self) -> String {
        leave(*self.term.mode(), self.region.is_some())
    }

    /// Whether a repaint carries everything this model holds, so that a
    /// fresh model fed that repaint would go on exactly like this one.
    pub fn repaint_is_whole(&self) -> bool {
        // The alternate screen is left out: each screen keeps a saved
        // cursor of its own, and switching saves and restores them.
        let restored = MODES.iter().fold(TermMode::SHOW_CURSOR, |m, f| m | f.0);
        let changed = *self.term.mode() ^ TermMode::default();
        !self.lossy
            && self.cut.is_empty()
            && restored.contains(changed)
            && !self.parser.sync_timeout().pending_timeout()
            && self.term.grid().cursor.template.hyperlink().is_none()
    }

    /// The bytes that make a terminal of the screen's size show the
    /// scrollback tail and then exactly this screen.
    pub fn repaint(&mut self, restore_lines: usize, title: Option<&str>) -> Vec<u8> {
        let mut out = String::from("\x1b[?1049l\x1b[r\x1b[0m");
        let rows = self.term.screen_lines();
        let cols = self.term.columns();
        let alt = self.term.mode().contains(TermMode::ALT_SCREEN);
        let (primary, primary_cursor) = self.with_primary(|g| {
            let cursor = (g.cursor.point.line.0.max(0) as usize, g.cursor.point.column.0);
            let primary = screen(g);
            paint::write_history(&mut out, history_rows(g, restore_lines), rows, primary.first());
            (primary, cursor)
        });
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
        // Every mode, set or reset: the terminal may come in any state.
        let mode = *self.term.mode();
        for (flag, set, reset) in MODES {
            out.push_str(if mode.contains(flag) { set } else { reset });
        }
        out.push_str(if mode.contains(TermMode::SHOW_CURSOR) { "\x1b[?25h" } else { "\x1b[?25l" });
        if let Some(title) = title {
            let _ = write!(out, "\x1b]2;{}\x07", title.replace(['\x07', '\x1b'], ""));
        }
        out.into_bytes()
    }

    /// The scrollback tail and the primary screen as plain lines with their
    /// colours, no modes and no cursor: what a relaunched session shows of
    /// its past above the restore marker.
    pub fn checkpoint(&mut self, restore_lines: usize) -> String {
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

    /// Runs `f` on the primary grid ([`with_primary`]).
    pub fn with_primary<R>(&mut self, f: impl FnOnce(&Grid<ACell>) -> R) -> R {
        with_primary(&mut self.term, f)
    }
}

/// Runs `f` on `term`'s primary grid. alacritty_terminal keeps the inactive
/// grid private, so while the alternate screen is active we swap to the
/// primary and back; swapping back clears the alternate grid, so it is put
/// back from a clone.
pub fn with_primary<L: EventListener, R>(
    term: &mut Term<L>,
    f: impl FnOnce(&Grid<ACell>) -> R,
) -> R {
    if !term.mode().contains(TermMode::ALT_SCREEN) {
        return f(term.grid());
    }
    let alt = term.grid().clone();
    term.swap_alt();
    let r = f(term.grid());
    term.swap_alt();
    *term.grid_mut() = alt;
    r
}

/// The length of an unfinished UTF-8 character at the end of `bytes`.
fn cut_char(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let len = match bytes[bytes.len() - back] {
            0x80..=0xbf => continue,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return 0,
        };
        return if len > back { back } else { 0 };
    }
    0
}

/// See [`Model::leave`]; for a screen in `mode`, with a scroll region or not.
pub fn leave(mode: TermMode, region: bool) -> String {
    let mut out = String::new();
    if mode.contains(TermMode::ALT_SCREEN) {
        out.push_str("\x1b[?1049l");
    }
    let default = TermMode::default();
    for (flag, set, reset) in MODES {
        if mode.contains(flag) != default.contains(flag) {
            out.push_str(if default.contains(flag) { set } else { reset });
        }
    }
    if region {
        // DECSTBM homes the cursor: keep it where it is.
        out.push_str("\x1b7\x1b[r\x1b8");
    }
    out.push_str("\x1b[0m\x1b[?25h");
    out
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
            let mut text = compact_str::CompactString::default();
            if width != 0 {
                text.push(c.c);
                text.extend(c.zerowidth().into_iter().flatten());
            }
            Cell { text, width, style: style(c) }
        })
        .collect();
    Row { cells, wrapped: r[Column(cols - 1)].flags.contains(Flags::WRAPLINE) }
}

pub fn screen(grid: &Grid<ACell>) -> Vec<Row> {
    (0..grid.screen_lines()).map(|l| row_of(grid, Line(l as i32))).collect()
}

/// The last `n` scrollback rows, oldest first.
pub fn history(grid: &Grid<ACell>, n: usize) -> Vec<Row> {
    let k = grid.history_size().min(n);
    (1..=k).rev().map(|i| row_of(grid, Line(-(i as i32)))).collect()
}

/// The last `n` scrollback rows, oldest first, to be painted in place.
fn history_rows(grid: &Grid<ACell>, n: usize) -> impl Iterator<Item = GridRow<'_>> + '_ {
    let k = grid.history_size().min(n);
    (1..=k).rev().map(move |i| GridRow(&grid[Line(-(i as i32))]))
}

/// A row of the grid, painted straight from its cells: what [`row_of`]
/// then [`paint::write_row`] would write, without the copy.
struct GridRow<'a>(&'a alacritty_terminal::grid::Row<ACell>);

impl GridRow<'_> {
    /// A cell that paints as a default blank.
    fn blank(c: &ACell) -> bool {
        (c.c == ' ' || c.c == '\t' || c.flags.contains(Flags::WIDE_CHAR_SPACER))
            && c.zerowidth().is_none()
            && style(c) == Style::default()
    }
}

impl paint::Paint for GridRow<'_> {
    fn wrapped(&self) -> bool {
        self.0.last().is_some_and(|c| c.flags.contains(Flags::WRAPLINE))
    }

    fn paint(&self, out: &mut String, pen: &mut Style, min: usize) {
        let cells = &self.0[..];
        let end = if self.wrapped() {
            cells.len()
        } else {
            let used = cells.iter().rposition(|c| !Self::blank(c)).map_or(0, |i| i + 1);
            used.max(min.min(cells.len()))
        };
        for c in &cells[..end] {
            if c.flags.contains(Flags::WIDE_CHAR_SPACER) {
                continue;
            }
            let style = style(c);
            paint::sgr(out, pen, &style);
            *pen = style;
            out.push(if c.c == '\t' { ' ' } else { c.c });
            out.extend(c.zerowidth().into_iter().flatten());
        }
    }
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
        // A row after a soft wrap gets at least one cell, which makes the
        // terminal wrap (and mark the wrap); other blank rows need nothing,
        // as the screen was cleared first.
        let after_wrap = i > 0 && rows[i - 1].wrapped;
        if r.is_blank() && i != cursor.0 && !after_wrap {
            continue;
        }
        if !after_wrap {
            cup(out, i, 0);
        }
        let min = if i == cursor.0 { cursor.1 } else { usize::from(after_wrap) };
        paint::write_row(out, r, &mut pen, min);
    }
    paint::sgr(out, &pen, &Style::default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_characters_are_found() {
        assert_eq!(cut_char(b"abc"), 0);
        assert_eq!(cut_char("é".as_bytes()), 0);
        assert_eq!(cut_char(&"é".as_bytes()[..1]), 1);
        assert_eq!(cut_char(&"中".as_bytes()[..2]), 2);
        assert_eq!(cut_char(&"😀".as_bytes()[..3]), 3);
        assert_eq!(cut_char(&"😀".as_bytes()[..1]), 1);
        assert_eq!(cut_char(b"x\x80\x80\x80"), 0);
        assert_eq!(cut_char(b""), 0);
    }

    #[test]
    fn a_character_cut_between_reads_is_kept_whole() {
        let size = WinSize { rows: 3, cols: 20 };
        let text = "[é©oé中文".as_bytes();
        for cut in 1..text.len() {
            let mut model = Model::new(size, 0, Listener::default());
            model.advance(&text[..cut]);
            model.advance(&text[cut..]);
            let shown: String =
                row_of(model.term.grid(), Line(0)).cells.iter().map(|c| c.text.as_str()).collect();
            assert!(shown.starts_with("[é©oé中文"), "cut at {cut}: {shown:?}");
        }
    }

    #[test]
    fn clearing_a_blank_screen_keeps_no_scrollback_and_a_written_one_keeps_its_lines() {
        let size = WinSize { rows: 4, cols: 10 };
        let history = |bytes: &[u8]| {
            let mut model = Model::new(size, 100, Listener::default());
            model.advance(bytes);
            model.term.grid().history_size()
        };
        assert_eq!(history(b"\x1b[H\x1b[2J"), 0);
        assert_eq!(history(b"\x1b[2J\x1b[2J\x1b[2J"), 0);
        // A written screen goes into the scrollback, as the emulator keeps it.
        assert_eq!(history(b"a\r\nb\x1b[H\x1b[2J"), 2);
    }

    #[test]
    fn grid_rows_paint_as_their_copies_do() {
        let size = WinSize { rows: 5, cols: 12 };
        let mut model = Model::new(size, 200, Listener::default());
        let mut text = String::new();
        for i in 0..150 {
            let _ = write!(
                text,
                "\x1b[3{}m{i} e\u{301}\t\u{4e2d}x\x1b[4{}m \x1b[0m{}\r\n",
                i % 8,
                i % 3,
                "w".repeat(i % 17)
            );
        }
        model.advance(text.as_bytes());
        let grid = model.term.grid();
        let mut direct = String::new();
        paint::write_history(&mut direct, history_rows(grid, 200), 5, None);
        let mut copied = String::new();
        paint::write_history(&mut copied, history(grid, 200), 5, None);
        assert_eq!(direct, copied);
        assert!(grid.history_size() > 100);
    }
}
