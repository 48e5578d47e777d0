//! sess-bench: measures sess against the program on a raw pty, a minimal
//! relay, dtach, tmux and screen, in one run, and prints one table.
//!
//! 1. attached output throughput (`cat` of a big text file) and the tool's
//!    CPU time for it,
//! 2. keystroke echo latency (p50, p99),
//! 3. reconnect time (attach to a full screen, redrawn),
//! 4. idle memory (PSS) per detached session, with an empty screen and with
//!    a full screen and 500+ lines of scrollback.
//!
//! Every tool runs on a test terminal, a pty pair the benchmark opens; see
//! docs/BENCHMARKS.md for the method. Everything it starts gets a tag in its
//! environment and is killed by pid at the end (also on ^C: see
//! [`supervise`]).

mod error;
mod measure;
mod memory;
mod procs;
mod relay;
mod report;
mod stats;
mod term;
mod tools;
mod workload;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use nix::sys::signal::{SigSet, Signal};

use error::Result;
use memory::Idle;
use report::{Phase, ToolResult};
use tools::{Ctx, Kind};
use workload::Markers;

/// Benchmark sess against a raw pty, a minimal relay, dtach, tmux and screen.
#[derive(Parser)]
#[command(name = "sess-bench", version)]
struct Args {
    /// Short run: smaller file, fewer runs, samples and sessions.
    #[arg(long)]
    quick: bool,
    /// Tools to measure, in table order; absent peers are skipped.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "raw,sess,relay,dtach,tmux,screen"
    )]
    tools: Vec<Kind>,
    /// Measurements to leave out.
    #[arg(long, value_enum, value_delimiter = ',')]
    skip: Vec<Phase>,
    /// Directory of the sess binaries [default: this binary's directory].
    #[arg(long, value_name = "DIR")]
    sess_dir: Option<PathBuf>,
    /// Size of the file printed in the throughput test, MiB [default: 64, quick 16].
    #[arg(long, value_name = "MIB")]
    size: Option<u64>,
    /// Throughput runs per tool (the median counts) [default: 9, quick 3].
    #[arg(long)]
    runs: Option<usize>,
    /// Echo samples per tool [default: 2000, quick 400].
    #[arg(long)]
    samples: Option<usize>,
    /// Extra idle sessions in the memory test [default: 10, quick 5].
    #[arg(long)]
    sessions: Option<usize>,
    /// Seconds the idle sessions are left alone before their memory is
    /// measured: a tool may still work after the output stops (parse what it
    /// deferred, free buffers, compact an idle screen).
    #[arg(long, value_name = "SECS", default_value_t = 8.0)]
    settle: f64,
    /// Reattaches per tool [default: 10, quick 3].
    #[arg(long)]
    reconnects: Option<usize>,
    /// Exit with status 1 unless sess meets every target.
    #[arg(long)]
    check: bool,
    /// Keep the temporary directory (sockets, sess state and log).
    #[arg(long)]
    keep_tmp: bool,
}

/// How much of each measurement to do.
struct Plan {
    size: u64,
    runs: usize,
    echo_rounds: usize,
    echo_warmup: usize,
    echo_samples: usize,
    sessions: usize,
    settle: Duration,
    reconnects: usize,
}

impl Plan {
    fn new(args: &Args) -> Plan {
        let q = args.quick;
        let samples = args.samples.unwrap_or(if q { 400 } else { 2000 }).max(1);
        // Echo samples come in rounds, one session per tool each, taken in
        // turn so that a noisy moment of the machine hits every tool.
        let echo_rounds = if q { 2 } else { 4 }.min(samples);
        Plan {
            size: args.size.unwrap_or(if q { 16 } else { 64 }).max(1) << 20,
            runs: args.runs.unwrap_or(if q { 3 } else { 9 }).max(1),
            echo_rounds,
            echo_warmup: 50,
            echo_samples: samples.div_ceil(echo_rounds),
            sessions: args.sessions.unwrap_or(if q { 5 } else { 10 }).max(1),
            settle: Duration::try_from_secs_f64(args.settle).unwrap_or_default(),
            reconnects: args.reconnects.unwrap_or(if q { 3 } else { 10 }).max(1),
        }
    }
}

