//! Keeping the master off the program's CPU while output pours.
//!
//! A program that writes faster than its terminal reads fills its pty and
//! sleeps; the master's next read of the pty wakes it, from the master's
//! own CPU, and the scheduler often places it there (wake-affine). From
//! then on the two take turns on one CPU, each waking the other onto it,
//! while the program could write in parallel with the master passing its
//! output on: output moves at about half speed. The scheduler rarely
//! undoes that on its own, because the pair looks like one CPU's worth of
//! work.
//!
//! So while output pours, the master looks every [`CHECK`] at the CPU of
//! the process most likely writing: the leader of the pty's foreground
//! process group or, when the leader has children, its first child (a
//! shell without job control runs its commands in its own group).
//! Found on the master's CPU at two checks in a row, the master moves
//! itself: it narrows its own CPU affinity to the other allowed CPUs,
//! which migrates it at once, and restores the affinity right away. It
//! keeps no pinning, moves at most every [`GAP`], and does nothing when it
//! may run on one CPU only.

use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
use nix::unistd::Pid;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// How often the writer's CPU is looked at while output pours.
const CHECK: Duration = Duration::from_millis(10);

/// The least time between two moves.
const GAP: Duration = Duration::from_millis(100);

/// Checks in a row that must find the writer on the master's CPU.
const SHARED_CHECKS: u32 = 2;

pub struct Placement {
    next_check: Instant,
    next_move: Instant,
    shared: u32,
}

impl Placement {
    pub fn new() -> Placement {
        let now = Instant::now();
        Placement { next_check: now, next_move: now, shared: 0 }
    }

    /// Output pours from the program on `pty` (a read found a whole pty
    /// chunk) at `now`: looks where the writer runs, and moves the master
    /// if it has shared its CPU for long enough.
    pub fn pouring(&mut self, pty: BorrowedFd<'_>, now: Instant) {
        if now < self.next_check {
            return;
        }
        self.next_check = now + CHECK;
        let Ok(mine) = sched_getcpu() else { return };
        if self.should_move(writer_cpu(pty) == Some(mine), now) {
            move_off(mine);
        }
    }

    /// One check's finding (the writer on the master's CPU, or not) at
    /// `now`; true when the master should move now.
    fn should_move(&mut self, shared: bool, now: Instant) -> bool {
        if !shared {
            self.shared = 0;
            return false;
        }
        self.shared += 1;
        if self.shared < SHARED_CHECKS || now < self.next_move {
            return false;
        }
        self.shared = 0;
        self.next_move = now + GAP;
        true
    }
}

/// The CPU the process most likely writing to `pty` last ran on.
fn writer_cpu(pty: BorrowedFd<'_>) -> Option<usize> {
    let leader = nix::unistd::tcgetpgrp(pty).ok()?.as_raw();
    let leader = procfs::process::Process::new(leader).ok()?;
    // A shell without job control runs its commands in its own group.
    let child = leader.task_main_thread().and_then(|t| t.children()).ok();
    let writer = match child.as_deref() {
        Some([first, ..]) => procfs::process::Process::new(i32::try_from(*first).ok()?).ok()?,
        _ => leader,
    };
    usize::try_from(writer.stat().ok()?.processor?).ok()
}

/// Migrates the calling process off `cpu`, leaving its affinity as it was.
fn move_off(cpu: usize) {
    let me = Pid::from_raw(0);
    let Ok(allowed) = sched_getaffinity(me) else { return };
    let mut others = allowed;
    if others.unset(cpu).is_err() || !(0..CpuSet::count()).any(|c| others.is_set(c) == Ok(true)) {
        return;
    }
    if let Err(e) = sched_setaffinity(me, &others) {
        debug!(error = %e, "cannot move off the program's CPU");
        return;
    }
    if let Err(e) = sched_setaffinity(me, &allowed) {
        warn!(error = %e, "cannot restore the CPU affinity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_master_moves_after_two_checks_in_a_row_find_the_writer_on_its_cpu() {
        let start = Instant::now();
        let mut p = Placement::new();
        assert!(!p.should_move(true, start));
        assert!(!p.should_move(false, start + CHECK), "a check elsewhere starts the count afresh");
        assert!(!p.should_move(true, start + 2 * CHECK));
        assert!(p.should_move(true, start + 3 * CHECK));
    }

    #[test]
    fn moves_are_at_least_a_gap_apart() {
        let start = Instant::now();
        let mut p = Placement::new();
        p.should_move(true, start);
        assert!(p.should_move(true, start + CHECK));
        let mut at = start + CHECK;
        while at + CHECK < start + CHECK + GAP {
            at += CHECK;
            assert!(!p.should_move(true, at), "moved again {:?} after a move", at - start - CHECK);
        }
        assert!(
            p.should_move(true, start + CHECK + GAP),
            "the writer stayed: move once the gap is over"
        );
    }
}
