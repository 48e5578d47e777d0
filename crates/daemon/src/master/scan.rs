//! A cheap first look at program output, before the screen model parses
//! it: which bytes only draw (text, line feeds, colours, cursor motion and
//! erasing on the grid) and which change lasting terminal state (modes, the
//! title, the scroll region, charsets, saved cursor, queries, strings).
//!
//! It follows the state machine of the model's parser (`vte`, after Paul
//! Williams' DEC parser) byte for byte, so it always knows whether the
//! parser is at rest (ground) and can tell a bulk of drawing, which the
//! screen may parse lazily and in part ([`super::screen`]), from anything
//! that must be parsed at once. It also bounds the length of OSC strings,
//! which the parser would otherwise buffer without limit.

/// OSC string bytes passed on to the parser; the rest of a longer string is
/// dropped (a title or a hyperlink is far shorter; clipboard writes, the
/// usual long ones, are not kept by the model anyway).
pub const OSC_MAX: usize = 4096;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Ground,
    Escape,
    EscInter,
    CsiEntry,
    CsiParam,
    CsiInter,
    CsiIgnore,
    DcsEntry,
    DcsParam,
    DcsInter,
    DcsIgnore,
    DcsPass,
    Osc,
    SosPmApc,
}

/// What one chunk of output holds.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Something in it changes lasting state (or is too odd to reason
    /// about): it must be parsed now.
    pub stateful: bool,
    /// Byte ranges to leave out when parsing (the tails of overlong OSC
    /// strings).
    pub dropped: Vec<std::ops::Range<usize>>,
}

/// The parser's state as seen so far, and what the drawing-only bytes
/// since the last reset allow: the number of line feeds since the last
/// byte that could move the cursor up or the content down (a *barrier*),
/// and where that barrier ended.
pub struct Scan {
    state: State,
    /// The CSI in progress has a private marker or intermediates.
    csi_odd: bool,
    osc_len: usize,
    /// Offset (in the bytes scanned since [`Scan::mark`]) just after the
    /// last barrier.
    pub barrier_end: usize,
    /// Line feeds since the last barrier.
    pub line_feeds: usize,
    scanned: usize,
    /// The bytes of the sequence in progress (empty at rest, or when it
    /// grew past [`UNFINISHED_MAX`]).
    unfinished: Vec<u8>,
    /// The sequence in progress outgrew [`UNFINISHED_MAX`].
    overlong: bool,
}

/// The longest sequence in progress kept to be replayed.
const UNFINISHED_MAX: usize = OSC_MAX + 64;

impl Default for Scan {
    fn default() -> Self {
        Scan {
            state: State::Ground,
            csi_odd: false,
            osc_len: 0,
            barrier_end: 0,
            line_feeds: 0,
            scanned: 0,
            unfinished: Vec::new(),
            overlong: false,
        }
    }
}

/// What a byte did, for the bookkeeping.
enum Effect {
    None,
    LineFeed,
    Barrier,
    Stateful,
}

impl Scan {
    /// True when the parser is at rest: nothing half-read.
    pub fn at_rest(&self) -> bool {
        self.state == State::Ground
    }

    /// Starts counting offsets, line feeds and barriers afresh.
    pub fn mark(&mut self) {
        self.barrier_end = 0;
        self.line_feeds = 0;
        self.scanned = 0;
    }

    /// The first `n` bytes since the mark are let go, all before the last
    /// barrier's end or at it, leaving `line_feeds` line feeds after it:
    /// offsets count from the first byte kept.
    pub fn let_go(&mut self, n: usize, line_feeds: usize) {
        debug_assert!(n >= self.barrier_end && line_feeds <= self.line_feeds);
        self.barrier_end = 0;
        self.line_feeds = line_feeds;
        self.scanned -= n;
    }

    /// Counts line feeds afresh from here, as after a barrier.
    pub fn barrier_here(&mut self) {
        self.barrier_end = self.scanned;
        self.line_feeds = 0;
    }

