//! Deterministic benchmark inputs (a fixed-seed xorshift; no files).

use std::fmt::Write as _;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "the",
    "session",
    "master",
    "terminal",
    "output",
    "program",
    "screen",
    "cursor",
    "line",
    "pty",
    "daemon",
    "scrollback",
    "restore",
    "colour",
    "attribute",
    "-rw-r--r--",
    "src/main.rs",
    "1024",
    "Cargo.toml",
    "error:",
    "warning:",
    "ok",
    "test",
    "fn",
    "let",
    "mut",
    "=",
    "{",
    "}",
];

/// (a) Plain text lines, as `cat` of a source file or a log.
pub fn plain(size: usize) -> Vec<u8> {
    let mut r = Rng::new(1);
    let mut s = String::with_capacity(size + 128);
    while s.len() < size {
        let mut width = 0;
        let target = r.below(78);
        while width < target {
            let w = WORDS[r.below(WORDS.len())];
            s.push_str(w);
            s.push(' ');
            width += w.len() + 1;
        }
        s.push_str("\r\n");
    }
    s.into_bytes()
}

/// (b) Mixed: `ls --color`-like lines (16/256/truecolor SGR) alternating with
/// `top`-like full-screen repaints (CUP, EL, ED, a scroll region that
/// scrolls, reverse video header), on a `rows`-tall screen.
pub fn mixed(size: usize, rows: usize) -> Vec<u8> {
    let mut r = Rng::new(2);
    let mut s = String::with_capacity(size + 4096);
    while s.len() < size {
        // An `ls --color` burst.
        for _ in 0..40 {
            for _ in 0..4 {
                match r.below(4) {
                    0 => s.push_str("\x1b[0m\x1b[01;34m"),
                    1 => {
                        let _ = write!(s, "\x1b[38;5;{}m", r.below(256));
                    }
                    2 => {
                        let _ = write!(
                            s,
                            "\x1b[1;38;2;{};{};{}m",
                            r.below(256),
                            r.below(256),
                            r.below(256)
                        );
                    }
                    _ => s.push_str("\x1b[01;32m"),
                }
                let w = WORDS[r.below(WORDS.len())];
                let _ = write!(s, "{w:<16}\x1b[0m  ");
            }
            s.push_str("\r\n");
        }
        // A `top`-like frame: header, then a scrolling process list.
        s.push_str("\x1b[H\x1b[2J\x1b[7m top - 12:00:00 up 1 day, load average: 0.01\x1b[K\x1b[0m");
        let _ = write!(s, "\x1b[5;{rows}r");
        for row in 2..rows {
            let _ = write!(s, "\x1b[{row};1H");
            let _ = write!(
                s,
                "{:>6} user \x1b[38;5;{}m{:>5.1}\x1b[0m \x1b[48;2;{};{};40m{:>4}M\x1b[0m {}\x1b[K",
                r.below(99999),
                r.below(256),
                r.below(1000) as f32 / 10.0,
                r.below(256),
                r.below(256),
                r.below(4096),
                WORDS[r.below(WORDS.len())]
            );
        }
        for _ in 0..10 {
            let _ = write!(
                s,
                "\x1b[{rows};1H\n\x1b[1;33m{:>6}\x1b[0m scrolled in region\x1b[K",
                r.below(99999)
            );
        }
        s.push_str("\x1b[r\x1b[J");
    }
    s.into_bytes()
}

/// (c) UTF-8 heavy: CJK, emoji (incl. ZWJ and VS16), combining marks,
/// Cyrillic and Greek.
pub fn utf8(size: usize) -> Vec<u8> {
    const PIECES: &[&str] = &[
        "漢字",
        "かなカナ",
        "한국어",
        "中文输入法",
        "😀",
        "👍🏽",
        "👨‍👩‍👧",
        "❤️",
        "e\u{301}",
        "a\u{308}\u{323}",
        "n\u{303}",
        "Привет",
        "Ελληνικά",
        "ＡＢＣ",
        "│─┼",
        " ",
        " ",
        "ascii",
    ];
    let mut r = Rng::new(3);
    let mut s = String::with_capacity(size + 128);
    while s.len() < size {
        for _ in 0..r.below(20) {
            s.push_str(PIECES[r.below(PIECES.len())]);
        }
        s.push_str("\r\n");
    }
    s.into_bytes()
}
