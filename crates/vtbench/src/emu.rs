//! One adapter per crate: feed bytes, take a neutral snapshot, produce the
//! repaint bytes, resize.

use crate::model::{self, Cell, Col, Row, Snap, Style, attr};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::num::NonZeroU16;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Vt100,
    Avt,
    Alacritty,
}

pub const KINDS: [Kind; 3] = [Kind::Vt100, Kind::Avt, Kind::Alacritty];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Vt100 => "vt100",
            Kind::Avt => "avt",
            Kind::Alacritty => "alacritty_terminal",
        }
    }

    pub fn make(self, cols: usize, rows: usize, scrollback: usize) -> Box<dyn Emu> {
        match self {
            Kind::Vt100 => Box::new(Vt100::new(cols, rows, scrollback)),
            Kind::Avt => Box::new(Avt::new(cols, rows, scrollback)),
            Kind::Alacritty => Box::new(Alacritty::new(cols, rows, scrollback)),
        }
    }
}

pub trait Emu {
    /// Feeds program output, in any split.
    fn feed(&mut self, bytes: &[u8]);
    /// The neutral picture, with at most `history` scrollback rows.
    fn snap(&mut self, history: usize) -> Snap;
    /// Bytes that paint `history` scrollback rows and then the current
    /// screen and state onto a fresh terminal of the same size.
    fn repaint(&mut self, history: usize) -> String;
    fn resize(&mut self, cols: usize, rows: usize);
}

fn nz(n: usize) -> NonZeroU16 {
    NonZeroU16::new(n.clamp(1, u16::MAX as usize) as u16).unwrap_or(NonZeroU16::MIN)
}

/// Keeps the last `n` rows.
fn tail(mut v: Vec<Row>, n: usize) -> Vec<Row> {
    let skip = v.len().saturating_sub(n);
    v.drain(..skip);
    v
}

// ---------------------------------------------------------------- vt100

/// vt100 reports the title through a callback: we keep it.
#[derive(Default)]
struct Vt100Cb {
    title: Option<String>,
}

impl vt100::Callbacks for Vt100Cb {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.title = Some(String::from_utf8_lossy(title).into_owned());
    }
}

pub struct Vt100 {
    p: vt100::Parser<Vt100Cb>,
}

impl Vt100 {
    pub fn new(cols: usize, rows: usize, scrollback: usize) -> Self {
        Self {
            p: vt100::Parser::new_with_callbacks(
                nz(rows),
                nz(cols),
                scrollback,
                Vt100Cb::default(),
            ),
        }
    }

    fn col(c: vt100::Color) -> Col {
        match c {
            vt100::Color::Default => Col::Default,
            vt100::Color::Idx(i) => Col::Idx(i),
            vt100::Color::Rgb(r, g, b) => Col::Rgb(r, g, b),
        }
    }

    /// Row `r` of what the screen currently shows (scrollback offset applies).
    fn row(s: &vt100::Screen, r: u16) -> Row {
        let cols = s.size().1.get();
        let cells = (0..cols)
            .map(|c| {
                let Some(cell) = s.cell(r, c) else { return Cell::default() };
                let mut a = 0;
                for (on, bit) in [
                    (cell.bold(), attr::BOLD),
                    (cell.dim(), attr::DIM),
                    (cell.italic(), attr::ITALIC),
                    (cell.underline(), attr::UNDERLINE),
                    (cell.inverse(), attr::INVERSE),
                ] {
                    if on {
                        a |= bit;
                    }
                }
                let (text, width) = if cell.is_wide_continuation() {
                    (String::new(), 0)
                } else if cell.has_contents() {
                    (cell.contents().to_owned(), if cell.is_wide() { 2 } else { 1 })
                } else {
                    (" ".to_owned(), 1)
                };
                let style = Style {
                    fg: Self::col(cell.fgcolor()),
                    bg: Self::col(cell.bgcolor()),
                    ul: Col::Default,
                    attrs: a,
                };
                Cell { text: text.into(), width, style }
            })
            .collect();
        Row { cells, wrapped: s.row_wrapped(r) }
    }