    /// The start of the escape sequence the output is in the middle of
    /// (empty at rest, or if it is too long to replay).
    pub fn unfinished(&self) -> &[u8] {
        if self.overlong || self.at_rest() { &[] } else { &self.unfinished }
    }

    /// Looks at the next chunk of output.
    pub fn chunk(&mut self, bytes: &[u8]) -> Chunk {
        let mut chunk = Chunk::default();
        // Where the sequence in progress began in this chunk (0: before it).
        let mut begun = 0;
        // Where the next control that needs a step of its own is, at or
        // after `i` (found once for every time `i` passes it).
        let mut odd = None;
        let mut i = 0;
        while i < bytes.len() {
            if self.state == State::Ground {
                let until = match odd {
                    Some(at) if at >= i => at,
                    _ => *odd.insert(i + odd_control(&bytes[i..]).unwrap_or(bytes.len() - i)),
                };
                i = self.ground(bytes, i, until);
                if i == bytes.len() {
                    break;
                }
            } else if self.state == State::CsiParam {
                // The parameters of a sequence in progress, in one go.
                let digits = params_len(&bytes[i..]).unwrap_or(bytes.len() - i);
                if digits > 0 {
                    i += digits;
                    continue;
                }
            }
            let byte = bytes[i];
            let at = self.scanned + i;
            let in_osc = self.state == State::Osc;
            let effect = self.step(byte);
            if byte == 0x1b || self.state == State::Ground {
                // A sequence begins (ESC), or none is in progress.
                begun = i;
                self.unfinished.clear();
                self.overlong = false;
            }
            match effect {
                Effect::None => {}
                Effect::LineFeed => self.line_feeds += 1,
                Effect::Barrier => {
                    self.barrier_end = at + 1;
                    self.line_feeds = 0;
                }
                Effect::Stateful => chunk.stateful = true,
            }
            if in_osc && self.state == State::Osc {
                if self.osc_len >= OSC_MAX {
                    match chunk.dropped.last_mut() {
                        Some(r) if r.end == i => r.end = i + 1,
                        _ => chunk.dropped.push(i..i + 1),
                    }
                }
                self.osc_len += 1;
            }
            i += 1;
        }
        self.scanned += bytes.len();
        if !self.at_rest() && !self.overlong {
            self.unfinished.extend_from_slice(&bytes[begun..]);
            if self.unfinished.len() > UNFINISHED_MAX {
                self.overlong = true;
                self.unfinished = Vec::new();
            }
        }
        chunk
    }

    /// The common case at rest, up to `until`, without stepping byte by
    /// byte: text and the controls that draw on the line pass at once, line
    /// feeds are counted in bulk, and complete CSI sequences without
    /// private markers or intermediates are taken whole. Returns the offset
    /// of the first byte it leaves to [`Scan::step`] (`until` when none).
    fn ground(&mut self, bytes: &[u8], mut i: usize, until: usize) -> usize {
        // Line feeds count from here: after the last barrier.
        let mut count_from = i;
        let stop = loop {
            let Some(esc) = memchr::memchr(0x1b, &bytes[i..until]).map(|n| i + n) else {
                break until;
            };
            if bytes.get(esc + 1) != Some(&b'[') {
                break esc;
            }
            let Some(end) = params_len(&bytes[esc + 2..]).map(|n| esc + 2 + n) else { break esc };
            match csi_final(bytes[end]) {
                Effect::Barrier => {
                    self.barrier_end = self.scanned + end + 1;
                    self.line_feeds = 0;
                    count_from = end + 1;
                }
                Effect::None => {}
                // Left to step(), which records it.
                _ => break esc,
            }
            i = end + 1;
        };
        self.line_feeds += line_feeds(&bytes[count_from..stop]);
        stop
    }

