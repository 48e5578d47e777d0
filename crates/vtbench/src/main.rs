//! sess-vtbench: chooses the VT emulator crate for the session master.
//!
//! One run measures parse speed, restore fidelity (round trip), robustness,
//! chunk-split invariance and memory of `vt100`, `avt` and
//! `alacritty_terminal`, and prints Markdown tables (see docs/VT-EMULATOR.md).
//!
//! `cargo run --release -p sess-vtbench [-- --quick]`

mod alloc;
mod emu;
mod fidelity;
mod inputs;
mod model;

use emu::{KINDS, Kind};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

const MIB: f64 = 1024.0 * 1024.0;
/// What a pty read typically returns.
const CHUNK: usize = 4096;

/// Feeds `input` in pty-sized chunks into a fresh emulator, `runs` times;
/// returns the median throughput in MiB/s.
fn speed(k: Kind, input: &[u8], cols: usize, rows: usize, runs: usize) -> f64 {
    let mut rates: Vec<f64> = (0..runs)
        .map(|_| {
            let mut e = k.make(cols, rows, 500);
            let t = Instant::now();
            for c in input.chunks(CHUNK) {
                e.feed(c);
            }
            let dt = t.elapsed().as_secs_f64();
            drop(e);
            input.len() as f64 / MIB / dt
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// The bare `vte` parser (shared by vt100 and alacritty_terminal) with a
/// no-op handler: a calibration line for this machine.
fn vte_only(input: &[u8], runs: usize) -> f64 {
    struct Nop;
    impl alacritty_terminal::vte::Perform for Nop {}
    let mut rates: Vec<f64> = (0..runs)
        .map(|_| {
            let mut p = alacritty_terminal::vte::Parser::new();
            let t = Instant::now();
            for c in input.chunks(CHUNK) {
                p.advance(&mut Nop, c);
            }
            input.len() as f64 / MIB / t.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn bench(quick: bool) {
    let size = if quick { 4 << 20 } else { 32 << 20 };
    let runs = if quick { 3 } else { 5 };
    let inputs = [
        ("plain text", inputs::plain(size)),
        ("mixed (SGR + CUP/EL/ED + region scroll)", inputs::mixed(size, 24)),
        ("UTF-8 (CJK, emoji, combining)", inputs::utf8(size)),
    ];
    let mixed50 = inputs::mixed(size, 50);
    println!("## Parse speed\n");
    println!(
        "MiB/s, median of {runs} runs, {} MiB per input, fed in {CHUNK}-byte chunks, 500 lines of scrollback. Target: ≥ 64 MiB/s on mixed.\n",
        size >> 20
    );
    println!("| crate | plain 80x24 | mixed 80x24 | UTF-8 80x24 | mixed 200x50 | mixed ≥ 64? |");
    println!("|---|---|---|---|---|---|");
    for k in KINDS {
        let r: Vec<f64> = inputs.iter().map(|(_, i)| speed(k, i, 80, 24, runs)).collect();
        let m50 = speed(k, &mixed50, 200, 50, runs);
        let pass = if r[1] >= 64.0 && m50 >= 64.0 { "yes" } else { "NO" };
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {pass} |",
            k.name(),
            r[0],
            r[1],
            r[2],
            m50
        );
    }
    let r: Vec<f64> = inputs.iter().map(|(_, i)| vte_only(i, runs)).collect();
    println!(
        "| (calibration: bare vte parser, no-op handler) | {:.0} | {:.0} | {:.0} | {:.0} | |",
        r[0],
        r[1],
        r[2],
        vte_only(&mixed50, runs)
    );
    println!();
}

/// Runs `f` on a thread with a deadline: "ok (time)", "PANIC", or "HANG".
fn guarded(limit: Duration, f: impl FnOnce() -> String + Send + 'static) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let t = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(match r {
            Ok(s) => format!("ok {:.2}s{s}", t.elapsed().as_secs_f64()),
            Err(_) => "PANIC".into(),
        });
    });
    rx.recv_timeout(limit).unwrap_or_else(|_| format!("HANG (> {}s)", limit.as_secs()))
}

fn robustness() {
    let mut r = inputs::Rng::new(9);
    let random: Vec<u8> = (0..8 << 20).map(|_| r.next() as u8).collect();
    // Escape sequences cut at random places and glued together.
    const ESC: &[&str] = &[
        "\x1b[38;2;255;128;0m",
        "\x1b[?1049h",
        "\x1b]2;title\x07",
        "\x1b[5;20r",
        "\x1b[12;40H",
        "\x1bP+q544e\x1b\\",
        "\x1b[4:3m",
        "漢字",
        "😀",
        "\x1b]8;;http://x\x1b\\",
        "\x1b[?2004h",
    ];
    let mut truncated = Vec::new();
    while truncated.len() < 4 << 20 {
        let e = ESC[r.below(ESC.len())].as_bytes();
        truncated.extend_from_slice(&e[..r.below(e.len()) + 1]);
        if r.below(4) == 0 {
            truncated.extend_from_slice(b"text ");
        }
    }
    let mut huge = Vec::new();
    for s in [
        "\x1b[99999999;99999999H",
        "\x1b[65535@",
        "\x1b[65535L",
        "\x1b[99999999M",
        "\x1b[65535b",
        "\x1b[99999999X",
        "\x1b[999999999999999999999999S",
        "\x1b[1;99999999r",
        "\x1b[?99999999h",
        "\x1b[8;9999;9999t",
        "\x1b[65535T",
        "\x1b[65535P",
        "\x1b[65535I",
        "\x1b[65535Z",
    ] {
        for _ in 0..100 {
            huge.extend_from_slice(s.as_bytes());
            huge.extend_from_slice("x漢\r\n".as_bytes());
        }
    }
    huge.extend_from_slice(b"\x1b[");
    huge.extend(std::iter::repeat_n(*b"1;", 100_000).flatten());
    huge.extend_from_slice(b"m after\r\n");
    let osc = |n: usize| {
        let mut v = b"\x1b]2;".to_vec();
        v.resize(n, b'A');
        v
    };
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("8 MiB random bytes", random),
        ("4 MiB truncated escapes", truncated),
        ("huge parameters", huge),
        ("1 MiB OSC, no terminator", osc(1 << 20)),
        ("10 MiB OSC, no terminator", osc(10 << 20)),
        ("resize storm (mixed, resized every 4 KiB)", inputs::mixed(4 << 20, 24)),
    ];
    println!("## Robustness\n");
    println!(
        "Time to feed; heap growth of the emulator afterwards. 80x24, 500 lines of scrollback.\n"
    );
    println!("| input | {} | {} | {} |", KINDS[0].name(), KINDS[1].name(), KINDS[2].name());
    println!("|---|---|---|---|");
    for (name, input) in inputs {
        let input = std::sync::Arc::new(input);
        let cells: Vec<String> = KINDS
            .into_iter()
            .map(|k| {
                let input = input.clone();
                let name = name.to_owned();
                guarded(Duration::from_secs(60), move || {
                    let before = alloc::live();
                    let mut e = k.make(80, 24, 500);
                    let storm = name.starts_with("resize");
                    const SIZES: [(usize, usize); 4] = [(200, 50), (1, 1), (13, 7), (80, 24)];
                    for (i, c) in input.chunks(CHUNK).enumerate() {
                        e.feed(c);
                        if storm {
                            let (cols, rows) = SIZES[i % SIZES.len()];
                            e.resize(cols, rows);
                        }
                    }
                    // Does it still work afterwards?
                    e.feed(b"\x07\x1b\\\x18\x1b[0m\r\nalive");
                    let alive =
                        e.snap(0).rows.iter().any(|r| r.cells.iter().any(|c| c.text == "a"));
                    let grew = alloc::live().saturating_sub(before);
                    format!(
                        ", heap {} KiB{}",
                        grew / 1024,
                        if alive { "" } else { ", NOT responsive" }
                    )
                })
            })
            .collect();
        println!("| {name} | {} | {} | {} |", cells[0], cells[1], cells[2]);
    }
    println!("\n## Chunk-split invariance\n");
    println!("A ~1.5 KB mixed input (all fidelity cases), split in two at every byte.\n");
    println!("| crate | split points differing from whole |");
    println!("|---|---|");
    for k in KINDS {
        let r = guarded(Duration::from_secs(120), move || {
            let (bad, n) = fidelity::chunk_split(k);
            format!(": {bad} of {n}")
        });
        println!("| {} | {r} |", k.name());
    }
    println!();
}

