//! Session attributes as `session get` prints them and `session set` takes
//! them (SPEC §6). Pure: parsing, validation and formatting.

use super::record::{Record, RestartStyle};
use crate::ids;
use std::time::Duration;

/// Settable keys, in the order `session get` prints them.
pub const SETTABLE: &[&str] = &[
    "name",
    "title",
    "command",
    "cwd",
    "env",
    "start-suspended",
    "keep",
    "restart-style",
    "restart-command",
    "save-signal",
    "ttl",
    "timeout",
    "limit-cpu",
    "limit-mem",
    "limit-nofile",
    "limit-nproc",
    "schedule",
    "log",
    "stop-timeout",
];

/// Keys that are shown but cannot be set.
pub const READ_ONLY: &[&str] = &["id", "pid", "state", "created-at", "last-use", "runtime"];

/// Formats an argv as `['/bin/x', 'arg']`.
pub fn format_argv(argv: &[String]) -> String {
    let items: Vec<String> = argv.iter().map(|a| format!("'{}'", escape(a, "\\'"))).collect();
    format!("[{}]", items.join(", "))
}

/// `text` on one line: control characters as `\n`, `\r`, `\t` or `\xNN`,
/// and a backslash before each of `also`.
fn escape(text: &str, also: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u8)),
            c if also.contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Parses an argv given as `['a', "b"]` or as shell words.
pub fn parse_argv(value: &str) -> Result<Vec<String>, String> {
    let trimmed = value.trim();
    let argv = if trimmed.starts_with('[') {
        parse_list(trimmed)?
    } else {
        shlex::split(trimmed).ok_or("unbalanced quotes")?
    };
    check_argv(&argv)?;
    Ok(argv)
}

/// A command must name a program.
pub fn check_argv(argv: &[String]) -> Result<(), String> {
    match argv.first() {
        None => Err("an empty command".into()),
        Some(program) if program.is_empty() => Err("an empty program name".into()),
        Some(_) => Ok(()),
    }
}

/// A list of single- or double-quoted strings with backslash escapes.
fn parse_list(text: &str) -> Result<Vec<String>, String> {
    let bad = || "expected a list like ['/bin/prog', 'arg']".to_string();
    let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).ok_or_else(bad)?;
    let mut items = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(quote) = chars.next() else { break };
        if quote != '\'' && quote != '"' {
            return Err(bad());
        }
        let mut item = String::new();
        loop {
            match chars.next().ok_or_else(bad)? {
                '\\' => item.push(match chars.next().ok_or_else(bad)? {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'x' => {
                        let hex: String =
                            [chars.next(), chars.next()].into_iter().flatten().collect();
                        u8::from_str_radix(&hex, 16).map_err(|_| bad())? as char
                    }
                    c => c,
                }),
                c if c == quote => break,
                c => item.push(c),
            }
        }
        items.push(item);
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.next() {
            None => break,
            Some(',') => {}
            Some(_) => return Err(bad()),
        }
    }
    Ok(items)
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

fn parse_yes_no(value: &str) -> Result<bool, String> {
    match value {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err("use yes or no".into()),
    }
}

fn is_none(value: &str) -> bool {
    matches!(value, "" | "none")
}

/// A humantime duration (`90s`, `5m`, `1h30m`); a bare number is seconds.
pub fn parse_duration(value: &str) -> Result<u64, String> {
    if let Ok(secs) = value.parse::<u64>() {
        return Ok(secs * 1000);
    }
    humantime::parse_duration(value)
        .map(|d| d.as_millis() as u64)
        .map_err(|_| "use a duration like 90s, 5m or 1h30m".into())
}

fn format_duration(ms: u64) -> String {
    humantime::format_duration(Duration::from_millis(ms)).to_string().replace(' ', "")
}

fn optional<T>(
    value: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if is_none(value) { Ok(None) } else { parse(value).map(Some) }
}

