//! The detach key (SPEC §5): a lone key detaches once 500 ms pass with no
//! further input, or at once when another key follows (that key is
//! dropped); the key twice sends it once.

use std::time::{Duration, Instant};

pub const DETACH_DELAY: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
pub struct DetachKey {
    key: Option<u8>,
    armed: Option<Instant>,
}

/// What the typed bytes amount to.
#[derive(Debug, PartialEq, Eq)]
pub enum Typed {
    /// Pass these bytes to the program (possibly none yet).
    Input,
    /// Detach now; bytes before the key were passed on.
    Detach,
}

impl DetachKey {
    pub fn new(key: Option<u8>) -> Self {
        DetachKey { key, armed: None }
    }

    /// When a lone key press turns into a detach, if one is waiting.
    pub fn deadline(&self) -> Option<Instant> {
        self.armed.map(|t| t + DETACH_DELAY)
    }

    /// Filters typed bytes into `out`, returning whether to detach.
    pub fn feed(&mut self, input: &[u8], now: Instant, out: &mut Vec<u8>) -> Typed {
        let Some(key) = self.key else {
            out.extend_from_slice(input);
            return Typed::Input;
        };
        for &byte in input {
            match (self.armed.is_some(), byte == key) {
                (false, false) => out.push(byte),
                (false, true) => self.armed = Some(now),
                (true, true) => {
                    self.armed = None;
                    out.push(key);
                }
                (true, false) => {
                    self.armed = None;
                    return Typed::Detach;
                }
            }
        }
        Typed::Input
    }

    /// Whether a waiting key press has become a detach by `now`.
    pub fn expired(&mut self, now: Instant) -> bool {
        match self.deadline() {
            Some(deadline) if now >= deadline => {
                self.armed = None;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: u8 = 0x1c;

    #[test]
    fn plain_input_passes() {
        let mut d = DetachKey::new(Some(K));
        let mut out = vec![];
        assert_eq!(d.feed(b"abc", Instant::now(), &mut out), Typed::Input);
        assert_eq!(out, b"abc");
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn key_twice_sends_it_once_even_across_reads() {
        let mut d = DetachKey::new(Some(K));
        let now = Instant::now();
        let mut out = vec![];
        assert_eq!(d.feed(&[b'a', K], now, &mut out), Typed::Input);
        assert_eq!(d.deadline(), Some(now + DETACH_DELAY));
        assert_eq!(d.feed(&[K, b'b'], now, &mut out), Typed::Input);
        assert_eq!(out, [b'a', K, b'b']);
        assert!(!d.expired(now + DETACH_DELAY));
    }

    #[test]
    fn lone_key_detaches_after_the_delay() {
        let mut d = DetachKey::new(Some(K));
        let now = Instant::now();
        let mut out = vec![];
        d.feed(&[K], now, &mut out);
        assert!(out.is_empty());
        assert!(!d.expired(now + Duration::from_millis(499)));
        assert!(d.expired(now + DETACH_DELAY));
        assert!(!d.expired(now + DETACH_DELAY), "fires once");
    }

    #[test]
    fn another_key_detaches_at_once_and_is_dropped() {
        let mut d = DetachKey::new(Some(K));
        let mut out = vec![];
        assert_eq!(d.feed(&[b'x', K, b'y', b'z'], Instant::now(), &mut out), Typed::Detach);
        assert_eq!(out, b"x");
    }

    #[test]
    fn no_key_passes_everything() {
        let mut d = DetachKey::new(None);
        let mut out = vec![];
        assert_eq!(d.feed(&[K, K, K], Instant::now(), &mut out), Typed::Input);
        assert_eq!(out, [K, K, K]);
    }
}
