//! Configuration: top-level TOML keys in the user config (`SESS_CONFIG`,
//! else `$XDG_CONFIG_HOME/sess/config.toml`).

use serde::Deserialize;
use std::path::Path;

/// The detach key when the config names none: `^\`.
pub const DEFAULT_DETACH_KEY: u8 = 0x1c;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The byte that detaches, or `None` when disabled.
    pub detach_key: Option<u8>,
    pub restore_lines: u32,
    /// Bound on a session's scrollback in the screen model, in bytes.
    pub scrollback_bytes: u64,
    pub max_sessions: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            detach_key: Some(DEFAULT_DETACH_KEY),
            restore_lines: 500,
            scrollback_bytes: 8 << 20,
            max_sessions: 1000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Raw {
    detach_key: Option<String>,
    restore_lines: Option<u32>,
    scrollback_bytes: Option<u64>,
    max_sessions: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Parse { path: String, reason: String },
}

impl Config {
    /// Loads the config at `path`; a missing file means the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        };
        Config::parse(&text)
            .map_err(|reason| ConfigError::Parse { path: path.display().to_string(), reason })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let mut config = Config::default();
        if let Some(key) = raw.detach_key {
            config.detach_key = parse_key(&key)?;
        }
        if let Some(n) = raw.restore_lines {
            config.restore_lines = n;
        }
        if let Some(n) = raw.scrollback_bytes {
            config.scrollback_bytes = n;
        }
        if let Some(n) = raw.max_sessions {
            config.max_sessions = n;
        }
        Ok(config)
    }
}

/// Parses a key as `^X`, a literal control character, or `none`.
pub fn parse_key(key: &str) -> Result<Option<u8>, String> {
    let bad = || {
        format!("detach-key: {key:?} is not a key; use \"^X\" (e.g. \"^\\\\\", \"^A\") or \"none\"")
    };
    match key.as_bytes() {
        b"none" => Ok(None),
        [b'^', b'?'] => Ok(Some(0x7f)),
        [b'^', c] if (b'@'..=b'_').contains(&c.to_ascii_uppercase()) => {
            Ok(Some(c.to_ascii_uppercase() & 0x1f))
        }
        [c] if c.is_ascii_control() => Ok(Some(*c)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse() {
        assert_eq!(parse_key("^\\"), Ok(Some(0x1c)));
        assert_eq!(parse_key("^A"), Ok(Some(1)));
        assert_eq!(parse_key("^a"), Ok(Some(1)));
        assert_eq!(parse_key("^]"), Ok(Some(0x1d)));
        assert_eq!(parse_key("none"), Ok(None));
        assert!(parse_key("^").is_err());
        assert!(parse_key("ab").is_err());
    }

    #[test]
    fn config_defaults_and_overrides() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        let c = Config::parse("detach-key = \"^A\"\nrestore-lines = 10\n").unwrap();
        assert_eq!(c.detach_key, Some(1));
        assert_eq!(c.restore_lines, 10);
        assert_eq!(c.scrollback_bytes, Config::default().scrollback_bytes);
        let c = Config::parse("scrollback-bytes = 1048576\n").unwrap();
        assert_eq!(c.scrollback_bytes, 1 << 20);
        assert!(Config::parse("detach-key = 3").is_err());
        assert!(Config::parse("scrollback-bytes = -1").is_err());
    }
}

/// Where who/where records live unless the system config says otherwise.
pub const DEFAULT_WHO_DIR: &str = "/run/sess/who";

/// The administrator's settings (`/etc/sess/config.toml`, or
/// `SESS_SYSTEM_CONFIG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemConfig {
    /// Whether daemons publish who/where records (`who = false` turns
    /// sesswho and sesswhere off).
    pub who: bool,
    pub who_dir: std::path::PathBuf,
}

impl Default for SystemConfig {
    fn default() -> Self {
        SystemConfig { who: true, who_dir: DEFAULT_WHO_DIR.into() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawSystem {
    who: Option<bool>,
    who_dir: Option<std::path::PathBuf>,
}

impl SystemConfig {
    pub fn path() -> std::path::PathBuf {
        std::env::var_os("SESS_SYSTEM_CONFIG")
            .filter(|p| !p.is_empty())
            .map_or_else(|| "/etc/sess/config.toml".into(), Into::into)
    }

    /// Loads the system config; a missing file means the defaults.
    pub fn load() -> Result<SystemConfig, ConfigError> {
        let path = Self::path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                let path = path.display().to_string();
                return Err(ConfigError::Read { path, reason: e.to_string() });
            }
        };
        let raw: RawSystem = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            reason: e.message().to_owned(),
        })?;
        let mut config = Self::default();
        if let Some(who) = raw.who {
            config.who = who;
        }
        if let Some(dir) = raw.who_dir {
            config.who_dir = dir;
        }
        Ok(config)
    }
}
