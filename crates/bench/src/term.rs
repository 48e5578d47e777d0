//! The test terminal: a pty pair opened by the benchmark. The tool under test
//! runs on the slave side as a session leader with the slave as its
//! controlling terminal, exactly as on a user's terminal; the benchmark plays
//! the terminal emulator on the master side.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::pty::{Winsize, openpty};

use crate::error::{Result, bail};

/// Window size of every test terminal.
pub const COLS: u16 = 80;
pub const ROWS: u16 = 24;

/// How much the terminal keeps of the latest output, for error messages.
const TAIL_KEEP: usize = 2048;

/// Size of the read buffer. A pty master hands out at most a few KiB per
/// read, so this is never the limit; it only keeps reads to one per wake-up.
const READ_BUF: usize = 1 << 20;

/// Variables the tools would otherwise take as "you are already inside me".
pub const NESTING_VARS: [&str; 5] = ["PTY", "TMUX", "TMUX_PANE", "STY", "WINDOW"];

/// A pty pair with a program started on its slave side.
pub struct TestTerm {
    master: File,
    child: Child,
    buf: Vec<u8>,
    /// The last bytes read, shown when a wait times out.
    tail: Vec<u8>,
    /// Whether the slave side has been closed by everyone (read gave EIO).
    hung_up: bool,
    /// Bytes read from the terminal so far.
    pub bytes_read: u64,
}

impl TestTerm {
    /// Opens a new `COLS`x`ROWS` pty pair and runs `argv` on its slave, in a
    /// new session with the slave as controlling terminal (through util-linux
    /// `setsid --ctty`, so no code of ours runs between fork and exec). The
    /// environment is ours minus nesting variables, plus `env`.
    pub fn spawn(argv: &[OsString], env: &[(String, String)]) -> Result<TestTerm> {
        let size = Winsize { ws_row: ROWS, ws_col: COLS, ws_xpixel: 0, ws_ypixel: 0 };
        let pty = openpty(&size, None)?;
        // openpty(3) does not set close-on-exec: without it every tool would
        // inherit the masters of all test terminals open at the time.
        set_cloexec(&pty.master)?;
        set_cloexec(&pty.slave)?;
        let mut cmd = Command::new("setsid");
        cmd.arg("--ctty")
            .args(argv)
            .stdin(Stdio::from(pty.slave.try_clone()?))
            .stdout(Stdio::from(pty.slave.try_clone()?))
            .stderr(Stdio::from(pty.slave));
        for var in NESTING_VARS {
            cmd.env_remove(var);
        }
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let child = cmd.spawn().map_err(|e| crate::error::Error::new(format!("setsid: {e}")))?;
        // `cmd` (and with it our copies of the slave) is dropped here, so
        // the master reads EIO once the tool has closed the terminal.
        Ok(TestTerm {
            master: File::from(pty.master),
            child,
            buf: vec![0; READ_BUF],
            tail: Vec::new(),
            hung_up: false,
            bytes_read: 0,
        })
    }

    /// Pid of the process started on the terminal (the tool's client; for
    /// the raw pty, the program itself).
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The master side, for a caller that does its own reading and writing.
    pub fn master(&self) -> &File {
        &self.master
    }

    /// Types `bytes` on the terminal.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.master.write_all(bytes)?;
        Ok(())
    }

    /// Waits up to `timeout` for output and reads one chunk of it. Returns
    /// the number of bytes now at the start of `self.buf` (0 on timeout or
    /// once the terminal is hung up).
    fn read_chunk(&mut self, timeout: Duration) -> Result<usize> {
        if self.hung_up {
            std::thread::sleep(timeout.min(Duration::from_millis(10)));
            return Ok(0);
        }
        let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => return Ok(0),
            Ok(_) => {}
            Err(Errno::EINTR) => return Ok(0),
            Err(e) => return Err(e.into()),
        }
        match self.master.read(&mut self.buf) {
            Ok(0) => {
                self.hung_up = true;
                Ok(0)
            }
            Ok(n) => {
                self.bytes_read += n as u64;
                self.tail.extend_from_slice(&self.buf[n.saturating_sub(TAIL_KEEP)..n]);
                if self.tail.len() > 2 * TAIL_KEEP {
                    self.tail.drain(..self.tail.len() - TAIL_KEEP);
                }
                Ok(n)
            }
            // Linux reports a pty whose slave is closed everywhere as EIO.
            Err(e) if e.raw_os_error() == Some(Errno::EIO as i32) => {
                self.hung_up = true;
                Ok(0)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads until `marker` has arrived, for at most `timeout`. Returns the
    /// moment the chunk holding its last byte was read.
    pub fn wait_for(&mut self, marker: &[u8], timeout: Duration) -> Result<Instant> {
        let deadline = Instant::now() + timeout;
        let mut search = MarkerSearch::new(marker);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!(
                    "no {} after {timeout:?}; terminal shows: {}",
                    String::from_utf8_lossy(marker).escape_debug(),
                    self.tail_text()
                );
            }
            let n = self.read_chunk(left.min(Duration::from_millis(500)))?;
            if n > 0 && search.feed(&self.buf[..n]) {
                return Ok(Instant::now());
            }
            if self.hung_up && self.exited() {
                bail!(
                    "the tool exited before {} arrived; terminal shows: {}",
                    String::from_utf8_lossy(marker).escape_debug(),
                    self.tail_text()
                );
            }
        }
    }

    /// Reads whatever is already pending, without waiting.
    pub fn drain_now(&mut self) -> Result<()> {
        while self.read_chunk(Duration::ZERO)? > 0 {}
        Ok(())
    }

    /// Reads until the terminal has been quiet for `quiet` (or `max` passed).
    pub fn drain_until_quiet(&mut self, quiet: Duration, max: Duration) -> Result<()> {
        let deadline = Instant::now() + max;
        while Instant::now() < deadline && self.read_chunk(quiet)? > 0 {}
        Ok(())
    }

    /// Whether the process started on the terminal has exited (reaps it).
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for the process on the terminal to exit, still
    /// reading its output so that it never blocks on a full terminal.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.exited() {
            if Instant::now() >= deadline {
                bail!(
                    "{} did not exit within {timeout:?}; terminal shows: {}",
                    self.pid(),
                    self.tail_text()
                );
            }
            self.read_chunk(Duration::from_millis(10))?;
        }
        Ok(())
    }

    /// The latest output, printable, for error messages.
    fn tail_text(&self) -> String {
        let tail = &self.tail[self.tail.len().saturating_sub(200)..];
        format!("\"{}\"", String::from_utf8_lossy(tail).escape_debug())
    }
}