    /// Scrollback rows, oldest first: scrolls the view back one row at a
    /// time (the only access vt100 gives), then returns to the live view.
    fn history(&mut self, n: usize) -> Vec<Row> {
        let s = self.p.screen_mut();
        let len = s.scrollback_len().min(n);
        let mut v = Vec::with_capacity(len);
        for off in (1..=len).rev() {
            s.set_scrollback(off);
            v.push(Self::row(s, 0));
        }
        s.set_scrollback(0);
        v
    }
}

impl Emu for Vt100 {
    fn feed(&mut self, bytes: &[u8]) {
        self.p.process(bytes);
    }

    fn snap(&mut self, history: usize) -> Snap {
        let history = self.history(history);
        let s = self.p.screen();
        let (rows, cols) = s.size();
        let (cr, cc) = s.cursor_position();
        let modes = [
            ("app_cursor", s.application_cursor().to_string()),
            ("app_keypad", s.application_keypad().to_string()),
            ("bracketed_paste", s.bracketed_paste().to_string()),
            ("mouse_mode", format!("{:?}", s.mouse_protocol_mode())),
            ("mouse_encoding", format!("{:?}", s.mouse_protocol_encoding())),
        ];
        Snap {
            rows: (0..rows.get()).map(|r| Self::row(s, r)).collect(),
            history,
            cursor: (cr as usize, (cc as usize).min(cols.get() as usize - 1)),
            cursor_visible: !s.hide_cursor(),
            alt: s.alternate_screen(),
            modes: modes.into_iter().collect(),
            title: self.p.callbacks().title.clone(),
        }
    }

    fn repaint(&mut self, history: usize) -> String {
        let mut out = String::new();
        let rows = self.p.screen().size().0.get() as usize;
        // Our part: scrollback rows (vt100 only offers them row by row).
        model::write_history(&mut out, self.history(history), rows, None);
        // vt100's part: visible cells, cursor, SGR pen, input modes.
        out.push_str(&self.p.screen().state_formatted());
        // Our part: the title the callback kept.
        if let Some(t) = &self.p.callbacks().title {
            let _ = write!(out, "\x1b]2;{t}\x07");
        }
        out
    }

    fn resize(&mut self, cols: usize, rows: usize) {
        self.p.set_size(nz(rows), nz(cols));
    }
}

// ---------------------------------------------------------------- avt

/// avt takes text, not bytes: we decode UTF-8 ourselves and carry an
/// incomplete sequence over to the next chunk.
pub struct Avt {
    t: avt::Terminal,
    carry: Vec<u8>,
    rows: usize,
}

/// Length of a UTF-8 sequence from its first byte (0: not a lead byte).
fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 0,
    }
}

impl Avt {
    pub fn new(cols: usize, rows: usize, scrollback: usize) -> Self {
        let t = avt::Terminal::with_scrollback(cols.max(1), rows.max(1), Some(scrollback))
            .expect("size is positive");
        Self { t, carry: Vec::new(), rows: rows.max(1) }
    }

    fn col(c: Option<avt::Color>) -> Col {
        match c {
            None => Col::Default,
            Some(avt::Color::Indexed(i)) => Col::Idx(i),
            Some(avt::Color::RGB(c)) => Col::Rgb(c.r, c.g, c.b),
        }
    }

    fn row(line: &avt::Line) -> Row {
        let cells = line
            .cells()
            .iter()
            .map(|c| {
                let p = c.pen();
                let mut a = 0;
                for (on, bit) in [
                    (p.is_bold(), attr::BOLD),
                    (p.is_faint(), attr::DIM),
                    (p.is_italic(), attr::ITALIC),
                    (p.is_underline(), attr::UNDERLINE),
                    (p.is_blink(), attr::BLINK),
                    (p.is_inverse(), attr::INVERSE),
                    (p.is_strikethrough(), attr::STRIKE),
                ] {
                    if on {
                        a |= bit;
                    }
                }
                let text = if c.width() == 0 { String::new() } else { c.char().to_string() };
                let style = Style {
                    fg: Self::col(p.foreground()),
                    bg: Self::col(p.background()),
                    ul: Col::Default,
                    attrs: a,
                };
                Cell { text: text.into(), width: c.width(), style }
            })
            .collect();
        Row { cells, wrapped: line.is_wrapped() }
    }