    /// One byte outside plain text: the parser's transition, and what it did.
    #[inline]
    fn step(&mut self, byte: u8) -> Effect {
        use State::*;
        // CAN and SUB end every sequence; ESC starts one from anywhere but
        // inside an escape (where vte ignores it).
        match (self.state, byte) {
            (Ground, 0x1b) => return self.enter(Escape),
            (Ground, b) if b < 0x20 => return self.execute(b),
            (Ground, _) => return Effect::None,
            (Escape, 0x1b) => return Effect::None,
            (_, 0x18 | 0x1a) => {
                self.state = Ground;
                return Effect::Stateful;
            }
            (_, 0x1b) => return self.enter(Escape),
            _ => {}
        }
        let c0 = byte < 0x20 || byte == 0x7f;
        match self.state {
            Escape | EscInter | CsiEntry | CsiParam | CsiInter | CsiIgnore if byte < 0x20 => {
                // A control inside a sequence runs at once: odd enough to
                // parse everything around it now.
                Effect::Stateful
            }
            Escape => match byte {
                0x20..=0x2f => self.enter(EscInter),
                0x50 => self.enter(DcsEntry),
                0x58 | 0x5e | 0x5f => self.enter(SosPmApc),
                0x5b => {
                    self.csi_odd = false;
                    self.state = CsiEntry;
                    Effect::None
                }
                0x5d => {
                    self.osc_len = 0;
                    self.enter(Osc)
                }
                0x30..=0x7e => self.enter(Ground),
                _ => Effect::None,
            },
            EscInter => match byte {
                0x30..=0x7e => self.enter(Ground),
                _ => Effect::None,
            },
            CsiEntry | CsiParam | CsiInter | CsiIgnore => self.csi(byte),
            DcsEntry | DcsParam | DcsInter => {
                self.state = match (self.state, byte) {
                    (_, _) if c0 || byte >= 0x80 => self.state,
                    (_, 0x40..=0x7e) => DcsPass,
                    (DcsEntry | DcsParam, 0x20..=0x2f) | (DcsInter, 0x20..=0x2f) => DcsInter,
                    (DcsEntry, _) | (DcsParam, 0x30..=0x3b) => DcsParam,
                    _ => DcsIgnore,
                };
                Effect::Stateful
            }
            DcsPass if byte == 0x9c => self.enter(Ground),
            Osc if byte == 0x07 => self.enter(Ground),
            Ground | DcsIgnore | DcsPass | Osc | SosPmApc => Effect::Stateful,
        }
    }

    /// A byte of a CSI sequence (controls and ESC/CAN/SUB handled before).
    fn csi(&mut self, byte: u8) -> Effect {
        use State::*;
        match (self.state, byte) {
            (CsiIgnore, 0x40..=0x7e) => self.enter(Ground),
            (_, 0x40..=0x7e) => {
                let odd = self.csi_odd;
                self.state = Ground;
                if odd { Effect::Stateful } else { csi_final(byte) }
            }
            (CsiIgnore, _) => Effect::None,
            (CsiEntry | CsiParam | CsiInter, 0x20..=0x2f) => {
                self.csi_odd = true;
                self.state = CsiInter;
                Effect::None
            }
            (CsiEntry, 0x3c..=0x3f) => {
                self.csi_odd = true;
                self.state = CsiParam;
                Effect::None
            }
            (CsiEntry | CsiParam, 0x30..=0x3b) => {
                self.state = CsiParam;
                Effect::None
            }
            (CsiParam | CsiInter, 0x30..=0x3f) => {
                self.state = CsiIgnore;
                Effect::None
            }
            _ => Effect::None,
        }
    }

    /// A control character executed in ground state.
    fn execute(&mut self, byte: u8) -> Effect {
        match byte {
            b'\n' => Effect::LineFeed,
            // Shift out / shift in switch charsets.
            0x0e | 0x0f => Effect::Stateful,
            // The rest draws or does nothing. VT and FF move down like a
            // bare line feed but are not counted: a count too low only lets
            // go of less.
            _ => Effect::None,
        }
    }

