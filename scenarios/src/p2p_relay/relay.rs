//! The relay: an axum service that maps peer names to the address each
//! peer listens on. It keeps the map in memory, so a crash forgets it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::routing::put;
use axum::Router;
use tokio::net::TcpListener;

use super::{RelayLog, RELAY_PORT};

/// One incarnation's memory, and the log that outlives it.
#[derive(Clone, Debug)]
struct Relay {
    book: Arc<Mutex<BTreeMap<String, SocketAddr>>>,
    log: Arc<RelayLog>,
}

/// Serves `PUT /peers/{name}` (body: the peer's port) and
/// `GET /peers/{name}` (answer: `ip:port`, or 404).
pub(super) async fn serve(log: Arc<RelayLog>) -> sim_core::Result {
    let relay = Relay {
        book: Arc::default(),
        log,
    };
    let app = Router::new()
        .route("/peers/{name}", put(register).get(lookup))
        .with_state(relay);
    let listener = TcpListener::bind(("0.0.0.0", RELAY_PORT)).await?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// Records the peer at the address it connects from and the port it
/// gives, as a rendezvous server learns a peer's public address.
async fn register(
    State(relay): State<Relay>,
    Path(name): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: String,
) -> Result<String, (StatusCode, String)> {
    let port: u16 = body
        .trim()
        .parse()
        .map_err(|_| (StatusCode::BAD_REQUEST, format!("`{body}` is not a port")))?;
    let addr = SocketAddr::new(peer.ip(), port);
    let previous = relay
        .book
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(name.clone(), addr);
    if previous != Some(addr) {
        tracing::info!(%name, %addr, "registered");
    }
    let now = sim_core::sim_time().unwrap_or(sim_core::SimTime::ZERO);
    relay
        .log
        .registrations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((name, now));
    relay.log.changed.notify_waiters();
    Ok(addr.to_string())
}

async fn lookup(
    State(relay): State<Relay>,
    Path(name): Path<String>,
) -> Result<String, StatusCode> {
    let book = relay.book.lock().unwrap_or_else(|p| p.into_inner());
    book.get(&name)
        .map(SocketAddr::to_string)
        .ok_or(StatusCode::NOT_FOUND)
}