/// Environment variables that tell the worker process its run id and
/// directory (see [`supervise`]).
const WORKER_RUN_VAR: &str = "SESS_BENCH_WORKER_RUN";
const WORKER_DIR_VAR: &str = "SESS_BENCH_WORKER_DIR";

/// Signals that end the benchmark early (with a clean-up).
const STOP_SIGNALS: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

fn main() -> ExitCode {
    // The relay tool is this same binary (see `relay`).
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(program) = relay::program(&argv) {
        return match relay::run(program) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sess-bench relay: {e}");
                ExitCode::from(2)
            }
        };
    }
    let args = Args::parse();
    let worker = std::env::var(WORKER_RUN_VAR).ok().zip(std::env::var_os(WORKER_DIR_VAR));
    let result = match worker {
        Some((run_id, dir)) => work(&args, run_id, PathBuf::from(dir)),
        None => supervise(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("sess-bench: fatal: {e}");
            ExitCode::from(2)
        }
    }
}

/// The first process: makes the run's id and directory, runs the benchmark
/// in a worker process (this same binary), and kills everything the run
/// started once the worker is done — or at once on SIGINT, SIGTERM, SIGHUP.
///
/// Why two processes: catching a signal without unsafe code means blocking
/// it and waiting for it in a thread, and a blocked signal mask is inherited
/// by every child. The worker unblocks the signals before it starts any
/// tool; this process keeps them blocked and starts only the worker.
fn supervise(args: &Args) -> Result<u8> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.subsec_nanos();
    let run_id = format!("{:06x}", (nanos ^ std::process::id()) & 0xff_ffff);
    let dir = std::env::temp_dir().join(format!("sess-bench-{run_id}"));
    let ctx = Ctx::new(run_id.clone(), dir, sess_bin(args)?)?;

    let mut signals = SigSet::empty();
    STOP_SIGNALS.into_iter().for_each(|s| signals.add(s));
    signals.thread_block()?;
    let worker_pid = Arc::new(AtomicI32::new(0));
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let (worker_pid, interrupted) = (Arc::clone(&worker_pid), Arc::clone(&interrupted));
        std::thread::spawn(move || {
            if let Ok(sig) = signals.wait() {
                eprintln!("\nsess-bench: {sig}: stopping and cleaning up");
                interrupted.store(true, Ordering::SeqCst);
                procs::kill_pid(worker_pid.load(Ordering::SeqCst));
            }
        });
    }
    let mut worker = Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(WORKER_RUN_VAR, &run_id)
        .env(WORKER_DIR_VAR, &ctx.dir)
        .spawn()?;
    worker_pid.store(worker.id() as i32, Ordering::SeqCst);
    if interrupted.load(Ordering::SeqCst) {
        procs::kill_pid(worker.id() as i32);
    }
    let status = worker.wait()?;
    cleanup(&ctx, args.keep_tmp);
    if interrupted.load(Ordering::SeqCst) {
        return Ok(130);
    }
    Ok(status.code().map_or(2, |c| c as u8))
}