    /// Enters a state; anything but a return to ground (from ESC x) is a
    /// sequence with lasting effects.
    fn enter(&mut self, state: State) -> Effect {
        let from = self.state;
        self.state = state;
        match (from, state) {
            // ESC alone is not yet anything; ESC [ is handled by the caller.
            (_, State::Escape) => Effect::None,
            _ => Effect::Stateful,
        }
    }
}

/// What a CSI sequence without private markers or intermediates does, by
/// its final byte.
fn csi_final(byte: u8) -> Effect {
    match byte {
        // SGR, erasing and moving within the line.
        b'm' | b'K' | b'X' | b'P' | b'@' | b'C' | b'D' | b'G' | b'`' | b'a' | b'I' | b'Z' => {
            Effect::None
        }
        // Moving between lines, erasing the screen, inserting, deleting and
        // scrolling lines.
        b'A' | b'B' | b'E' | b'F' | b'H' | b'f' | b'd' | b'e' | b'J' | b'L' | b'M' | b'S'
        | b'T' => Effect::Barrier,
        _ => Effect::Stateful,
    }
}

/// How many bytes at the start of `bytes` are CSI parameters (digits, `;`
/// and `:`); None when they all are.
fn params_len(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| !(0x30..=0x3b).contains(b))
}

/// Where the first control in `bytes` that needs a step of its own at rest
/// is: SO or SI, which switch charsets. Every other control there is ESC,
/// a line feed, or draws on the screen (CR, tab, backspace, VT and FF,
/// which move down like a bare line feed) or does nothing.
fn odd_control(bytes: &[u8]) -> Option<usize> {
    memchr::memchr2(0x0e, 0x0f, bytes)
}

