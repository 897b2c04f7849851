//! axum 0.8 on the simulated network (feature `axum`).
//!
//! A simulated [`TcpListener`] is an `axum::serve::Listener`, so
//! `axum::serve(listener, app)` runs unchanged inside a host. For
//! `ConnectInfo<SocketAddr>`, wrap the listener with [`with_connect_info`]
//! and serve `app.into_make_service_with_connect_info::<SocketAddr>()`.
//!
//! Why the wrapper: axum provides `SocketAddr` as connect info through an
//! impl of its `Connected` trait per listener type, and Rust's orphan rule
//! lets neither axum (which does not know sim-net) nor sim-net (which owns
//! neither `Connected` nor `SocketAddr`) write that impl for this listener.
//! axum does provide it for any listener wrapped in its `TapIo`, which is
//! what [`with_connect_info`] returns.
//!
//! Accept errors (an injected `set_accept_error`, say) are handled as axum
//! handles them for tokio's listener: `accept` never fails; an error that
//! concerns one connection (refused, aborted, reset) is retried, any other
//! is logged and retried after one (virtual) second.
//!
//! A plain server, a server that answers with the peer's address, and a
//! client on hyper-util (this is `sim-net/examples/axum_server.rs`):
//!
#![doc = "```"]
#![doc = include_str!("../../examples/axum_server.rs")]
#![doc = "```"]

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use ::axum::serve::{Listener, ListenerExt, TapIo};

use crate::{TcpListener, TcpStream};

/// How long to wait before accepting again after an error that is not a
/// connection's own (the value axum uses for tokio's listener).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// How long to wait after a connection's own error. axum retries those at
/// once, because the kernel reports each once, with its connection. An
/// injected error stays until cleared, so retrying at once would spin at
/// one virtual instant, which the simulator reports as a livelock; a
/// millisecond lets time move on.
const CONNECTION_ERROR_PAUSE: Duration = Duration::from_millis(1);

impl Listener for TcpListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            match TcpListener::accept(self).await {
                Ok(accepted) => return accepted,
                Err(e) => handle_accept_error(e).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        TcpListener::local_addr(self)
    }
}

/// axum's contract: `accept` never fails, the listener logs and retries.
async fn handle_accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        tracing::debug!("accept error: {e}");
        tokio::time::sleep(CONNECTION_ERROR_PAUSE).await;
        return;
    }
    tracing::error!("accept error: {e}");
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

/// A simulated listener whose connections carry the peer's `SocketAddr` as
/// axum connect info (see [`with_connect_info`]).
pub type ConnectInfoListener = TapIo<TcpListener, fn(&mut TcpStream)>;

/// Wraps `listener` so that `ConnectInfo<SocketAddr>` works:
///
/// ```no_run
/// # async fn f() -> std::io::Result<()> {
/// use std::net::SocketAddr;
/// use axum::{extract::ConnectInfo, routing::get, Router};
///
/// let app = Router::new().route(
///     "/",
///     get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
/// );
/// let listener = sim_net::TcpListener::bind("0.0.0.0:80").await?;
/// axum::serve(
///     sim_net::axum::with_connect_info(listener),
///     app.into_make_service_with_connect_info::<SocketAddr>(),
/// )
/// .await
/// # }
/// ```
///
/// The address is the one [`TcpListener::accept`] reports, so connections
/// made with [`TcpListener::inject_connection`] appear to come from the
/// address the test chose.
pub fn with_connect_info(listener: TcpListener) -> ConnectInfoListener {
    // axum implements `Connected` for the address of any `TapIo` listener;
    // the tap itself has nothing to do.
    listener.tap_io(leave_as_is as fn(&mut TcpStream))
}

fn leave_as_is(_: &mut TcpStream) {}
