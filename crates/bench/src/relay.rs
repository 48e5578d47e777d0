//! The relay tool: the program on a pty of its own, copied to the terminal
//! by a minimal poll loop with no screen model. It is the floor of any
//! design in which a master writes to the user's terminal (a second pty hop
//! between program and terminal). `sess-bench relay -- PROG...` runs it.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

use crate::error::Result;
use crate::term::TestTerm;

/// The first argument that makes `sess-bench` the relay.
const ARG: &str = "relay";
/// The most bytes held on their way in either direction.
const QUEUE: usize = 64 * 1024;

/// The command line that runs `program` under the relay (`exe` is this
/// binary).
pub fn argv(exe: &Path, program: &[OsString]) -> Vec<OsString> {
    let mut argv = vec![exe.into(), ARG.into(), "--".into()];
    argv.extend(program.iter().cloned());
    argv
}

/// The program to relay, when `args` (all of argv) asks for the relay.
pub fn program(args: &[OsString]) -> Option<&[OsString]> {
    match args {
        [_, arg, dashes, program @ ..] if arg == ARG && dashes == "--" && !program.is_empty() => {
            Some(program)
        }
        _ => None,
    }
}

/// Runs `program` on a new pty and relays it to and from this process's
/// terminal (in raw mode meanwhile) until the pty hangs up.
pub fn run(program: &[OsString]) -> Result<()> {
    let stdin = File::from(io::stdin().as_fd().try_clone_to_owned()?);
    let stdout = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let saved = tcgetattr(&stdin)?;
    let mut raw = saved.clone();
    cfmakeraw(&mut raw);
    tcsetattr(&stdin, SetArg::TCSANOW, &raw)?;
    let relayed = TestTerm::spawn(program, &[]).and_then(|pty| relay(&stdin, &stdout, &pty));
    tcsetattr(&stdin, SetArg::TCSANOW, &saved)?;
    relayed
}

