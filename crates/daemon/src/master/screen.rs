//! The session's screen as the master keeps it: every byte of output goes
//! to a screen model ([`super::model`]), lazily.
//!
//! - Output that changes lasting state (modes, the title, queries, ...) is
//!   parsed at once, with everything before it ([`super::scan`] tells).
//! - Output that only draws waits until output pauses for [`PARSE_DELAY`],
//!   or up to [`BATCH`] bytes; everything that reads the screen parses it
//!   first. A bulk of it is mostly passed over: lines that scroll out of
//!   the screen and of the kept scrollback need no drawing, only the pen
//!   they leave. They are let go as they come ([`Screen::trim`]), so bulk
//!   output waits in a buffer of a few screens and is parsed once, when it
//!   stops.
//! - A screen quiet for [`SLEEP_AFTER`] goes to sleep: the model is dropped
//!   and only its repaint is kept (text and colours as bytes, a fraction of
//!   the emulator's cells), to be fed to a fresh model when output comes or
//!   a terminal connects. It sleeps only when that repaint carries all of
//!   the model's state and recreates it exactly.

use super::model::{Listener, Model};
use super::scan::Scan;
use sess_proto::WinSize;
use std::time::{Duration, Instant};

/// Drawing-only output waits, unparsed, up to this many bytes: enough lines
/// that most of a bulk of output can be passed over.
const BATCH: usize = 1024 * 1024;

/// Waiting drawing is let go of once it holds this many times the lines
/// that push a screen out of reach. Each trim searches back over the lines
/// it keeps and moves them to the front: done this rarely, that work is a
/// small part of what comes in, while what waits stays a few hundred KiB.
const TRIM_AFTER: usize = 8;

/// Output handed over while a terminal shows it waits, not looked at, up
/// to this many bytes ([`Screen::feed_later`]).
const LAG: usize = 256 * 1024;

/// Drawing-only output is parsed once output has paused this long.
const PARSE_DELAY: Duration = Duration::from_millis(50);

/// A screen without output for this long sleeps.
const SLEEP_AFTER: Duration = Duration::from_secs(5);

/// Bytes of memory per cell of alacritty_terminal's grid.
const CELL_BYTES: usize = std::mem::size_of::<alacritty_terminal::term::cell::Cell>();

pub struct Screen {
    /// The model, while awake.
    model: Option<Model>,
    /// While asleep: the repaint that recreates the model, compressed, and
    /// what hands a terminal back from it ([`Model::leave`]).
    asleep: Vec<u8>,
    asleep_leave: String,
    size: WinSize,
    reported: Listener,
    restore_lines: usize,
    /// Scrollback memory bound, in bytes of the model's cells.
    scrollback_bytes: usize,
    scan: Scan,
    /// Output handed over by [`Screen::feed_later`]: `unseen[seen..]` is
    /// not looked at yet.
    unseen: Vec<u8>,
    seen: usize,
    /// Output that only draws, not parsed yet.
    pending: Vec<u8>,
    last_output: Instant,
    /// The model could not sleep: no use trying again before it changes.
    restless: bool,
    batch: usize,
    /// Bytes passed over undrawn, and of them let go as they came, for the
    /// tests.
    #[cfg(test)]
    passed_over: usize,
    #[cfg(test)]
    let_go: usize,
}

impl Screen {
    /// A blank screen (asleep: the model is made when first needed).
    pub fn new(size: WinSize, restore_lines: usize, scrollback_bytes: usize) -> Screen {
        Screen {
            model: None,
            asleep: Vec::new(),
            asleep_leave: crate::master::model::leave(Default::default(), false),
            size,
            reported: Listener::default(),
            restore_lines,
            scrollback_bytes,
            scan: Scan::default(),
            unseen: Vec::new(),
            seen: 0,
            pending: Vec::new(),
            last_output: Instant::now(),
            restless: false,
            batch: BATCH,
            #[cfg(test)]
            passed_over: 0,
            #[cfg(test)]
            let_go: 0,
        }
    }