fn memory() {
    println!("## Memory\n");
    println!(
        "Live heap of one idle emulator whose screen and 500-line scrollback are full of text.\n"
    );
    println!(
        "| crate | 80x24 + 500, ASCII | 80x24 + 500, with combining marks | 200x50 + 500, ASCII |"
    );
    println!("|---|---|---|---|");
    let line = |w: usize, comb: bool| -> String {
        let mut s: String = (0..w).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        if comb {
            s = s.chars().map(|c| format!("{c}\u{301}")).collect();
        }
        s
    };
    for k in KINDS {
        let cells: Vec<String> = [(80, 24, false), (80, 24, true), (200, 50, false)]
            .into_iter()
            .map(|(cols, rows, comb)| {
                let before = alloc::live();
                let mut e = k.make(cols, rows, 500);
                let l = line(cols - 1, comb);
                for _ in 0..600 {
                    e.feed(format!("\x1b[32m{l}\x1b[0m\r\n").as_bytes());
                }
                let kib = (alloc::live() - before) / 1024;
                drop(e);
                format!("{kib} KiB")
            })
            .collect();
        println!("| {} | {} | {} | {} |", k.name(), cells[0], cells[1], cells[2]);
    }
    println!();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    println!("# sess-vtbench results\n");
    bench(quick);
    println!("## Restore fidelity (80x24, 500 lines of scrollback)\n");
    println!("{}", fidelity::matrix());
    robustness();
    memory();
    // A hung worker thread (if any) must not keep the process alive.
    std::process::exit(0);
}
