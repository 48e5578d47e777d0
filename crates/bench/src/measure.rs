//! The four measurements, each on one tool at a time.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Result, bail};
use crate::procs::{self, Pss};
use crate::term::TestTerm;
use crate::tools::{Ctx, Handle, Kind, STEP_TIMEOUT, sh};
use crate::workload::{self, Markers};

/// Throughput figures are given per this many bytes of output.
pub const CPU_PER_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// How long one pass of the file may take before the tool is given up on.
const THROUGHPUT_TIMEOUT: Duration = Duration::from_secs(300);

/// Keys typed in the echo test: letters that no terminal control sequence a
/// tool might send around the echo is likely to contain.
const ECHO_KEYS: &[u8] = b"vwxyzjkq";

/// Pause after each echo (the terminal must stay quiet this long), so that
/// samples are separate keystrokes and stray output is drained.
const ECHO_GAP: Duration = Duration::from_millis(2);

/// One pass of the file through a tool.
pub struct ThroughputRun {
    /// Elapsed time from the key that starts `cat` to the end marker.
    pub secs: f64,
    /// CPU time the tool's processes spent meanwhile (None for the raw pty).
    pub cpu_secs: Option<f64>,
    /// Bytes the test terminal received (tmux and screen render the
    /// screen instead of passing every byte on).
    pub bytes_seen: u64,
}

/// Runs `cat FILE` inside `kind` on a test terminal and times it, from the
/// key that starts it to the end marker it prints afterwards. The tool's
/// start-up is not timed.
pub fn throughput(ctx: &Ctx, kind: Kind, file: &Path, m: &mut Markers) -> Result<ThroughputRun> {
    let (ready, end) = (m.next('R'), m.next('E'));
    let program = sh(workload::THROUGHPUT, &[&ready, &file.to_string_lossy(), &end]);
    let (mut term, _) = ctx.start(kind, &program)?;
    let run = (|| {
        term.wait_for(ready.as_bytes(), STEP_TIMEOUT)?;
        // Let the tool finish its start-up output before timing.
        term.drain_until_quiet(Duration::from_millis(100), Duration::from_secs(2))?;
        let pids = ctx.tool_pids(kind);
        let before = cpu_ticks(&pids);
        let bytes_before = term.bytes_read;
        let start = Instant::now();
        term.write(b"\r")?;
        let done = term.wait_for(end.as_bytes(), THROUGHPUT_TIMEOUT)?;
        // Read before the program ends: a tool's processes may exit with it.
        let after = cpu_ticks(&pids);
        let ticks: u64 =
            after.iter().map(|(pid, t)| t.saturating_sub(*before.get(pid).unwrap_or(&0))).sum();
        Ok(ThroughputRun {
            secs: (done - start).as_secs_f64(),
            cpu_secs: (kind != Kind::Raw).then(|| ticks as f64 / procs::ticks_per_second()),
            bytes_seen: term.bytes_read - bytes_before,
        })
    })();
    end_session(ctx, kind, &mut term);
    run
}

fn cpu_ticks(pids: &[i32]) -> HashMap<i32, u64> {
    pids.iter().filter_map(|&pid| Some((pid, procs::cpu_ticks(pid)?))).collect()
}

/// Ends the session on `term` by killing the program inside, and waits for
/// the tool's client to go. (A program caught between fork and exec can be
/// missed by one scan of /proc, hence the retries.)
fn end_session(ctx: &Ctx, kind: Kind, term: &mut TestTerm) {
    for _ in 0..10 {
        ctx.kill_programs(kind);
        if term.wait_exit(Duration::from_secs(1)).is_ok() {
            return;
        }
    }
    eprintln!("  warning: {kind}: the session on pid {} would not end", term.pid());
}

/// A session of one tool running the echo program, ready for keystrokes.
pub struct EchoSession {
    pub kind: Kind,
    term: TestTerm,
    /// Keystrokes typed so far.
    typed: usize,
}

impl EchoSession {
    /// Starts the echo program inside `kind` and waits until it is ready.
    pub fn start(ctx: &Ctx, kind: Kind, m: &mut Markers) -> Result<EchoSession> {
        let ready = m.next('R');
        let (term, _) = ctx.start(kind, &sh(workload::ECHO, &[&ready]))?;
        let mut session = EchoSession { kind, term, typed: 0 };
        let up = session.term.wait_for(ready.as_bytes(), STEP_TIMEOUT).and_then(|_| {
            session.term.drain_until_quiet(Duration::from_millis(100), Duration::from_secs(2))
        });
        match up {
            Ok(()) => Ok(session),
            Err(e) => {
                session.end(ctx);
                Err(e)
            }
        }
    }