/// The line feeds in `bytes`, counted in byte-wide lanes (a piece of 255
/// bytes holds no more line feeds than a byte counts).
fn line_feeds(bytes: &[u8]) -> usize {
    let piece = |p: &[u8]| p.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n'));
    bytes.chunks(255).map(|p| usize::from(piece(p))).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(bytes: &[u8]) -> (Chunk, Scan) {
        let mut s = Scan::default();
        let c = s.chunk(bytes);
        (c, s)
    }

    #[test]
    fn the_odd_controls_are_found_wherever_they_are() {
        // Every byte value at every place, in haystacks long and short.
        for len in [1, 7, 33, 100] {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = byte;
                    let want = matches!(byte, 0x0e | 0x0f).then_some(at);
                    assert_eq!(odd_control(&bytes), want, "{byte:#x} at {at} of {len}");
                }
            }
        }
        assert_eq!(odd_control(b"\x0f\x0e"), Some(0));
        assert_eq!(odd_control(b"a\x0e\x0f"), Some(1));
        assert_eq!(odd_control(b"\r\n\t\x08\x07\x0b\x0c\x1b\x18\x1a\x00\x7f"), None);
    }

    #[test]
    fn drawing_is_not_stateful() {
        let (c, s) = scan(b"a\x1b[31mred\x1b[0m\x1b[K\tx\x08\r\n\x1b[2Pz\r\n");
        assert!(!c.stateful);
        assert!(s.at_rest());
        assert_eq!(s.line_feeds, 2);
        assert_eq!(s.barrier_end, 0);
    }

    #[test]
    fn lasting_state_is_stateful() {
        for seq in [
            &b"\x1b[?1049h"[..],
            b"\x1b]2;title\x07",
            b"\x1b[2;5r",
            b"\x1b7",
            b"\x1b(0",
            b"\x0e",
            b"\x1b[6n",
            b"\x1bP1$r\x1b\\",
            b"\x1b[1 q",
            b"\x1b[3\n1m",
        ] {
            assert!(scan(seq).0.stateful, "{seq:?}");
        }
    }

    #[test]
    fn barriers_reset_the_line_feeds() {
        let (_, s) = scan(b"a\r\nb\r\n\x1b[Hc\r\nd");
        assert_eq!(s.line_feeds, 1);
        assert_eq!(s.barrier_end, 9);
        // A bare line feed counts (the screen cuts only at CR LF); VT and FF
        // move down too, uncounted.
        let (_, s) = scan(b"a\r\nb\nc\x0bd\x0ce\r\n");
        assert_eq!((s.line_feeds, s.barrier_end), (3, 0));
    }

    #[test]
    fn state_carries_across_chunks() {
        let mut s = Scan::default();
        assert!(!s.chunk(b"ab\x1b[3").stateful);
        assert!(!s.at_rest());
        assert!(!s.chunk(b"1mc\r").stateful);
        assert!(s.at_rest());
        s.chunk(b"\n");
        assert_eq!(s.line_feeds, 1);
        let mut s = Scan::default();
        assert!(s.chunk(b"\x1b]0;ti").stateful);
        assert!(!s.at_rest());
        s.chunk(b"tle\x1b\\");
        assert!(s.at_rest());
    }

    #[test]
    fn the_sequence_in_progress_is_kept() {
        let mut s = Scan::default();
        s.chunk(b"text \x1b[31mred\x1b[");
        assert_eq!(s.unfinished(), b"\x1b[");
        s.chunk(b"4");
        assert_eq!(s.unfinished(), b"\x1b[4");
        s.chunk(b"m more \x1b]2;ti");
        assert_eq!(s.unfinished(), b"\x1b]2;ti");
        s.chunk(b"tle\x07");
        assert_eq!(s.unfinished(), b"");
        let mut long = b"\x1b]2;".to_vec();
        long.resize(UNFINISHED_MAX + 10, b'x');
        s.chunk(&long);
        assert_eq!(s.unfinished(), b"", "too long to replay");
    }

    /// Line feeds, the last barrier, whether anything was stateful and
    /// whether the parser is at rest after `bytes`, from [`Scan::chunk`]
    /// on chunks of `split` bytes.
    fn outcome(bytes: &[u8], split: usize) -> (usize, usize, bool, bool) {
        let mut s = Scan::default();
        let stateful = bytes.chunks(split).fold(false, |any, part| s.chunk(part).stateful | any);
        (s.line_feeds, s.barrier_end, stateful, s.at_rest())
    }

    /// The same, from the state machine alone, one byte at a time.
    fn stepped(bytes: &[u8]) -> (usize, usize, bool, bool) {
        let mut s = Scan::default();
        let mut stateful = false;
        for (i, &byte) in bytes.iter().enumerate() {
            match s.step(byte) {
                Effect::None => {}
                Effect::LineFeed => s.line_feeds += 1,
                Effect::Barrier => (s.barrier_end, s.line_feeds) = (i + 1, 0),
                Effect::Stateful => stateful = true,
            }
        }
        (s.line_feeds, s.barrier_end, stateful, s.at_rest())
    }

    #[test]
    fn the_fast_path_agrees_with_the_state_machine() {
        let alphabet =
            b"\x1b\x1b\x1b[[[[0123;;:?>m mHAJKr\r\r\r\n\n\t\x08\x07\x0b\x0c\x0e\x0f\x18]P\\x\xc3\xa9ab";
        let mut x = 0x2545_f491u32;
        for _ in 0..20_000 {
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as usize
            };
            // Short ones too, so that some are free of lasting state.
            let len = 1 + next() % 40;
            let bytes: Vec<u8> = (0..len).map(|_| alphabet[next() % alphabet.len()]).collect();
            let want = stepped(&bytes);
            for split in [1, 5, len] {
                assert_eq!(outcome(&bytes, split), want, "{}", bytes.escape_ascii());
            }
        }
    }

    #[test]
    fn long_osc_strings_are_cut() {
        let mut osc = b"\x1b]2;".to_vec();
        osc.resize(OSC_MAX + 100, b'x');
        let (c, s) = scan(&osc);
        // ESC ] is two bytes; the string starts after them.
        assert_eq!(c.dropped, vec![OSC_MAX + 2..OSC_MAX + 100]);
        assert!(!s.at_rest());
    }
}
