//! Sessions that write prepared output in steps, and the round trip the
//! screen tests make with them: output live on one terminal, disconnect,
//! reconnect on a new terminal, judge what that terminal shows.

use super::{COLS, Judge, ROWS, View, dump, judge, reconnect, shows, start_script, texts};
use crate::harness::{Pending, Term, World};

/// Starts a session whose program writes `~/step-K` (K = 1, 2, ...) one
/// after the other, each once `~/go-K` exists (and notes `~/done-K` when
/// it is written), then idles; the pieces of a
/// step (`~/step-K/NNN`) are written by separate `cat`s. Step 1 goes once
/// the connect has cleared `term`'s screen, so that it passes through live.
/// Returns the id.
pub(super) fn start_steps(
    world: &World,
    term: &mut Term,
    steps: &[Vec<Vec<u8>>],
) -> (String, Pending) {
    for (k, pieces) in steps.iter().enumerate() {
        let dir = world.home.join(format!("step-{}", k + 1));
        std::fs::create_dir(&dir).expect("a step's dir");
        for (i, piece) in pieces.iter().enumerate() {
            std::fs::write(dir.join(format!("{i:05}")), piece).expect("a step's piece");
        }
    }
    // Between pieces the writer pauses, so that the master most likely
    // reads them apart (nothing waits on that: merged reads would only
    // make the split test weaker).
    let body = "k=1\n\
                while [ -d \"$HOME/step-$k\" ]; do\n\
                  while [ ! -e \"$HOME/go-$k\" ]; do sleep 0.05; done\n\
                  for f in \"$HOME/step-$k\"/*; do cat \"$f\"; sleep 0.01; done\n\
                  : >\"$HOME/done-$k\"\n\
                  k=$((k+1))\n\
                done\n\
                exec sleep 100000\n";
    let mark = term.mark();
    let (id, done) = start_script(world, term, "steps.sh", body);
    term.wait_bytes("the connect to clear the screen", mark, |bytes| {
        let typed = bytes.windows(8).any(|w| w == b"steps.sh");
        let rows = texts(&judge(ROWS, COLS, bytes));
        if typed && rows.iter().all(|r| r.is_empty()) { Ok(()) } else { Err(dump(&rows)) }
    });
    (id, done)
}

/// Lets step `k` be written.
pub(super) fn go(world: &World, k: usize) {
    world.file(&format!("go-{k}"), "");
}

/// Waits until the program has written step `k`.
#[track_caller]
pub(super) fn written(world: &World, k: usize) {
    let flag = world.home.join(format!("done-{k}"));
    crate::harness::wait_until(&format!("step {k} written"), || flag.exists());
}

/// One piece: a whole step written at once.
pub(super) fn whole(bytes: impl AsRef<[u8]>) -> Vec<Vec<u8>> {
    vec![bytes.as_ref().to_vec()]
}

/// What a new terminal showed after a reconnect: the judge of it and the
/// raw bytes (from before `reconnect` was typed).
pub(super) struct Restored {
    pub judge: Judge,
    /// Where the bytes begin.
    pub mark: usize,
    pub bytes: Vec<u8>,
    pub done: Pending,
}

/// Disconnects session `id` (connected on `term` by `done`), then
/// [`restore`]s it on `fresh`.
#[track_caller]
pub(super) fn round_trip(
    world: &World,
    term: &mut Term,
    done: Pending,
    fresh: &mut Term,
    id: &str,
    want: &View,
) -> Restored {
    super::disconnect(world, term, id, done);
    restore(fresh, id, want)
}

/// Reconnects the disconnected session `id` on `fresh` and waits until
/// `fresh` shows `want`.
#[track_caller]
pub(super) fn restore(fresh: &mut Term, id: &str, want: &View) -> Restored {
    let (mark, done) = reconnect(fresh, id);
    let mut check = shows(want, ROWS, COLS);
    let (judge, bytes) = fresh.wait_bytes("the screen, restored", mark, |bytes| {
        check(bytes).map(|judge| (judge, bytes.to_vec()))
    });
    Restored { judge, mark, bytes, done }
}
