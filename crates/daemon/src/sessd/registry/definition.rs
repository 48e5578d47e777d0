//! A session's definition: its attributes (`session get` and `set`, the
//! title), and `session export` and `import`.

use super::super::attrs;
use super::{Attributes, Desired, FORMAT, Record, Registry, Result, describe, failed};
use crate::ids;
use serde::{Deserialize, Serialize};
use sess_proto::{Refusal, SessionInfo};
use std::time::Duration;

/// What `session export` writes and `session import` reads.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Definition {
    name: String,
    #[serde(default)]
    title: String,
    command: Vec<String>,
    cwd: String,
    #[serde(default)]
    env: Vec<(String, String)>,
    #[serde(default = "yes")]
    keep: bool,
    #[serde(default)]
    attributes: Attributes,
}

fn yes() -> bool {
    true
}

impl Registry {
    pub async fn get(&self, target: &str, key: Option<&str>) -> Result<Vec<(String, String)>> {
        let info = self.info(target).await?;
        let book = self.book.lock().await;
        let record = book.records.get(&info.id).ok_or(Refusal::NoSuchSession)?;
        let read_only = |key: &str| -> Option<String> {
            Some(match key {
                "id" => info.id.clone(),
                "pid" => info.pid.map_or("none".into(), |p| p.to_string()),
                "state" => format!("{:?}", info.state).to_lowercase(),
                "created-at" => sess_sys::rfc3339(info.created_at),
                "last-use" => sess_sys::rfc3339(info.last_use),
                "runtime" => {
                    let ms = sess_sys::now_ms().saturating_sub(info.created_at);
                    humantime::format_duration(Duration::from_secs(ms / 1000)).to_string()
                }
                _ => return None,
            })
        };
        let value = |key: &str| attrs::get(record, key).or_else(|| read_only(key));
        match key {
            Some(key) => match value(key) {
                Some(v) => Ok(vec![(key.to_owned(), v)]),
                None => Err(Refusal::BadAttribute(format!(
                    "unknown attribute '{key}'; known: {}, {}",
                    attrs::SETTABLE.join(", "),
                    attrs::READ_ONLY.join(", ")
                ))),
            },
            None => Ok(attrs::SETTABLE
                .iter()
                .chain(attrs::READ_ONLY)
                .filter_map(|k| Some((k.to_string(), value(k)?)))
                .collect()),
        }
    }

    pub async fn set(&self, target: &str, key: &str, value: &str) -> Result<()> {
        let mut book = self.book.lock().await;
        let id = book.lookup(target).ok_or(Refusal::NoSuchSession)?;
        let mut record = book.records[&id].clone();
        attrs::set(&mut record, key, value).map_err(Refusal::BadAttribute)?;
        if record.name != book.records[&id].name && book.names().contains(&record.name) {
            return Err(Refusal::NameTaken(record.name));
        }
        self.save(&record);
        book.records.insert(id, record);
        Ok(())
    }

    pub async fn set_title(&self, target: &str, title: &str) -> Result<()> {
        let title = crate::master::truncate(title, crate::master::MAX_TITLE).to_owned();
        let mut book = self.book.lock().await;
        let id = book.lookup(target).ok_or(Refusal::NoSuchSession)?;
        let record = book.records.get_mut(&id).expect("looked up");
        record.title = title;
        self.save(record);
        Ok(())
    }

    pub async fn export(&self, target: &str) -> Result<String> {
        let book = self.book.lock().await;
        let id = book.lookup(target).ok_or(Refusal::NoSuchSession)?;
        let r = &book.records[&id];
        let definition = Definition {
            name: r.name.clone(),
            title: r.title.clone(),
            command: r.command.clone(),
            cwd: r.cwd.clone(),
            env: r.env.clone(),
            keep: r.keep,
            attributes: r.attributes.clone(),
        };
        Ok(serde_json::to_string_pretty(&definition).expect("plain data"))
    }

    /// Files an exported definition as a new session (new id, a free name;
    /// `waiting` if it starts suspended, else `stopped`).
    pub async fn import(&self, json: &str) -> Result<SessionInfo> {
        let d: Definition = serde_json::from_str(json)
            .map_err(|e| failed(format!("not a session definition: {e}")))?;
        if let Err(why) = attrs::check_argv(&d.command) {
            return Err(failed(format!("not a session definition: {why}")));
        }
        let now = sess_sys::now_ms();
        let name = {
            let names = self.book.lock().await.names();
            if names.contains(&d.name) || ids::check_name(&d.name).is_err() {
                ids::auto_name(&d.name, &names)
            } else {
                d.name.clone()
            }
        };
        let record = Record {
            format: FORMAT,
            id: String::new(),
            name: String::new(),
            title: d.title,
            command: d.command,
            cwd: d.cwd,
            env: d.env,
            keep: d.keep,
            desired: if d.attributes.start_suspended { Desired::Waiting } else { Desired::Stopped },
            attributes: d.attributes,
            created_at: now,
            last_use: now,
            exit_status: None,
            size: sess_proto::WinSize { rows: 24, cols: 80 },
        };
        let record = self.file(record, Some(&name)).await?;
        Ok(describe(&record, None))
    }
}
