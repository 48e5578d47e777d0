//! Session records: everything sessd knows about a session that must
//! outlive its processes (SPEC §6, §8). One JSON file per session.
//!
//! The format is versioned; fields are only ever added (with defaults), so
//! a record written today loads in every later version.

use serde::{Deserialize, Serialize};
use sess_proto::WinSize;

/// The record format this build writes.
pub const FORMAT: u32 = 1;

/// What the user last asked the session to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Desired {
    Running,
    Suspended,
    Waiting,
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RestartStyle {
    #[default]
    IfRunning,
    Anyway,
    Immediately,
    Never,
}

impl RestartStyle {
    pub const ALL: [(&'static str, RestartStyle); 4] = [
        ("if-running", RestartStyle::IfRunning),
        ("anyway", RestartStyle::Anyway),
        ("immediately", RestartStyle::Immediately),
        ("never", RestartStyle::Never),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(_, s)| *s == self).map(|(n, _)| *n).expect("listed")
    }
}

fn default_stop_timeout_ms() -> u64 {
    5000
}

fn default_size() -> WinSize {
    WinSize { rows: 24, cols: 80 }
}

/// The settable attributes (`session get` / `session set`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Attributes {
    pub start_suspended: bool,
    pub restart_style: RestartStyle,
    pub restart_command: Option<Vec<String>>,
    pub save_signal: Option<String>,
    pub ttl_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub limit_cpu: Option<u64>,
    pub limit_mem: Option<u64>,
    pub limit_nofile: Option<u64>,
    pub limit_nproc: Option<u64>,
    pub schedule: Option<String>,
    pub log: Option<String>,
    pub stop_timeout_ms: u64,
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes {
            start_suspended: false,
            restart_style: RestartStyle::IfRunning,
            restart_command: None,
            save_signal: None,
            ttl_ms: None,
            timeout_ms: None,
            limit_cpu: None,
            limit_mem: None,
            limit_nofile: None,
            limit_nproc: None,
            schedule: None,
            log: None,
            stop_timeout_ms: default_stop_timeout_ms(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Record {
    pub format: u32,
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub title: String,
    pub command: Vec<String>,
    pub cwd: String,
    #[serde(default)]
    pub env: Vec<(String, String)>,
    /// Kept sessions stay when their program exits; `sess` sessions do not.
    pub keep: bool,
    pub desired: Desired,
    #[serde(default)]
    pub attributes: Attributes,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    #[serde(default)]
    pub last_use: u64,
    #[serde(default)]
    pub exit_status: Option<i32>,
    #[serde(default = "default_size")]
    pub size: WinSize,
}

impl Record {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("records are plain data")
    }

    /// Parses a record; a newer format is refused rather than misread.
    pub fn from_json(text: &str) -> Result<Record, String> {
        #[derive(Deserialize)]
        struct Head {
            format: u32,
        }
        let head: Head = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if head.format > FORMAT {
            return Err(format!("record format {} is newer than {FORMAT}", head.format));
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}
