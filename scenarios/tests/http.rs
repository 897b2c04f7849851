//! The HTTP scenarios (`http-allowlist`, the `p2p-relay` variants) pass,
//! replay identically and draw a different run from each seed; the axum
//! and hyper adapters keep their promises at the edges (accept errors,
//! unknown hosts, dead hosts, real sockets); the guide shows the compiled
//! examples. Through `sim_core::Harness`, so `SIM_SEED=S` replays one seed
//! and `SIM_SEEDS=N` widens a sweep. A debug build runs a few seeds each
//! (the release runner sweeps 100: see the guide's scenarios chapter).

mod common;

use std::io;
use std::time::Duration;

use scenarios::{web, Params};
use sim_core::harness::FailureCause;
use sim_core::{ErrorKind, Harness, RunReport};
use sim_net::{InjectedError, Net, TcpListener};

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

/// The cause of a run that must fail.
fn failure(setup: impl Fn(&mut sim_core::Sim) + Send + Sync + 'static) -> sim_core::SimError {
    let failure = Harness::new()
        .ignore_env()
        .try_run(setup)
        .expect_err("the run should fail");
    match failure.cause {
        FailureCause::Run(e) => *e,
        other => panic!("the run failed otherwise: {other:?}"),
    }
}

#[test]
fn the_axum_listener_retries_accept_errors_until_they_clear() {
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
            // A connection's own error: retried without spinning in place.
            let aborted = InjectedError::new(io::ErrorKind::ConnectionAborted, "aborted");
            listener.set_accept_error(Some(aborted))?;
            let waited =
                tokio::time::timeout(Duration::from_millis(500), Listener::accept(&mut listener))
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
            assert!(t0.elapsed() >= Duration::from_secs(3), "{:?}", t0.elapsed());
            Ok(())
        });
        Net::install(sim);
    });
}

#[test]
fn the_connector_names_unknown_hosts_and_gives_up_on_dead_ones() {
    Harness::new().ignore_env().run(|sim| {
        sim.host("dead", || async { std::future::pending().await });
        sim.client("client", async {
            let client = web::client();
            let err = web::get(&client, "http://nobody/").await.unwrap_err();
            assert!(
                err.contains("no host of the simulation has that name"),
                "{err}"
            );

            sim_core::crash("dead")?;
            let t0 = tokio::time::Instant::now();
            let err = web::get(&client, "http://dead/").await.unwrap_err();
            assert!(err.contains("timed out"), "{err}");
            assert_eq!(t0.elapsed(), web::REQUEST_DEADLINE);
            Ok(())
        });
        Net::install(sim);
    });
}

#[test]
fn hyper_utils_own_connector_is_reported_as_a_real_socket() {
    let e = failure(|sim| {
        sim.host("server", || async { std::future::pending().await });
        sim.client("client", async {
            // hyper-util's HttpConnector opens a tokio::net socket.
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<http_body_util::Empty<bytes::Bytes>>();
            let _ = client.get("http://10.0.0.1/".parse()?).await;
            Ok(())
        });
        Net::install(sim);
    });
    let ErrorKind::Unsupported { call, advice } = &e.kind else {
        panic!("expected an unsupported call, got {e}");
    };
    assert_eq!(call, "socket");
    assert!(advice.contains("sim_net"), "{advice}");
    assert_eq!(e.host.as_deref(), Some("client"));
    let text = e.to_string();
    assert!(
        text.contains("unsupported call `socket`") && text.contains("tokio::net"),
        "{text}"
    );
}

#[test]
fn a_tokio_listener_in_a_host_is_reported_as_a_real_socket() {
    let e = failure(|sim| {
        sim.host("api", || async {
            // What an unported server does: axum on a tokio listener.
            let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            axum::serve(listener, axum::Router::new()).await?;
            Ok(())
        });
        sim.client("client", async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        });
    });
    assert!(
        matches!(&e.kind, ErrorKind::Unsupported { call, advice } if call == "socket" && advice.contains("sim_net")),
        "{e}"
    );
    assert_eq!(e.host.as_deref(), Some("api"));
}

#[test]
fn the_guide_shows_the_compiled_examples() {
    let pairs = [
        (
            include_str!("../../docs/src/adapter-hyper.md"),
            include_str!("../../sim-net/examples/hyper_client.rs"),
            "adapter-hyper.md",
            "sim-net/examples/hyper_client.rs",
        ),
        (
            include_str!("../../docs/src/adapter-axum.md"),
            include_str!("../../sim-net/examples/axum_server.rs"),
            "adapter-axum.md",
            "sim-net/examples/axum_server.rs",
        ),
    ];
    for (chapter, example, chapter_name, example_name) in pairs {
        assert!(
            chapter.contains(example.trim()),
            "docs/src/{chapter_name} must contain {example_name} verbatim (it is also the \
             adapter's doctest); update one from the other"
        );
    }
}
