//! The record store: `STATE/sessions/XX.json`, one file per session,
//! written atomically (temp file, fsync, rename, fsync of the directory),
//! so a crash at any moment leaves either the old record or the new one.

use super::record::Record;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tracing::warn;

pub struct Store {
    dir: PathBuf,
    /// Checkpointed screens: `STATE/screens/XX`.
    screens: PathBuf,
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync of
/// the directory.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()
}

impl Store {
    pub fn open(state: &Path) -> io::Result<Store> {
        let dir = state.join("sessions");
        let screens = state.join("screens");
        for d in [&dir, &screens] {
            sess_sys::paths::ensure_private_dir(d).map_err(io::Error::other)?;
        }
        Ok(Store { dir, screens })
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    pub fn save(&self, record: &Record) -> io::Result<()> {
        write_atomically(&self.dir, &format!("{}.json", record.id), record.to_json().as_bytes())
    }

    /// Removes a record and its checkpointed screen.
    pub fn remove(&self, id: &str) -> io::Result<()> {
        let _ = fs::remove_file(self.screens.join(id));
        match fs::remove_file(self.path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub fn save_screen(&self, id: &str, screen: &str) -> io::Result<()> {
        write_atomically(&self.screens, id, screen.as_bytes())
    }

    /// The last checkpointed screen of `id`, if any.
    pub fn screen(&self, id: &str) -> Option<String> {
        fs::read_to_string(self.screens.join(id)).ok()
    }

    /// Every readable record. A corrupt or unknown record is moved aside
    /// (`XX.json.bad`) with a log line; the others load.
    pub fn load_all(&self) -> Vec<Record> {
        let Ok(dir) = fs::read_dir(&self.dir) else { return Vec::new() };
        let mut records = Vec::new();
        for entry in dir.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = fs::remove_file(&path);
                continue;
            }
            let Some(id) = name.strip_suffix(".json") else { continue };
            let loaded = fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| Record::from_json(&text))
                .and_then(|r| if r.id == id { Ok(r) } else { Err(format!("holds id {}", r.id)) });
            match loaded {
                Ok(record) => records.push(record),
                Err(reason) => {
                    let aside = path.with_extension("json.bad");
                    warn!(file = %path.display(), %reason, aside = %aside.display(),
                        "unreadable session record moved aside");
                    let _ = fs::rename(&path, &aside);
                }
            }
        }
        records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = include_str!("../../fixtures/record-v1.json");

    fn temp() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "sess-store-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn saved_records_load_and_removed_ones_do_not() {
        let dir = temp();
        let store = Store::open(&dir).unwrap();
        let mut r = Record::from_json(V1).unwrap();
        store.save(&r).unwrap();
        r.title = "changed".into();
        store.save(&r).unwrap();
        assert_eq!(store.load_all(), vec![r.clone()]);
        store.remove(&r.id).unwrap();
        store.remove(&r.id).unwrap();
        assert!(store.load_all().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_record_is_moved_aside_and_the_others_load() {
        let dir = temp();
        let store = Store::open(&dir).unwrap();
        let good = Record::from_json(V1).unwrap();
        store.save(&good).unwrap();
        let sessions = dir.join("sessions");
        fs::write(sessions.join("p0.json"), "{\"format\": 1, \"id\": \"p0\"").unwrap();
        fs::write(sessions.join("p1.json"), V1.replace("\"format\": 1", "\"format\": 7")).unwrap();
        fs::write(sessions.join(".p2.json.tmp"), "half a rec").unwrap();
        store.save_screen("q3", "screen").unwrap();
        assert_eq!(store.screen("q3").as_deref(), Some("screen"));
        assert_eq!(store.load_all(), vec![good]);
        assert!(sessions.join("p0.json.bad").exists());
        assert!(sessions.join("p1.json.bad").exists());
        assert!(!sessions.join(".p2.json.tmp").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
