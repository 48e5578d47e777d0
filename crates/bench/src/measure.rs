//! Throughput, echo and reconnect, each on one tool at a time (the memory
//! test, which takes all tools side by side, is in `memory`).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Result, bail};
use crate::procs;
use crate::term::{ROWS, TestTerm};
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

/// Reconnect times and what each reattach drew.
pub struct Reconnect {
    /// Time from starting the attaching command to the screen's last line,
    /// ms, each reattach.
    pub ms: Vec<f64>,
    /// Bytes the test terminal received meanwhile, each reattach.
    pub bytes: Vec<f64>,
}

/// The least a redraw of a full screen takes: every row holds 76 columns of
/// text, so a tool that redraws the screen sends more than this.
const FULL_REDRAW_MIN: u64 = ROWS as u64 * 60;

/// Reconnect times of `kind`: a session that has filled its screen and more
/// than 500 lines of scrollback (see `workload::REDRAW`) is detached, then
/// reattached `times` times (after one unrecorded warm-up) on a fresh test
/// terminal each time; each time is from starting the attaching command to
/// the session's last line (a marker) arriving on the new terminal, and a
/// redraw that holds less than a screen of text is an error. dtach keeps no
/// screen: for it the time is to the program's answer to the ^L redraw
/// request (the program echoes it).
pub fn reconnect(ctx: &Ctx, kind: Kind, times: usize, m: &mut Markers) -> Result<Reconnect> {
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
    let mut r = Reconnect { ms: Vec::with_capacity(times), bytes: Vec::with_capacity(times) };
    for i in 0..=times {
        let start = Instant::now();
        let mut term = ctx.reattach(kind, &handle)?;
        let back = term.wait_for(shown, STEP_TIMEOUT).map_err(|e| e.context("reattach"))?;
        let drawn = term.bytes_read;
        if kind != Kind::Dtach && drawn < FULL_REDRAW_MIN {
            bail!("the reattach drew only {drawn} bytes up to the last line: not a full screen");
        }
        if i > 0 {
            r.ms.push((back - start).as_secs_f64() * 1e3);
            r.bytes.push(drawn as f64);
        }
        term.drain_until_quiet(Duration::from_millis(50), Duration::from_secs(2))?;
        ctx.detach(kind, &mut term, &handle)?;
    }
    ctx.kill_programs(kind);
    Ok(r)
}
