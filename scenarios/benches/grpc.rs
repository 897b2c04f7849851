//! Benchmark: sequential gRPC unary calls (tonic, the Pinger service of
//! `proto/pinger.proto`, 64-byte payloads) from one client to one server,
//! on our simulator and on turmoil 0.7.2 in the same process, counting
//! calls per wall second.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-grpc cargo bench -p scenarios --bench grpc
//! ```
//!
//! Both sides run the same service ([`PingService`]) and the same client
//! loop, which checks every reply. Ours runs tonic's default transport
//! unchanged (`Server::builder()...serve(addr)`, `Channel::connect`) on a
//! link of 1 us fixed latency (zero latency would put the whole run at one
//! virtual instant, which the scheduler reports as a livelock); turmoil
//! runs with zero latency and 1 ms ticks, its smallest useful setting, with
//! tonic over `turmoil::net` sockets (a newtype gives them tonic's
//! `Connected`, which turmoil does not implement). turmoil runs on the main
//! thread, which never runs a `sim_core::Sim`, so our clock interposition
//! forwards its clock reads to the real clock.
//!
//! `GRPC_CALLS=N` and `TURMOIL_GRPC_CALLS=N` change the counts
//! (`TURMOIL_GRPC_CALLS=0` runs ours alone, for a profile).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use scenarios::bench_env::env_count;
use scenarios::pinger::proto::pinger_client::PingerClient;
use scenarios::pinger::proto::pinger_server::PingerServer;
use scenarios::pinger::proto::PingRequest;
use scenarios::pinger::PingService;
use sim_core::{Builder, Harness};
use sim_net::{LinkConfig, Net};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::server::{Connected, TcpConnectInfo};
use tonic::transport::{Channel, Endpoint, Server, Uri};

const OUR_CALLS: u64 = 50_000;
const TURMOIL_CALLS: u64 = 5_000;
const PAYLOAD: usize = 64;
const LATENCY_NS: u64 = 1_000;
const PORT: u16 = 50051;

/// One measurement.
struct Rate {
    calls: u64,
    wall: Duration,
}

impl Rate {
    fn per_sec(&self) -> f64 {
        self.calls as f64 / self.wall.as_secs_f64()
    }

    fn print(&self, who: &str) {
        println!(
            "{who:8} {:>7} unary calls ({PAYLOAD} B payload): {:>8.3} s wall, {:>10.0} calls/wall s",
            self.calls,
            self.wall.as_secs_f64(),
            self.per_sec()
        );
    }
}

fn main() {
    let ours = ours(env_count("GRPC_CALLS", OUR_CALLS));
    ours.print("ours");
    let turmoil_calls = env_count("TURMOIL_GRPC_CALLS", TURMOIL_CALLS);
    if turmoil_calls == 0 {
        return; // ours alone, for a profile
    }
    let turmoil = turmoil(turmoil_calls);
    turmoil.print("turmoil");
    println!(
        "ratio (unary calls per wall s, ours / turmoil): {:.1}x",
        ours.per_sec() / turmoil.per_sec()
    );
}

/// The client loop, shared by both simulators: numbered calls, each reply
/// checked.
async fn calls(channel: Channel, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut client = PingerClient::new(channel);
    let payload = vec![7u8; PAYLOAD];
    for seq in 0..n {
        let request = PingRequest {
            seq,
            payload: payload.clone(),
        };
        let reply = client.ping(request).await?.into_inner();
        if reply.seq != seq || reply.payload != payload {
            return Err(format!("reply {seq} differs from its request").into());
        }
    }
    Ok(())
}

/// Our simulator, one seed on a fresh thread; the report's wall time covers
/// the run, not the setup.
fn ours(n: u64) -> Rate {
    let limit = Duration::from_nanos(LATENCY_NS * 8 * n) + Duration::from_secs(60);
    let reports = Harness::new()
        .ignore_env()
        .builder(Builder::new().time_limit(limit))
        .seeds([0])
        .run(move |sim| {
            sim.host("server", || async {
                Server::builder()
                    .add_service(PingerServer::new(PingService))
                    .serve(([0, 0, 0, 0], PORT).into())
                    .await?;
                Ok(())
            });
            sim.client("client", async move {
                let channel = Channel::from_shared(format!("http://server:{PORT}"))?
                    .connect()
                    .await?;
                calls(channel, n).await.map_err(|e| e.to_string())?;
                Ok(())
            });
            Net::builder()
                .default_link(LinkConfig::fixed(LATENCY_NS))
                .install(sim);
        });
    let report = &reports[0];
    println!(
        "ours: {} scheduler events ({:.2} per call), {:.0} ns wall per event",
        report.events,
        report.events as f64 / n as f64,
        report.wall.as_nanos() as f64 / report.events as f64
    );
    Rate {
        calls: n,
        wall: report.wall,
    }
}

/// turmoil, zero latency, on this (non-simulation) thread.
fn turmoil(n: u64) -> Rate {
    let mut sim = turmoil::Builder::new()
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::ZERO)
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_secs(n / 100 + 3600))
        .build();
    sim.host("server", || async {
        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
        Server::builder()
            .add_service(PingerServer::new(PingService))
            .serve_with_incoming(turmoil_incoming(listener))
            .await?;
        Ok(())
    });
    sim.client("client", async move {
        let connector = tower::service_fn(|uri: Uri| async move {
            let host = uri.host().unwrap_or_default().to_string();
            let port = uri.port_u16().unwrap_or(80);
            let stream = turmoil::net::TcpStream::connect((host.as_str(), port)).await?;
            Ok::<_, io::Error>(TokioIo::new(stream))
        });
        let channel = Endpoint::from_shared(format!("http://server:{PORT}"))?
            .connect_with_connector(connector)
            .await?;
        calls(channel, n).await.map_err(|e| e.to_string())?;
        Ok(())
    });
    let started = Instant::now();
    sim.run().expect("turmoil gRPC calls");
    Rate {
        calls: n,
        wall: started.elapsed(),
    }
}

/// turmoil's accepted connections as the stream tonic serves: an accept
/// loop on a task of the server host feeds a channel.
fn turmoil_incoming(
    listener: turmoil::net::TcpListener,
) -> tokio_stream::wrappers::ReceiverStream<io::Result<TurmoilIo>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = listener.accept().await.map(|(s, _)| TurmoilIo(s));
            if tx.send(accepted).await.is_err() {
                return;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// A turmoil stream with tonic's `Connected` (orphan rules keep us from
/// implementing it on turmoil's type directly).
struct TurmoilIo(turmoil::net::TcpStream);

impl Connected for TurmoilIo {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        TcpConnectInfo {
            local_addr: self.0.local_addr().ok(),
            remote_addr: self.0.peer_addr().ok(),
        }
    }
}

impl AsyncRead for TurmoilIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TurmoilIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
