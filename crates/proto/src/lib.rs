//! The sess wire: every message any two sess processes exchange, and the
//! framing they travel in. Bare data, no I/O policy.
//!
//! - [`frame`]: length-prefixed postcard frames with a hard size limit, and
//!   the version handshake that opens every connection.
//! - [`msg`]: the messages. Every enum here is append-only: postcard encodes
//!   a variant as its index, so reordering or removing a variant changes the
//!   wire. Unit tests pin the encoded bytes.
//!
//! Connections: a client sends [`frame::Hello`] first and reads the peer's
//! `Hello` back; a peer speaking another version answers with its own and
//! closes. After that, requests and replies alternate.

#![forbid(unsafe_code)]

pub mod frame;
pub mod msg;

pub use frame::{DecodeError, Hello, MAX_FRAME, VERSION};
pub use msg::*;

/// Whether `s` has the shape of a session id (SPEC §1): a lowercase letter
/// and one or two hex digits. Names never have it.
pub fn is_id(s: &str) -> bool {
    let letter = |c: &u8| c.is_ascii_lowercase();
    let hex = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
    match s.as_bytes() {
        [a, x] => letter(a) && hex(x),
        [a, x, y] => letter(a) && hex(x) && hex(y),
        _ => false,
    }
}
