//! Logging: sessd and the masters append to `STATE/sessd.log`; with
//! `--foreground`, sessd logs to stderr.
//!
//! sessd uses tracing-subscriber's formatter. A master, which lives as long
//! as its session and logs a few lines in its life, writes through
//! [`MasterLog`]: the same line format without the span registry, whose
//! bookkeeping would cost every session 32 KiB of memory.

use sess_sys::paths::Dirs;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, span};

/// Starts logging; a panic is logged too (a master's stderr goes nowhere).
pub fn init(dirs: &Dirs, to_stderr: bool) {
    log_panics();
    let filter = tracing_subscriber::filter::LevelFilter::INFO;
    let builder = tracing_subscriber::fmt().with_max_level(filter).with_target(false);
    if to_stderr {
        let _ = builder.with_writer(std::io::stderr).try_init();
        return;
    }
    let file = std::fs::OpenOptions::new().create(true).append(true).open(dirs.log_file());
    match file {
        Ok(file) => {
            let _ = builder.with_ansi(false).with_writer(Mutex::new(file)).try_init();
        }
        Err(_) => {
            let _ = builder.with_writer(std::io::sink).try_init();
        }
    }
}

/// A panic is logged too (a master's stderr goes nowhere).
fn log_panics() {
    std::panic::set_hook(Box::new(|info| tracing::error!(%info, "panic")));
}

/// Starts a master's logging (see [`MasterLog`]).
pub fn init_master(dirs: &Dirs) {
    log_panics();
    let file = std::fs::OpenOptions::new().create(true).append(true).open(dirs.log_file());
    if let Ok(file) = file {
        let log = MasterLog { file: Mutex::new(file), span: Mutex::new(String::new()) };
        let _ = tracing::subscriber::set_global_default(log);
    }
}

/// A master's log: each event at INFO or above as one line, under the
/// master's one span (`master{id=XX}`).
struct MasterLog {
    file: Mutex<std::fs::File>,
    /// The span, as written before each message.
    span: Mutex<String>,
}

impl tracing::Subscriber for MasterLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::INFO
    }

    fn new_span(&self, span: &span::Attributes<'_>) -> span::Id {
        let mut text = format!("{}{{", span.metadata().name());
        span.record(&mut Fields(&mut text));
        text = text.replacen("{ ", "{", 1);
        text.push_str("}: ");
        *self.span.lock().unwrap_or_else(|e| e.into_inner()) = text;
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let now = humantime::format_rfc3339_micros(std::time::SystemTime::now());
        let level = event.metadata().level();
        let span = self.span.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut line = format!("{now} {level:>5} {span}");
        event.record(&mut Fields(&mut line));
        line.push('\n');
        let _ = self.file.lock().unwrap_or_else(|e| e.into_inner()).write_all(line.as_bytes());
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Writes an event's fields as `message key=value ...`.
struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.0.push_str(value),
            name => {
                let _ = write!(self.0, " {name}={value}");
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.0, "{value:?}");
            }
            name => {
                let _ = write!(self.0, " {name}={value:?}");
            }
        }
    }
}
