//! Framing: a 4-byte little-endian body length, then a postcard body.
//!
//! The length is checked against [`MAX_FRAME`] before anything is
//! allocated, and the three ways a frame can be bad — too long, not
//! decodable, another version — are distinct errors so that the receiver
//! can say which one closed the connection.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// The protocol version. Raised on any incompatible change of [`crate::msg`].
pub const VERSION: u32 = 1;

/// The largest frame body accepted, in bytes.
pub const MAX_FRAME: usize = 1 << 20;

/// Bytes of the length prefix.
pub const HEADER: usize = 4;

/// Identifies a sess peer; stable across all versions.
pub const MAGIC: [u8; 4] = *b"sess";

/// The first frame on every connection, in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub magic: [u8; 4],
    pub version: u32,
}

impl Hello {
    pub const fn current() -> Self {
        Hello { magic: MAGIC, version: VERSION }
    }

    /// Checks a peer's hello against ours.
    pub fn check(self) -> Result<(), DecodeError> {
        if self.magic != MAGIC {
            return Err(DecodeError::Garbage);
        }
        if self.version != VERSION {
            return Err(DecodeError::Version { ours: VERSION, theirs: self.version });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame of {0} bytes exceeds the limit of {MAX_FRAME}")]
    Oversize(usize),
    #[error("malformed frame")]
    Garbage,
    #[error("peer speaks sess protocol version {theirs}, this program speaks {ours}")]
    Version { ours: u32, theirs: u32 },
}

/// Encodes `msg` as one frame, header included.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let mut out = vec![0; HEADER];
    // Serializing plain data into a Vec cannot fail.
    out = postcard::to_extend(msg, out).expect("postcard encodes plain data");
    let len = (out.len() - HEADER) as u32;
    out[..HEADER].copy_from_slice(&len.to_le_bytes());
    out
}

/// Reads the body length from a frame header, refusing oversize frames.
pub fn body_len(header: [u8; HEADER]) -> Result<usize, DecodeError> {
    let len = u32::from_le_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(DecodeError::Oversize(len));
    }
    Ok(len)
}

/// Decodes one frame body. Trailing bytes are garbage.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    match postcard::take_from_bytes(body) {
        Ok((msg, [])) => Ok(msg),
        _ => Err(DecodeError::Garbage),
    }
}

/// Splits the first complete frame off the front of `buf`, if there is one.
/// Returns its body and the number of bytes it used.
pub fn split(buf: &[u8]) -> Result<Option<(&[u8], usize)>, DecodeError> {
    let Some(header) = buf.get(..HEADER) else {
        return Ok(None);
    };
    let len = body_len(header.try_into().expect("4 bytes"))?;
    Ok(buf.get(HEADER..HEADER + len).map(|body| (body, HEADER + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_bytes_are_pinned() {
        assert_eq!(encode(&Hello::current()), [5, 0, 0, 0, b's', b'e', b's', b's', 1]);
    }

    #[test]
    fn split_waits_for_a_whole_frame() {
        let frame = encode(&Hello::current());
        for cut in 0..frame.len() {
            assert_eq!(split(&frame[..cut]), Ok(None));
        }
        let (body, used) = split(&frame).unwrap().unwrap();
        assert_eq!(used, frame.len());
        assert_eq!(decode::<Hello>(body), Ok(Hello::current()));
    }

    #[test]
    fn oversize_is_refused_before_allocating() {
        let header = ((MAX_FRAME + 1) as u32).to_le_bytes();
        assert_eq!(split(&header), Err(DecodeError::Oversize(MAX_FRAME + 1)));
        assert_eq!(body_len([0xff; 4]), Err(DecodeError::Oversize(u32::MAX as usize)));
    }

    #[test]
    fn garbage_and_versions_are_told_apart() {
        assert_eq!(decode::<Hello>(b"xy"), Err(DecodeError::Garbage));
        let mut hello = Hello::current();
        hello.version = 9;
        assert_eq!(hello.check(), Err(DecodeError::Version { ours: VERSION, theirs: 9 }));
        hello.magic = *b"http";
        assert_eq!(hello.check(), Err(DecodeError::Garbage));
    }

    #[test]
    fn trailing_bytes_are_garbage() {
        let mut frame = encode(&Hello::current());
        frame.push(0);
        assert_eq!(decode::<Hello>(&frame[HEADER..]), Err(DecodeError::Garbage));
    }
}
