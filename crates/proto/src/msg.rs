//! Messages. Append-only: postcard tags a variant with its index, so new
//! variants go at the end of their enum and nothing is ever reordered.

use serde::{Deserialize, Serialize};

/// A client's request to sessd on `RUNTIME/sessd.sock`. `target` is an id or
/// a name, as the user typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Create(CreateSpec),
    List,
    Resolve {
        target: String,
    },
    Disconnect {
        target: String,
    },
    SetPending {
        target: String,
        pending: Option<Pending>,
    },
    SetTitle {
        target: String,
        title: String,
    },
    Kill {
        target: String,
    },
    /// A process-manager verb (`session start`, `stop`, ...).
    Manage {
        target: String,
        verb: Verb,
    },
    /// `session get`: every attribute, or one.
    Get {
        target: String,
        key: Option<String>,
    },
    /// `session set`: one attribute, validated.
    Set {
        target: String,
        key: String,
        value: String,
    },
    /// `session export`: the session's definition as JSON.
    Export {
        target: String,
    },
    /// `session import`: a definition as exported; gets a new id.
    Import {
        json: String,
    },
    /// `session save`: checkpoint one session, or every one.
    Save {
        target: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verb {
    Start,
    Stop,
    Restart,
    Suspend,
    Resume,
    Remove { force: bool },
}

/// A request to one master on `RUNTIME/s/ID.sock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MasterRequest {
    Info,
    /// Sent with the signaller's terminal fds (input, output) attached as
    /// SCM_RIGHTS. After [`Reply::Ok`] the connection carries
    /// [`SignallerMsg`] one way and [`Event`] the other; the terminal is
    /// left alone until [`SignallerMsg::Ready`].
    Attach(AttachSpec),
    Disconnect,
    SetPending(Option<Pending>),
    SetTitle(String),
    /// Hang up the program and its kernel session; SIGKILL after the timeout.
    Kill {
        timeout_ms: u64,
    },
    /// Keep this connection: the master sends [`Reply::Session`] at once,
    /// then whenever a terminal connects or disconnects, and its last facts (exit status
    /// included) when the session ends, then closes it.
    Watch,
    /// The screen as a repaint, for a checkpoint ([`Reply::Text`]).
    Checkpoint,
}

/// The answer to a [`Request`] or a [`MasterRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Ok,
    Session(SessionInfo),
    Sessions(Vec<SessionInfo>),
    Refused(Refusal),
    /// `key=value` pairs, in order.
    Attributes(Vec<(String, String)>),
    Text(String),
}

/// Why a request was not done. Clients turn these into the SPEC's texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    NoSuchSession,
    NotConnected,
    AlreadyConnected,
    NameTaken(String),
    InvalidName(String),
    ExecFailed {
        program: String,
        reason: String,
    },
    LimitReached(u32),
    Failed(String),
    /// The session runs (program pid given) and the request needs it not to.
    Running(u32),
    /// The session has no program running.
    NotRunning,
    /// A bad attribute key or value, explained.
    BadAttribute(String),
}

/// What `sess` and `session create` ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSpec {
    pub name: Option<String>,
    pub command: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: String,
    pub size: WinSize,
    /// Kept sessions stay as records when their program exits.
    pub kept: bool,
    /// The creator connects right after: an early end or pending reconnect
    /// waits for that connection.
    pub attach: bool,
    /// Record the session as `waiting`: its program starts later.
    pub start_suspended: bool,
}

/// "When this session is done, connect to `target`" (Bernstein's pending
/// reconnect). It belongs to the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub target: String,
    /// Take the target over if it is connected elsewhere.
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinSize {
    pub rows: u16,
    pub cols: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachSpec {
    pub size: WinSize,
    /// Take the session over from another connection.
    pub force: bool,
    /// The byte that detaches, if any.
    pub detach_key: Option<u8>,
    /// Where the connection comes from: an SSH peer or `(local TTY)`.
    pub from: String,
}

/// Signaller to master, on an attached connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignallerMsg {
    Resize(WinSize),
    /// The signaller is leaving (SIGHUP, SIGTERM): disconnect.
    Detach,
    /// The signaller has printed what it had to say: start the redraw and
    /// the live output.
    Ready,
}