    /// Scrollback lines the model keeps at `cols` columns: `restore-lines`,
    /// fewer if their cells would pass `scrollback-bytes`.
    fn history_lines(&self, cols: u16) -> usize {
        let per_line = usize::from(cols.max(2)) * CELL_BYTES;
        self.restore_lines.min(self.scrollback_bytes / per_line)
    }

    /// The model, woken if it sleeps.
    fn model(&mut self) -> &mut Model {
        if self.model.is_none() {
            let history = self.history_lines(self.size.cols);
            let mut model = Model::new(self.size, history, self.reported.clone());
            model.advance(&self.asleep_repaint());
            self.asleep = Vec::new();
            self.model = Some(model);
        }
        self.model.as_mut().expect("just made")
    }

    /// Feeds program output; any split of the stream gives the same screen.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.catch_up();
        self.output_seen();
        self.take_in(bytes);
    }

    /// Feeds program output that a terminal is showing: the screen looks at
    /// it when told to ([`Screen::look`]; the master does when it has
    /// nothing else to do), before anything that reads or changes the
    /// screen, and, past [`LAG`] bytes behind, as much as comes. Looking at
    /// output takes time; done between reads of the program's output, it
    /// delays them, and the program waits on a full pty.
    pub fn feed_later(&mut self, bytes: &[u8]) {
        self.output_seen();
        self.unseen.extend_from_slice(bytes);
        let behind = self.unseen.len() - self.seen;
        if behind > LAG {
            self.look(behind - LAG);
        }
    }

    /// Whether output waits to be looked at ([`Screen::feed_later`]).
    pub fn behind(&self) -> bool {
        self.seen < self.unseen.len()
    }

    /// Looks at all the output [`Screen::feed_later`] left waiting.
    pub fn catch_up(&mut self) {
        self.look(usize::MAX);
    }

    /// Looks at up to `max` bytes of the output that waits, oldest first.
    pub fn look(&mut self, max: usize) {
        // While its bytes are being taken in, `unseen` is empty: taking
        // them in may parse, and a parse catches up first.
        if !self.behind() {
            return;
        }
        let end = self.unseen.len().min(self.seen.saturating_add(max));
        let unseen = std::mem::take(&mut self.unseen);
        self.take_in(&unseen[self.seen..end]);
        self.unseen = unseen;
        self.seen = end;
        if !self.behind() {
            self.unseen.clear();
            self.seen = 0;
        } else if self.seen >= LAG {
            self.unseen.drain(..self.seen);
            self.seen = 0;
        }
    }

    fn output_seen(&mut self) {
        self.last_output = Instant::now();
        self.restless = false;
    }

    fn take_in(&mut self, bytes: &[u8]) {
        let at_rest = self.scan.at_rest();
        let before = (self.scan.barrier_end, self.scan.line_feeds);
        let chunk = self.scan.chunk(bytes);
        if !chunk.stateful && chunk.dropped.is_empty() && (at_rest || !self.pending.is_empty()) {
            self.pending.extend_from_slice(bytes);
            self.trim();
            if self.pending.len() >= self.batch {
                self.parse();
            }
            return;
        }
        self.parse_pending(before);
        let model = self.model();
        let mut from = 0;
        for cut in chunk.dropped.iter().chain([&(bytes.len()..bytes.len())]) {
            model.advance(&bytes[from..cut.start]);
            from = cut.end;
        }
        self.scan.mark();
    }

    /// When the screen has work to do: parse output that waits, or sleep.
    pub fn due(&self) -> Option<Instant> {
        if self.output_waits() {
            Some(self.last_output + PARSE_DELAY)
        } else if self.restless {
            None
        } else {
            self.model.as_ref().map(|_| self.last_output + SLEEP_AFTER)
        }
    }

    /// Does what is [`Screen::due`] by `now`; true when output has stopped
    /// and memory was let go (worth giving back to the system, with other
    /// buffers that served the output).
    pub fn tick(&mut self, now: Instant) -> bool {
        if self.due().is_none_or(|due| now < due) {
            return false;
        }
        // Either output has paused, or the screen has had none for long.
        let paused = self.output_waits();
        if paused {
            self.parse();
        }
        self.unseen = Vec::new();
        self.pending = Vec::new();
        if !paused {
            self.sleep();
        }
        true
    }

    /// Whether output waits to be looked at or parsed.
    fn output_waits(&self) -> bool {
        self.behind() || !self.pending.is_empty()
    }

    /// Drops the model, keeping its repaint, if the repaint recreates it
    /// exactly; otherwise stays awake until output or a resize changes it.
    fn sleep(&mut self) {
        self.restless = true;
        let (restore_lines, title) = (self.restore_lines, self.title());
        let history = self.history_lines(self.size.cols);
        let Some(model) = self.model.as_mut() else { return };
        if !self.scan.at_rest() || !model.repaint_is_whole() {
            return;
        }
        let repaint = model.repaint(restore_lines, title.as_deref());
        let mut fresh = Model::new(self.size, history, self.reported.clone());
        fresh.advance(&repaint);
        if fresh.repaint(restore_lines, title.as_deref()) == repaint {
            self.asleep_leave = model.leave();
            self.model = None;
            self.asleep = lz4_flex::compress_prepend_size(&repaint);
        }
    }

    /// The repaint a sleeping screen keeps (empty for a screen never used).
    fn asleep_repaint(&self) -> Vec<u8> {
        if self.asleep.is_empty() {
            return Vec::new();
        }
        lz4_flex::decompress_size_prepended(&self.asleep).expect("compressed here")
    }

    /// Whether the model sleeps.
    pub fn sleeping(&self) -> bool {
        self.model.is_none() && !self.behind()
    }

    fn title(&self) -> Option<String> {
        self.reported.0.borrow().title.clone()
    }

    /// Line feeds that, from any row, push every row of the screen out of
    /// it (2 × rows) and of the kept scrollback (`restore_lines` more).
    fn keep(&self) -> usize {
        2 * usize::from(self.size.rows) + self.restore_lines + 1
    }

    /// Lets go of waiting drawing that enough line feeds after it push out
    /// of reach, once there are [`TRIM_AFTER`] times as many as that takes:
    /// the model takes the pen it leaves now, and the rest waits, from the
    /// start of a line.
    fn trim(&mut self) {
        if self.scan.line_feeds <= TRIM_AFTER * self.keep() {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        match self.pass_over(&pending, self.scan.barrier_end, self.scan.line_feeds) {
            Some(from) => {
                pending.drain(..from);
                self.scan.let_go(from, self.keep());
                #[cfg(test)]
                {
                    self.let_go += from;
                }
            }
            // No place to cut (a scroll region, or line feeds without
            // carriage returns): count afresh rather than search again at
            // every chunk.
            None => self.scan.barrier_here(),
        }
        self.pending = pending;
    }

    /// Without a scroll region, a stretch of drawing with enough line feeds
    /// after it (`line_feeds` of them after `barrier_end`) scrolls
    /// everything it drew out of the screen and the kept scrollback: only
    /// the pen it leaves matters. Gives the model that pen and a carriage
    /// return, and returns where the drawing that still matters starts (at
    /// a line's start, after a CR LF); None when there is no such stretch.
    fn pass_over(
        &mut self,
        drawing: &[u8],
        barrier_end: usize,
        line_feeds: usize,
    ) -> Option<usize> {
        let keep = self.keep();
        let model = self.model();
        if model.region.is_some() || line_feeds <= keep {
            return None;
        }
        let after = &drawing[barrier_end..];
        // A bare line feed keeps the column, which only parsing tells.
        let mut lfs = memchr::memrchr_iter(b'\n', after).skip(keep);
        let lf = lfs.find(|&lf| lf > 0 && after[lf - 1] == b'\r')?;
        let from = barrier_end + lf + 1;
        for sgr in pen_changes(&drawing[..from]).iter().rev() {
            model.advance(sgr);
        }
        model.advance(b"\r");
        #[cfg(test)]
        {
            self.passed_over += from;
        }
        Some(from)
    }

    /// Parses the output that waits.
    pub fn parse(&mut self) {
        self.catch_up();
        self.parse_pending((self.scan.barrier_end, self.scan.line_feeds));
        self.scan.mark();
    }

    /// Parses `pending`, given the scan's last barrier and the line feeds
    /// after it: what scrolls out of reach only for its pen
    /// ([`Screen::pass_over`]), the rest in full.
    fn parse_pending(&mut self, (barrier_end, line_feeds): (usize, usize)) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let from = self.pass_over(&pending, barrier_end, line_feeds).unwrap_or(0);
        self.model().advance(&pending[from..]);
        // The buffer serves the next bulk (`tick` lets it go when idle).
        self.pending = pending;
        self.pending.clear();
    }

    /// Takes the emulator's answers to terminal queries.
    pub fn take_replies(&mut self) -> Vec<u8> {
        self.catch_up();
        std::mem::take(&mut self.reported.0.borrow_mut().replies)
    }

    pub fn resize(&mut self, size: WinSize) {
        if size == self.size && self.model.is_none() {
            return;
        }
        self.restless = false;
        self.parse();
        let history = self.history_lines(size.cols);
        let model = self.model();
        model.resize(size);
        model.set_history(history);
        self.size = size;
    }

    /// The bytes that make a terminal of the screen's size show the
    /// scrollback tail and then exactly this screen.
    ///
    /// It ends with the start of what the program is in the middle of
    /// writing (an escape sequence, a UTF-8 character), so that the rest,
    /// live, completes it on the new terminal.
    pub fn repaint(&mut self) -> Vec<u8> {
        self.parse();
        if self.model.is_none() && !self.asleep.is_empty() {
            return self.asleep_repaint();
        }
        let (restore_lines, title) = (self.restore_lines, self.title());
        let model = self.model();
        let mut out = model.repaint(restore_lines, title.as_deref());
        out.extend_from_slice(model.unfinished());
        out.extend_from_slice(self.scan.unfinished());
        out
    }

    /// The bytes that hand a terminal back in the state a shell expects
    /// ([`Model::leave`]).
    pub fn leave(&mut self) -> Vec<u8> {
        self.parse();
        match &self.model {
            Some(model) => model.leave().into_bytes(),
            None => self.asleep_leave.clone().into_bytes(),
        }
    }

    /// The scrollback tail and the primary screen as plain lines with their
    /// colours, no modes and no cursor: what a relaunched session shows of
    /// its past above the restore marker.
    pub fn checkpoint(&mut self) -> String {
        self.parse();
        let restore_lines = self.restore_lines;
        self.model().checkpoint(restore_lines)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::model::{history, screen, style};
    use crate::master::paint::{Col, Row, attr};
    use crate::master::track::Region;
    use alacritty_terminal::grid::Dimensions;
    use alacritty_terminal::term::TermMode;
    use std::fmt::Write as _;

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
        let mut screen = Screen::new(SIZE, 50, usize::MAX);
        screen.feed(bytes);
        screen
    }

    /// What a fresh emulator shows after being fed `screen`'s repaint.
    type View = (Vec<Row>, Vec<Row>, (usize, usize), TermMode, Option<String>, Region);

    fn view(s: &mut Screen) -> View {
        let title = s.title();
        let m = s.model();
        let grid = m.term.grid();
        let cursor = (grid.cursor.point.line.0 as usize, grid.cursor.point.column.0);
        let mode = *m.term.mode();
        let active = screen(grid);
        let region = m.region;
        let primary = m.with_primary(screen);
        (active, primary, cursor, mode, title, region)
    }

    #[test]
    fn a_repaint_recreates_the_screen_in_a_fresh_emulator() {
        let mut original = fed(&sample());
        let repaint = original.repaint();
        let mut copy = fed(&repaint);
        assert_eq!(view(&mut copy), view(&mut original));
        let scrolled = copy.model().with_primary(|g| history(g, 100));
        assert!(scrolled.len() >= 20, "the scrollback tail was written first");
    }

    #[test]
    fn any_split_of_the_stream_gives_the_same_screen() {
        let bytes = sample();
        let mut whole = fed(&bytes);
        let want = view(&mut whole);
        for cut in 1..bytes.len() {
            let mut split = Screen::new(SIZE, 50, usize::MAX);
            split.feed(&bytes[..cut]);
            split.feed(&bytes[cut..]);
            assert_eq!(view(&mut split), want, "split at {cut}");
        }
    }

    #[test]
    fn output_fed_later_shows_in_order_once_looked_at() {
        let bytes = stream(7, 3 * LAG, (20, 50));
        let mut later = Screen::new(SIZE, 50, usize::MAX);
        let (mut x, mut rest) = (7u32, &bytes[..]);
        while !rest.is_empty() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let n = (x as usize % 9000 + 1).min(rest.len());
            // Now and then output that is looked at at once.
            if x % 16 == 0 {
                later.feed(&rest[..n]);
            } else {
                later.feed_later(&rest[..n]);
            }
            assert!(later.unseen.len() - later.seen <= LAG, "no more than the lag waits");
            if x % 7 == 0 {
                later.look(x as usize % 5000);
            }
            rest = &rest[n..];
        }
        assert!(later.behind());
        let mut eager = fed(&bytes);
        assert_eq!(later.repaint(), eager.repaint());
        assert!(!later.behind(), "a repaint looks at what waits first");
        assert_eq!(view(&mut later), view(&mut eager));
    }

    #[test]
    fn queries_fed_later_are_answered_when_replies_are_taken() {
        let mut screen = Screen::new(SIZE, 50, usize::MAX);
        screen.feed_later(b"\x1b[3;7H\x1b[6n");
        assert!(screen.behind());
        assert!(screen.due().is_some(), "output that waits makes the screen due");
        assert_eq!(screen.take_replies(), b"\x1b[3;7R");
        assert!(!screen.behind());
    }

    /// A stream of drawing with some lasting state changes, from a seed;
    /// `stateful` and `barriers` in ten thousand pieces change lasting state
    /// and move the cursor up or clear.
    fn stream(seed: u32, len: usize, (stateful, barriers): (usize, usize)) -> Vec<u8> {
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
            let pick = next(10_000);
            let piece = match pick {
                p if p < stateful => STATEFUL[next(STATEFUL.len())],
                p if p < stateful + barriers => BARRIER[next(BARRIER.len())],
                p if p < 4000 => "\r\n",
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

    /// Feeds `bytes` to a lazy screen (in pieces, waiting up to `batch`
    /// bytes) and checks that it shows what a model fed every byte shows;
    /// returns the lazy screen.
    fn same_as_eager(bytes: &[u8], seed: u32, batch: usize) -> Screen {
        let mut lazy = Screen::new(SIZE, 50, usize::MAX);
        lazy.batch = batch;
        feed_split(&mut lazy, bytes, seed);
        let waiting = lazy.pending.len();
        let mut eager = Screen::new(SIZE, 50, usize::MAX);
        eager.model().advance(bytes);
        assert_eq!(lazy.repaint(), eager.repaint(), "seed {seed}");
        assert_eq!(view(&mut lazy), view(&mut eager), "seed {seed}");
        let pen = |s: &mut Screen| style(&s.model().term.grid().cursor.template);
        assert_eq!(pen(&mut lazy), pen(&mut eager), "seed {seed}");
        assert!(waiting < 100_000, "seed {seed}: {waiting} bytes waited");
        lazy
    }

    #[test]
    fn passing_over_drawing_gives_the_same_screen_as_parsing_it() {
        let mut passed_over = 0;
        for seed in 1..40u32 {
            let bytes = stream(seed.wrapping_mul(0x9e37_79b9), 60_000, (20, 50));
            let lazy = same_as_eager(&bytes, seed, 4096);
            passed_over += lazy.passed_over;
        }
        assert!(passed_over > 200_000, "only {passed_over} bytes were passed over");
    }

    #[test]
    fn letting_go_of_bulk_drawing_as_it_comes_gives_the_same_screen() {
        let mut let_go = 0;
        for seed in 1..30u32 {
            // Few barriers: long runs of lines, let go of as they come.
            let bytes = stream(seed.wrapping_mul(0x2545_f491), 200_000, (2, 2));
            let lazy = same_as_eager(&bytes, seed, BATCH);
            let_go += lazy.let_go;
        }
        assert!(let_go > 1_000_000, "only {let_go} bytes were let go of as they came");
    }

    #[test]
    fn drawing_is_let_go_of_only_after_a_carriage_return_and_line_feed() {
        // A bare line feed keeps the column: the next line starts there.
        let mut bytes = b"\x1b[32m".to_vec();
        for i in 0..3000 {
            bytes.extend(format!("{}{i}\n", " ".repeat(i % 7)).bytes());
            if i % 3 == 0 {
                bytes.extend_from_slice(b"\r\n");
            }
        }
        let lazy = same_as_eager(&bytes, 1, BATCH);
        assert!(lazy.let_go > bytes.len() / 2, "{} of {}", lazy.let_go, bytes.len());
        // Without a carriage return there is nowhere to cut: it all waits
        // (up to a batch), and still shows the same.
        let bare: Vec<u8> = (0..3000).flat_map(|i| format!("{i}\n").into_bytes()).collect();
        assert_eq!(same_as_eager(&bare, 1, BATCH).let_go, 0);
    }

    #[test]
    fn a_screen_that_sleeps_wakes_up_the_same() {
        let mut slept = 0;
        for seed in 1..60u32 {
            let bytes = stream(seed.wrapping_mul(0x9e37_79b9), 20_000, (20, 50));
            let mut awake = fed(&bytes);
            let mut napping = fed(&bytes);
            napping.parse();
            napping.sleep();
            if !napping.sleeping() {
                continue;
            }
            slept += 1;
            assert_eq!(napping.repaint(), awake.repaint(), "seed {seed}");
            let more = stream(seed ^ 0x5555, 5_000, (20, 50));
            awake.feed(&more);
            napping.feed(&more);
            assert_eq!(napping.repaint(), awake.repaint(), "seed {seed} after more output");
            assert_eq!(view(&mut napping), view(&mut awake), "seed {seed}");
            let size = WinSize { rows: 9, cols: 31 };
            awake.resize(size);
            napping.resize(size);
            assert_eq!(napping.repaint(), awake.repaint(), "seed {seed} resized");
        }
        assert!(slept > 20, "only {slept} of 59 screens could sleep");
    }

    #[test]
    fn a_screen_with_state_a_repaint_does_not_carry_stays_awake() {
        for lossy in ["\x1bH", "\x1b(0", "\x1b]4;1;rgb:10/20/30\x07", "\x1b[2 q", "\x1b[?6h"] {
            let mut screen = fed(format!("text\r\n{lossy}more").as_bytes());
            screen.parse();
            screen.sleep();
            assert!(!screen.sleeping(), "{lossy:?}");
            assert_eq!(screen.due(), None, "no use trying again before output");
            screen.feed(b"\x1bc");
            screen.sleep();
            assert!(screen.sleeping(), "{lossy:?} then RIS");
        }
    }

    #[test]
    fn a_sleeping_screen_hands_a_terminal_back_without_waking() {
        let mut screen = fed(b"\x1b[?2004h\x1b[?1h\x1b=\x1b[?25l\x1b[2;4rtext");
        let awake = screen.leave();
        assert!(String::from_utf8_lossy(&awake).contains("\x1b[?2004l"));
        screen.sleep();
        assert!(screen.sleeping());
        assert_eq!(screen.leave(), awake);
        assert!(screen.sleeping());
    }

    #[test]
    fn a_sleeping_screen_holds_no_model() {
        let mut screen = Screen::new(WinSize { rows: 24, cols: 80 }, 500, usize::MAX);
        assert!(screen.sleeping(), "a new screen makes its model when first needed");
        screen.feed(b"\x1b[31mhello\x1b[0m\r\n$ ");
        screen.parse();
        assert!(!screen.sleeping());
        let quiet = screen.last_output + SLEEP_AFTER;
        assert!(!screen.tick(quiet - Duration::from_millis(1)));
        assert!(screen.tick(quiet));
        assert!(screen.sleeping());
        assert!(screen.asleep.len() < 200, "{} bytes", screen.asleep.len());
        assert_eq!(screen.due(), None);

        // A full screen and 500 lines of scrollback keep a few KiB.
        for i in 0..600 {
            screen.feed(format!("\x1b[3{}mline {i}\x1b[0m: some text\r\n", i % 8).as_bytes());
        }
        let repaint = screen.repaint();
        assert!(screen.tick(screen.last_output + SLEEP_AFTER));
        assert!(screen.sleeping());
        assert!(screen.asleep.len() * 4 < repaint.len(), "{} bytes", screen.asleep.len());
        assert_eq!(screen.repaint(), repaint);
    }

    #[test]
    fn scrollback_is_bounded_in_bytes() {
        let cols = 80u16;
        let mut screen = Screen::new(WinSize { rows: 24, cols }, 500, 100 * 80 * CELL_BYTES);
        screen.feed(&b"line\r\n".repeat(1000));
        screen.parse();
        let kept = screen.model().with_primary(|g| history(g, 500)).len();
        assert_eq!(kept, 100);
        screen.resize(WinSize { rows: 24, cols: cols / 2 });
        let kept = screen.model().with_primary(|g| g.history_size());
        assert!(kept <= 200, "{kept} lines at half the width");
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
        let mut screen = Screen::new(WinSize { rows: 24, cols: 80 }, 500, usize::MAX);
        for chunk in text.chunks(4095) {
            screen.feed(chunk);
        }
        screen.parse();
        assert!(screen.passed_over > text.len() / 2, "{} of {}", screen.passed_over, text.len());
        let history = screen.model().with_primary(|g| history(g, 500));
        assert_eq!(history.len(), 500);
        let first: String = history[0].cells.iter().map(|c| c.text.as_str()).collect();
        assert!(first.starts_with("line 19477 and more text"), "{first:?}");
    }

    #[test]
    fn the_pen_set_in_passed_over_output_carries_on() {
        let mut text = b"\x1b[0;1m\x1b[31mred\r\n\x1b[4m".to_vec();
        text.extend(b"plain line\r\n".repeat(3000));
        let mut screen = Screen::new(WinSize { rows: 24, cols: 80 }, 500, usize::MAX);
        screen.feed(&text);
        screen.parse();
        assert!(screen.passed_over > 0);
        let history = screen.model().with_primary(|g| history(g, 500));
        let pen = &history[0].cells[0].style;
        assert_eq!((pen.fg, pen.attrs), (Col::Idx(1), attr::BOLD | attr::UNDERLINE));
    }

    #[test]
    fn long_osc_strings_are_cut() {
        let mut screen = Screen::new(SIZE, 50, usize::MAX);
        let mut osc = b"\x1b]2;".to_vec();
        osc.resize(10 << 20, b'x');
        for chunk in osc.chunks(4096) {
            screen.feed(chunk);
        }
        screen.feed(b"\x07");
        let title = screen.title().unwrap_or_default();
        assert_eq!(title.len(), super::super::scan::OSC_MAX - 2);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let mut screen = Screen::new(SIZE, 50, usize::MAX);
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
