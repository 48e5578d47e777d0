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
    /// Output not yet accepted by the terminal: `out[sent..end]`. Program
    /// output is read into it in place ([`Terminal::spare`]) and written
    /// from the front without moving the rest; both ends go back to 0
    /// once it is all written. Bytes past `end` are free room.
    out: Vec<u8>,
    sent: usize,
    end: usize,
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
            end: 0,
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
        OUT_HIGH.saturating_sub(self.end - self.sent)
    }

    pub fn has_queued(&self) -> bool {
        self.sent < self.end
    }

    /// Writes what the terminal takes now and queues the rest.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let taken = if self.has_queued() { 0 } else { write_some(self.output.as_fd(), data)? };
        let rest = &data[taken..];
        self.spare(rest.len()).copy_from_slice(rest);
        self.commit(rest.len());
        Ok(())
    }

    /// Room for `len` more bytes at the end of the queue, to be read into
    /// in place and then [`Terminal::commit`]ted. When the buffer lacks
    /// the room, what waits moves to the front if what was written before
    /// it outweighs it (so each byte moves at most once), else the buffer
    /// grows.
    pub fn spare(&mut self, len: usize) -> &mut [u8] {
        if self.out.len() - self.end < len {
            if self.sent >= self.end - self.sent {
                self.out.copy_within(self.sent..self.end, 0);
                self.end -= self.sent;
                self.sent = 0;
            }
            if self.out.len() - self.end < len {
                self.out.resize(self.end + len, 0);
            }
        }
        &mut self.out[self.end..self.end + len]
    }

    /// Queues the first `n` bytes of the last [`Terminal::spare`]; returns
    /// where they are, for [`Terminal::queued`] (until the next `spare`
    /// or `write`: writing the queue out does not move them).
    pub fn commit(&mut self, n: usize) -> std::ops::Range<usize> {
        self.end += n;
        self.end - n..self.end
    }

    /// Bytes [`Terminal::commit`] placed at `range`.
    pub fn queued(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.out[range]
    }

    /// Writes queued output as far as the terminal takes it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.sent += write_some(self.output.as_fd(), &self.out[self.sent..self.end])?;
        if !self.has_queued() {
            self.sent = 0;
            self.end = 0;
        }
        Ok(())
    }

    /// Lets the queue's memory go once output has stopped.
    pub fn idle(&mut self) {
        if !self.has_queued() {
            self.out = Vec::new();
            self.sent = 0;
            self.end = 0;
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

    /// A new pty with its slave in raw mode: (master, slave).
    fn raw_pty() -> (OwnedFd, OwnedFd) {
        let pty = nix::pty::openpty(None, None).expect("a pty");
        let mut raw = tcgetattr(&pty.slave).expect("modes");
        cfmakeraw(&mut raw);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &raw).expect("raw");
        (pty.master, pty.slave)
    }

    /// A terminal on the slave of a raw pty; the master reads what it
    /// shows.
    fn terminal() -> (Terminal, OwnedFd) {
        let (master, slave) = raw_pty();
        let (ours, _theirs) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        let spec = AttachSpec {
            size: sess_proto::WinSize { rows: 24, cols: 80 },
            force: false,
            detach_key: None,
            from: String::new(),
        };
        let input = slave.try_clone().expect("a dup");
        let term = Terminal::open(Conn::new(ours).expect("a conn"), input, slave, &spec)
            .expect("a terminal");
        (term, master)
    }

    #[test]
    fn output_read_into_the_queue_reaches_the_terminal_whole_and_in_order() {
        let (mut term, master) = terminal();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (mut fed, mut shown, mut most) = (0, Vec::new(), 0);
        let mut buf = vec![0; 64 * 1024];
        while shown.len() < data.len() {
            // Program output, as much as the queue has room for, read in
            // place; written at once only when nothing waited before it.
            let n = term.room().min(data.len() - fed).min(20_000);
            if n > 0 {
                let waiting = term.has_queued();
                term.spare(n).copy_from_slice(&data[fed..fed + n]);
                let at = term.commit(n);
                if !waiting {
                    term.flush().expect("a write");
                }
                assert_eq!(term.queued(at), &data[fed..fed + n], "the bytes stay put");
                fed += n;
            }
            most = most.max(term.out.len());
            // The terminal reads, a little at a time.
            let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(5000u16)).expect("a poll") > 0 {
                let got = nix::unistd::read(&master, &mut buf[..5000]).expect("a read");
                shown.extend_from_slice(&buf[..got]);
            }
            term.flush().expect("a write");
        }
        assert!(shown == data, "every byte, in order");
        assert!(!term.has_queued());
        // What waits is at most OUT_HIGH, and the buffer about twice that.
        assert!(most <= 2 * OUT_HIGH + 20_000, "the queue's buffer grew to {most}");
        term.idle();
        assert_eq!((term.out.capacity(), term.sent, term.end), (0, 0, 0));
    }

    #[test]
    fn a_write_stops_where_the_terminal_is_full_and_goes_on_once_it_reads() {
        let (master, terminal) = raw_pty();
        fcntl(&terminal, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).expect("nonblocking");
        let data = vec![b'x'; 1 << 20];
        let mut taken = write_some(terminal.as_fd(), &data).expect("a write");
        assert!(taken > 0 && taken < data.len(), "{taken} of {}", data.len());
        // The kernel may still move some of it on, making a little room:
        // writes take what fits, then nothing, without blocking.
        loop {
            match write_some(terminal.as_fd(), &data[taken..]).expect("a write") {
                0 => break,
                n => taken += n,
            }
            assert!(taken < data.len(), "a terminal nobody reads took it all");
        }
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
