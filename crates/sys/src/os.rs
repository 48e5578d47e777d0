//! Every `unsafe` block of sess lives here, each with its reason.
//!
//! - [`fork`] for the daemon's one-time detach from its starter.
//! - [`spawn_on_pty`]: the program's child set-up. Everything is prepared
//!   before `fork` (C strings, pointer arrays); after `fork` the child only
//!   makes async-signal-safe calls: setsid, TIOCSCTTY, dup2, chdir, signal
//!   resets, execve, and a write to the exec-error pipe.
//! - window-size ioctls, which nix leaves unsafe.
//! - [`give_back_memory`]: glibc's `malloc_trim`.
//! - [`close_inherited_fds`]: closing fds no `OwnedFd` of ours owns.

#![allow(unsafe_code)]

use nix::errno::Errno;
use nix::libc;
use nix::unistd::Pid;
use sess_proto::WinSize;
use std::ffi::{CString, c_char};
use std::io::Read;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

pub use nix::unistd::ForkResult;

/// Closes every fd from 3 up: what the process that started a daemon left
/// open (its terminal, the pipe of a command substitution or of an ssh
/// channel) must not be held for as long as the daemon runs, nor passed on
/// to the sessions it starts.
///
/// Only at start-up, before this process opens anything of its own.
pub fn close_inherited_fds() {
    // Safety: nothing above fd 2 belongs to this process yet (see above),
    // so no `OwnedFd` refers to what is closed here.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    if rc == 0 {
        return;
    }
    // Kernels before 5.9: one by one, as /proc lists them.
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else { return };
    let fds: Vec<i32> =
        dir.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
    for fd in fds.into_iter().filter(|&fd| fd > 2) {
        // Safety: as above; the directory's own fd is closed already (EBADF).
        unsafe { libc::close(fd) };
    }
}

/// Forks the calling process.
///
/// Only for a process that has not started any thread yet (sessd before its
/// runtime starts): the child continues with a copy of the one thread.
pub fn fork() -> nix::Result<ForkResult> {
    // Safety: callers are single-threaded (see above), so the child's copy
    // of the heap and locks is consistent.
    unsafe { nix::unistd::fork() }
}

/// Standard input, borrowed for the life of the process.
pub fn stdin() -> BorrowedFd<'static> {
    // Safety: fd 0 is never closed by sess while it runs.
    unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) }
}

/// Standard output, borrowed for the life of the process.
pub fn stdout() -> BorrowedFd<'static> {
    // Safety: fd 1 is never closed by sess while it runs.
    unsafe { BorrowedFd::borrow_raw(libc::STDOUT_FILENO) }
}

/// Ignores `sig` (the master ignores SIGHUP: no hangup reaches it).
pub fn ignore_signal(sig: nix::sys::signal::Signal) -> nix::Result<()> {
    // Safety: SIG_IGN installs no handler code.
    unsafe { nix::sys::signal::signal(sig, nix::sys::signal::SigHandler::SigIgn) }.map(drop)
}

/// Receives bytes and any fds passed with them (close-on-exec), once.
pub fn recv_with_fds(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
) -> std::io::Result<(usize, Vec<OwnedFd>)> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    use std::os::fd::{FromRawFd, RawFd};
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let mut space = nix::cmsg_space!([RawFd; 4]);
    let msg =
        recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC)?;
    let mut fds = Vec::new();
    for cmsg in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(raw) = cmsg {
            // Safety: SCM_RIGHTS hands us new descriptors that nothing else owns.
            fds.extend(raw.into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }));
        }
    }
    Ok((msg.bytes, fds))
}

/// The terminal's window size, if `fd` is a terminal.
pub fn window_size(fd: BorrowedFd<'_>) -> Option<WinSize> {
    let mut ws: libc::winsize = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // Safety: TIOCGWINSZ writes one `winsize` into the valid pointer.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) };
    (rc == 0).then_some(WinSize { rows: ws.ws_row, cols: ws.ws_col })
}