/// A count, with K/M/G (powers of 1024) for sizes.
fn parse_amount(value: &str) -> Result<u64, String> {
    let bad = || "use a number (K, M and G suffixes allowed) or none".to_string();
    let (digits, unit) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => value.split_at(i),
        None => (value, ""),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.to_ascii_uppercase().as_str() {
        "" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

fn parse_signal(value: &str) -> Result<String, String> {
    let upper = value.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let full = format!("SIG{name}");
    full.parse::<nix::sys::signal::Signal>()
        .map(|_| name.to_owned())
        .map_err(|_| "use a signal name such as USR1, HUP or TERM".into())
}

fn parse_schedule(value: &str) -> Result<String, String> {
    value
        .parse::<croner::Cron>()
        .map(|_| value.to_owned())
        .map_err(|e| format!("not a cron expression ({e}); use 5 fields or @daily and friends"))
}

fn absolute(value: &str) -> Result<String, String> {
    if value.starts_with('/') { Ok(value.to_owned()) } else { Err("use an absolute path".into()) }
}

fn opt_string<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("none".into(), |v| v.to_string())
}

/// The value of a settable key, as `get` prints it.
pub fn get(record: &Record, key: &str) -> Option<String> {
    let a = &record.attributes;
    Some(match key {
        "name" => record.name.clone(),
        "title" => escape(&record.title, ""),
        "command" => format_argv(&record.command),
        "cwd" => escape(&record.cwd, ""),
        "env" => {
            format_argv(&record.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>())
        }
        "start-suspended" => yes_no(a.start_suspended),
        "keep" => yes_no(record.keep),
        "restart-style" => a.restart_style.as_str().into(),
        "restart-command" => a.restart_command.as_deref().map_or("none".into(), format_argv),
        "save-signal" => opt_string(&a.save_signal),
        "ttl" => a.ttl_ms.map_or("none".into(), format_duration),
        "timeout" => a.timeout_ms.map_or("none".into(), format_duration),
        "limit-cpu" => opt_string(&a.limit_cpu),
        "limit-mem" => opt_string(&a.limit_mem),
        "limit-nofile" => opt_string(&a.limit_nofile),
        "limit-nproc" => opt_string(&a.limit_nproc),
        "schedule" => opt_string(&a.schedule),
        "log" => opt_string(&a.log),
        "stop-timeout" => format_duration(a.stop_timeout_ms),
        _ => return None,
    })
}

/// Sets `key` on `record`, or says what is allowed. Name uniqueness is the
/// caller's to check.
pub fn set(record: &mut Record, key: &str, value: &str) -> Result<(), String> {
    let fail = |why: String| format!("{key}: invalid value '{value}': {why}");
    let a = &mut record.attributes;
    match key {
        "name" => {
            ids::check_name(value)?;
            record.name = value.to_owned();
        }
        "title" => record.title = crate::master::truncate(value, crate::master::MAX_TITLE).into(),
        "command" => record.command = parse_argv(value).map_err(fail)?,
        "cwd" => record.cwd = absolute(value).map_err(fail)?,
        "env" => {
            let words =
                if is_none(value) { Vec::new() } else { parse_argv(value).map_err(fail)? };
            record.env = words
                .iter()
                .map(|w| match w.split_once('=') {
                    Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
                    _ => Err(fail(format!("'{w}' is not KEY=VALUE"))),
                })
                .collect::<Result<_, _>>()?;
        }
        "start-suspended" => a.start_suspended = parse_yes_no(value).map_err(fail)?,
        "keep" => record.keep = parse_yes_no(value).map_err(fail)?,
        "restart-style" => {
            a.restart_style = RestartStyle::ALL
                .iter()
                .find(|(n, _)| *n == value)
                .map(|(_, s)| *s)
                .ok_or_else(|| fail("use if-running, anyway, immediately or never".into()))?;
        }
        "restart-command" => a.restart_command = optional(value, parse_argv).map_err(fail)?,
        "save-signal" => a.save_signal = optional(value, parse_signal).map_err(fail)?,
        "ttl" => a.ttl_ms = optional(value, parse_duration).map_err(fail)?,
        "timeout" => a.timeout_ms = optional(value, parse_duration).map_err(fail)?,
        "limit-cpu" => a.limit_cpu = optional(value, parse_amount).map_err(fail)?,
        "limit-mem" => a.limit_mem = optional(value, parse_amount).map_err(fail)?,
        "limit-nofile" => a.limit_nofile = optional(value, parse_amount).map_err(fail)?,
        "limit-nproc" => a.limit_nproc = optional(value, parse_amount).map_err(fail)?,
        "schedule" => a.schedule = optional(value, parse_schedule).map_err(fail)?,
        "log" => a.log = optional(value, absolute).map_err(fail)?,
        "stop-timeout" => a.stop_timeout_ms = parse_duration(value).map_err(fail)?,
        k if READ_ONLY.contains(&k) => return Err(format!("{k} is read-only")),
        k => {
            return Err(format!("unknown attribute '{k}'; known: {}", SETTABLE.join(", ")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessd::record::{Attributes, Desired, FORMAT};

    fn record() -> Record {
        Record {
            format: FORMAT,
            id: "p0".into(),
            name: "backend".into(),
            title: String::new(),
            command: vec!["/usr/local/sbin/myserver".into()],
            cwd: "/".into(),
            env: vec![],
            keep: true,
            desired: Desired::Running,
            attributes: Attributes::default(),
            created_at: 0,
            last_use: 0,
            exit_status: None,
            size: sess_proto::WinSize { rows: 24, cols: 80 },
        }
    }

    #[test]
    fn get_prints_the_seed_formats() {
        let mut r = record();
        assert_eq!(get(&r, "name").unwrap(), "backend");
        assert_eq!(get(&r, "command").unwrap(), "['/usr/local/sbin/myserver']");
        set(&mut r, "start-suspended", "yes").unwrap();
        assert_eq!(get(&r, "start-suspended").unwrap(), "yes");
        assert_eq!(get(&r, "stop-timeout").unwrap(), "5s");
        assert_eq!(get(&r, "ttl").unwrap(), "none");
        assert!(SETTABLE.iter().all(|k| get(&r, k).is_some()));
        set(&mut r, "title", "two\nlines").unwrap();
        assert_eq!(get(&r, "title").unwrap(), "two\\nlines", "one line per key");
    }

    #[test]
    fn argv_round_trips_through_both_forms() {
        let argv: Vec<String> = vec!["/bin/x".into(), "it's".into(), "a b".into(), "c\\d".into()];
        assert_eq!(parse_argv(&format_argv(&argv)).unwrap(), argv);
        let lines: Vec<String> = vec!["two\nlines".into(), "tab\there".into(), "esc\x1b[m".into()];
        let shown = format_argv(&lines);
        assert!(!shown.contains(['\n', '\t', '\x1b']), "{shown}");
        assert_eq!(parse_argv(&shown).unwrap(), lines);
        assert_eq!(parse_argv("sh -c 'echo hi'").unwrap(), ["sh", "-c", "echo hi"]);
        assert_eq!(parse_argv("[\"a\", 'b']").unwrap(), ["a", "b"]);
        assert_eq!(parse_argv("''").unwrap_err(), "an empty program name");
        assert_eq!(parse_argv("['', 'x']").unwrap_err(), "an empty program name");
        assert_eq!(parse_argv("  ").unwrap_err(), "an empty command");
        assert!(parse_argv("['a'").is_err());
        assert!(parse_argv("").is_err());
        assert!(parse_argv("[]").is_err());
    }

    #[test]
    fn bad_values_name_the_key_and_change_nothing() {
        let mut r = record();
        let before = r.clone();
        let err = set(&mut r, "restart-style", "sometimes").unwrap_err();
        assert!(err.contains("restart-style") && err.contains("if-running"), "{err}");
        assert!(set(&mut r, "ttl", "soon").unwrap_err().contains("ttl"));
        assert!(set(&mut r, "start-suspended", "maybe").unwrap_err().contains("yes or no"));
        assert!(set(&mut r, "save-signal", "USR9").is_err());
        assert!(set(&mut r, "schedule", "every day").is_err());
        assert!(set(&mut r, "colour", "red").unwrap_err().contains("unknown attribute 'colour'"));
        assert!(set(&mut r, "pid", "3").unwrap_err().contains("read-only"));
        assert!(set(&mut r, "cwd", "relative").is_err());
        assert!(set(&mut r, "log", "out.log").unwrap_err().contains("absolute"));
        assert!(set(&mut r, "name", "p0").is_err());
        assert_eq!(r, before);
    }

    #[test]
    fn good_values_are_stored() {
        let mut r = record();
        set(&mut r, "ttl", "1h30m").unwrap();
        assert_eq!(r.attributes.ttl_ms, Some(5_400_000));
        assert_eq!(get(&r, "ttl").unwrap(), "1h30m");
        set(&mut r, "timeout", "90").unwrap();
        assert_eq!(r.attributes.timeout_ms, Some(90_000));
        set(&mut r, "save-signal", "sigusr1").unwrap();
        assert_eq!(get(&r, "save-signal").unwrap(), "USR1");
        set(&mut r, "limit-mem", "512M").unwrap();
        assert_eq!(r.attributes.limit_mem, Some(512 << 20));
        set(&mut r, "schedule", "@daily").unwrap();
        set(&mut r, "schedule", "*/5 * * * *").unwrap();
        set(&mut r, "env", "A=1 'B=two words'").unwrap();
        assert_eq!(get(&r, "env").unwrap(), "['A=1', 'B=two words']");
        set(&mut r, "restart-command", "['/bin/x', '--resume']").unwrap();
        set(&mut r, "restart-command", "none").unwrap();
        assert_eq!(r.attributes.restart_command, None);
        set(&mut r, "name", "mybackend").unwrap();
        assert_eq!(r.name, "mybackend");
    }
}