/// The worker: runs the benchmark. Exit status 0, or 1 when `--check` is
/// given and sess misses a target.
fn work(args: &Args, run_id: String, dir: PathBuf) -> Result<u8> {
    let mut signals = SigSet::empty();
    STOP_SIGNALS.into_iter().for_each(|s| signals.add(s));
    signals.thread_unblock()?;
    let plan = Plan::new(args);
    let ctx = Ctx::new(run_id.clone(), dir, sess_bin(args)?)?;

    let kinds = available(&args.tools, &ctx);
    let load_before = load_average();
    let started = Instant::now();
    let file = ctx.dir.join("mixed.txt");
    let size = workload::write_mixed_text(&file, plan.size)?;
    eprintln!(
        "sess-bench: run {run_id} in {}; tools: {}; file {:.1} MiB",
        ctx.dir.display(),
        kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
        size as f64 / 1048576.0
    );

    let mut results: BTreeMap<Kind, ToolResult> =
        kinds.iter().map(|&k| (k, ToolResult::default())).collect();
    let mut markers = Markers::new(&run_id);
    let phases = |p: Phase| !args.skip.contains(&p);
    if phases(Phase::Throughput) {
        throughput_phase(&ctx, &plan, &kinds, &file, size, &mut results, &mut markers);
    }
    if phases(Phase::Echo) {
        echo_phase(&ctx, &plan, &kinds, &mut results, &mut markers);
    }
    if phases(Phase::Reconnect) {
        for &kind in kinds.iter().filter(|k| k.has_sessions()) {
            let r = measure::reconnect(&ctx, kind, plan.reconnects, &mut markers);
            record(&mut results, kind, Phase::Reconnect, r, |res, r| {
                eprintln!("reconnect: {kind}: median {:.1} ms", stats::median(&r.ms));
                res.reconnect_ms = r.ms;
                res.redraw_bytes = r.bytes;
            });
            clean(&ctx, kind);
        }
    }
    let idles: Vec<Idle> =
        [Idle::Empty, Idle::Full].into_iter().filter(|i| phases(i.phase())).collect();
    if !idles.is_empty() {
        memory_phase(&ctx, &plan, &kinds, &idles, &mut results, &mut markers)?;
    }
    cleanup(&ctx, args.keep_tmp);
    eprintln!("sess-bench: done in {:.0} s", started.elapsed().as_secs_f64());

    println!("{}", describe(&plan, size, &load_before));
    println!("{}", report::table(&kinds, &results));
    if !idles.is_empty() {
        println!("{}", report::memory_table(&kinds, &results));
    }
    print!("{}", report::notes(&kinds, &results));
    let verdicts = report::verdicts(&results);
    println!("\n{}", report::verdict_table(&verdicts));
    let all_pass = verdicts.iter().all(|v| v.pass == Some(true));
    Ok(if args.check && !all_pass { 1 } else { 0 })
}

/// Directory of the sess binaries: `--sess-dir`, else this binary's own.
fn sess_bin(args: &Args) -> Result<PathBuf> {
    Ok(match &args.sess_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()?.parent().map(PathBuf::from).unwrap_or_default(),
    })
}

/// The tools of `wanted` that are here; says why others are skipped.
fn available(wanted: &[Kind], ctx: &Ctx) -> Vec<Kind> {
    let mut kinds = Vec::new();
    for &kind in Kind::ALL.iter().filter(|k| wanted.contains(k)) {
        let missing = match kind {
            Kind::Raw | Kind::Relay => None,
            Kind::Sess => ["sess", "sessd", "sesslist", "disconnect", "reconnect"]
                .into_iter()
                .find(|b| !ctx.sess_bin.join(b).is_file())
                .map(|b| format!("no {}", ctx.sess_bin.join(b).display())),
            _ => (!tools::in_path(kind.name())).then(|| "not installed".to_string()),
        };
        match missing {
            Some(why) => eprintln!("sess-bench: skipping {kind}: {why}"),
            None => kinds.push(kind),
        }
    }
    kinds
}

