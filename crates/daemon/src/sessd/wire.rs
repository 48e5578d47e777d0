//! Async framed I/O for sessd's connections.

use serde::{Serialize, de::DeserializeOwned};
use sess_proto::frame::{self, DecodeError, HEADER, Hello};
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("peer closed")]
    Closed,
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Decode(#[from] DecodeError),
    #[error("timed out")]
    Timeout,
}

pub async fn recv<T: DeserializeOwned>(stream: &mut UnixStream) -> Result<T, WireError> {
    let mut header = [0u8; HEADER];
    match stream.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(WireError::Closed),
        Err(e) => return Err(e.into()),
    }
    let mut body = vec![0; frame::body_len(header)?];
    stream.read_exact(&mut body).await?;
    Ok(frame::decode(&body)?)
}

pub async fn send<T: Serialize>(stream: &mut UnixStream, msg: &T) -> Result<(), WireError> {
    stream.write_all(&frame::encode(msg)).await?;
    Ok(())
}

/// Answers a connecting peer's hello; a peer of another version hears ours
/// and is refused.
pub async fn greet(stream: &mut UnixStream) -> Result<(), WireError> {
    let hello: Hello = recv(stream).await?;
    send(stream, &Hello::current()).await?;
    Ok(hello.check()?)
}

/// Opens a connection and says hello first.
pub async fn dial(path: &std::path::Path) -> Result<UnixStream, WireError> {
    let mut stream = UnixStream::connect(path).await?;
    send(&mut stream, &Hello::current()).await?;
    recv::<Hello>(&mut stream).await?.check()?;
    Ok(stream)
}
