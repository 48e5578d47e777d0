//! Requests on the session's socket (info, disconnect, pending reconnect,
//! title, checkpoint, attach, watch, kill) and the terminal that connects:
//! its attach, the repaint once the signaller is ready, its resizes, and
//! the disconnect that hands it back.

use super::conn::Conn;
use super::terminal::Terminal;
use super::{MAX_TITLE, Master, truncate};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::tcgetpgrp;
use sess_proto::{AttachSpec, End, Event, MasterRequest, Refusal, Reply, SignallerMsg, WinSize};
use std::os::fd::AsFd;
use std::time::Duration;
use tracing::{debug, info, warn};

impl Master {
    /// A message from the connected signaller (or its hangup).
    pub(super) fn on_signaller(&mut self) {
        let Some(term) = self.term.as_mut() else {
            return;
        };
        let closed = term.conn.fill().is_err();
        loop {
            let Some(term) = self.term.as_mut() else {
                return;
            };
            match term.conn.next::<SignallerMsg>() {
                Ok(Some(SignallerMsg::Resize(size))) => self.resize(size),
                Ok(Some(SignallerMsg::Detach)) => return self.disconnect(End::Disconnected),
                Ok(Some(SignallerMsg::Ready)) => self.go_live(),
                Ok(None) if !closed => return,
                Ok(None) | Err(_) => return self.disconnect(End::Disconnected),
            }
        }
    }

    pub(super) fn resize(&mut self, size: WinSize) {
        self.size = size;
        self.screen.resize(size);
        if let Err(e) = sess_sys::os::set_window_size(self.pty.as_fd(), size) {
            debug!(error = %e, "cannot set the window size");
        }
    }

    /// Signals the pty's foreground process group (the program's group if
    /// the pty has none).
    pub(super) fn signal_foreground(&self, sig: Signal) {
        let group = tcgetpgrp(&self.pty).unwrap_or(self.program);
        let _ = killpg(group, sig);
    }

    pub(super) fn on_conn(&mut self, i: usize) {
        let mut conn = self.conns.swap_remove(i);
        let closed = conn.fill().is_err();
        loop {
            match conn.next::<MasterRequest>() {
                Ok(Some(MasterRequest::Attach(spec))) => return self.attach(conn, spec),
                Ok(Some(MasterRequest::Watch)) => {
                    conn.watching = true;
                    self.watcher_wait = None;
                    // The facts now: a connect that came before the watch
                    // must not go unreported.
                    if conn.send(&Reply::Session(self.info())).is_err() {
                        return;
                    }
                }
                Ok(Some(MasterRequest::Kill { timeout_ms })) => {
                    return self.start_kill(Some(conn), Duration::from_millis(timeout_ms));
                }
                Ok(Some(request)) => {
                    let reply = self.answer(request);
                    if conn.send(&reply).is_err() {
                        return;
                    }
                }
                Ok(None) if !closed => return self.conns.push(conn),
                Ok(None) => return,
                Err(e) => return debug!(error = %e, "dropped a connection"),
            }
        }
    }

    pub(super) fn answer(&mut self, request: MasterRequest) -> Reply {
        match request {
            MasterRequest::Info => Reply::Session(self.info()),
            MasterRequest::Disconnect => {
                if self.term.is_none() {
                    return Reply::Refused(Refusal::NotConnected);
                }
                self.disconnect(End::Disconnected);
                Reply::Ok
            }
            MasterRequest::SetPending(target) => {
                let Some(term) = self.term.as_mut() else {
                    if self.creator_wait.is_some() {
                        self.creator_pending = target;
                        return Reply::Ok;
                    }
                    return Reply::Refused(Refusal::NotConnected);
                };
                term.pending = target.clone();
                if term.conn.send(&Event::Pending(target)).is_err() {
                    self.disconnect(End::Disconnected);
                    return Reply::Refused(Refusal::NotConnected);
                }
                Reply::Ok
            }
            MasterRequest::SetTitle(title) => {
                self.title = truncate(&title, MAX_TITLE).to_owned();
                Reply::Ok
            }
            MasterRequest::Checkpoint => Reply::Text(self.screen.checkpoint()),
            MasterRequest::Attach(_) | MasterRequest::Kill { .. } | MasterRequest::Watch => {
                unreachable!("handled in on_conn")
            }
        }
    }

    pub(super) fn attach(&mut self, mut conn: Conn, spec: AttachSpec) {
        let (Some(input), Some(output)) = (conn.take_fd(), conn.take_fd()) else {
            let _ = conn.send(&Reply::Refused(Refusal::Failed("no terminal was passed".into())));
            return;
        };
        if self.term.is_some() {
            if !spec.force {
                let _ = conn.send(&Reply::Refused(Refusal::AlreadyConnected));
                return;
            }
            self.disconnect(End::TakenOver);
        }
        let mut term = match Terminal::open(conn, input, output, &spec) {
            Ok(term) => term,
            Err(e) => return warn!(error = %e, "cannot use the passed terminal"),
        };
        if term.conn.send(&Reply::Ok).is_err() {
            return;
        }
        info!(from = %spec.from, "connected");
        self.creator_wait = None;
        if let Some(pending) = self.creator_pending.take() {
            term.pending = Some(pending.clone());
            let _ = term.conn.send(&Event::Pending(Some(pending)));
        }
        self.term = Some(term);
        self.last_use = sess_sys::now_ms();
        self.resize(spec.size);
        self.notify_watchers();
    }

    /// Tells sessd's watch the session's facts changed (connected or not).
    pub(super) fn notify_watchers(&mut self) {
        let facts = Reply::Session(self.info());
        for conn in self.conns.iter_mut().filter(|c| c.watching) {
            let _ = conn.send(&facts);
        }
    }

    /// The signaller is ready: redraw, then live output. Linux sends no
    /// SIGWINCH when the size did not change, but the program must still
    /// learn that a new terminal wants a repaint.
    pub(super) fn go_live(&mut self) {
        let Some(term) = self.term.as_mut().filter(|t| !t.live) else { return };
        term.live = true;
        if let Err(e) = term.write(&self.screen.repaint()) {
            debug!(error = %e, "terminal write failed");
            return self.disconnect(End::Disconnected);
        }
        self.signal_foreground(Signal::SIGWINCH);
        self.signal_foreground(Signal::SIGCONT);
    }

    pub(super) fn disconnect(&mut self, end: End) {
        if let Some(mut term) = self.term.take() {
            info!(?end, "disconnected");
            // Answers to queries from the program while the terminal was
            // there, which it answered itself.
            self.screen.take_replies();
            if term.live {
                let _ = term.write(&self.screen.leave());
            }
            term.release(end);
            self.notify_watchers();
        }
    }
}