/// Sets a terminal's window size (the kernel sends SIGWINCH to its
/// foreground group when the size changes).
/// Returns the allocator's free pages to the system (glibc keeps freed
/// memory below its trim threshold, and in holes, otherwise). A master
/// calls it when its screen model sleeps or a bulk of output is done.
pub fn give_back_memory() {
    #[cfg(target_env = "gnu")]
    // Safety: malloc_trim only walks the allocator's own free lists; it
    // takes the allocator's locks like any allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

pub fn set_window_size(fd: BorrowedFd<'_>, size: WinSize) -> nix::Result<()> {
    let ws = libc::winsize { ws_row: size.rows, ws_col: size.cols, ws_xpixel: 0, ws_ypixel: 0 };
    // Safety: TIOCSWINSZ reads one `winsize` from the valid pointer.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    Errno::result(rc).map(drop)
}

/// A program ready to be started: everything the child needs, allocated.
pub struct Program {
    path: CString,
    argv: Vec<CString>,
    env: Vec<CString>,
    cwd: CString,
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("{0}")]
    Exec(Errno),
    #[error("cannot change directory: {0}")]
    Chdir(Errno),
    #[error("cannot fork: {0}")]
    Fork(Errno),
    #[error("argument contains a NUL byte")]
    Nul,
}

impl Program {
    /// `path` is the resolved executable; `argv[0]` is what the program sees.
    pub fn new(
        path: &str,
        argv: &[String],
        env: &[(String, String)],
        cwd: &str,
    ) -> Result<Program, SpawnError> {
        let c = |s: &str| CString::new(s).map_err(|_| SpawnError::Nul);
        Ok(Program {
            path: c(path)?,
            argv: argv.iter().map(|a| c(a)).collect::<Result<_, _>>()?,
            env: env.iter().map(|(k, v)| c(&format!("{k}={v}"))).collect::<Result<_, _>>()?,
            cwd: c(cwd)?,
        })
    }
}

const STAGE_CHDIR: u32 = 1;
const STAGE_EXEC: u32 = 2;

/// Starts `program` as a session leader with `slave` as its controlling
/// terminal and fds 0, 1, 2. Returns once the exec succeeded, or with the
/// reason it failed (the failed child is reaped).
pub fn spawn_on_pty(program: &Program, slave: OwnedFd) -> Result<Pid, SpawnError> {
    let ptrs = |v: &[CString]| -> Vec<*const c_char> {
        v.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect()
    };
    let argv = ptrs(&program.argv);
    let envp = ptrs(&program.env);
    let (err_read, err_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(SpawnError::Fork)?;

    // Safety: the master is single-threaded, and the child below only makes
    // async-signal-safe libc calls on memory prepared before the fork.
    match unsafe { nix::unistd::fork() }.map_err(SpawnError::Fork)? {
        ForkResult::Child => {
            // Safety: plain syscalls on valid fds and NUL-terminated strings.
            unsafe {
                let fd = slave.as_raw_fd();
                let report = |stage: u32| -> ! {
                    let errno = *libc::__errno_location();
                    let mut msg = [0u8; 8];
                    msg[..4].copy_from_slice(&stage.to_le_bytes());
                    msg[4..].copy_from_slice(&errno.to_le_bytes());
                    libc::write(err_write.as_raw_fd(), msg.as_ptr().cast(), 8);
                    libc::_exit(127)
                };
                libc::setsid();
                libc::ioctl(fd, libc::TIOCSCTTY, 0);
                for target in 0..3 {
                    libc::dup2(fd, target);
                }
                if fd > 2 {
                    libc::close(fd);
                }
                if libc::chdir(program.cwd.as_ptr()) != 0 {
                    report(STAGE_CHDIR);
                }
                for sig in 1..libc::SIGRTMAX() {
                    if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                        libc::signal(sig, libc::SIG_DFL);
                    }
                }
                let mut empty: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut empty);
                libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
                libc::execve(program.path.as_ptr(), argv.as_ptr(), envp.as_ptr());
                report(STAGE_EXEC)
            }
        }
        ForkResult::Parent { child } => {
            drop(err_write);
            drop(slave);
            let mut msg = [0u8; 8];
            let mut pipe = std::fs::File::from(err_read);
            match pipe.read_exact(&mut msg) {
                Err(_) => Ok(child),
                Ok(()) => {
                    let _ = nix::sys::wait::waitpid(child, None);
                    let stage = u32::from_le_bytes(msg[..4].try_into().expect("4 bytes"));
                    let errno =
                        Errno::from_raw(i32::from_le_bytes(msg[4..].try_into().expect("4 bytes")));
                    Err(if stage == STAGE_CHDIR {
                        SpawnError::Chdir(errno)
                    } else {
                        SpawnError::Exec(errno)
                    })
                }
            }
        }
    }
}