/// Throughput runs in rounds: each round runs every tool once, back to back
/// (in reverse order every other round, so that a drift of the machine's
/// speed does not always favour the same tools), and each tool's speed is
/// also taken relative to the raw pty's in the same round.
fn throughput_phase(
    ctx: &Ctx,
    plan: &Plan,
    kinds: &[Kind],
    file: &std::path::Path,
    size: u64,
    results: &mut BTreeMap<Kind, ToolResult>,
    markers: &mut Markers,
) {
    for run in 1..=plan.runs {
        let mut order = kinds.to_vec();
        if run % 2 == 0 {
            order.reverse();
        }
        let mut rates = BTreeMap::new();
        for kind in order {
            if results[&kind].errors.contains_key(&Phase::Throughput) {
                continue;
            }
            let r = measure::throughput(ctx, kind, file, markers);
            record(results, kind, Phase::Throughput, r, |res, t| {
                let rate = size as f64 / 1048576.0 / t.secs;
                let cpu = t.cpu_secs.map(|c| c * measure::CPU_PER_BYTES / size as f64);
                eprintln!(
                    "throughput {run}/{}: {kind}: {rate:.1} MiB/s{}",
                    plan.runs,
                    cpu.map(|c| format!(", tool CPU {c:.2} s / 64 MiB")).unwrap_or_default()
                );
                rates.insert(kind, rate);
                res.rates.push(rate);
                res.cpu.extend(cpu);
                res.bytes_seen.push(t.bytes_seen as f64);
            });
        }
        if let Some(&raw) = rates.get(&Kind::Raw) {
            for (kind, rate) in rates {
                results.get_mut(&kind).expect("every tool has a result").ratios.push(rate / raw);
            }
        }
    }
    kinds.iter().for_each(|&k| clean(ctx, k));
}

/// Echo samples, in rounds. Each round starts one session per tool, then
/// takes the samples in turn (one key to each tool, then the next key), so
/// that a noisy moment of the machine hits every tool alike.
fn echo_phase(
    ctx: &Ctx,
    plan: &Plan,
    kinds: &[Kind],
    results: &mut BTreeMap<Kind, ToolResult>,
    markers: &mut Markers,
) {
    for round in 1..=plan.echo_rounds {
        let mut sessions = Vec::new();
        for &kind in kinds {
            if !results[&kind].errors.contains_key(&Phase::Echo) {
                let s = measure::EchoSession::start(ctx, kind, markers);
                record(results, kind, Phase::Echo, s, |_, s| sessions.push(s));
            }
        }
        let mut times: BTreeMap<Kind, Vec<f64>> = BTreeMap::new();
        for i in 0..plan.echo_warmup + plan.echo_samples {
            let mut failed = None;
            for (n, session) in sessions.iter_mut().enumerate() {
                match session.sample() {
                    Ok(us) if i >= plan.echo_warmup => {
                        times.entry(session.kind).or_default().push(us)
                    }
                    Ok(_) => {}
                    Err(e) => failed = Some((n, e)),
                }
            }
            if let Some((n, e)) = failed {
                let session = sessions.remove(n);
                let kind = session.kind;
                session.end(ctx);
                record::<()>(results, kind, Phase::Echo, Err(e), |_, _| {});
                times.remove(&kind);
            }
        }
        for session in sessions {
            session.end(ctx);
        }
        for (kind, us) in times {
            eprintln!(
                "echo {round}/{}: {kind}: p50 {:.1} µs, p99 {:.1} µs",
                plan.echo_rounds,
                stats::percentile(&us, 50.0),
                stats::percentile(&us, 99.0)
            );
            results.get_mut(&kind).expect("every tool has a result").echo_us.extend(us);
        }
    }
    kinds.iter().for_each(|&k| clean(ctx, k));
}

