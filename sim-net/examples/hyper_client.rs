//! hyper on the simulated network: a server built on `hyper::server::conn`
//! and a client built on hyper-util's legacy `Client`, both on sim-net.
//!
//! `cargo run -p sim-net --example hyper_client --features hyper`

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sim_net::hyper::{Connector, HyperIo};
use sim_net::{LinkConfig, Net, TcpListener};

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("hello from {}", req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

fn main() {
    sim_core::Harness::new().seeds(0..3).run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            loop {
                let (stream, _peer) = listener.accept().await?;
                // HyperIo: the simulated stream seen through hyper's I/O traits.
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(HyperIo::new(stream), hyper::service::service_fn(hello));
                tokio::spawn(conn);
            }
        });
        sim.client("client", async {
            // Connector: dials the URI's host through the simulation's DNS.
            let client: Client<Connector, Full<Bytes>> =
                Client::builder(TokioExecutor::new()).build(Connector::new());
            let t0 = tokio::time::Instant::now();
            let response = client.get("http://server/greeting".parse()?).await?;
            assert_eq!(response.status(), 200);
            let body: Bytes = response.into_body().collect().await?.to_bytes();
            assert_eq!(body, "hello from /greeting");
            // One round trip to connect, one for the request: 2 x 2 x 5 ms.
            assert_eq!(t0.elapsed(), Duration::from_millis(20));

            // The pool keeps the connection: the next request is one round trip.
            let t1 = tokio::time::Instant::now();
            let again = client.get("http://server/again".parse()?).await?;
            assert_eq!(again.status(), 200);
            assert_eq!(t1.elapsed(), Duration::from_millis(10));
            Ok(())
        });
        Net::builder()
            .default_link(LinkConfig::fixed(5_000_000)) // 5 ms one way, in ns
            .install(sim);
    });
}
