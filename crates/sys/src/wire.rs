//! Blocking framed connections over Unix sockets, as clients use them.
//!
//! A [`Conn`] checks that the peer runs as our uid (SO_PEERCRED), sends its
//! [`Hello`] on connect and checks the peer's before the first answer (so a
//! request need not wait a round trip for it), and then sends and receives
//! whole frames, with terminal fds attached where asked.

use nix::sys::socket::{ControlMessage, MsgFlags, getsockopt, sendmsg, sockopt};
use serde::{Serialize, de::DeserializeOwned};
use sess_proto::frame::{self, DecodeError, HEADER, Hello};
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("connection closed")]
    Closed,
    #[error("{0}")]
    Decode(#[from] DecodeError),
    #[error("peer runs as uid {0}, not as us")]
    Stranger(u32),
}

/// The uid of the process at the other end of `sock`.
pub fn peer_uid(sock: BorrowedFd<'_>) -> io::Result<u32> {
    let cred = getsockopt(&sock, sockopt::PeerCredentials)?;
    Ok(cred.uid())
}

/// Whether a peer of this uid may talk to us: only our own uid.
pub fn peer_allowed(uid: u32) -> bool {
    uid == nix::unistd::geteuid().as_raw()
}

pub struct Conn {
    stream: UnixStream,
    /// The peer's hello is still to be read (before its first answer).
    hello_due: bool,
}

impl Conn {
    /// Connects to a sess socket and exchanges hellos.
    pub fn connect(path: &Path) -> Result<Conn, WireError> {
        let stream = UnixStream::connect(path)?;
        let uid = peer_uid(stream.as_fd())?;
        if !peer_allowed(uid) {
            return Err(WireError::Stranger(uid));
        }
        let mut conn = Conn { stream, hello_due: false };
        conn.send(&Hello::current())?;
        conn.hello_due = true;
        Ok(conn)
    }

    pub fn stream(&self) -> &UnixStream {
        &self.stream
    }

    pub fn send<T: Serialize>(&mut self, msg: &T) -> Result<(), WireError> {
        match self.stream.write_all(&frame::encode(msg)) {
            Ok(()) => Ok(()),
            // A peer of another version says so in its hello, then closes.
            Err(e) => Err(self.hello().err().unwrap_or(e.into())),
        }
    }

    /// Reads and checks the peer's hello, if it is still due.
    fn hello(&mut self) -> Result<(), WireError> {
        if std::mem::take(&mut self.hello_due) {
            self.recv_frame::<Hello>()?.check()?;
        }
        Ok(())
    }

    /// Sends one frame with `fds` attached to its first byte.
    pub fn send_with_fds<T: Serialize>(
        &mut self,
        msg: &T,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), WireError> {
        let bytes = frame::encode(msg);
        let raw: Vec<_> = fds.iter().map(|fd| fd.as_raw_fd()).collect();
        let cmsg = [ControlMessage::ScmRights(&raw)];
        let sent = loop {
            match sendmsg::<()>(
                self.stream.as_raw_fd(),
                &[IoSlice::new(&bytes)],
                &cmsg,
                MsgFlags::empty(),
                None,
            ) {
                Err(nix::errno::Errno::EINTR) => continue,
                other => break other.map_err(io::Error::from),
            }
        };
        match sent.and_then(|sent| self.stream.write_all(&bytes[sent..])) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.hello().err().unwrap_or(e.into())),
        }
    }

    /// Receives one frame (after the peer's hello). A clean close before a
    /// frame starts is `Closed`.
    pub fn recv<T: DeserializeOwned>(&mut self) -> Result<T, WireError> {
        self.hello()?;
        self.recv_frame()
    }

    fn recv_frame<T: DeserializeOwned>(&mut self) -> Result<T, WireError> {
        let mut header = [0u8; HEADER];
        match self.stream.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(WireError::Closed),
            Err(e) => return Err(e.into()),
        }
        let mut body = vec![0; frame::body_len(header)?];
        self.stream.read_exact(&mut body)?;
        Ok(frame::decode(&body)?)
    }

    /// One request, one reply.
    pub fn call<Q: Serialize, R: DeserializeOwned>(&mut self, req: &Q) -> Result<R, WireError> {
        self.send(req)?;
        self.recv()
    }
}
