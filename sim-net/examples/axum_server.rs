//! axum on the simulated network: `axum::serve` on a simulated listener,
//! unchanged, and the peer's address through `ConnectInfo`.
//!
//! `RUST_LOG=info cargo run -p sim-net --example axum_server --features axum,hyper`

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sim_net::hyper::Connector;
use sim_net::{Net, TcpListener};

async fn whoami(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
    // Logged with the virtual time and the host: `0.007000000s api INFO ...`.
    tracing::info!(%peer, "whoami");
    format!("you are {}", peer.ip())
}

fn main() {
    // Log lines stamped with virtual time and host name (RUST_LOG filters).
    sim_core::logging::init();
    sim_core::Harness::new().seeds(0..3).run(|sim| {
        sim.host("hello", || async {
            let app = Router::new().route("/", get(|| async { "hello" }));
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            axum::serve(listener, app).await?;
            Ok(())
        });
        sim.host("api", || async {
            let app = Router::new().route("/whoami", get(whoami));
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            // The peer's SocketAddr for ConnectInfo: one call on the listener.
            let listener = sim_net::axum::with_connect_info(listener);
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app).await?;
            Ok(())
        });
        sim.client("client", async {
            let client: Client<Connector, Empty<Bytes>> =
                Client::builder(TokioExecutor::new()).build(Connector::new());
            let hello = client.get("http://hello/".parse()?).await?;
            assert_eq!(hello.into_body().collect().await?.to_bytes(), "hello");
            let whoami = client.get("http://api/whoami".parse()?).await?;
            let body = whoami.into_body().collect().await?.to_bytes();
            // Hosts are numbered in the order they were added: 10.0.0.3 is `client`.
            assert_eq!(body, "you are 10.0.0.3");
            Ok(())
        });
        Net::install(sim);
    });
}