    fn history(&self, n: usize) -> Vec<Row> {
        let all: Vec<&avt::Line> = self.t.primary_screen().all_lines().collect();
        let hist = &all[..all.len().saturating_sub(self.rows)];
        tail(hist.iter().map(|l| Self::row(l)).collect(), n)
    }

    fn feed_valid(&mut self, mut bytes: &[u8]) {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(s) => return self.t.feed(s),
                Err(e) => {
                    let (good, rest) = bytes.split_at(e.valid_up_to());
                    self.t.feed(std::str::from_utf8(good).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            self.t.feed('\u{fffd}');
                            bytes = &rest[n..];
                        }
                        None => {
                            self.carry.extend_from_slice(rest);
                            return;
                        }
                    }
                }
            }
        }
    }
}

impl Emu for Avt {
    fn feed(&mut self, mut bytes: &[u8]) {
        // Finish a character split by the previous chunk.
        if let Some(&lead) = self.carry.first() {
            let need = utf8_len(lead);
            while self.carry.len() < need && bytes.first().is_some_and(|b| b & 0xc0 == 0x80) {
                self.carry.push(bytes[0]);
                bytes = &bytes[1..];
            }
            if self.carry.len() < need && bytes.is_empty() {
                return;
            }
            let done = std::mem::take(&mut self.carry);
            match std::str::from_utf8(&done) {
                Ok(s) => self.t.feed(s),
                Err(_) => self.t.feed('\u{fffd}'),
            }
        }
        self.feed_valid(bytes);
    }

    fn snap(&mut self, history: usize) -> Snap {
        let c = self.t.cursor();
        let (cols, _) = self.t.size();
        Snap {
            rows: self.t.screen().visible_lines().map(Self::row).collect(),
            history: self.history(history),
            cursor: (c.row, c.col.min(cols - 1)),
            cursor_visible: c.visible,
            alt: self.t.active_screen_kind() == avt::ScreenKind::Alternate,
            modes: [("app_cursor", self.t.cursor_key_app_mode().to_string())].into_iter().collect(),
            title: None,
        }
    }

    fn repaint(&mut self, history: usize) -> String {
        let mut out = String::new();
        // Our part: scrollback rows.
        model::write_history(&mut out, self.history(history), self.rows, None);
        // avt's part: both buffers, cursors, margins, modes it knows, pen.
        out.push_str(&self.t.dump());
        out
    }

    fn resize(&mut self, cols: usize, rows: usize) {
        self.rows = rows.max(1);
        self.t.resize(cols, rows);
    }
}

// ---------------------------------------------------------------- alacritty_terminal

use alacritty_terminal::Term;
use alacritty_terminal::event::{Event, EventListener};
use alacritty_terminal::grid::{Dimensions, Grid};
use alacritty_terminal::index::Line;
use alacritty_terminal::term::cell::Cell as ACell;
use alacritty_terminal::term::{Config, TermMode};
use alacritty_terminal::vte::ansi::Processor;
use sess_daemon::master::model as product;

/// alacritty reports the title as an event: we keep it.
#[derive(Clone, Default)]
struct Listener(Rc<RefCell<Option<String>>>);

impl EventListener for Listener {
    fn send_event(&self, event: Event) {
        match event {
            Event::Title(t) => *self.0.borrow_mut() = Some(t),
            Event::ResetTitle => *self.0.borrow_mut() = None,
            _ => {}
        }
    }
}

struct Size {
    cols: usize,
    rows: usize,
}