/// Idle memory of every tool, for each kind of idle session in `idles`,
/// all side by side (see `memory`): the empty sessions in the main instance
/// of the tools, the full ones in an instance of their own.
fn memory_phase(
    ctx: &Ctx,
    plan: &Plan,
    kinds: &[Kind],
    idles: &[Idle],
    results: &mut BTreeMap<Kind, ToolResult>,
    markers: &mut Markers,
) -> Result<()> {
    let full = ctx.instance(memory::FULL_INSTANCE)?;
    full.add_screenrc(&format!("defscrollback {}", memory::SCREEN_SCROLLBACK))?;
    let mut subjects = Vec::new();
    for &idle in idles {
        let instance = if idle == Idle::Full { &full } else { ctx };
        for &kind in kinds.iter().filter(|k| k.has_sessions()) {
            subjects.push(memory::Subject::new(idle, kind, instance));
        }
    }
    eprintln!(
        "memory: {} extra sessions, {:.0} s to settle (twice)",
        plan.sessions,
        plan.settle.as_secs_f64()
    );
    let mut outcomes = memory::run(subjects, plan.sessions, plan.settle, markers);
    outcomes.sort_by_key(|&(idle, kind, _)| (idle, kind));
    for (idle, kind, r) in outcomes {
        record(results, kind, idle.phase(), r, |res, m| {
            eprintln!(
                "memory, {idle:?} screen: {kind}: {:.0} KiB per extra session",
                m.per_extra_kib
            );
            res.memory.insert(idle, m);
        });
    }
    kinds.iter().for_each(|&k| {
        clean(ctx, k);
        clean(&full, k);
    });
    Ok(())
}

/// Stores a measurement's result, or its error (then the phase is over
/// for that tool).
fn record<T>(
    results: &mut BTreeMap<Kind, ToolResult>,
    kind: Kind,
    phase: Phase,
    r: Result<T>,
    ok: impl FnOnce(&mut ToolResult, T),
) {
    let res = results.get_mut(&kind).expect("every tool has a result");
    match r {
        Ok(v) => ok(res, v),
        Err(e) => {
            eprintln!("{phase:?}: {kind}: error: {e}");
            res.errors.insert(phase, e.to_string());
        }
    }
}

/// Kills what is left of `kind`'s processes between measurements.
fn clean(ctx: &Ctx, kind: Kind) {
    if let Err(e) = ctx.kill_all(kind) {
        eprintln!("sess-bench: warning: {e}");
    }
}

/// Kills everything the run started (in every instance of the tools) and
/// removes its directory.
fn cleanup(ctx: &Ctx, keep_tmp: bool) {
    Kind::ALL.iter().for_each(|&k| clean(ctx, k));
    match ctx.instance(memory::FULL_INSTANCE) {
        Ok(full) => Kind::ALL.iter().for_each(|&k| clean(&full, k)),
        Err(e) => eprintln!("sess-bench: warning: {e}"),
    }
    if keep_tmp {
        eprintln!("sess-bench: kept {}", ctx.dir.display());
    } else if let Err(e) = std::fs::remove_dir_all(&ctx.dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("sess-bench: warning: cannot remove {}: {e}", ctx.dir.display());
    }
}

/// A header for the results: machine, tool versions, what was run.
fn describe(plan: &Plan, size: u64, load_before: &str) -> String {
    let first_line = |prog: &str, arg: &str| {
        std::process::Command::new(prog)
            .arg(arg)
            .output()
            .ok()
            .map(|o| [o.stdout, o.stderr].concat())
            .and_then(|o| String::from_utf8_lossy(&o).lines().next().map(str::to_string))
            .unwrap_or_else(|| "?".into())
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split_once(':').map_or("", |(_, m)| m).trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "sess: revision {}\n\
         machine: {}, {cores} × {cpu}; load average {load_before} before, {} after \
         (other work on the machine skews every number)\n\
         peers: {}, {}, {}\n\
         runs: throughput {} × {:.0} MiB (median), echo {} samples (p50/p99), \
         reconnect {} (median), memory {} extra sessions after {:.0} s idle\n",
        std::env::var("SESS_BENCH_REVISION").unwrap_or_else(|_| "unknown".into()),
        first_line("uname", "-sr"),
        load_average(),
        first_line("dtach", "--help"),
        first_line("tmux", "-V"),
        first_line("screen", "-v"),
        plan.runs,
        size as f64 / 1048576.0,
        plan.echo_rounds * plan.echo_samples,
        plan.reconnects,
        plan.sessions,
        plan.settle.as_secs_f64(),
    )
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}
