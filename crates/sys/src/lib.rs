//! The operating-system boundary shared by sessd, the masters and the
//! clients.
//!
//! - [`paths`]: where the runtime dir, state dir and config live, and the
//!   checks that refuse a runtime dir others could tamper with.
//! - [`config`]: the user and system TOML config.
//! - [`wire`]: blocking framed connections over Unix sockets, with fd
//!   passing and SO_PEERCRED checks.
//! - [`tty`]: raw mode that is always undone, and window sizes.
//! - [`who`]: the who/where records every user's daemon publishes.
//! - [`os`]: the one module with `unsafe` code: fork, the program's child
//!   set-up before exec, and the few ioctls nix leaves unsafe.

#![deny(unsafe_code)]

pub mod config;
pub mod exit;
pub mod os;
pub mod paths;
pub mod tty;
pub mod who;
pub mod wire;

/// The basename of argv[0]: how every message names its program.
pub fn prog_name() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sess".into())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A time in milliseconds since the epoch as RFC 3339 UTC, to the second.
pub fn rfc3339(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(t).to_string()
}
