//! Logging: sessd and the masters append to `STATE/sessd.log`; with
//! `--foreground`, sessd logs to stderr.

use sess_sys::paths::Dirs;
use std::sync::Mutex;

/// Starts logging; a panic is logged too (a master's stderr goes nowhere).
pub fn init(dirs: &Dirs, to_stderr: bool) {
    std::panic::set_hook(Box::new(|info| tracing::error!(%info, "panic")));
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
