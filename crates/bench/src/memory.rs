//! Idle memory: the PSS of each tool's processes with one detached idle
//! session, then with more, for every tool side by side.
//!
//! Two kinds of idle session are measured: one that printed one line (an
//! empty screen) and one that filled its screen and more than 500 lines of
//! scrollback. Each kind runs in its own instance of the tools (its own
//! sessd, tmux server, ...: see [`Ctx::instance`]), so both kinds and all
//! tools can settle at the same time: the settle time is paid twice per run,
//! not four times per tool.

use std::time::{Duration, Instant};

use crate::error::{Result, bail};
use crate::procs::{self, Pss};
use crate::report::Phase;
use crate::tools::{Ctx, Kind, STEP_TIMEOUT, sh};
use crate::workload::{self, Markers};

/// Name of the tools' instance that holds the full-screen sessions.
pub const FULL_INSTANCE: &str = "full";

/// Lines of scrollback GNU screen keeps in the full-screen instance (its
/// default is 100; sess keeps `restore-lines`, 500, and tmux 2000).
pub const SCREEN_SCROLLBACK: usize = 500;

/// What an idle session printed before it went idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Idle {
    /// One line, the ready marker.
    Empty,
    /// A full 80x24 screen of coloured text and 500+ lines of scrollback.
    Full,
}

impl Idle {
    /// The measurement (`--skip` name) of this kind of session.
    pub fn phase(self) -> Phase {
        match self {
            Idle::Empty => Phase::Memory,
            Idle::Full => Phase::MemoryFull,
        }
    }

    fn script(self) -> &'static str {
        match self {
            Idle::Empty => workload::IDLE,
            Idle::Full => workload::IDLE_FULL,
        }
    }
}

/// Idle memory of one tool's sessions, KiB of PSS.
pub struct Memory {
    /// All the tool's processes with one detached session.
    pub first: Pss,
    /// Growth of that per additional detached session.
    pub per_extra_kib: f64,
    /// Of which anonymous memory.
    pub per_extra_anon_kib: f64,
    /// sessd's own PSS at the end (sess only).
    pub daemon: Option<Pss>,
}

/// One tool's sessions of one kind, in the instance `ctx`.
pub struct Subject<'c> {
    pub idle: Idle,
    pub kind: Kind,
    pub ctx: &'c Ctx,
    /// PSS with the first session, once measured.
    first: Option<Pss>,
}

impl<'c> Subject<'c> {
    pub fn new(idle: Idle, kind: Kind, ctx: &'c Ctx) -> Self {
        Subject { idle, kind, ctx, first: None }
    }
}

/// The result of one subject.
pub type Outcome = (Idle, Kind, Result<Memory>);

/// Runs the memory test on all `subjects` at once: one detached session
/// each, a wait until every session's program is idle plus `settle`, the
/// PSS; then `extra` more sessions each, the same wait, the PSS again.
pub fn run(
    subjects: Vec<Subject<'_>>,
    extra: usize,
    settle: Duration,
    m: &mut Markers,
) -> Vec<Outcome> {
    let mut live = subjects;
    let mut done = Vec::new();
    each(&mut live, &mut done, |s| start_idle(s, m));
    settle_all(&mut live, &mut done, 1, settle);
    each(&mut live, &mut done, |s| {
        s.first = Some(tool_pss(s)?);
        Ok(())
    });
    each(&mut live, &mut done, |s| (0..extra).try_for_each(|_| start_idle(s, m)));
    settle_all(&mut live, &mut done, extra + 1, settle);
    for s in live {
        let first = s.first.expect("measured above");
        let memory = tool_pss(&s).map(|all| {
            let per = |a: u64, b: u64| (a as f64 - b as f64) / extra as f64;
            Memory {
                first,
                per_extra_kib: per(all.total, first.total),
                per_extra_anon_kib: per(all.anon, first.anon),
                daemon: if s.kind == Kind::Sess {
                    s.ctx.sessd_pid().and_then(procs::pss)
                } else {
                    None
                },
            }
        });
        done.push((s.idle, s.kind, memory));
    }
    done
}

/// Applies `f` to every subject; a subject it fails for is done, with the
/// error.
fn each<'c>(
    live: &mut Vec<Subject<'c>>,
    done: &mut Vec<Outcome>,
    mut f: impl FnMut(&mut Subject<'c>) -> Result<()>,
) {
    let mut i = 0;
    while i < live.len() {
        match f(&mut live[i]) {
            Ok(()) => i += 1,
            Err(e) => {
                let s = live.remove(i);
                done.push((s.idle, s.kind, Err(e)));
            }
        }
    }
}

/// Starts one more detached idle session of `s`.
fn start_idle(s: &Subject<'_>, m: &mut Markers) -> Result<()> {
    let ready = m.next('I');
    s.ctx.start_detached(s.kind, &sh(s.idle.script(), &[&ready]), &ready)
}

/// Waits until every subject has `sessions` idle programs running (that is,
/// each has printed all its output), then `settle` more: a tool may still
/// work after the output stops (read what the pty still holds, parse it,
/// free buffers, compact its screen after a quiet spell).
fn settle_all(
    live: &mut Vec<Subject<'_>>,
    done: &mut Vec<Outcome>,
    sessions: usize,
    settle: Duration,
) {
    let deadline = Instant::now() + STEP_TIMEOUT;
    let mut waiting: Vec<usize> = (0..live.len()).collect();
    while !waiting.is_empty() && Instant::now() < deadline {
        waiting.retain(|&i| sleepers(&live[i]) != sessions);
        if !waiting.is_empty() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    each(live, done, |s| match sleepers(s) {
        n if n == sessions => Ok(()),
        n => bail!("{n} idle programs running, expected {sessions}"),
    });
    if !live.is_empty() {
        std::thread::sleep(settle);
    }
}

/// How many of `s`'s idle programs (`sleep`) are running.
fn sleepers(s: &Subject<'_>) -> usize {
    procs::with_env(&[s.ctx.tag(s.kind)]).iter().filter(|p| p.comm == "sleep").count()
}

/// The PSS of all of `s`'s tool processes, summed.
fn tool_pss(s: &Subject<'_>) -> Result<Pss> {
    let pids = s.ctx.tool_pids(s.kind);
    if pids.is_empty() {
        bail!("no {} processes found", s.kind);
    }
    Ok(pids.iter().filter_map(|&pid| procs::pss(pid)).fold(Pss::default(), |a, b| a + b))
}