impl Drop for TestTerm {
    /// Kills the process on the terminal (by its pid) if it is still there,
    /// and reaps it. What it started is left to the tool's own clean-up.
    fn drop(&mut self) {
        if !self.exited() {
            crate::procs::kill_pid(self.pid());
            let _ = self.child.wait();
        }
    }
}

fn set_cloexec(fd: &OwnedFd) -> Result<()> {
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    Ok(())
}

/// Finds a marker in a stream that arrives in chunks, including a marker
/// split across chunks, without slowing down on bulk data: each chunk is
/// only scanned for the marker's first byte (a memchr), and compared in full
/// where that byte occurs.
pub struct MarkerSearch<'m> {
    marker: &'m [u8],
    /// The last `marker.len() - 1` bytes seen.
    carry: Vec<u8>,
}

impl<'m> MarkerSearch<'m> {
    pub fn new(marker: &'m [u8]) -> Self {
        assert!(!marker.is_empty());
        MarkerSearch { marker, carry: Vec::new() }
    }

    /// Takes the next chunk; true once the marker has been seen.
    pub fn feed(&mut self, chunk: &[u8]) -> bool {
        let keep = self.marker.len() - 1;
        // A marker that starts in the carry and ends in this chunk.
        let mut joint = std::mem::take(&mut self.carry);
        joint.extend_from_slice(&chunk[..chunk.len().min(keep)]);
        if contains(&joint, self.marker) {
            return true;
        }
        if chunk.contains(&self.marker[0]) && contains(chunk, self.marker) {
            return true;
        }
        self.carry = if chunk.len() >= keep {
            chunk[chunk.len() - keep..].to_vec()
        } else {
            joint[joint.len().saturating_sub(keep)..].to_vec()
        };
        false
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found_in(chunks: &[&[u8]], marker: &[u8]) -> Option<usize> {
        let mut search = MarkerSearch::new(marker);
        chunks.iter().position(|c| search.feed(c))
    }

    #[test]
    fn finds_marker_in_one_chunk() {
        assert_eq!(found_in(&[b"abc", b"xx|END|yy"], b"|END|"), Some(1));
    }

    #[test]
    fn finds_marker_split_across_chunks() {
        assert_eq!(found_in(&[b"abc|E", b"ND|"], b"|END|"), Some(1));
        assert_eq!(found_in(&[b"|", b"E", b"N", b"D", b"|"], b"|END|"), Some(4));
        assert_eq!(found_in(&[b"x|EN", b"", b"D|"], b"|END|"), Some(2));
    }

    #[test]
    fn ignores_partial_markers() {
        assert_eq!(found_in(&[b"|EN", b"d|", b"|END"], b"|END|"), None);
    }

    #[test]
    fn single_byte_marker() {
        assert_eq!(found_in(&[b"", b"ab", b"z"], b"z"), Some(2));
    }

    #[test]
    fn test_terminal_runs_a_program() {
        let argv: Vec<OsString> =
            ["sh", "-c", "printf 'he''llo %s' \"$(stty size)\""].map(Into::into).to_vec();
        let mut term = TestTerm::spawn(&argv, &[]).unwrap();
        term.wait_for(b"hello 24 80", Duration::from_secs(5)).unwrap();
        term.wait_exit(Duration::from_secs(5)).unwrap();
    }
}
