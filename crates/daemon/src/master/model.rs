//! The screen model on a thread of its own: output goes to the terminal
//! first and is parsed beside it, so the emulator never delays it. The
//! queue is bounded (a program that outruns the parser waits, as it would
//! for a slow terminal), and a repaint waits until everything sent before it
//! has been parsed.

use super::screen::Screen;
use sess_proto::WinSize;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, SyncSender, channel, sync_channel};
use tracing::warn;

/// Output chunks the parser may be behind by.
const QUEUE: usize = 64;

enum Job {
    Feed(Vec<u8>),
    Resize(WinSize),
    Repaint(Sender<Vec<u8>>),
}

pub struct Model {
    jobs: SyncSender<Job>,
    /// Whether the model answers the program's terminal queries (no
    /// terminal is connected to answer them).
    answer: Arc<AtomicBool>,
}

impl Model {
    /// Starts the parser thread; `pty` (a duplicate of the pty master) is
    /// where the model's answers to terminal queries go.
    pub fn start(size: WinSize, restore_lines: usize, pty: OwnedFd) -> io::Result<Model> {
        let (jobs, queue) = sync_channel::<Job>(QUEUE);
        let answer = Arc::new(AtomicBool::new(true));
        let answering = Arc::clone(&answer);
        std::thread::Builder::new().name("screen".into()).spawn(move || {
            let mut screen = Screen::new(size, restore_lines);
            for job in queue {
                match job {
                    Job::Feed(bytes) => {
                        screen.feed(&bytes);
                        let replies = screen.take_replies();
                        if !replies.is_empty() && answering.load(Ordering::Relaxed) {
                            let _ = super::terminal::write_some(
                                std::os::fd::AsFd::as_fd(&pty),
                                &replies,
                            );
                        }
                    }
                    Job::Resize(size) => screen.resize(size),
                    Job::Repaint(reply) => {
                        let _ = reply.send(screen.repaint());
                    }
                }
            }
        })?;
        Ok(Model { jobs, answer })
    }

    fn send(&self, job: Job) {
        if self.jobs.send(job).is_err() {
            warn!("the screen model has stopped");
        }
    }

    pub fn feed(&self, bytes: &[u8]) {
        self.send(Job::Feed(bytes.to_vec()));
    }

    pub fn resize(&self, size: WinSize) {
        self.send(Job::Resize(size));
    }

    /// The repaint of everything fed so far.
    pub fn repaint(&self) -> Vec<u8> {
        let (tx, rx) = channel();
        self.send(Job::Repaint(tx));
        rx.recv().unwrap_or_default()
    }

    pub fn answer_queries(&self, yes: bool) {
        self.answer.store(yes, Ordering::Relaxed);
    }
}