fn relay(mut stdin: &File, mut stdout: &File, term: &TestTerm) -> Result<()> {
    let mut pty = term.master();
    for fd in [pty.as_fd(), stdin.as_fd(), stdout.as_fd()] {
        fcntl(fd, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
    }
    let (mut out, mut keys) = (Queue::new(), Queue::new());
    let mut hung_up = false;
    let when = |cond: bool, flag| if cond { flag } else { PollFlags::empty() };
    loop {
        let [keys_in, pty_ready, _] = wait([
            (stdin.as_fd(), when(keys.has_room(), PollFlags::POLLIN)),
            (
                pty.as_fd(),
                when(!hung_up && out.has_room(), PollFlags::POLLIN)
                    | when(!hung_up && !keys.is_empty(), PollFlags::POLLOUT),
            ),
            (stdout.as_fd(), when(!out.is_empty(), PollFlags::POLLOUT)),
        ])?;
        if !keys_in.is_empty() && keys.fill(&mut stdin)? {
            return Ok(()); // the terminal is gone
        }
        if !pty_ready.is_empty() && out.has_room() {
            hung_up = out.fill(&mut pty)?;
        }
        if !hung_up && !keys.is_empty() {
            keys.flush(&mut pty).or_else(|e| hang_up(e, &mut hung_up))?;
        }
        out.flush(&mut stdout)?;
        if hung_up && out.is_empty() {
            return Ok(());
        }
    }
}

/// A write to a pty whose slave is closed fails with EIO: that is a hang-up.
fn hang_up(e: io::Error, hung_up: &mut bool) -> io::Result<()> {
    *hung_up = e.raw_os_error() == Some(Errno::EIO as i32);
    if *hung_up { Ok(()) } else { Err(e) }
}

/// Polls the fds that want some event; returns what happened to each.
fn wait(want: [(BorrowedFd<'_>, PollFlags); 3]) -> Result<[PollFlags; 3]> {
    let mut fds: Vec<PollFd> =
        want.iter().filter(|(_, f)| !f.is_empty()).map(|&(fd, f)| PollFd::new(fd, f)).collect();
    while let Err(e) = poll(&mut fds, PollTimeout::NONE) {
        if e != Errno::EINTR {
            return Err(e.into());
        }
    }
    let mut got = fds.iter().map(|p| p.revents().unwrap_or(PollFlags::empty()));
    Ok(want.map(|(_, f)| if f.is_empty() { f } else { got.next().unwrap_or(f) }))
}

/// Bytes on their way from a reader to a writer, at most `QUEUE` of them:
/// read into the free space at the end, written from the front.
struct Queue {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Queue {
    fn new() -> Queue {
        Queue { buf: vec![0; QUEUE], start: 0, end: 0 }
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    fn has_room(&self) -> bool {
        self.end - self.start < self.buf.len()
    }

    /// Reads from `r` until the queue is full or `r` would block. True once
    /// `r` has ended (end of file, or EIO: a pty whose other side is gone).
    fn fill(&mut self, r: &mut impl Read) -> io::Result<bool> {
        if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        while self.end < self.buf.len() {
            match r.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(true),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.raw_os_error() == Some(Errno::EIO as i32) => return Ok(true),
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    /// Writes to `w` until the queue is empty or `w` would block.
    fn flush(&mut self, w: &mut impl Write) -> io::Result<()> {
        while !self.is_empty() {
            match w.write(&self.buf[self.start..self.end]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.start += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.is_empty() {
            (self.start, self.end) = (0, 0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes `room` bytes, then would block.
    struct Slow {
        got: Vec<u8>,
        room: usize,
    }

    impl Write for Slow {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let n = b.len().min(self.room);
            if n == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.room -= n;
            self.got.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn queue_holds_at_most_its_size_and_passes_every_byte_in_order() {
        let data: Vec<u8> = (0..3 * QUEUE + 123).map(|i| (i % 251) as u8).collect();
        let mut src = &data[..];
        let mut sink = Slow { got: Vec::new(), room: 0 };
        let mut q = Queue::new();
        assert!(!q.fill(&mut src).unwrap());
        assert!(!q.has_room() && q.end - q.start == QUEUE);
        q.flush(&mut sink).unwrap();
        assert!(!q.has_room(), "a blocked writer takes nothing");
        let mut ended = false;
        while !ended || !q.is_empty() {
            sink.room = 10_000;
            q.flush(&mut sink).unwrap();
            if !ended && q.has_room() {
                ended = q.fill(&mut src).unwrap();
            }
        }
        assert_eq!(sink.got, data);
    }

    #[test]
    fn relays_keys_to_the_program_and_its_output_back_until_it_exits() {
        let outer = nix::pty::openpty(None, None).unwrap();
        let (keys, output) =
            (File::from(outer.slave.try_clone().unwrap()), File::from(outer.slave));
        let program: Vec<OsString> =
            ["sh", "-c", "read x; printf 'got %s|' \"$x\""].map(Into::into).to_vec();
        let relay = std::thread::spawn(move || {
            let term = TestTerm::spawn(&program, &[])?;
            super::relay(&keys, &output, &term)
        });
        let mut master = File::from(outer.master);
        master.write_all(b"abc\r").unwrap();
        let (mut seen, mut buf) = (Vec::new(), [0u8; 4096]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !String::from_utf8_lossy(&seen).contains("got abc|") {
            assert!(std::time::Instant::now() < deadline, "{:?}", String::from_utf8_lossy(&seen));
            let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(100u16)).unwrap() > 0 {
                let n = master.read(&mut buf).unwrap();
                seen.extend_from_slice(&buf[..n]);
            }
        }
        // The program has exited: the relay sees its pty hang up and ends.
        relay.join().unwrap().unwrap();
    }

    #[test]
    fn relay_arguments_round_trip() {
        let program: Vec<OsString> = vec!["sh".into(), "-c".into(), "echo".into()];
        let argv = argv(Path::new("/x/sess-bench"), &program);
        assert_eq!(self::program(&argv), Some(&program[..]));
        let plain: Vec<OsString> = vec!["sess-bench".into(), "--quick".into()];
        assert_eq!(self::program(&plain), None);
        assert_eq!(self::program(&argv[..3]), None);
    }
}
