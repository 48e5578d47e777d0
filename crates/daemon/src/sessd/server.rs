//! sessd's socket: a task per connection, requests answered in turn.

use super::registry::Registry;
use super::wire::{self, WireError};
use sess_proto::{MasterRequest, Reply, Request};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{UnixListener, UnixStream};
use tracing::{Instrument, debug, info_span, warn};

pub async fn serve(listener: UnixListener, registry: Arc<Registry>) {
    let mut next = 0u64;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        next += 1;
        let registry = Arc::clone(&registry);
        tokio::spawn(connection(stream, registry).instrument(info_span!("conn", n = next)));
    }
}

async fn connection(mut stream: UnixStream, registry: Arc<Registry>) {
    match sess_sys::wire::peer_uid(stream.as_fd()) {
        Ok(uid) if sess_sys::wire::peer_allowed(uid) => {}
        other => return warn!(peer = ?other, "refused a connection from another user"),
    }
    match wire::greet(&mut stream).await {
        Ok(()) => {}
        // A client that only checks that sessd listens.
        Err(WireError::Closed) => return,
        Err(e) => return warn!(error = %e, "closed a connection that did not say hello"),
    }
    loop {
        let request = match wire::recv::<Request>(&mut stream).await {
            Ok(request) => request,
            Err(WireError::Closed) => return,
            Err(e) => return warn!(error = %e, "closed a connection after a bad frame"),
        };
        debug!(?request, "request");
        let reply = answer(&registry, request).await;
        if wire::send(&mut stream, &reply).await.is_err() {
            return;
        }
    }
}

fn done(result: Result<(), sess_proto::Refusal>) -> Reply {
    result.map_or_else(Reply::Refused, |()| Reply::Ok)
}

async fn answer(registry: &Arc<Registry>, request: Request) -> Reply {
    match request {
        Request::Create(spec) => {
            registry.create(spec).await.map_or_else(Reply::Refused, Reply::Session)
        }
        Request::List => Reply::Sessions(registry.list().await),
        Request::Resolve { target } => {
            registry.info(&target).await.map_or_else(Reply::Refused, Reply::Session)
        }
        Request::Disconnect { target } => {
            registry.forward(&target, MasterRequest::Disconnect).await
        }
        Request::SetPending { target, pending } => {
            registry.forward(&target, MasterRequest::SetPending(pending)).await
        }
        Request::SetTitle { target, title } => done(registry.set_title(&target, &title).await),
        Request::Kill { target } => done(registry.kill(&target).await),
        Request::Manage { target, verb } => done(registry.manage(&target, verb).await),
        Request::Get { target, key } => registry
            .get(&target, key.as_deref())
            .await
            .map_or_else(Reply::Refused, Reply::Attributes),
        Request::Set { target, key, value } => done(registry.set(&target, &key, &value).await),
        Request::Export { target } => {
            registry.export(&target).await.map_or_else(Reply::Refused, Reply::Text)
        }
        Request::Import { json } => {
            registry.import(&json).await.map_or_else(Reply::Refused, Reply::Session)
        }
        Request::Save { target } => done(registry.checkpoint(target.as_deref()).await),
    }
}
