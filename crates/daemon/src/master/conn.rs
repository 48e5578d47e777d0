//! A nonblocking framed connection in the master's poll loop.
//!
//! Bytes (and any fds passed with them) are read as they come; whole
//! frames are taken off the front. The first frame must be a [`Hello`] of
//! our version; anything else closes the connection.

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use serde::{Serialize, de::DeserializeOwned};
use sess_proto::frame::{self, DecodeError, Hello};
use std::collections::VecDeque;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// How long a reply may wait for a peer that does not read.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Conn {
    stream: UnixStream,
    inbuf: Vec<u8>,
    fds: VecDeque<OwnedFd>,
    greeted: bool,
    /// sessd's watch: answered with the final facts when the session ends.
    pub watching: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("peer closed")]
    Closed,
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Decode(#[from] DecodeError),
}

impl Conn {
    pub fn new(stream: UnixStream) -> io::Result<Conn> {
        stream.set_nonblocking(true)?;
        Ok(Conn {
            stream,
            inbuf: Vec::new(),
            fds: VecDeque::new(),
            greeted: false,
            watching: false,
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }

    /// Reads what is available. `Closed` once the peer has hung up.
    pub fn fill(&mut self) -> Result<(), ConnError> {
        let mut buf = [0u8; 4096];
        loop {
            match sess_sys::os::recv_with_fds(self.stream.as_fd(), &mut buf) {
                Ok((0, _)) => return Err(ConnError::Closed),
                Ok((n, fds)) => {
                    self.inbuf.extend_from_slice(&buf[..n]);
                    self.fds.extend(fds);
                    if self.inbuf.len() > frame::MAX_FRAME + frame::HEADER {
                        return Err(DecodeError::Oversize(self.inbuf.len()).into());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Takes the next whole message, answering the opening hello first.
    pub fn next<T: DeserializeOwned>(&mut self) -> Result<Option<T>, ConnError> {
        if !self.greeted {
            let Some(hello) = self.take::<Hello>()? else {
                return Ok(None);
            };
            self.send(&Hello::current())?;
            hello.check()?;
            self.greeted = true;
        }
        self.take()
    }

    fn take<T: DeserializeOwned>(&mut self) -> Result<Option<T>, ConnError> {
        let Some((body, used)) = frame::split(&self.inbuf)? else {
            return Ok(None);
        };
        let msg = frame::decode(body)?;
        self.inbuf.drain(..used);
        Ok(Some(msg))
    }

    /// The oldest fd received and not yet taken.
    pub fn take_fd(&mut self) -> Option<OwnedFd> {
        self.fds.pop_front()
    }

    /// Sends one frame, waiting a bounded time for a slow reader.
    pub fn send<T: Serialize>(&mut self, msg: &T) -> Result<(), ConnError> {
        let bytes = frame::encode(msg);
        let mut rest = &bytes[..];
        let deadline = Instant::now() + SEND_TIMEOUT;
        while !rest.is_empty() {
            match self.stream.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(io::Error::from(io::ErrorKind::TimedOut).into());
                    }
                    let mut pfd = [PollFd::new(self.stream.as_fd(), PollFlags::POLLOUT)];
                    let ms = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
                    let _ = poll(&mut pfd, ms);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}
