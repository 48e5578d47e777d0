//! The results: one Markdown table for all tools (absolute numbers and
//! ratios against the raw pty), one of their idle memory, then sess's
//! targets marked PASS or FAIL.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::memory::{Idle, Memory};
use crate::stats::{median, median_interval, percentile};
use crate::tools::Kind;

/// The measurements, as named on the command line (`--skip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Phase {
    /// Attached output throughput and the tool's CPU time.
    Throughput,
    /// Keystroke echo latency.
    Echo,
    /// Reattach to a full screen.
    Reconnect,
    /// Idle memory, sessions with an empty screen.
    Memory,
    /// Idle memory, sessions with a full screen and 500+ lines of scrollback.
    MemoryFull,
}

/// Everything measured for one tool.
#[derive(Default)]
pub struct ToolResult {
    /// MiB/s of each throughput run.
    pub rates: Vec<f64>,
    /// Each run's MiB/s over the raw pty's in the same round.
    pub ratios: Vec<f64>,
    /// Tool CPU seconds per 64 MiB of each throughput run.
    pub cpu: Vec<f64>,
    /// Bytes the terminal received per pass, each run.
    pub bytes_seen: Vec<f64>,
    /// Echo round trips, µs.
    pub echo_us: Vec<f64>,
    /// Reconnect times, ms.
    pub reconnect_ms: Vec<f64>,
    /// Bytes each reattach drew, up to the screen's last line.
    pub redraw_bytes: Vec<f64>,
    /// Idle memory, for each kind of idle session measured.
    pub memory: BTreeMap<Idle, Memory>,
    /// Phases that failed, with why.
    pub errors: BTreeMap<Phase, String>,
}

impl ToolResult {
    fn throughput(&self) -> Option<f64> {
        (!self.rates.is_empty()).then(|| median(&self.rates))
    }
    /// Throughput relative to the raw pty: the median of the per-round
    /// ratios, which are less sensitive to the machine's drift than the
    /// ratio of the medians.
    fn throughput_ratio(&self) -> Option<f64> {
        (!self.ratios.is_empty()).then(|| median(&self.ratios))
    }
    fn cpu(&self) -> Option<f64> {
        (!self.cpu.is_empty()).then(|| median(&self.cpu))
    }
    fn echo(&self, p: f64) -> Option<f64> {
        (!self.echo_us.is_empty()).then(|| percentile(&self.echo_us, p))
    }
    fn reconnect(&self) -> Option<f64> {
        (!self.reconnect_ms.is_empty()).then(|| median(&self.reconnect_ms))
    }
}

/// The project's targets for sess.
pub struct Targets;

impl Targets {
    pub const THROUGHPUT_MIN_RATIO: f64 = 0.9;
    pub const ECHO_P50_MAX_RATIO: f64 = 1.8;
    pub const PSS_PER_SESSION_MAX_KIB: f64 = 256.0;
    pub const CPU_PER_64MIB_MAX_S: f64 = 1.0;
    pub const RECONNECT_MAX_MS: f64 = 5.0;
}

/// One sess target checked: its text, the measured value, and the verdict
/// (None when it could not be measured).
pub struct Verdict {
    pub target: String,
    pub value: String,
    pub pass: Option<bool>,
}

