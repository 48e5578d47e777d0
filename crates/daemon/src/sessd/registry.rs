//! The registry: every session's record (on disk, see [`Store`]) and which
//! of them have a live master.
//!
//! Records are the truth for what a session is (name, title, command,
//! attributes, desired state); masters are the truth for live facts (pid,
//! connection, pending reconnect). A new sessd loads the records and adopts
//! the masters it finds in `RUNTIME/s/`. Each live master is watched over
//! an idle connection that the master answers when its session ends.

use super::record::{Attributes, Desired, FORMAT, Record, RestartStyle};
use super::spawn::Start;
use super::store::Store;
use super::who::Who;
use super::wire::{self, WireError};
use super::{attrs, spawn};
use crate::{ids, kernel_session};
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use sess_proto::{CreateSpec, MasterRequest, Refusal, Reply, SessionInfo, State};
use sess_sys::paths::Dirs;
use sess_sys::who::WhoState;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tracing::{info, warn};

/// `immediately`: at most this many respawns within [`RESPAWN_WINDOW`].
const MAX_RESPAWNS: usize = 5;
const RESPAWN_WINDOW: Duration = Duration::from_secs(60);
/// How long `suspend` and `resume` wait for the program to show the change.
const SIGNAL_SHOWS: Duration = Duration::from_secs(1);

/// How long a master may take to answer an ordinary request.
pub const MASTER_TIMEOUT: Duration = Duration::from_secs(5);

type Result<T> = std::result::Result<T, Refusal>;

mod comeback;
mod definition;

#[derive(Default)]
struct Book {
    records: BTreeMap<String, Record>,
    /// id → pid of the master that holds the session now.
    live: HashMap<String, u32>,
    /// id → when an `immediately` session was last respawned.
    respawns: HashMap<String, Vec<Instant>>,
}

impl Book {
    fn lookup(&self, target: &str) -> Option<String> {
        if self.records.contains_key(target) {
            return Some(target.to_owned());
        }
        self.records.values().find(|r| r.name == target).map(|r| r.id.clone())
    }

    fn names(&self) -> HashSet<String> {
        self.records.values().map(|r| r.name.clone()).collect()
    }
}

pub struct Registry {
    pub dirs: Dirs,
    max_sessions: u32,
    store: Store,
    book: Mutex<Book>,
    who: std::sync::Mutex<Who>,
    /// Set once sessd is stopping (SIGTERM): a session that ends from now
    /// on ends with the system (a shutdown or logout kills everything at
    /// once), so its record is left as it is for the next start.
    stopping: std::sync::atomic::AtomicBool,
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

fn failed(e: impl std::fmt::Display) -> Refusal {
    Refusal::Failed(e.to_string())
}

/// A session's facts, from its record and, while its program runs, from
/// its master. A running program is `suspended` while it is stopped, by
/// `session suspend` or by anyone's SIGSTOP, and `running` again once
/// continued, by `session resume` or by anyone's SIGCONT.
fn describe(record: &Record, live: Option<&SessionInfo>) -> SessionInfo {
    let stopped = |l: &SessionInfo| {
        l.pid.is_some_and(|pid| kernel_session::stopped(Pid::from_raw(pid as i32)))
    };
    let state = match (live, record.desired) {
        (Some(l), _) if stopped(l) => State::Suspended,
        (Some(_), _) => State::Running,
        (None, Desired::Waiting) => State::Waiting,
        (None, _) => State::Stopped,
    };
    SessionInfo {
        id: record.id.clone(),
        name: record.name.clone(),
        title: record.title.clone(),
        state,
        connected: live.is_some_and(|l| l.connected),
        pid: live.and_then(|l| l.pid),
        master_pid: live.and_then(|l| l.master_pid),
        tty: live.and_then(|l| l.tty.clone()),
        command: record.command.clone(),
        cwd: record.cwd.clone(),
        created_at: record.created_at,
        last_use: live.map_or(record.last_use, |l| l.last_use),
        pending_reconnect: live.and_then(|l| l.pending_reconnect.clone()),
        connected_from: live.and_then(|l| l.connected_from.clone()),
        kept: record.keep,
        exit_status: if live.is_some() { None } else { record.exit_status },
    }
}

impl Registry {
    pub fn open(dirs: Dirs, max_sessions: u32) -> io::Result<Registry> {
        let store = Store::open(&dirs.state)?;
        let records = store.load_all().into_iter().map(|r| (r.id.clone(), r)).collect();
        let book = Book { records, live: HashMap::new(), respawns: HashMap::new() };
        let who = std::sync::Mutex::new(Who::open(&dirs));
        let stopping = false.into();
        Ok(Registry { dirs, max_sessions, store, book: Mutex::new(book), who, stopping })
    }

