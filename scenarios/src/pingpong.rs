//! `pingpong`: two hosts on 1 µs links exchange `--messages` 64-byte pings
//! and pongs over one TCP connection, the workload of the `pingpong`
//! benchmark, here with exact-timing checks and built without the bench's
//! turmoil dependencies (whose tokio `test-util` clock slows every runtime).
//!
//! Every round trip takes exactly two link latencies, and the connection
//! carries exactly one segment each way per round trip: the pong carries the
//! ACK of the ping and the next ping the ACK of the pong, since each is
//! written at the instant the other arrives.
//!
//! For a throughput figure: `cargo run --release -p scenarios -- run pingpong
//! --messages 500000` and divide 2 x 500,000 by the wall time it reports.

use std::time::Duration;

use sim_core::Sim;
use sim_net::{LinkConfig, Net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::params::{Param, Params};
use crate::registry::Scenario;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "pingpong",
    description: "64-byte TCP ping-pong between two hosts on 1 us links (the benchmark's \
                  workload); asserts every round trip takes exactly 2 us and one segment each way",
    params: &[Param::Messages],
    in_all: true,
    setup,
    virtual_duration,
};

const PONG: &str = "pong";
const PING: &str = "ping";
const PORT: u16 = 7000;
const MESSAGE: usize = 64;
const LATENCY: Duration = Duration::from_micros(1);

fn virtual_duration(params: &Params) -> Duration {
    // The handshake, then one round trip per message.
    LATENCY * 2 * (params.messages + 1)
}

/// Adds the two hosts and the network.
pub fn setup(sim: &mut Sim, params: &Params) {
    sim.host(PONG, pong);
    sim.client(PING, ping(params.messages));
    Net::builder()
        .default_link(LinkConfig::fixed(LATENCY.as_nanos() as u64))
        .install(sim);
}

/// Echoes fixed-size messages until EOF.
async fn pong() -> sim_core::Result {
    let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
    let (mut stream, _) = listener.accept().await?;
    let mut buf = [0u8; MESSAGE];
    loop {
        match stream.read_exact(&mut buf).await {
            Ok(_) => stream.write_all(&buf).await?,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Sends numbered pings, checks each pong and its round trip, then the
/// packet count.
async fn ping(round_trips: u32) -> sim_core::Result {
    let mut stream = TcpStream::connect((PONG, PORT)).await?;
    let net = sim_net::net()?;
    let packets = || -> std::io::Result<u64> {
        Ok(net.link_stats(PING, PONG)?.packets_delivered
            + net.link_stats(PONG, PING)?.packets_delivered)
    };
    let before = packets()?;
    let mut out = [0u8; MESSAGE];
    let mut back = [0u8; MESSAGE];
    for i in 0..round_trips {
        out[..4].copy_from_slice(&i.to_le_bytes());
        let sent_at = tokio::time::Instant::now();
        stream.write_all(&out).await?;
        stream.read_exact(&mut back).await?;
        if back != out {
            return Err(format!("pong {i} differs from its ping").into());
        }
        let took = sent_at.elapsed();
        if took != LATENCY * 2 {
            return Err(format!("round trip {i} took {took:?}, expected {:?}", LATENCY * 2).into());
        }
    }
    // One each way per round trip, plus the handshake's last ACK, which was
    // still in flight when `connect` returned.
    let segments = packets()? - before;
    if segments != 2 * u64::from(round_trips) + 1 {
        return Err(format!(
            "{round_trips} round trips took {segments} packets, expected one each way per round \
             trip (each ACK riding on the next message) and the handshake's last ACK"
        )
        .into());
    }
    Ok(())
}