impl Dimensions for Size {
    fn total_lines(&self) -> usize {
        self.rows
    }
    fn screen_lines(&self) -> usize {
        self.rows
    }
    fn columns(&self) -> usize {
        self.cols
    }
}

pub struct Alacritty {
    term: Term<Listener>,
    parser: Processor,
    title: Listener,
}

/// Modes we restore, as (flag, name, set sequence, reset sequence); the
/// default state is written by nothing.
const ALAC_MODES: [(TermMode, &str, &str, &str); 12] = [
    (TermMode::APP_CURSOR, "app_cursor", "\x1b[?1h", "\x1b[?1l"),
    (TermMode::APP_KEYPAD, "app_keypad", "\x1b=", "\x1b>"),
    (TermMode::BRACKETED_PASTE, "bracketed_paste", "\x1b[?2004h", "\x1b[?2004l"),
    (TermMode::MOUSE_REPORT_CLICK, "mouse_1000", "\x1b[?1000h", "\x1b[?1000l"),
    (TermMode::MOUSE_DRAG, "mouse_1002", "\x1b[?1002h", "\x1b[?1002l"),
    (TermMode::MOUSE_MOTION, "mouse_1003", "\x1b[?1003h", "\x1b[?1003l"),
    (TermMode::SGR_MOUSE, "mouse_sgr", "\x1b[?1006h", "\x1b[?1006l"),
    (TermMode::UTF8_MOUSE, "mouse_utf8", "\x1b[?1005h", "\x1b[?1005l"),
    (TermMode::FOCUS_IN_OUT, "focus", "\x1b[?1004h", "\x1b[?1004l"),
    (TermMode::LINE_WRAP, "autowrap", "\x1b[?7h", "\x1b[?7l"),
    (TermMode::INSERT, "insert", "\x1b[4h", "\x1b[4l"),
    (TermMode::LINE_FEED_NEW_LINE, "newline", "\x1b[20h", "\x1b[20l"),
];

impl Alacritty {
    pub fn new(cols: usize, rows: usize, scrollback: usize) -> Self {
        let title = Listener::default();
        let config = Config { scrolling_history: scrollback, ..Config::default() };
        let term = Term::new(config, &Size { cols: cols.max(1), rows: rows.max(1) }, title.clone());
        Self { term, parser: Processor::new(), title }
    }

    fn style(c: &ACell) -> Style {
        product::style(c)
    }

    fn row(grid: &Grid<ACell>, line: Line) -> Row {
        product::row_of(grid, line)
    }

    fn screen(grid: &Grid<ACell>) -> Vec<Row> {
        (0..grid.screen_lines()).map(|l| Self::row(grid, Line(l as i32))).collect()
    }

    fn history(grid: &Grid<ACell>, n: usize) -> Vec<Row> {
        let k = grid.history_size().min(n);
        (1..=k).rev().map(|i| Self::row(grid, Line(-(i as i32)))).collect()
    }

    /// Runs `f` on the primary grid, as the product does.
    fn with_primary<R>(&mut self, f: impl FnOnce(&Grid<ACell>) -> R) -> R {
        product::with_primary(&mut self.term, f)
    }
}

/// CUP to a 0-based (row, col).
fn cup(out: &mut String, row: usize, col: usize) {
    let _ = write!(out, "\x1b[{};{}H", row + 1, col + 1);
}

/// Paints rows from the top, letting soft-wrapped rows wrap by themselves.
fn paint(out: &mut String, rows: &[Row]) {
    let mut style = Style::default();
    for (i, r) in rows.iter().enumerate() {
        if i == 0 || !rows[i - 1].wrapped {
            cup(out, i, 0);
        }
        model::write_row(out, r, &mut style);
    }
    model::sgr(out, &style, &Style::default());
}

impl Emu for Alacritty {
    fn feed(&mut self, bytes: &[u8]) {
        self.parser.advance(&mut self.term, bytes);
    }