    /// Types one key and times until it comes back, in µs.
    pub fn sample(&mut self) -> Result<f64> {
        // Back to the start of the line now and then, unmeasured, so the
        // tools draw on one line instead of scrolling.
        if self.typed % 64 == 63 {
            self.term.write(b"\r")?;
            self.term.drain_until_quiet(Duration::from_millis(5), Duration::from_secs(1))?;
        }
        let key = ECHO_KEYS[self.typed % ECHO_KEYS.len()];
        self.typed += 1;
        self.term.drain_now()?;
        let start = Instant::now();
        self.term.write(&[key])?;
        let back = self.term.wait_for(&[key], Duration::from_secs(5))?;
        // Anything the tool writes after the echo (cursor updates) is read
        // here, outside the timing; this is also the pause between keys.
        self.term.drain_until_quiet(ECHO_GAP, Duration::from_secs(1))?;
        Ok((back - start).as_secs_f64() * 1e6)
    }

    /// Ends the session.
    pub fn end(mut self, ctx: &Ctx) {
        end_session(ctx, self.kind, &mut self.term);
    }
}

/// Reconnect times of `kind` in ms: a session that has filled its screen
/// and some scrollback is detached, then reattached `times` times (after one
/// unrecorded warm-up); each time is from starting the attaching command to
/// the session's last line arriving on the new terminal. dtach keeps no
/// screen: for it the time is to the program's answer to the ^L redraw
/// request (the program echoes it).
pub fn reconnect(ctx: &Ctx, kind: Kind, times: usize, m: &mut Markers) -> Result<Vec<f64>> {
    let marker = m.next('D');
    let known = if kind == Kind::Sess { ctx.sess_ids()? } else { Vec::new() };
    let (mut term, handle) = ctx.start(kind, &sh(workload::REDRAW, &[&marker]))?;
    term.wait_for(marker.as_bytes(), STEP_TIMEOUT)?;
    let handle = match handle {
        Some(h) => h,
        None if kind == Kind::Sess => Handle::Sess(ctx.sess_new_id(&known)?),
        None => bail!("{kind} cannot reattach"),
    };
    ctx.detach(kind, &mut term, &handle)?;
    drop(term);
    let shown: &[u8] = if kind == Kind::Dtach { b"\x0c" } else { marker.as_bytes() };
    let mut ms = Vec::with_capacity(times);
    for i in 0..=times {
        let start = Instant::now();
        let mut term = ctx.reattach(kind, &handle)?;
        let back = term.wait_for(shown, STEP_TIMEOUT).map_err(|e| e.context("reattach"))?;
        if i > 0 {
            ms.push((back - start).as_secs_f64() * 1e3);
        }
        term.drain_until_quiet(Duration::from_millis(50), Duration::from_secs(2))?;
        ctx.detach(kind, &mut term, &handle)?;
    }
    ctx.kill_programs(kind);
    Ok(ms)
}

/// Idle memory of `kind`'s sessions, KiB of PSS.
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

/// Starts one detached idle session, measures the PSS of the tool's
/// processes, starts `extra` more, measures again.
pub fn memory(ctx: &Ctx, kind: Kind, extra: usize, m: &mut Markers) -> Result<Memory> {
    let mut start_idle = |ctx: &Ctx| -> Result<()> {
        let ready = m.next('I');
        ctx.start_detached(kind, &sh(workload::IDLE, &[&ready]), &ready)
    };
    start_idle(ctx)?;
    let first = settled_pss(ctx, kind, 1)?;
    for _ in 0..extra {
        start_idle(ctx)?;
    }
    let all = settled_pss(ctx, kind, extra + 1)?;
    let per = |a: u64, b: u64| (a as f64 - b as f64) / extra as f64;
    Ok(Memory {
        first,
        per_extra_kib: per(all.total, first.total),
        per_extra_anon_kib: per(all.anon, first.anon),
        daemon: if kind == Kind::Sess { ctx.sessd_pid().and_then(procs::pss) } else { None },
    })
}

/// Waits for `sessions` idle programs to be running and the tool to be
/// quiet, then sums the PSS of the tool's processes.
fn settled_pss(ctx: &Ctx, kind: Kind, sessions: usize) -> Result<Pss> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let sleepers =
            procs::with_env(&[ctx.tag(kind)]).iter().filter(|p| p.comm == "sleep").count();
        if sleepers == sessions {
            break;
        }
        if Instant::now() > deadline {
            bail!("{sleepers} idle programs running, expected {sessions}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Idle means after start-up: give lazy allocations and timers a moment.
    std::thread::sleep(Duration::from_secs(1));
    let pids = ctx.tool_pids(kind);
    if pids.is_empty() {
        bail!("no {kind} processes found");
    }
    Ok(pids.iter().filter_map(|&pid| procs::pss(pid)).fold(Pss::default(), |a, b| a + b))
}
