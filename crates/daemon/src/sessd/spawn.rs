//! Starting a master: `sess-master` (or `sessd --master`), told what to
//! run on its stdin, answering on its stdout once the program runs (or
//! could not start).

use super::record::Record;
use super::registry::MASTER_TIMEOUT;
use sess_proto::{CreateSpec, Launch, Launched, Refusal, SessionInfo, frame};
use sess_sys::paths::Dirs;
use std::process::Stdio;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::info;

fn failed(e: impl std::fmt::Display) -> Refusal {
    Refusal::Failed(format!("cannot start a master: {e}"))
}

/// How a master starts its session's program.
pub enum Start {
    /// As created: the record's command.
    Fresh { attach: bool },
    /// Brought back after its program was lost: `restart-command` if set,
    /// with the checkpointed screen and the marker line shown first.
    Relaunch { restore: String },
}

/// Starts the master of `record`.
pub async fn master(dirs: &Dirs, record: &Record, start: Start) -> Result<SessionInfo, Refusal> {
    let (attach, command, restore) = match start {
        Start::Fresh { attach } => (attach, record.command.clone(), None),
        Start::Relaunch { restore } => {
            let command =
                record.attributes.restart_command.clone().unwrap_or_else(|| record.command.clone());
            (false, command, Some(restore))
        }
    };
    let launch = Launch {
        id: record.id.clone(),
        name: record.name.clone(),
        spec: CreateSpec {
            name: Some(record.name.clone()),
            command,
            env: record.env.clone(),
            cwd: record.cwd.clone(),
            size: record.size,
            kept: record.keep,
            attach,
            start_suspended: false,
        },
        created_at: record.created_at,
        restore,
    };
    let exe = std::env::current_exe().map_err(failed)?;
    // `sess-master` beside us carries only the master's code; without it,
    // this binary's master role.
    let own = exe.with_file_name("sess-master");
    let mut command = if own.exists() {
        tokio::process::Command::new(own)
    } else {
        let mut command = tokio::process::Command::new(exe);
        command.arg("--master");
        command
    };
    let mut child = command
        .env("SESS_RUNTIME_DIR", &dirs.runtime)
        .env("SESS_STATE_DIR", &dirs.state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(failed)?;
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    stdin.write_all(&frame::encode(&launch)).await.map_err(failed)?;
    drop(stdin);
    let mut answer = Vec::new();
    let read = tokio::time::timeout(MASTER_TIMEOUT * 2, stdout.read_to_end(&mut answer));
    let result = match read.await {
        Ok(Ok(_)) => match frame::split(&answer) {
            Ok(Some((body, _))) => frame::decode::<Launched>(body).map_err(failed),
            _ => Err(failed("the master ended without an answer")),
        },
        Ok(Err(e)) => Err(failed(e)),
        Err(_) => Err(failed("the master did not answer in time")),
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
