//! The registry of live sessions: which ids and names are taken, where
//! each master listens, and how to reach and start masters.
//!
//! The masters hold every live fact (title, connection, pending reconnect);
//! the registry only knows id → name, so a new sessd rebuilds it by asking
//! each master found in `RUNTIME/s/`.

use super::wire::{self, WireError};
use crate::ids;
use sess_proto::{CreateSpec, Launch, Launched, MasterRequest, Refusal, Reply, SessionInfo, frame};
use sess_sys::paths::Dirs;
use std::collections::{BTreeMap, HashSet};
use std::io;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;
use tracing::{info, warn};

/// How long a master may take to answer an ordinary request.
const MASTER_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Registry {
    pub dirs: Dirs,
    pub max_sessions: u32,
    /// id → name of every live (or starting) session.
    sessions: Mutex<BTreeMap<String, String>>,
}

/// A master that cannot be reached is a session that is gone.
fn gone(e: &WireError) -> bool {
    match e {
        WireError::Io(e) => {
            matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused)
        }
        WireError::Closed => true,
        _ => false,
    }
}

impl Registry {
    pub fn new(dirs: Dirs, max_sessions: u32) -> Self {
        Registry { dirs, max_sessions, sessions: Mutex::new(BTreeMap::new()) }
    }

