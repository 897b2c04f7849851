//! An axum service and two HTTP clients (reqwest, and hyper-util's legacy
//! client on its `HttpConnector`) on the simulated network, with a
//! partition. Production code throughout: the guide's chapter "HTTP with
//! axum, hyper and reqwest" shows this file; `cargo test` runs it
//! (scenarios/tests/http.rs).
//!
//! ```text
//! cargo run -p scenarios --example http_hello
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sim_net::{LinkConfig, Net};
use tokio::time::Instant;

pub fn main() {
    sim_core::Harness::new().seeds(0..3).run(|sim| {
        sim.host("server", || async {
            // axum on tokio's listener, as in production.
            let app = Router::new().route(
                "/whoami",
                get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
            );
            let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app).await?;
            Ok(())
        });
        sim.client("client", async {
            // reqwest: `server` is found through the simulation's DNS.
            let client = reqwest::Client::builder().no_proxy().build()?;
            let t0 = Instant::now();
            let me = client
                .get("http://server/whoami")
                .send()
                .await?
                .text()
                .await?;
            assert_eq!(me, "10.0.0.2:49152"); // the client's first ephemeral port
            assert_eq!(t0.elapsed(), Duration::from_millis(20)); // handshake + request

            // hyper-util's client on its HttpConnector: a new connection.
            let hyper = Client::builder(TokioExecutor::new()).build_http::<Empty<&[u8]>>();
            let response = hyper.get("http://server/whoami".parse()?).await?;
            let body = response.into_body().collect().await?.to_bytes();
            assert_eq!(body, "10.0.0.2:49153");

            // Across a partition, a timeout expires on the virtual clock.
            sim_net::net()?.partition("client", "server")?;
            let t1 = Instant::now();
            let request = client
                .get("http://server/whoami")
                .timeout(Duration::from_millis(300));
            let err = request.send().await.unwrap_err();
            assert!(err.is_timeout());
            assert_eq!(t1.elapsed(), Duration::from_millis(300));
            Ok(())
        });
        Net::builder()
            .default_link(LinkConfig::fixed(5_000_000)) // 5 ms each way
            .install(sim);
    });
    println!("http_hello: 3 seeds passed");
}
