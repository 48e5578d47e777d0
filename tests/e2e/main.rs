//! End-to-end tests: the real binaries on real pseudo-terminals.
//!
//! - `harness`: the private world of a test and its test terminals.
//! - `procs`: process facts from /proc.
//! - `term`: test terminals (a pty, an interactive `sh` on it).
//! - `sess`: `sess PROG` — the program's place, environment, exit status.
//! - `restore`: the terminal's modes restored on every way out of `sess`.
//! - `detach`: the detach key.
//! - `disconnect`: `disconnect` and its errors.
//! - `reconnect`: pending reconnects and their messages.
//! - `idioms`: the paper's §4 combinations on real terminals.
//! - `control`: `sessname`, `sesslist`, `sesskill`.
//! - `daemon`: one `sessd`, stale sockets, surviving `kill -9` of sessd.
//! - `window`: window size, SIGWINCH, SIGCONT, output while away.
//! - `flood`: keys, requests, resizes and the detach key while output
//!   pours out; the master's CPU affinity after it moves off the program's
//!   CPU.
//! - `screen`: the screen a reconnect restores, judged by an independent
//!   emulator (vt100).
//! - `idle`: a quiet session's master lets go of its screen model and
//!   still restores the same screen.
//! - `manager`: `session`, the process manager (SPEC §6).
//! - `persist`: reboot relaunch, restart styles, checkpoints, the record
//!   store (SPEC §8).
//! - `security`: modes of dirs and sockets, unsafe runtime dirs, bad frames.
//! - `menu`: `sessmenu`, its listing, prompts and echo.
//! - `who`: `sesswho`, `sesswhere`, the who dir and the admin's switch.

mod harness;
mod procs;
mod term;

mod control;
mod daemon;
mod detach;
mod disconnect;
mod flood;
mod idioms;
mod idle;
mod manager;
mod menu;
mod persist;
mod reconnect;
mod restore;
mod screen;
mod security;
mod sess;
mod who;
mod window;