    /// Finds the masters that outlived an earlier sessd and adopts them;
    /// removes sockets nobody listens on.
    pub async fn adopt(self: &Arc<Self>) {
        let Ok(dir) = std::fs::read_dir(self.dirs.masters()) else {
            return;
        };
        for entry in dir.flatten() {
            let path = entry.path();
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".sock"))
                .filter(|id| ids::is_id(id))
            else {
                continue;
            };
            match self.call_master(id, &MasterRequest::Info, MASTER_TIMEOUT).await {
                Ok(Reply::Session(info)) if info.id == id => {
                    info!(id, name = %info.name, "adopted a running session");
                    self.sessions.lock().await.insert(info.id.clone(), info.name);
                    self.watch(info.id);
                }
                Err(e) if gone(&e) => {
                    info!(id, "removed a stale master socket");
                    let _ = std::fs::remove_file(&path);
                }
                other => warn!(id, answer = ?other, "a master socket did not answer as expected"),
            }
        }
    }

    /// One request to one master on a connection of its own.
    pub async fn call_master(
        &self,
        id: &str,
        request: &MasterRequest,
        timeout: Duration,
    ) -> Result<Reply, WireError> {
        let path = self.dirs.master_socket(id);
        let exchange = async {
            let mut stream = wire::dial(&path).await?;
            wire::send(&mut stream, request).await?;
            wire::recv::<Reply>(&mut stream).await
        };
        tokio::time::timeout(timeout, exchange).await.map_err(|_| WireError::Timeout)?
    }

    /// Forwards a request to the session `target` (an id or a name).
    pub async fn forward(&self, target: &str, request: MasterRequest) -> Reply {
        let Some(id) = self.lookup(target).await else {
            return Reply::Refused(Refusal::NoSuchSession);
        };
        let timeout = match request {
            MasterRequest::Kill { timeout_ms } => {
                Duration::from_millis(timeout_ms) + MASTER_TIMEOUT
            }
            _ => MASTER_TIMEOUT,
        };
        match self.call_master(&id, &request, timeout).await {
            Ok(reply) => reply,
            Err(e) if gone(&e) => {
                self.forget(&id).await;
                // A kill whose master exited before answering did its job.
                if matches!(request, MasterRequest::Kill { .. }) {
                    Reply::Ok
                } else {
                    Reply::Refused(Refusal::NoSuchSession)
                }
            }
            Err(e) => Reply::Refused(Refusal::Failed(format!("session {id} did not answer: {e}"))),
        }
    }

    /// The id of `target`, given as an id or a name.
    pub async fn lookup(&self, target: &str) -> Option<String> {
        let sessions = self.sessions.lock().await;
        if sessions.contains_key(target) {
            return Some(target.to_owned());
        }
        sessions.iter().find(|(_, name)| *name == target).map(|(id, _)| id.clone())
    }

    pub async fn forget(&self, id: &str) {
        if self.sessions.lock().await.remove(id).is_some() {
            info!(id, "session gone");
        }
    }

    /// Every live session, asked of its master, sorted by id.
    pub async fn list(&self) -> Vec<SessionInfo> {
        let ids: Vec<String> = self.sessions.lock().await.keys().cloned().collect();
        let mut set = tokio::task::JoinSet::new();
        for id in ids {
            let path = self.dirs.master_socket(&id);
            set.spawn(async move {
                let exchange = async {
                    let mut stream = wire::dial(&path).await?;
                    wire::send(&mut stream, &MasterRequest::Info).await?;
                    wire::recv::<Reply>(&mut stream).await
                };
                (id, tokio::time::timeout(MASTER_TIMEOUT, exchange).await)
            });
        }
        let mut out = Vec::new();
        while let Some(Ok((id, answer))) = set.join_next().await {
            match answer {
                Ok(Ok(Reply::Session(info))) => out.push(info),
                Ok(Err(e)) if gone(&e) => self.forget(&id).await,
                other => warn!(id, answer = ?other, "a master did not answer"),
            }
        }
        out.sort_by(|a, b| ids::id_order(&a.id).cmp(&ids::id_order(&b.id)));
        out
    }

    /// Reserves an id and a name for a new session.
    async fn reserve(&self, spec: &CreateSpec) -> Result<(String, String), Refusal> {
        let mut sessions = self.sessions.lock().await;
        if sessions.len() >= self.max_sessions as usize {
            return Err(Refusal::LimitReached(self.max_sessions));
        }
        let names: HashSet<String> = sessions.values().cloned().collect();
        let name = match &spec.name {
            Some(name) => {
                ids::check_name(name).map_err(Refusal::InvalidName)?;
                if names.contains(name) {
                    return Err(Refusal::NameTaken(name.clone()));
                }
                name.clone()
            }
            None => ids::auto_name(&spec.command[0], &names),
        };
        let mut used: HashSet<String> = sessions.keys().cloned().collect();
        // A socket left by a master this sessd has not adopted keeps its id.
        if let Ok(dir) = std::fs::read_dir(self.dirs.masters()) {
            used.extend(
                dir.flatten().filter_map(|e| {
                    e.file_name().to_str()?.strip_suffix(".sock").map(str::to_owned)
                }),
            );
        }
        let id = ids::first_free_id(&used).ok_or(Refusal::LimitReached(self.max_sessions))?;
        sessions.insert(id.clone(), name.clone());
        Ok((id, name))
    }

    /// Starts a session: reserves its id and name, forks its master and
    /// waits until the program runs (or could not be started).
    pub async fn create(self: &Arc<Self>, spec: CreateSpec) -> Result<SessionInfo, Refusal> {
        if spec.command.is_empty() {
            return Err(Refusal::Failed("no program given".into()));
        }
        let (id, name) = self.reserve(&spec).await?;
        let launch = Launch { id: id.clone(), name, spec, created_at: sess_sys::now_ms() };
        match self.launch(&launch).await {
            Ok(info) => {
                self.watch(id);
                Ok(info)
            }
            Err(refusal) => {
                self.sessions.lock().await.remove(&id);
                Err(refusal)
            }
        }
    }

    /// Keeps an idle connection to a master; when the master goes, so
    /// does its entry (whether sessd started it or adopted it).
    fn watch(self: &Arc<Self>, id: String) {
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            if let Ok(mut stream) = wire::dial(&registry.dirs.master_socket(&id)).await {
                let mut buf = [0u8; 64];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            }
            registry.forget(&id).await;
        });
    }

    async fn launch(&self, launch: &Launch) -> Result<SessionInfo, Refusal> {
        let failed =
            |e: &dyn std::fmt::Display| Refusal::Failed(format!("cannot start a master: {e}"));
        let exe = std::env::current_exe().map_err(|e| failed(&e))?;
        let mut child = tokio::process::Command::new(exe)
            .arg("--master")
            .env("SESS_RUNTIME_DIR", &self.dirs.runtime)
            .env("SESS_STATE_DIR", &self.dirs.state)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed(&e))?;
        let mut stdin = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        stdin.write_all(&frame::encode(launch)).await.map_err(|e| failed(&e))?;
        drop(stdin);
        let mut answer = Vec::new();
        let read = tokio::time::timeout(MASTER_TIMEOUT * 2, stdout.read_to_end(&mut answer));
        let result = match read.await {
            Ok(Ok(_)) => match frame::split(&answer) {
                Ok(Some((body, _))) => frame::decode::<Launched>(body).map_err(|e| failed(&e)),
                _ => Err(failed(&"the master ended without an answer")),
            },
            Ok(Err(e)) => Err(failed(&e)),
            Err(_) => Err(failed(&"the master did not answer in time")),
        };
        // The master is our child until it ends; reap it then.
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        match result? {
            Launched::Running(info) => {
                info!(id = %info.id, name = %info.name, pid = ?info.pid, "session started");
                Ok(info)
            }
            Launched::Failed(refusal) => Err(refusal),
        }
    }
}