/// Formats a number with a sensible number of digits.
fn num(v: f64) -> String {
    match v.abs() {
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

/// The results table (Markdown) for `kinds` in order.
pub fn table(kinds: &[Kind], results: &BTreeMap<Kind, ToolResult>) -> String {
    let raw = results.get(&Kind::Raw);
    let raw_p50 = raw.and_then(|r| r.echo(50.0));
    let mut out = String::new();
    out.push_str(
        "| tool | throughput MiB/s | × raw | tool CPU s / 64 MiB | echo p50 µs | × raw \
         | echo p99 µs | reconnect ms |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for &kind in kinds {
        let Some(r) = results.get(&kind) else {
            continue;
        };
        let cell = |phase: Phase, v: Option<String>| cell(r, phase, v);
        let ratio = |v: Option<f64>, base: Option<f64>| match (v, base) {
            (Some(v), Some(b)) if b > 0.0 => Some(format!("{v_b:.2}", v_b = v / b)),
            _ => None,
        };
        let cols = [
            cell(Phase::Throughput, r.throughput().map(num)),
            cell(Phase::Throughput, r.throughput_ratio().map(|v| format!("{v:.2}"))),
            cell(Phase::Throughput, r.cpu().map(num)),
            cell(Phase::Echo, r.echo(50.0).map(num)),
            cell(Phase::Echo, ratio(r.echo(50.0), raw_p50)),
            cell(Phase::Echo, r.echo(99.0).map(num)),
            cell(Phase::Reconnect, r.reconnect().map(num)),
        ];
        let _ = writeln!(out, "| {} | {} |", kind.name(), cols.join(" | "));
    }
    out
}

/// A cell of `r` in a column of `phase`: the value, "error" when the phase
/// failed, or a dash.
fn cell(r: &ToolResult, phase: Phase, v: Option<String>) -> String {
    match (v, r.errors.contains_key(&phase)) {
        (_, true) => "error".to_string(),
        (Some(v), _) => v,
        (None, _) => "–".to_string(),
    }
}

/// The idle memory table (Markdown) for `kinds` in order (the raw pty and
/// the relay have no sessions): for each kind of idle session, the PSS with
/// one session, the growth per extra session, and the anonymous part of
/// that growth.
pub fn memory_table(kinds: &[Kind], results: &BTreeMap<Kind, ToolResult>) -> String {
    let mut out = String::from(
        "| tool | empty screen: PSS 1st session KiB | PSS / extra session KiB | anon / extra KiB \
         | full screen + 500 lines: PSS 1st session KiB | PSS / extra session KiB | anon / extra KiB |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for &kind in kinds.iter().filter(|k| k.has_sessions()) {
        let Some(r) = results.get(&kind) else {
            continue;
        };
        let mut cols = Vec::new();
        for idle in [Idle::Empty, Idle::Full] {
            let m = r.memory.get(&idle);
            cols.push(cell(r, idle.phase(), m.map(|m| num(m.first.total as f64))));
            cols.push(cell(r, idle.phase(), m.map(|m| num(m.per_extra_kib))));
            cols.push(cell(r, idle.phase(), m.map(|m| num(m.per_extra_anon_kib))));
        }
        let _ = writeln!(out, "| {} | {} |", kind.name(), cols.join(" | "));
    }
    out
}

/// Each round's rate of `a` over `b`'s. A tool's rates stop at its first
/// error, so the i-th rate of each is from the same round.
fn per_round(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).filter(|(_, b)| **b > 0.0).map(|(a, b)| a / b).collect()
}

/// Per-round ratios summed up: their median, over how many rounds, and the
/// 90 % confidence interval of that median when there are enough rounds.
fn ratio_summary(ratios: &[f64]) -> Option<String> {
    if ratios.is_empty() {
        return None;
    }
    let rounds = ratios.len();
    let mut text = format!("{:.2} (median of {rounds} rounds", median(ratios));
    if let Some((lo, hi)) = median_interval(ratios, 0.9) {
        let _ = write!(text, "; 90 % interval {lo:.2}–{hi:.2}");
    }
    text.push(')');
    Some(text)
}

/// Notes under the tables: the spread of sess's throughput ratios, what
/// reached the terminal, sessd's share, errors.
pub fn notes(kinds: &[Kind], results: &BTreeMap<Kind, ToolResult>) -> String {
    let mut out = String::new();
    let result = |k: Kind| results.get(&k).filter(|_| kinds.contains(&k));
    let rates = |k: Kind| result(k).map(|r| &r.rates[..]);
    let raw_ratios = result(Kind::Sess).map(|r| &r.ratios[..]).unwrap_or_default();
    if let Some(v) = ratio_summary(raw_ratios) {
        let _ = writeln!(out, "- Throughput sess × raw: {v}.");
    }
    let relay_ratios =
        per_round(rates(Kind::Sess).unwrap_or_default(), rates(Kind::Relay).unwrap_or_default());
    if let Some(v) = ratio_summary(&relay_ratios) {
        let _ = writeln!(
            out,
            "- Throughput sess × relay: {v}: what sess's own work costs, over the second pty \
             hop it shares with the relay."
        );
    }
    let seen: Vec<String> = kinds
        .iter()
        .filter_map(|k| {
            let r = results.get(k)?;
            (!r.bytes_seen.is_empty())
                .then(|| format!("{} {} MiB", k.name(), num(median(&r.bytes_seen) / 1048576.0)))
        })
        .collect();
    if !seen.is_empty() {
        let _ = writeln!(out, "- Bytes reaching the terminal per pass: {}.", seen.join(", "));
    }
    let redraws: Vec<String> = kinds
        .iter()
        .filter(|&&k| k != Kind::Dtach)
        .filter_map(|k| {
            let r = results.get(k)?;
            (!r.redraw_bytes.is_empty())
                .then(|| format!("{} {} KiB", k.name(), num(median(&r.redraw_bytes) / 1024.0)))
        })
        .collect();
    if !redraws.is_empty() {
        let _ = writeln!(
            out,
            "- Bytes of each reattach's redraw, up to the screen's last line: {} \
             (dtach redraws nothing).",
            redraws.join(", ")
        );
    }
    let sessd: Vec<String> = [(Idle::Empty, "empty screens"), (Idle::Full, "full screens")]
        .iter()
        .filter_map(|(idle, what)| {
            let d = results.get(&Kind::Sess)?.memory.get(idle)?.daemon?;
            Some(format!("{} KiB ({} KiB anonymous) with {what}", d.total, d.anon))
        })
        .collect();
    if !sessd.is_empty() {
        let _ = writeln!(
            out,
            "- sessd PSS: {} (included in sess's \"1st session\").",
            sessd.join(", ")
        );
    }
    for &kind in kinds {
        for (phase, e) in results.get(&kind).map(|r| &r.errors).into_iter().flatten() {
            let _ = writeln!(out, "- {} {phase:?} error: {e}", kind.name());
        }
    }
    out
}

/// sess's targets, each with its verdict.
pub fn verdicts(results: &BTreeMap<Kind, ToolResult>) -> Vec<Verdict> {
    let sess = results.get(&Kind::Sess);
    let raw = results.get(&Kind::Raw);
    let ratio = |f: &dyn Fn(&ToolResult) -> Option<f64>| Some(f(sess?)? / f(raw?)?);
    let check =
        |target: String, value: Option<f64>, unit: &str, pass: &dyn Fn(f64) -> bool| Verdict {
            target,
            value: value.map_or("not measured".to_string(), |v| format!("{}{unit}", num(v))),
            pass: value.map(pass),
        };
    vec![
        check(
            format!("throughput ≥ {} × raw", Targets::THROUGHPUT_MIN_RATIO),
            sess.and_then(ToolResult::throughput_ratio),
            " × raw",
            &|v| v >= Targets::THROUGHPUT_MIN_RATIO,
        ),
        check(
            format!("echo p50 ≤ {} × raw", Targets::ECHO_P50_MAX_RATIO),
            ratio(&|r| r.echo(50.0)),
            " × raw",
            &|v| v <= Targets::ECHO_P50_MAX_RATIO,
        ),
        check(
            format!("reconnect to a full screen ≤ {} ms", Targets::RECONNECT_MAX_MS),
            sess.and_then(ToolResult::reconnect),
            " ms",
            &|v| v <= Targets::RECONNECT_MAX_MS,
        ),
        check(
            format!(
                "PSS per extra idle session, empty screen ≤ {} KiB",
                Targets::PSS_PER_SESSION_MAX_KIB
            ),
            sess.and_then(|r| r.memory.get(&Idle::Empty)).map(|m| m.per_extra_kib),
            " KiB",
            &|v| v <= Targets::PSS_PER_SESSION_MAX_KIB,
        ),
        check(
            format!(
                "PSS per extra idle session, full screen + 500 lines ≤ {} KiB",
                Targets::PSS_PER_SESSION_MAX_KIB
            ),
            sess.and_then(|r| r.memory.get(&Idle::Full)).map(|m| m.per_extra_kib),
            " KiB",
            &|v| v <= Targets::PSS_PER_SESSION_MAX_KIB,
        ),
        check(
            format!("tool CPU per 64 MiB ≤ {} s", Targets::CPU_PER_64MIB_MAX_S),
            sess.and_then(ToolResult::cpu),
            " s",
            &|v| v <= Targets::CPU_PER_64MIB_MAX_S,
        ),
    ]
}

/// The verdicts as a Markdown table.
pub fn verdict_table(verdicts: &[Verdict]) -> String {
    let mut out = String::from("| sess target | measured | result |\n|---|---:|---|\n");
    for v in verdicts {
        let result = match v.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "not measured",
        };
        let _ = writeln!(out, "| {} | {} | {result} |", v.target, v.value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_ratios_and_errors() {
        let mut results = BTreeMap::new();
        results.insert(
            Kind::Raw,
            ToolResult {
                rates: vec![100.0],
                ratios: vec![1.0],
                echo_us: vec![10.0, 20.0],
                ..Default::default()
            },
        );
        let mut sess = ToolResult {
            rates: vec![95.0, 90.0, 99.0],
            ratios: vec![0.95, 0.9, 0.99],
            ..Default::default()
        };
        sess.errors.insert(Phase::Echo, "boom".into());
        results.insert(Kind::Sess, sess);
        let t = table(&[Kind::Raw, Kind::Sess], &results);
        assert!(t.contains("| raw pty | 100 | 1.00 | – | 15.0 | 1.00 |"), "{t}");
        assert!(t.contains("| sess | 95.0 | 0.95 | – | error | error | error |"), "{t}");
        let v = verdicts(&results);
        assert_eq!(v[0].pass, Some(true));
        assert_eq!(v[1].pass, None);
        assert!(notes(&[Kind::Sess], &results).contains("boom"));
    }

    #[test]
    fn relay_row_and_sess_over_relay_note() {
        let tool = |rates: Vec<f64>, ratios: Vec<f64>| ToolResult {
            rates,
            ratios,
            cpu: vec![0.4],
            echo_us: vec![100.0],
            ..Default::default()
        };
        let results = BTreeMap::from([
            (Kind::Raw, tool(vec![100.0, 50.0, 80.0], vec![1.0, 1.0, 1.0])),
            (Kind::Sess, tool(vec![90.0, 30.0, 40.0], vec![0.9, 0.6, 0.5])),
            // The relay failed in the third round: its two rounds count.
            (Kind::Relay, tool(vec![100.0, 40.0], vec![1.0, 0.8])),
        ]);
        let kinds = [Kind::Raw, Kind::Sess, Kind::Relay];
        let t = table(&kinds, &results);
        assert!(t.contains("| relay | 70.0 | 0.90 | 0.40 | 100 | 1.00 | 100 | – |"), "{t}");
        // Rounds: 90/100 = 0.9, 30/40 = 0.75.
        let n = notes(&kinds, &results);
        assert!(n.contains("- Throughput sess × relay: 0.82 (median of 2 rounds):"), "{n}");
        assert!(n.contains("- Throughput sess × raw: 0.60 (median of 3 rounds).\n"), "{n}");
        assert!(!notes(&[Kind::Raw, Kind::Sess], &results).contains("× relay"));
        assert!(!memory_table(&kinds, &results).contains("relay"));
        assert_eq!(per_round(&[1.0], &[]), Vec::<f64>::new());
        assert_eq!(per_round(&[1.0, 3.0], &[2.0, 0.0]), vec![0.5]);
    }

    #[test]
    fn ratio_summaries_give_the_interval_of_the_median_once_rounds_allow() {
        let nine = [0.95, 0.81, 1.02, 0.88, 0.91, 0.79, 0.97, 0.86, 0.93];
        assert_eq!(
            ratio_summary(&nine).as_deref(),
            Some("0.91 (median of 9 rounds; 90 % interval 0.81–0.97)")
        );
        assert_eq!(ratio_summary(&nine[..3]).as_deref(), Some("0.95 (median of 3 rounds)"));
        assert_eq!(ratio_summary(&[]), None);
    }

    #[test]
    fn memory_table_shows_both_kinds_of_session_and_their_targets() {
        let pss = |total, anon| crate::procs::Pss { total, anon };
        let memory = |first, per| Memory {
            first: pss(first, first / 2),
            per_extra_kib: per,
            per_extra_anon_kib: per - 10.0,
            daemon: None,
        };
        let mut sess = ToolResult {
            reconnect_ms: vec![4.0, 6.0, 4.5],
            redraw_bytes: vec![50000.0],
            ..Default::default()
        };
        sess.memory.insert(Idle::Empty, memory(2000, 200.0));
        sess.memory.insert(Idle::Full, memory(4000, 300.0));
        let mut tmux = ToolResult::default();
        tmux.memory.insert(Idle::Empty, memory(1500, 5.0));
        tmux.errors.insert(Phase::MemoryFull, "gone".into());
        let results = BTreeMap::from([(Kind::Sess, sess), (Kind::Tmux, tmux)]);
        let t = memory_table(&[Kind::Raw, Kind::Sess, Kind::Tmux], &results);
        assert!(t.contains("| sess | 2000 | 200 | 190 | 4000 | 300 | 290 |"), "{t}");
        assert!(t.contains("| tmux | 1500 | 5.00 | -5.00 | error | error | error |"), "{t}");
        assert!(!t.contains("raw pty"), "{t}");
        let v = verdicts(&results);
        let verdict = |start: &str| v.iter().find(|v| v.target.starts_with(start)).unwrap().pass;
        assert_eq!(verdict("reconnect to a full screen ≤ 5 ms"), Some(true));
        assert_eq!(verdict("PSS per extra idle session, empty screen"), Some(true));
        assert_eq!(verdict("PSS per extra idle session, full screen"), Some(false));
        assert!(notes(&[Kind::Sess], &results).contains("sess 48.8 KiB"));
    }
}
