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

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as format 1 wrote it; every later version must load it.
    const V1: &str = include_str!("../../fixtures/record-v1.json");

    #[test]
    fn a_format_1_record_keeps_loading() {
        let r = Record::from_json(V1).unwrap();
        assert_eq!(
            (r.id.as_str(), r.name.as_str(), r.title.as_str()),
            ("q3", "backend", "api server")
        );
        assert_eq!(r.command, ["/usr/local/sbin/myserver", "--port", "8080"]);
        assert_eq!(r.cwd, "/srv/api");
        assert_eq!(r.env[1], ("TERM".into(), "xterm-256color".into()));
        assert!(r.keep);
        assert_eq!(r.desired, Desired::Running);
        let a = &r.attributes;
        assert_eq!(a.restart_style, RestartStyle::Anyway);
        assert_eq!(a.restart_command.as_deref().unwrap()[1], "--resume");
        assert_eq!(a.save_signal.as_deref(), Some("USR1"));
        assert_eq!(
            (a.timeout_ms, a.limit_mem, a.limit_nofile),
            (Some(3_600_000), Some(512 << 20), Some(1024))
        );
        assert_eq!(a.schedule.as_deref(), Some("@daily"));
        assert_eq!(a.stop_timeout_ms, 30_000);
        assert_eq!(r.size, WinSize { rows: 50, cols: 200 });
    }

    #[test]
    fn records_round_trip_and_newer_formats_are_refused() {
        let r = Record::from_json(V1).unwrap();
        assert_eq!(Record::from_json(&r.to_json()).unwrap(), r);
        let newer = V1.replace("\"format\": 1", "\"format\": 99");
        assert!(Record::from_json(&newer).unwrap_err().contains("newer"));
        assert!(Record::from_json("{\"format\": 1, \"id\": ").is_err());
    }

    #[test]
    fn missing_optional_fields_take_defaults() {
        let minimal = r#"{"format":1,"id":"p0","name":"a1x","command":["sh"],"cwd":"/",
            "keep":false,"desired":"stopped","created-at":0}"#;
        let r = Record::from_json(minimal).unwrap();
        assert_eq!(r.attributes, Attributes::default());
        assert_eq!(r.size, WinSize { rows: 24, cols: 80 });
    }
}
