//! Hostile output (issue 3 point 4, end to end): random bytes, truncated
//! escapes, huge parameters, unterminated strings, a flood of queries. The
//! master stays alive with its memory bounded, and a reconnect shows a sane
//! screen and later output.

use super::steps::{Restored, go, restore, start_steps, whole, written};
use super::{COLS, ROWS, judge, shows, view};
use crate::harness::{World, json_pid, wait_until};

/// The most resident memory a master may reach (`VmHWM`).
const MAX_RSS_KIB: u64 = 64 * 1024;

/// A fixed-seed xorshift generator: the same bytes on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Sequences cut short, each followed by text (and a UTF-8 character cut
/// short).
fn truncated() -> Vec<u8> {
    let starts: [&[u8]; 12] = [
        b"\x1b",
        b"\x1b[",
        b"\x1b[12;",
        b"\x1b[?10",
        b"\x1b[38;2;1",
        b"\x1b]2;half a title",
        b"\x1bP1$",
        b"\x1bP+q5",
        b"\x1b_apc",
        b"\x1b(",
        b"\x1b#",
        b"\xe4\xb8",
    ];
    let mut out = Vec::new();
    for _ in 0..200 {
        for s in starts {
            out.extend_from_slice(s);
            out.extend_from_slice(b"text\r\n");
        }
    }
    out
}

/// Sequences with huge or very many parameters.
fn huge_parameters() -> Vec<u8> {
    let mut out = Vec::new();
    for seq in [
        "\x1b[999999999999999999999;99999999999H",
        "\x1b[4294967296@",
        "\x1b[65535L",
        "\x1b[65535M",
        "x\x1b[99999999b",
        "\x1b[1;99999999r",
        "\x1b[99999999X",
        "\x1b[99999999P",
        "\x1b[99999999S",
        "\x1b[99999999T",
        "\x1b[99999999I",
        "\x1b[99999999Z",
        "\x1b[?99999999h",
        "\x1b[38;5;99999m",
        "\x1b[38;2;999999;1;1m",
        "\x1b[8;9999;9999t",
        "\x1b[99999999;99999999;99999999;99999999$x",
        "\x1b#8",
    ] {
        out.extend_from_slice(seq.as_bytes());
    }
    out.extend_from_slice(b"\x1b[");
    out.extend(std::iter::repeat_n(b"1;", 100_000).flatten());
    out.extend_from_slice(b"m\x1b[");
    out.extend(std::iter::repeat_n(b'9', 100_000));
    out.extend_from_slice(b"m");
    out
}

/// A string of `len` bytes opened by `start` and never terminated.
fn unterminated(start: &[u8], len: usize) -> Vec<u8> {
    let mut out = start.to_vec();
    out.extend(std::iter::repeat_n(b'A', len));
    out
}

/// What the program shows after the hostile output: cancel any sequence,
/// end any string, reset the terminal, paint.
const SANE: &str = "\x18\x1b\\\x1bc\x1b[H\x1b[2Jsane after hostile output\r\n\
                    \x1b[1;31mstill red\x1b[0m \u{4e2d}\u{6587}\x1b]2;survived\x07";

/// The master's peak resident memory in KiB (`VmHWM`).
fn peak_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("master's status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmHWM in kB")
}

#[test]
fn hostile_output_leaves_the_master_alive_bounded_and_its_screen_sane() {
    let world = World::new();
    let mut random = Random(0x5eed_1234_abcd_ef01);
    let mut hostile: Vec<Vec<u8>> = (0..16).map(|_| random.bytes(64 * 1024)).collect();
    hostile.push(truncated());
    hostile.push(huge_parameters());
    for start in [&b"\x1bP1;2|"[..], b"\x1bX", b"\x1b^", b"\x1b_"] {
        hostile.push(b"\x18".to_vec());
        hostile.push(unterminated(start, 1 << 20));
    }
    hostile.push(b"\x18".to_vec());
    hostile.push(unterminated(b"\x1b]2;", 10 << 20));
    hostile.push(SANE.as_bytes().to_vec());
    let later = "\r\nlater output";
    let steps = [whole("\x1b[H\x1b[2Jbefore"), hostile, whole(later)];

    let mut term = world.term();
    let (id, done) = start_steps(&world, &mut term, &steps);
    let mark = term.mark();
    go(&world, 1);
    let before = judge(ROWS, COLS, b"\x1b[H\x1b[2Jbefore");
    term.wait_bytes("the screen before, live", mark, shows(&view(&before), ROWS, COLS));
    let program = world.program_pid(&id);
    let master = json_pid(&world.session(&id), "master_pid");
    super::disconnect(&world, &mut term, &id, done);

    // The hostile output is read while no terminal is connected: only the
    // model sees it.
    go(&world, 2);
    written(&world, 2);
    let peak = peak_kib(master);
    assert!(peak < MAX_RSS_KIB, "the master's peak resident memory: {peak} KiB");
    assert!(crate::harness::alive(program), "the program is alive");

    let want = judge(ROWS, COLS, SANE.as_bytes());
    let mut fresh = world.term();
    let Restored { mark, done, .. } = restore(&mut fresh, &id, &view(&want));
    go(&world, 3);
    let mut all = SANE.to_owned();
    all.push_str(later);
    let want = judge(ROWS, COLS, all.as_bytes());
    fresh.wait_bytes("later output, live", mark, shows(&view(&want), ROWS, COLS));
    wait_until("the master is still the session's", || {
        json_pid(&world.session(&id), "master_pid") == master
    });
    super::disconnect(&world, &mut fresh, &id, done);
}

#[test]
fn queries_nobody_reads_do_not_grow_the_master() {
    let world = World::new();
    // 8 MiB of cursor position and device attribute queries (replies of
    // 11 MiB): while no terminal is connected the model answers them, into
    // the input of a program that never reads it (and does not echo it).
    std::fs::write(world.home.join("queries.bin"), b"\x1b[6n\x1b[c".repeat(1 << 16))
        .expect("write the queries");
    let body = "stty -echo\n\
                while [ ! -e \"$HOME/go\" ]; do sleep 0.05; done\n\
                i=0; while [ $i -lt 16 ]; do cat \"$HOME/queries.bin\"; i=$((i+1)); done\n\
                printf '\\033[H\\033[2Jasked and never read\\033]2;flooded\\007'\n\
                : >\"$HOME/flooded\"\n\
                exec sleep 100000\n";
    let mut term = world.term();
    let (id, done) = super::start_script(&world, &mut term, "flood.sh", body);
    let program = world.program_pid(&id);
    let master = json_pid(&world.session(&id), "master_pid");
    super::disconnect(&world, &mut term, &id, done);
    let before = peak_kib(master);
    world.file("go", "");
    let flooded = world.home.join("flooded");
    wait_until("the program wrote every query", || flooded.exists());
    let peak = peak_kib(master);
    assert!(
        peak < before + 4096,
        "the master's peak resident memory: {before} KiB before the queries, {peak} KiB after"
    );
    assert!(crate::harness::alive(program), "the program is alive");

    let paint = "\x1b[H\x1b[2Jasked and never read\x1b]2;flooded\x07";
    let want = judge(ROWS, COLS, paint.as_bytes());
    let mut fresh = world.term();
    let Restored { done, .. } = restore(&mut fresh, &id, &view(&want));
    super::disconnect(&world, &mut fresh, &id, done);
}
