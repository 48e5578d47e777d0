//! The tail of the program's output, replayed to a terminal on connect.

/// How much output is kept for replay.
pub const REPLAY_BYTES: usize = 64 * 1024;

/// A byte ring holding the last `capacity` bytes written to it.
#[derive(Debug)]
pub struct Ring {
    buf: Vec<u8>,
    /// Where the next byte goes once the ring is full.
    head: usize,
    capacity: usize,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        Ring { buf: Vec::new(), head: 0, capacity }
    }

    pub fn push(&mut self, mut data: &[u8]) {
        if data.len() >= self.capacity {
            data = &data[data.len() - self.capacity..];
            self.buf.clear();
            self.buf.extend_from_slice(data);
            self.head = 0;
            return;
        }
        let room = self.capacity - self.buf.len();
        let direct = room.min(data.len());
        self.buf.extend_from_slice(&data[..direct]);
        for &b in &data[direct..] {
            self.buf[self.head] = b;
            self.head = (self.head + 1) % self.capacity;
        }
    }

    /// The kept bytes, oldest first.
    pub fn contents(&self) -> Vec<u8> {
        let (newer, older) = self.buf.split_at(self.head);
        [older, newer].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_in_order() {
        let mut r = Ring::new(4);
        r.push(b"ab");
        assert_eq!(r.contents(), b"ab");
        r.push(b"cde");
        assert_eq!(r.contents(), b"bcde");
        r.push(b"f");
        assert_eq!(r.contents(), b"cdef");
        r.push(b"0123456");
        assert_eq!(r.contents(), b"3456");
        r.push(b"x");
        assert_eq!(r.contents(), b"456x");
    }

    #[test]
    fn any_split_gives_the_same_tail() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut whole = Ring::new(100);
        whole.push(&data);
        for cut in [1, 7, 99, 100, 101, 500] {
            let mut r = Ring::new(100);
            for chunk in data.chunks(cut) {
                r.push(chunk);
            }
            assert_eq!(r.contents(), whole.contents(), "chunks of {cut}");
        }
    }
}
