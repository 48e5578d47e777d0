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
}

impl Store {
    pub fn open(state: &Path) -> io::Result<Store> {
        let dir = state.join("sessions");
        sess_sys::paths::ensure_private_dir(&dir).map_err(io::Error::other)?;
        Ok(Store { dir })
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    pub fn save(&self, record: &Record) -> io::Result<()> {
        let path = self.path(&record.id);
        let tmp = self.dir.join(format!(".{}.json.tmp", record.id));
        let mut file = File::create(&tmp)?;
        file.write_all(record.to_json().as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
        File::open(&self.dir)?.sync_all()
    }

    pub fn remove(&self, id: &str) -> io::Result<()> {
        match fs::remove_file(self.path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
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
