//! The user's terminal while a session is connected: the fds the signaller
//! handed over, the bytes queued for them, and the connection's state.
//!
//! The fds are made nonblocking for the poll loop; their original file
//! status flags are put back before they are let go (the signaller also
//! restores them, in case this process dies first).

use super::conn::Conn;
use super::detach::DetachKey;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use sess_proto::{AttachSpec, End, Event, Pending};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Queue no more than this for a slow terminal before pausing the program.
pub const OUT_HIGH: usize = 64 * 1024;

pub struct Terminal {
    pub conn: Conn,
    input: OwnedFd,
    output: OwnedFd,
    flags: [OFlag; 2],
    /// Output not yet accepted by the terminal: `out[sent..]`. Written
    /// from the front without moving the rest each time; both are emptied
    /// once it is all written.
    out: Vec<u8>,
    sent: usize,
    pub detach: DetachKey,
    pub from: String,
    pub pending: Option<Pending>,
    /// False until the signaller is ready for the redraw.
    pub live: bool,
}

pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<OFlag> {
    let flags = OFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(flags)
}

impl Terminal {
    pub fn open(
        conn: Conn,
        input: OwnedFd,
        output: OwnedFd,
        spec: &AttachSpec,
    ) -> io::Result<Self> {
        let flags = [set_nonblocking(input.as_fd())?, set_nonblocking(output.as_fd())?];
        Ok(Terminal {
            conn,
            input,
            output,
            flags,
            out: Vec::new(),
            sent: 0,
            detach: DetachKey::new(spec.detach_key),
            from: spec.from.clone(),
            pending: None,
            live: false,
        })
    }

    pub fn input(&self) -> BorrowedFd<'_> {
        self.input.as_fd()
    }

    pub fn output(&self) -> BorrowedFd<'_> {
        self.output.as_fd()
    }

    pub fn has_room(&self) -> bool {
        self.room() > 0
    }

    /// How many more bytes the queue takes before the program is paused.
    pub fn room(&self) -> usize {
        OUT_HIGH.saturating_sub(self.out.len() - self.sent)
    }

    pub fn has_queued(&self) -> bool {
        self.sent < self.out.len()
    }

    /// Writes what the terminal takes now and queues the rest.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if self.has_queued() {
            // What was written goes once it outweighs what waits: each
            // byte is moved at most once.
            if self.sent >= OUT_HIGH {
                self.out.drain(..self.sent);
                self.sent = 0;
            }
            self.out.extend_from_slice(data);
        } else {
            let n = write_some(self.output.as_fd(), data)?;
            self.out.extend_from_slice(&data[n..]);
        }
        Ok(())
    }

    /// Writes queued output as far as the terminal takes it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.sent += write_some(self.output.as_fd(), &self.out[self.sent..])?;
        if !self.has_queued() {
            self.out.clear();
            self.sent = 0;
        }
        Ok(())
    }

    /// Lets the queue's memory go once output has stopped.
    pub fn idle(&mut self) {
        if !self.has_queued() {
            self.out = Vec::new();
        }
    }

    /// Ends the connection: the fds get their flags back and are closed,
    /// then the signaller hears why.
    pub fn release(mut self, end: End) {
        let _ = self.flush();
        let mut conn = self.restore();
        let _ = conn.send(&Event::Ended(end));
    }

    fn restore(self) -> Conn {
        let _ = fcntl(self.input.as_fd(), FcntlArg::F_SETFL(self.flags[0]));
        let _ = fcntl(self.output.as_fd(), FcntlArg::F_SETFL(self.flags[1]));
        self.conn
    }
}

/// Writes as much of `data` as `fd` takes without blocking, in one write:
/// a short one means the terminal is full, and another would only fail.
pub fn write_some(fd: BorrowedFd<'_>, data: &[u8]) -> io::Result<usize> {
    if data.is_empty() {
        return Ok(0);
    }
    loop {
        match nix::unistd::write(fd, data) {
            Ok(n) => return Ok(n),
            Err(nix::errno::Errno::EAGAIN) => return Ok(0),
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

    #[test]
    fn a_write_stops_where_the_terminal_is_full_and_goes_on_once_it_reads() {
        let pty = nix::pty::openpty(None, None).expect("a pty");
        let (master, terminal) = (pty.master, pty.slave);
        let mut raw = tcgetattr(&terminal).expect("modes");
        cfmakeraw(&mut raw);
        tcsetattr(&terminal, SetArg::TCSANOW, &raw).expect("raw");
        fcntl(&terminal, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).expect("nonblocking");
        let data = vec![b'x'; 1 << 20];
        let taken = write_some(terminal.as_fd(), &data).expect("a write");
        assert!(taken > 0 && taken < data.len(), "{taken} of {}", data.len());
        assert_eq!(write_some(terminal.as_fd(), &data[taken..]).expect("a write"), 0);
        assert_eq!(write_some(terminal.as_fd(), &[]).expect("nothing"), 0);
        let mut buf = vec![0; 64 * 1024];
        let read = nix::unistd::read(&master, &mut buf).expect("a read");
        assert!(read > 0);
        // Room comes back once the kernel has moved what waited.
        let mut fds = [PollFd::new(terminal.as_fd(), PollFlags::POLLOUT)];
        assert_eq!(poll(&mut fds, PollTimeout::from(5000u16)).expect("a poll"), 1);
        assert!(write_some(terminal.as_fd(), &data[taken..]).expect("a write") > 0);
    }
}
