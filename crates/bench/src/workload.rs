//! What runs inside the tools: the shell snippets, the markers they print,
//! and the text file the throughput test prints.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::Result;

/// Throughput: announce readiness, wait for a key, print the file, print the
/// end marker (on its own line, attributes reset), then idle so that the
/// tool's processes are still there when their CPU time is read.
/// Arguments: $1 ready marker, $2 file, $3 end marker.
pub const THROUGHPUT: &str =
    r#"printf '\r\n%s' "$1"; read x; cat "$2"; printf '\033[0m\r\n%s' "$3"; exec sleep 100000"#;

/// Echo latency: a raw, non-echoing terminal and a `cat` that writes back
/// every byte as soon as it is read (GNU cat writes what each read returns).
/// Argument: $1 ready marker.
pub const ECHO: &str = r#"stty raw -echo; printf '\r\n%s' "$1"; exec cat"#;

/// The start of a script that fills an 80x24 screen and more than 500
/// lines of scrollback: 600 numbered lines of 76 columns (they do not
/// wrap) with SGR colours and bold in each, ending with a newline.
/// A macro, so that the scripts below can `concat!` it.
macro_rules! fill_screen {
    () => {
        r#"i=1
while [ $i -le 600 ]; do
  printf 'line %04d \033[3%dmsession\033[0m \033[1;3%dmcolour\033[0m: the quick brown fox jumps over the lazy dog %06d\n' $i $((i % 8)) $(((i + 3) % 8)) $((i * 7919 % 1000000))
  i=$((i + 1))
done
"#
    };
}

/// Reconnect: fill the screen and the scrollback (see [`fill_screen!`]),
/// show the marker on the last line, then echo raw input (dtach's redraw is
/// a ^L sent to the program, which `cat` echoes). Argument: $1 marker.
pub const REDRAW: &str = concat!(fill_screen!(), r#"stty raw -echo; printf '%s' "$1"; exec cat"#);

/// Idle memory, empty screen: announce readiness and sleep.
/// Argument: $1 ready marker.
pub const IDLE: &str = r#"printf '\r\n%s' "$1"; exec sleep 100000"#;

/// Idle memory, full screen: fill the screen and the scrollback (see
/// [`fill_screen!`]), announce readiness and sleep. Argument: $1 ready marker.
pub const IDLE_FULL: &str = concat!(fill_screen!(), r#"printf '\r\n%s' "$1"; exec sleep 100000"#);

/// Command names of the workload processes above: they are not counted as
/// the tool's own processes.
pub const WORKLOAD_COMMS: [&str; 4] = ["sh", "cat", "sleep", "stty"];

/// Makes markers that occur nowhere else in the output: `|` never occurs
/// in the generated file, and the serial number makes each marker unique
/// within the run.
pub struct Markers {
    run: String,
    serial: u32,
}

impl Markers {
    pub fn new(run: &str) -> Self {
        Markers { run: run.to_string(), serial: 0 }
    }

    /// A new marker; `kind` is a letter saying what it marks.
    pub fn next(&mut self, kind: char) -> String {
        self.serial += 1;
        format!("|{kind}{}-{:05}|", self.run, self.serial)
    }
}

/// Writes `size` bytes (rounded up to whole lines) of mixed terminal text to
/// `path` and returns the exact size: words, numbers and punctuation, lines
/// from empty to several screen widths (so they wrap), tabs, UTF-8 in several
/// scripts including double-width CJK, and SGR colours. Never contains `|`.
/// Deterministic, so every run prints the same bytes.
pub fn write_mixed_text(path: &Path, size: u64) -> Result<u64> {
    const WORDS: &[&str] = &[
        "the",
        "session",
        "terminal",
        "daemon",
        "master",
        "pty",
        "output",
        "input",
        "screen",
        "of",
        "and",
        "to",
        "in",
        "is",
        "process",
        "signal",
        "socket",
        "write",
        "read",
        "buffer",
        "error",
        "warning",
        "info",
        "debug",
        "connect",
        "detach",
        "value",
        "result",
        "return",
        "fn",
        "let",
        "struct",
        "impl",
        "match",
        "=>",
        "->",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ";",
        "0x7f3a",
        "1024",
        "65536",
        "3.14159",
        "-42",
        "2024-06-01T12:34:56Z",
        "/usr/lib/x86_64",
        "naïve",
        "café",
        "Grüße",
        "Ελληνικά",
        "русский",
        "日本語",
        "中文字符",
        "한국어",
        "→",
        "✓",
        "#include",
        "<stdio.h>",
        "printf(\"%d\\n\",",
        "x+=1;",
        "a*b/c",
        "$HOME",
        "@user",
        "100%",
        "'quoted'",
        "\"double\"",
        "key=value",
        "a&&b",
        "C:\\path",
        "e.g.",
        "etc.",
        "ok!",
        "why?",
    ];
    const COLOURS: &[&str] =
        &["\x1b[31m", "\x1b[32m", "\x1b[1;33m", "\x1b[34m", "\x1b[4m", "\x1b[38;5;208m", "\x1b[7m"];

    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut written = 0u64;
    let mut line = String::new();
    while written < size {
        line.clear();
        // Mostly short and medium lines, some long ones that wrap.
        let target = match rng.below(20) {
            0 => 0,
            1..=14 => 10 + rng.below(70),
            15..=18 => 80 + rng.below(120),
            _ => 200 + rng.below(400),
        };
        if rng.below(8) == 0 {
            line.push('\t');
        }
        while line.len() < target {
            let word = WORDS[rng.below(WORDS.len())];
            if rng.below(16) == 0 {
                line.push_str(COLOURS[rng.below(COLOURS.len())]);
                line.push_str(word);
                line.push_str("\x1b[0m");
            } else {
                line.push_str(word);
            }
            line.push(if rng.below(12) == 0 { '\t' } else { ' ' });
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok(written)
}

/// xorshift64: a deterministic generator, good enough to vary text.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_text_has_no_marker_byte() {
        let path = std::env::temp_dir().join(format!("sess-bench-text-{}", std::process::id()));
        let size = write_mixed_text(&path, 200_000).unwrap();
        let text = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(text.len() as u64, size);
        assert!(size >= 200_000);
        assert!(!text.contains(&b'|'));
        assert!(std::str::from_utf8(&text).is_ok());
        assert!(text.contains(&0x1b));
    }

    #[test]
    fn full_screen_script_prints_600_coloured_lines_that_do_not_wrap() {
        let out = std::process::Command::new("sh").args(["-c", fill_screen!()]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 600);
        assert!(lines[599].starts_with("line 0600 "), "{}", lines[599]);
        for line in lines {
            assert!(line.contains("\x1b[1;3"), "{line:?}");
            let visible = strip_sgr(line).chars().count();
            assert!((70..80).contains(&visible), "{visible} columns: {line:?}");
        }
        assert!(!text.contains('|'));
    }

    /// `line` without its SGR sequences.
    fn strip_sgr(line: &str) -> String {
        let mut out = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                chars.by_ref().find(|&c| c == 'm');
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn markers_are_unique() {
        let mut m = Markers::new("ab12");
        assert_ne!(m.next('R'), m.next('R'));
        assert!(m.next('E').starts_with("|Eab12-"));
    }
}