    /// sessd is stopping: sessions that end from now on are not settled
    /// (kept sessions stay `running`, `sess` sessions stay listed), so the
    /// next sessd relaunches what a shutdown killed.
    pub fn stop(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Updates the who record (published if the system config allows).
    fn who(&self, f: impl FnOnce(&mut Who)) {
        f(&mut self.who.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn save(&self, record: &Record) {
        if let Err(e) = self.store.save(record) {
            warn!(id = %record.id, error = %e, "cannot write the session record");
        }
    }

    fn unsave(&self, id: &str) {
        if let Err(e) = self.store.remove(id) {
            warn!(id, error = %e, "cannot remove the session record");
        }
    }

    /// Adopts the masters that outlived an earlier sessd, removes sockets
    /// nobody listens on, and settles records whose master is gone.
    pub async fn adopt(self: &Arc<Self>) {
        if let Ok(dir) = std::fs::read_dir(self.dirs.masters()) {
            for entry in dir.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(id) = name.strip_suffix(".sock").filter(|id| ids::is_id(id)) else {
                    continue;
                };
                match self.call_master(id, &MasterRequest::Info, MASTER_TIMEOUT).await {
                    Ok(Reply::Session(live)) if live.id == id => self.adopt_one(live).await,
                    Err(e) if gone(&e) => {
                        info!(id, "removed a stale master socket");
                        let _ = std::fs::remove_file(&path);
                    }
                    other => warn!(id, answer = ?other, "a master socket did not answer"),
                }
            }
        }
        self.who(Who::settle);
        self.reconcile().await;
    }

    async fn adopt_one(self: &Arc<Self>, live: SessionInfo) {
        let master = live.master_pid.unwrap_or(0);
        let mut book = self.book.lock().await;
        if !book.records.contains_key(&live.id) {
            let record = Record {
                format: FORMAT,
                id: live.id.clone(),
                name: live.name.clone(),
                title: live.title.clone(),
                command: live.command.clone(),
                cwd: live.cwd.clone(),
                // The record is lost; the program's own start environment
                // is the best account of the one it was given.
                env: live
                    .pid
                    .map(|pid| kernel_session::start_env(Pid::from_raw(pid as i32)))
                    .unwrap_or_default(),
                keep: live.kept,
                desired: Desired::Running,
                attributes: Attributes::default(),
                created_at: live.created_at,
                last_use: live.last_use,
                exit_status: None,
                size: sess_proto::WinSize { rows: 24, cols: 80 },
            };
            self.save(&record);
            book.records.insert(live.id.clone(), record);
        }
        info!(id = %live.id, name = %live.name, "adopted a running session");
        self.who(|w| {
            w.started(&live.id, live.master_pid);
            w.observed(&live);
        });
        book.live.insert(live.id.clone(), master);
        drop(book);
        self.watch(live.id, master);
    }

    /// One request to one master on a connection of its own.
    pub async fn call_master(
        &self,
        id: &str,
        request: &MasterRequest,
        timeout: Duration,
    ) -> std::result::Result<Reply, WireError> {
        let path = self.dirs.master_socket(id);
        let exchange = async {
            let mut stream = wire::dial(&path).await?;
            wire::send(&mut stream, request).await?;
            wire::recv::<Reply>(&mut stream).await
        };
        tokio::time::timeout(timeout, exchange).await.map_err(|_| WireError::Timeout)?
    }

    /// The id of `target` (an id or a name).
    pub async fn lookup(&self, target: &str) -> Result<String> {
        self.book.lock().await.lookup(target).ok_or(Refusal::NoSuchSession)
    }

    /// A session's master facts, or `None` when it has no master. (A
    /// master that is starting answers before sessd has its pid.)
    async fn live_info(&self, id: &str) -> Option<SessionInfo> {
        match self.call_master(id, &MasterRequest::Info, MASTER_TIMEOUT).await {
            Ok(Reply::Session(info)) => Some(info),
            _ => None,
        }
    }

    /// The session `target` as clients see it.
    pub async fn info(&self, target: &str) -> Result<SessionInfo> {
        let id = self.lookup(target).await?;
        let live = self.live_info(&id).await;
        let book = self.book.lock().await;
        let record = book.records.get(&id).ok_or(Refusal::NoSuchSession)?;
        Ok(describe(record, live.as_ref()))
    }

    /// Forwards a request to the master of `target`; a session without one
    /// is not connected.
    pub async fn forward(&self, target: &str, request: MasterRequest) -> Reply {
        let id = match self.lookup(target).await {
            Ok(id) => id,
            Err(refusal) => return Reply::Refused(refusal),
        };
        match self.call_master(&id, &request, MASTER_TIMEOUT).await {
            Ok(reply) => reply,
            Err(e) if gone(&e) => Reply::Refused(Refusal::NotConnected),
            Err(e) => Reply::Refused(failed(format!("session {id} did not answer: {e}"))),
        }
    }

    /// Every session, sorted by id.
    pub async fn list(&self) -> Vec<SessionInfo> {
        // Ask every master there is, including one that is still starting.
        let live: Vec<String> = self
            .book
            .lock()
            .await
            .records
            .keys()
            .filter(|id| self.dirs.master_socket(id).exists())
            .cloned()
            .collect();
        let mut set = tokio::task::JoinSet::new();
        for id in live {
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
        let mut facts = HashMap::new();
        while let Some(Ok((id, answer))) = set.join_next().await {
            match answer {
                Ok(Ok(Reply::Session(info))) => {
                    facts.insert(id, info);
                }
                other => warn!(id, answer = ?other, "a master did not answer"),
            }
        }
        let book = self.book.lock().await;
        let mut out: Vec<SessionInfo> =
            book.records.values().map(|r| describe(r, facts.get(&r.id))).collect();
        out.sort_by(|a, b| ids::id_order(&a.id).cmp(&ids::id_order(&b.id)));
        out
    }

    /// Picks an id and a name for a new record and files it.
    async fn file(&self, mut record: Record, name: Option<&str>) -> Result<Record> {
        // The config is read again, so an edit counts without a restart.
        let max = sess_sys::config::Config::load(self.dirs.config.as_deref())
            .map_or(self.max_sessions, |c| c.max_sessions);
        let mut book = self.book.lock().await;
        if book.records.len() >= max as usize {
            return Err(Refusal::LimitReached(max));
        }
        let names = book.names();
        record.name = match name {
            Some(name) => {
                ids::check_name(name).map_err(Refusal::InvalidName)?;
                if names.contains(name) {
                    return Err(Refusal::NameTaken(name.to_owned()));
                }
                name.to_owned()
            }
            None => ids::auto_name(&record.command[0], &names),
        };
        let mut used: HashSet<String> = book.records.keys().cloned().collect();
        // A socket left by a master this sessd did not adopt keeps its id.
        if let Ok(dir) = std::fs::read_dir(self.dirs.masters()) {
            used.extend(
                dir.flatten().filter_map(|e| {
                    e.file_name().to_str()?.strip_suffix(".sock").map(str::to_owned)
                }),
            );
        }
        record.id = ids::first_free_id(&used).ok_or(Refusal::LimitReached(max))?;
        self.save(&record);
        book.records.insert(record.id.clone(), record.clone());
        Ok(record)
    }

    /// Creates a session and, unless it starts suspended, starts it.
    pub async fn create(self: &Arc<Self>, spec: CreateSpec) -> Result<SessionInfo> {
        if let Err(why) = attrs::check_argv(&spec.command) {
            return Err(Refusal::BadAttribute(format!("cannot create a session: {why}")));
        }
        let now = sess_sys::now_ms();
        let record = Record {
            format: FORMAT,
            id: String::new(),
            name: String::new(),
            title: String::new(),
            command: spec.command.clone(),
            cwd: spec.cwd.clone(),
            env: spec.env.clone(),
            keep: spec.kept,
            desired: if spec.start_suspended { Desired::Waiting } else { Desired::Running },
            attributes: Attributes {
                start_suspended: spec.start_suspended,
                ..Attributes::default()
            },
            created_at: now,
            last_use: now,
            exit_status: None,
            size: spec.size,
        };
        let record = self.file(record, spec.name.as_deref()).await?;
        if spec.start_suspended {
            return Ok(describe(&record, None));
        }
        match self.launch(&record, Start::Fresh { attach: spec.attach }).await {
            Ok(live) => Ok(describe(&record, Some(&live))),
            Err(refusal) => {
                self.book.lock().await.records.remove(&record.id);
                self.unsave(&record.id);
                Err(refusal)
            }
        }
    }

    /// Starts a master for `record` and watches it.
    async fn launch(self: &Arc<Self>, record: &Record, start: Start) -> Result<SessionInfo> {
        let live = spawn::master(&self.dirs, record, start).await?;
        let master = live.master_pid.unwrap_or(0);
        self.who(|w| w.started(&record.id, live.master_pid));
        self.book.lock().await.live.insert(record.id.clone(), master);
        self.watch(record.id.clone(), master);
        Ok(live)
    }

    /// Ends the program: SIGHUP, SIGTERM, SIGKILL after `stop-timeout`.
    /// Returns once the master is gone.
    async fn stop_program(&self, id: &str) -> Result<()> {
        let (timeout_ms, master) = {
            let book = self.book.lock().await;
            let record = book.records.get(id).ok_or(Refusal::NoSuchSession)?;
            (record.attributes.stop_timeout_ms, book.live.get(id).copied())
        };
        if master.is_none() {
            return Ok(());
        }
        let timeout = Duration::from_millis(timeout_ms) + MASTER_TIMEOUT;
        match self.call_master(id, &MasterRequest::Kill { timeout_ms }, timeout).await {
            Ok(_) => {}
            Err(e) if gone(&e) => {}
            Err(e) => return Err(failed(format!("session {id} did not stop: {e}"))),
        }
        // The watch settles the record; wait for it so the caller sees it.
        for _ in 0..200 {
            if self.book.lock().await.live.get(id) != master.as_ref() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// `sesskill`: stop the session and forget it.
    pub async fn kill(&self, target: &str) -> Result<()> {
        let id = self.lookup(target).await?;
        self.stop_program(&id).await?;
        self.book.lock().await.records.remove(&id);
        self.unsave(&id);
        self.who(|w| w.ended(&id, WhoState::Cleanup));
        Ok(())
    }

    pub async fn manage(self: &Arc<Self>, target: &str, verb: sess_proto::Verb) -> Result<()> {
        use sess_proto::Verb;
        let id = self.lookup(target).await?;
        match verb {
            Verb::Start => self.start(&id).await,
            Verb::Stop => {
                self.set_desired(&id, Desired::Stopped).await;
                self.stop_program(&id).await
            }
            Verb::Restart => {
                self.set_desired(&id, Desired::Stopped).await;
                self.stop_program(&id).await?;
                self.start(&id).await
            }
            Verb::Suspend => self.signal(&id, Signal::SIGSTOP, Desired::Suspended).await,
            Verb::Resume => self.signal(&id, Signal::SIGCONT, Desired::Running).await,
            Verb::Remove { force } => {
                if !force && let Some(pid) = self.info(&id).await?.pid {
                    return Err(Refusal::Running(pid));
                }
                self.kill(&id).await
            }
        }
    }

    async fn set_desired(&self, id: &str, desired: Desired) {
        let mut book = self.book.lock().await;
        if let Some(record) = book.records.get_mut(id) {
            record.desired = desired;
            self.save(record);
        }
    }

    /// Starts the program of a stopped or waiting session (no terminal).
    async fn start(self: &Arc<Self>, id: &str) -> Result<()> {
        let record = {
            let mut book = self.book.lock().await;
            if book.live.contains_key(id) {
                return Ok(());
            }
            // A start by hand gives `immediately` its full respawn budget.
            book.respawns.remove(id);
            let record = book.records.get_mut(id).ok_or(Refusal::NoSuchSession)?;
            record.desired = Desired::Running;
            record.exit_status = None;
            self.save(record);
            record.clone()
        };
        if let Err(refusal) = self.launch(&record, Start::Fresh { attach: false }).await {
            self.set_desired(id, Desired::Stopped).await;
            return Err(refusal);
        }
        Ok(())
    }

    /// Stops or continues every process of the session's kernel session,
    /// and waits (a little) until the program shows it, so that the state
    /// shown next is the new one.
    async fn signal(&self, id: &str, sig: Signal, desired: Desired) -> Result<()> {
        let pid = Pid::from_raw(self.info(id).await?.pid.ok_or(Refusal::NotRunning)? as i32);
        kernel_session::signal_all(pid, sig);
        self.set_desired(id, desired).await;
        let stop = sig == Signal::SIGSTOP;
        let until = Instant::now() + SIGNAL_SHOWS;
        while kernel_session::stopped(pid) != stop
            && !kernel_session::ended(pid)
            && Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Ok(())
    }
}