/// Master to signaller, on an attached connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The connection's pending reconnect changed.
    Pending(Option<Pending>),
    /// The connection is over; the master no longer touches the terminal.
    Ended(End),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum End {
    Disconnected,
    TakenOver,
    /// The program ended: its status, 128+N for signal N.
    Exited(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Running,
    Suspended,
    Waiting,
    Stopped,
}

/// Everything a client may show about one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: String,
    pub name: String,
    pub title: String,
    pub state: State,
    pub connected: bool,
    pub pid: Option<u32>,
    pub master_pid: Option<u32>,
    pub tty: Option<String>,
    pub command: Vec<String>,
    pub cwd: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    pub last_use: u64,
    pub pending_reconnect: Option<String>,
    pub connected_from: Option<String>,
    pub kept: bool,
    pub exit_status: Option<i32>,
}

/// sessd to a new master, on the master's stdin: what to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    pub id: String,
    pub name: String,
    pub spec: CreateSpec,
    pub created_at: u64,
    /// A relaunched session's checkpointed screen and marker line, shown
    /// before its program's first output.
    pub restore: Option<String>,
}

/// A new master to sessd, on the master's stdout: the program runs, or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Launched {
    Running(SessionInfo),
    Failed(Refusal),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{HEADER, decode, encode};

    fn body<T: Serialize>(msg: &T) -> Vec<u8> {
        encode(msg)[HEADER..].to_vec()
    }

    fn round_trip<T>(msg: T, bytes: &[u8])
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        assert_eq!(body(&msg), bytes, "encoding of {msg:?}");
        assert_eq!(decode::<T>(bytes).unwrap(), msg);
    }

    fn info() -> SessionInfo {
        SessionInfo {
            id: "p0".into(),
            name: "sh1".into(),
            title: "t".into(),
            state: State::Running,
            connected: true,
            pid: Some(300),
            master_pid: Some(2),
            tty: None,
            command: vec!["sh".into()],
            cwd: "/".into(),
            created_at: 1,
            last_use: 2,
            pending_reconnect: Some("q1".into()),
            connected_from: None,
            kept: false,
            exit_status: None,
        }
    }

    fn spec() -> CreateSpec {
        CreateSpec {
            name: None,
            command: vec!["sh".into()],
            env: vec![("A".into(), "b".into())],
            cwd: "/".into(),
            size: WinSize { rows: 24, cols: 80 },
            kept: false,
            attach: true,
            start_suspended: false,
        }
    }

    #[test]
    fn requests_are_pinned() {
        round_trip(Request::List, &[1]);
        round_trip(Request::Resolve { target: "p0".into() }, &[2, 2, b'p', b'0']);
        round_trip(Request::Disconnect { target: "p0".into() }, &[3, 2, b'p', b'0']);
        round_trip(
            Request::SetPending {
                target: "p0".into(),
                pending: Some(Pending { target: "q1".into(), force: true }),
            },
            &[4, 2, b'p', b'0', 1, 2, b'q', b'1', 1],
        );
        round_trip(
            Request::SetTitle { target: "p0".into(), title: "x".into() },
            &[5, 2, b'p', b'0', 1, b'x'],
        );
        round_trip(Request::Kill { target: "p0".into() }, &[6, 2, b'p', b'0']);
        round_trip(
            Request::Manage { target: "a".into(), verb: Verb::Remove { force: true } },
            &[7, 1, b'a', 5, 1],
        );
        let verbs = [Verb::Start, Verb::Stop, Verb::Restart, Verb::Suspend, Verb::Resume];
        for (i, verb) in verbs.into_iter().enumerate() {
            round_trip(Request::Manage { target: "a".into(), verb }, &[7, 1, b'a', i as u8]);
        }
        round_trip(Request::Get { target: "a".into(), key: None }, &[8, 1, b'a', 0]);
        round_trip(
            Request::Set { target: "a".into(), key: "k".into(), value: "v".into() },
            &[9, 1, b'a', 1, b'k', 1, b'v'],
        );
        round_trip(Request::Export { target: "a".into() }, &[10, 1, b'a']);
        round_trip(Request::Import { json: "{}".into() }, &[11, 2, b'{', b'}']);
        round_trip(Request::Save { target: None }, &[12, 0]);
        round_trip(
            Request::Create(spec()),
            &[0, 0, 1, 2, b's', b'h', 1, 1, b'A', 1, b'b', 1, b'/', 24, 80, 0, 1, 0],
        );
    }

    #[test]
    fn master_requests_are_pinned() {
        round_trip(MasterRequest::Info, &[0]);
        round_trip(
            MasterRequest::Attach(AttachSpec {
                size: WinSize { rows: 24, cols: 80 },
                force: true,
                detach_key: Some(0x1c),
                from: "x".into(),
            }),
            &[1, 24, 80, 1, 1, 0x1c, 1, b'x'],
        );
        round_trip(MasterRequest::Disconnect, &[2]);
        round_trip(MasterRequest::SetPending(None), &[3, 0]);
        round_trip(MasterRequest::SetTitle("t".into()), &[4, 1, b't']);
        round_trip(MasterRequest::Kill { timeout_ms: 300 }, &[5, 0xac, 0x02]);
        round_trip(MasterRequest::Watch, &[6]);
        round_trip(MasterRequest::Checkpoint, &[7]);
    }

    #[test]
    fn replies_and_events_are_pinned() {
        round_trip(Reply::Ok, &[0]);
        round_trip(Reply::Sessions(vec![]), &[2, 0]);
        round_trip(Reply::Refused(Refusal::NoSuchSession), &[3, 0]);
        round_trip(Reply::Refused(Refusal::NotConnected), &[3, 1]);
        round_trip(Reply::Refused(Refusal::AlreadyConnected), &[3, 2]);
        round_trip(Reply::Refused(Refusal::NameTaken("a".into())), &[3, 3, 1, b'a']);
        round_trip(Reply::Refused(Refusal::InvalidName("a".into())), &[3, 4, 1, b'a']);
        round_trip(
            Reply::Refused(Refusal::ExecFailed { program: "a".into(), reason: "b".into() }),
            &[3, 5, 1, b'a', 1, b'b'],
        );
        round_trip(Reply::Refused(Refusal::LimitReached(1000)), &[3, 6, 0xe8, 0x07]);
        round_trip(Reply::Refused(Refusal::Failed("x".into())), &[3, 7, 1, b'x']);
        round_trip(Reply::Refused(Refusal::Running(5)), &[3, 8, 5]);
        round_trip(Reply::Refused(Refusal::NotRunning), &[3, 9]);
        round_trip(Reply::Refused(Refusal::BadAttribute("x".into())), &[3, 10, 1, b'x']);
        round_trip(Reply::Attributes(vec![("k".into(), "v".into())]), &[4, 1, 1, b'k', 1, b'v']);
        round_trip(Reply::Text("t".into()), &[5, 1, b't']);
        round_trip(SignallerMsg::Resize(WinSize { rows: 1, cols: 2 }), &[0, 1, 2]);
        round_trip(SignallerMsg::Detach, &[1]);
        round_trip(SignallerMsg::Ready, &[2]);
        round_trip(
            Event::Pending(Some(Pending { target: "p1".into(), force: false })),
            &[0, 1, 2, b'p', b'1', 0],
        );
        round_trip(Event::Ended(End::Disconnected), &[1, 0]);
        round_trip(Event::Ended(End::TakenOver), &[1, 1]);
        round_trip(Event::Ended(End::Exited(129)), &[1, 2, 0x82, 0x02]);
    }

    #[test]
    fn session_info_is_pinned() {
        let bytes = [
            2, b'p', b'0', 3, b's', b'h', b'1', 1, b't', 0, 1, 1, 0xac, 0x02, 1, 2, 0, 1, 2, b's',
            b'h', 1, b'/', 1, 2, 1, 2, b'q', b'1', 0, 0, 0,
        ];
        round_trip(info(), &bytes);
        let mut reply = vec![1];
        reply.extend_from_slice(&bytes);
        round_trip(Reply::Session(info()), &reply);
        round_trip(Launched::Running(info()), &[&[0][..], &bytes].concat());
        round_trip(Launched::Failed(Refusal::NoSuchSession), &[1, 0]);
    }

    #[test]
    fn launch_is_pinned() {
        round_trip(
            Launch {
                id: "p0".into(),
                name: "sh1".into(),
                spec: spec(),
                created_at: 5,
                restore: Some("x".into()),
            },
            &[
                2, b'p', b'0', 3, b's', b'h', b'1', 0, 1, 2, b's', b'h', 1, 1, b'A', 1, b'b', 1,
                b'/', 24, 80, 0, 1, 0, 5, 1, 1, b'x',
            ],
        );
    }

    #[test]
    fn states_are_pinned() {
        round_trip(State::Running, &[0]);
        round_trip(State::Suspended, &[1]);
        round_trip(State::Waiting, &[2]);
        round_trip(State::Stopped, &[3]);
    }
}