    fn snap(&mut self, history: usize) -> Snap {
        let history = self.with_primary(|g| Self::history(g, history));
        let grid = self.term.grid();
        let mode = *self.term.mode();
        let p = grid.cursor.point;
        let mut modes: std::collections::BTreeMap<_, _> =
            ALAC_MODES.iter().map(|(f, name, ..)| (*name, mode.contains(*f).to_string())).collect();
        modes.insert(
            "kitty_keyboard",
            (mode & TermMode::KITTY_KEYBOARD_PROTOCOL).bits().to_string(),
        );
        Snap {
            rows: Self::screen(grid),
            history,
            cursor: (p.line.0.max(0) as usize, p.column.0),
            cursor_visible: mode.contains(TermMode::SHOW_CURSOR),
            alt: mode.contains(TermMode::ALT_SCREEN),
            modes,
            title: self.title.0.borrow().clone(),
        }
    }

    /// Our renderer: everything alacritty_terminal lacks (it has no
    /// serializer). Not restored: the scroll region (private field, no
    /// getter), origin mode, charsets, tab stops, cursor shape, kitty
    /// keyboard stack, palette changes (OSC 4), hyperlinks.
    fn repaint(&mut self, history: usize) -> String {
        let mut out = String::from("\x1b[?1049l\x1b[r\x1b[0m");
        let rows = self.term.screen_lines();
        let cols = self.term.columns();
        let alt = self.term.mode().contains(TermMode::ALT_SCREEN);
        let (hist, primary, pcursor) = self.with_primary(|g| {
            (
                Self::history(g, history),
                Self::screen(g),
                (g.cursor.point.line.0 as usize, g.cursor.point.column.0),
            )
        });
        model::write_history(&mut out, hist, rows, None);
        // ED 0 from home, not ED 2: some terminals (alacritty, avt, VTE)
        // push the screen into scrollback on ED 2.
        out.push_str("\x1b[H\x1b[J");
        paint(&mut out, &primary);
        if alt {
            // 1049 saves the primary cursor as it switches.
            cup(&mut out, pcursor.0, pcursor.1);
            out.push_str("\x1b[?1049h");
            paint(&mut out, &Self::screen(self.term.grid()));
        }
        let grid = self.term.grid();
        // The saved cursor (DECSC) of the active screen, with its pen.
        let sc = &grid.saved_cursor;
        cup(&mut out, sc.point.line.0.max(0) as usize, sc.point.column.0);
        model::sgr(&mut out, &Style::default(), &Self::style(&sc.template));
        out.push_str("\x1b7\x1b[0m");
        // The cursor; a pending wrap is recreated by printing the last cell again.
        let c = &grid.cursor;
        let (row, col) = (c.point.line.0.max(0) as usize, c.point.column.0);
        if c.input_needs_wrap {
            let line = Self::row(grid, c.point.line);
            let last =
                if line.cells[cols - 1].width == 0 && cols > 1 { cols - 2 } else { cols - 1 };
            let mut st = Style::default();
            cup(&mut out, row, last);
            model::sgr(&mut out, &st, &line.cells[last].style);
            st = line.cells[last].style;
            out.push_str(&line.cells[last].text);
            model::sgr(&mut out, &st, &Style::default());
        } else {
            cup(&mut out, row, col);
        }
        model::sgr(&mut out, &Style::default(), &Self::style(&c.template));
        let mode = *self.term.mode();
        let default = TermMode::default();
        for (flag, _, set, reset) in ALAC_MODES {
            if mode.contains(flag) != default.contains(flag) {
                out.push_str(if mode.contains(flag) { set } else { reset });
            }
        }
        if !mode.contains(TermMode::SHOW_CURSOR) {
            out.push_str("\x1b[?25l");
        }
        if let Some(t) = &*self.title.0.borrow() {
            let _ = write!(out, "\x1b]2;{t}\x07");
        }
        out
    }

    fn resize(&mut self, cols: usize, rows: usize) {
        self.term.resize(Size { cols: cols.max(1), rows: rows.max(1) });
    }
}
