//! The HTTP scenarios (`http-allowlist`, the `p2p-relay` variants) pass,
//! replay identically and draw a different run from each seed; axum's own
//! accept loop and hyper-util's own connector behave at the edges as on
//! Linux (accept errors, unknown hosts, dead hosts); the guide shows the
//! compiled example. Through `sim_core::Harness`, so `SIM_SEED=S` replays one seed
//! and `SIM_SEEDS=N` widens a sweep. A debug build runs a few seeds each
//! (the release runner sweeps 100: see the guide's scenarios chapter).

mod common;

use std::io;
use std::time::Duration;

use scenarios::{web, Params};
use sim_core::{Harness, RunReport};
use sim_net::{InjectedError, Net, SocketExt};
use tokio::net::TcpListener;

#[path = "../examples/http_hello.rs"]
mod http_hello;

/// Small enough for a debug build: four injected probes, files of about
/// 200 kB (the p2p scenarios' minimum is 192 KiB).
const SMALL: Params = Params {
    clients: 4,
    bytes: 200_000,
    ..Params::DEFAULT
};

const HTTP: [&str; 5] = [
    "http-allowlist",
    "p2p-relay",
    "p2p-relay-peer-restart",
    "p2p-relay-relay-crash",
    "p2p-relay-partition",
];

fn run(name: &str, seeds: std::ops::Range<u64>) -> Vec<RunReport> {
    sim_core::logging::init();
    common::run_included(name, &SMALL, seeds)
}

#[test]
fn http_allowlist_passes() {
    run("http-allowlist", 0..10);
}

#[test]
fn p2p_relay_passes() {
    run("p2p-relay", 0..5);
}

#[test]
fn p2p_relay_survives_a_peer_restart() {
    run("p2p-relay-peer-restart", 0..5);
}

#[test]
fn p2p_relay_survives_a_relay_crash() {
    run("p2p-relay-relay-crash", 0..5);
}

#[test]
fn p2p_relay_survives_a_partition_between_the_peers() {
    run("p2p-relay-partition", 0..5);
}

#[test]
fn each_seed_replays_event_for_event() {
    common::assert_replays_event_for_event(&HTTP, &SMALL);
}

#[test]
fn every_seed_draws_another_run() {
    common::assert_seeds_differ(&HTTP, &SMALL);
}

#[test]
fn axum_retries_accept_errors_of_a_tokio_listener_until_they_clear() {
    use axum::serve::Listener;
    sim_core::logging::init();
    Harness::new().ignore_env().run(|sim| {
        sim.host("api", || async {
            let mut listener = TcpListener::bind("0.0.0.0:80").await?;
            // An error of the listener (EMFILE, say): logged, retried each second.
            let broken = InjectedError::new(io::ErrorKind::Other, "too many open files");
            listener.set_accept_error(Some(broken))?;
            let waited =
                tokio::time::timeout(Duration::from_millis(2500), Listener::accept(&mut listener))
                    .await;
            assert!(waited.is_err(), "accept returned while the error lasted");
            listener.set_accept_error(None)?;
            let app = axum::Router::new().route("/", axum::routing::get(|| async { "up" }));
            axum::serve(listener, app).await?;
            Ok(())
        });
        sim.client("client", async {
            let t0 = tokio::time::Instant::now();
            // The connection waits in the backlog until accept works again.
            // (Not web::get: its deadline is shorter than the wait.)
            let response = web::client().get("http://api/".parse()?).await?;
            assert_eq!(response.status(), 200);
            let body = http_body_util::BodyExt::collect(response.into_body()).await?;
            assert_eq!(body.to_bytes(), "up");
            assert!(
                t0.elapsed() >= Duration::from_millis(2500),
                "{:?}",
                t0.elapsed()
            );
            Ok(())
        });
        Net::install(sim);
    });
}

#[test]
fn axum_retries_a_connection_error_at_once_and_serves_the_next_connection() {
    use std::os::fd::{AsRawFd, BorrowedFd};
    sim_core::logging::init();
    Harness::new().ignore_env().run(|sim| {
        sim.host("api", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            // An error of one connection (ECONNABORTED): as on Linux, each
            // takes the connection it is about; axum logs it and accepts
            // again at once, which waits for the next connection.
            let aborted = InjectedError::new(io::ErrorKind::ConnectionAborted, "aborted");
            listener.set_accept_error(Some(aborted))?;
            let fd = listener.as_raw_fd();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                // SAFETY: axum::serve below keeps the listener open for the
                // life of the host.
                let listener = unsafe { BorrowedFd::borrow_raw(fd) };
                listener.set_accept_error(None).unwrap();
            });
            let app = axum::Router::new().route("/", axum::routing::get(|| async { "up" }));
            axum::serve(listener, app).await?;
            Ok(())
        });
        sim.client("client", async {
            let t0 = tokio::time::Instant::now();
            let client = web::client();
            let refused = client.get("http://api/".parse()?).await;
            assert!(refused.is_err(), "the aborted connection answered");
            // Reset by the listener's side, not answered once the error cleared.
            assert!(
                t0.elapsed() < Duration::from_millis(500),
                "{:?}",
                t0.elapsed()
            );
            tokio::time::sleep_until(t0 + Duration::from_millis(600)).await;
            let response = client.get("http://api/".parse()?).await?;
            assert_eq!(response.status(), 200);
            Ok(())
        });
        Net::install(sim);
    });
}

#[test]
fn hyper_utils_connector_names_unknown_hosts_and_gives_up_on_dead_ones() {
    Harness::new().ignore_env().run(|sim| {
        sim.host("dead", || async { std::future::pending().await });
        sim.client("client", async {
            let client = web::client();
            let err = web::get(&client, "http://nobody/").await.unwrap_err();
            // getaddrinfo's EAI_NONAME, as hyper-util reports it.
            assert!(
                err.contains("dns error") && err.contains("Name or service not known"),
                "{err}"
            );

            sim_core::crash("dead")?;
            let t0 = tokio::time::Instant::now();
            let err = web::get(&client, "http://dead/").await.unwrap_err();
            // HttpConnector's connect timeout (tokio's Elapsed, as TimedOut).
            assert!(
                err.contains("tcp connect error: deadline has elapsed"),
                "{err}"
            );
            assert_eq!(t0.elapsed(), web::REQUEST_DEADLINE);
            Ok(())
        });
        Net::install(sim);
    });
}

#[test]
fn the_http_chapter_shows_the_tested_example() {
    let chapter = include_str!("../../docs/src/http.md");
    let example = include_str!("../examples/http_hello.rs");
    assert!(
        chapter.contains(example.trim()),
        "docs/src/http.md must contain scenarios/examples/http_hello.rs verbatim"
    );
}

#[test]
fn the_http_hello_example_passes() {
    http_hello::main();
}
