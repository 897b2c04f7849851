//! `bulk`: one TCP connection carries `--bytes` bytes over a link limited
//! to [`BANDWIDTH_BPS`], with a seed-drawn latency.
//!
//! It checks that the bandwidth model and TCP together move data exactly
//! as fast as the wire allows, no faster and no slower. From the moment
//! the sender calls `connect` to the moment the receiver reads the last
//! byte, the predicted time is
//!
//! ```text
//! handshake   SYN, SYN-ACK:            2 * (latency + tx(40 bytes))
//! then        the handshake's ACK:     tx(40 bytes)
//! then        every data segment:      tx(payload + 40 bytes), back to back
//! then        the last one crosses:    latency
//! ```
//!
//! where `tx(n) = n * 8 / bandwidth` and each segment carries at most 1460
//! payload bytes: size / bandwidth + latency, plus the headers and one
//! round trip for the handshake. The scenario asserts the measured time
//! is within [`tolerance`] of the prediction: one nanosecond per packet,
//! because the link rounds each packet's serialization time up to a whole
//! nanosecond while the prediction is computed exactly. This holds because
//! nothing else limits the sender: TCP in sim-net has no congestion
//! control by default (this scenario keeps the default), and the 64 KiB window takes longer to serialize than any round
//! trip drawn here (checked in the setup), so the link never idles.
//!
//! The receiver also checks every byte against the seeded [`Pattern`].

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use rand::Rng;
use sim_core::{Sim, SimTime};
use sim_net::{LinkConfig, Net, TcpConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::clocks::virtual_now;
use crate::params::{Param, Params};
use crate::pattern::Pattern;
use crate::registry::Scenario;
use crate::wire;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "bulk",
    description: "a large TCP transfer over a 10 Mbit/s link with seed-drawn latency; asserts its \
                  duration is size/bandwidth + headers + handshake + latency, to 1 ns per packet",
    params: &[Param::Bytes],
    in_all: true,
    setup,
    virtual_duration,
};

/// The link's bandwidth, both directions.
pub const BANDWIDTH_BPS: u64 = 10_000_000;
const SENDER: &str = "bulk-sender";
const RECEIVER: &str = "bulk-receiver";
const PORT: u16 = 9000;
/// Bounds of the one-way latency, in nanoseconds.
const LATENCY_NS: std::ops::RangeInclusive<u64> = 1_000..=15_000_000;
/// Bytes per `write_all` of the sender, and the sender's send buffer: whole
/// segments, and a receive window twice the send buffer, so that only the
/// send buffer limits what is in flight. sim-net has no Nagle delay and no
/// sender-side silly-window avoidance: it sends what a write puts in the
/// buffer, up to the window's edge, at once. A write of 16 KiB would end
/// in a short segment; so would a write that only partly fits the send
/// buffer, and every send up to a window edge that is not a whole number
/// of segments away (the window a receiver advertises shrinks by whatever
/// it has not read yet). Each short segment costs a header of its own
/// (32 us here). With these sizes every segment is full, which is what
/// the prediction counts, and the scenario checks that it is.
const WRITE: usize = 11 * wire::MSS as usize;
const SEND_BUFFER: usize = 44 * wire::MSS as usize;
const RECV_BUFFER: usize = 2 * SEND_BUFFER;

fn virtual_duration(params: &Params) -> Duration {
    predicted(params.bytes, Duration::from_nanos(*LATENCY_NS.end())) + Duration::from_secs(1)
}

/// The predicted transfer time (see the module docs), computed exactly and
/// rounded down to the nanosecond.
pub fn predicted(bytes: u64, latency: Duration) -> Duration {
    let control_packets = 3; // SYN, SYN-ACK, ACK
    let wire_bytes = wire::wire_bytes(bytes) + control_packets * wire::HEADER;
    let tx = u128::from(wire_bytes) * 8 * 1_000_000_000 / u128::from(BANDWIDTH_BPS);
    latency * 3 + Duration::from_nanos(tx as u64)
}

/// How far the measured time may be from [`predicted`]: 1 ns per packet of
/// the forward path (the link rounds each serialization time up).
pub fn tolerance(bytes: u64) -> Duration {
    Duration::from_nanos(wire::segments(bytes) + 3)
}

/// What the sender and the receiver share.
#[derive(Debug)]
struct Plan {
    bytes: u64,
    latency: Duration,
    pattern: Pattern,
    /// When the sender called `connect`.
    connect_at: Cell<Option<SimTime>>,
}

/// Adds the receiver (which checks), the sender and the limited link.
pub fn setup(sim: &mut Sim, params: &Params) {
    let mut rng = sim_core::rng();
    let latency = Duration::from_nanos(rng.random_range(LATENCY_NS));
    // The premise of the prediction: a full window takes longer to
    // serialize than a round trip, so ACKs return before the window closes.
    let tcp = TcpConfig {
        send_buffer: SEND_BUFFER,
        recv_buffer: RECV_BUFFER,
        ..TcpConfig::default()
    };
    let window = (tcp.recv_buffer.min(tcp.send_buffer)) as u64;
    let window_tx = Duration::from_nanos(wire::stream_tx_ns(window, BANDWIDTH_BPS));
    assert!(
        window_tx > latency * 2 + Duration::from_nanos(wire::tx_ns(wire::HEADER, BANDWIDTH_BPS)),
        "the window ({window} bytes, {window_tx:?} on the wire) would limit the transfer at latency {latency:?}"
    );
    let plan = Rc::new(Plan {
        bytes: params.bytes,
        latency,
        pattern: Pattern::new(rng.random()),
        connect_at: Cell::new(None),
    });
    let p = plan.clone();
    sim.host(SENDER, move || sender(p.clone()));
    sim.client(RECEIVER, receiver(plan));
    let link = LinkConfig::fixed(latency.as_nanos() as u64).with_bandwidth(BANDWIDTH_BPS, None);
    Net::builder().default_link(link).tcp(tcp).install(sim);
}

/// Connects and writes the whole pattern as fast as the connection takes it.
async fn sender(plan: Rc<Plan>) -> sim_core::Result {
    plan.connect_at.set(Some(virtual_now()));
    let mut stream = TcpStream::connect((RECEIVER, PORT)).await?;
    let mut chunk = vec![0u8; WRITE];
    let mut offset = 0u64;
    while offset < plan.bytes {
        let n = (plan.bytes - offset).min(WRITE as u64) as usize;
        plan.pattern.fill(offset, &mut chunk[..n]);
        stream.write_all(&chunk[..n]).await?;
        offset += n as u64;
    }
    stream.shutdown().await?;
    std::future::pending().await
}

/// Reads every byte, checks it, and compares the time of the last one with
/// the prediction.
async fn receiver(plan: Rc<Plan>) -> sim_core::Result {
    let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
    let (mut stream, _) = listener.accept().await?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = 0u64;
    let mut last_byte_at = virtual_now();
    while offset < plan.bytes {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(format!("EOF after {offset} of {} bytes", plan.bytes).into());
        }
        plan.pattern.check(offset, &buf[..n])?;
        offset += n as u64;
        last_byte_at = virtual_now();
    }
    // Taken at the last byte, before the FIN (if it travels alone) lands.
    let forward = sim_net::net()?.link_stats(SENDER, RECEIVER)?;
    if stream.read(&mut buf).await? != 0 {
        return Err(format!("more than the {} bytes sent arrived", plan.bytes).into());
    }
    let Some(connect_at) = plan.connect_at.get() else {
        return Err("the sender never connected".into());
    };
    let took = last_byte_at.saturating_since(connect_at);
    let expected = predicted(plan.bytes, plan.latency);
    let tolerance = tolerance(plan.bytes);
    let diff = took.abs_diff(expected);
    let packets = wire::segments(plan.bytes) + 2; // the SYN and the handshake's ACK
    if forward.packets_delivered != packets {
        return Err(format!(
            "{} bytes crossed in {} packets, expected {packets} (SYN, ACK and full segments): {forward:?}",
            plan.bytes, forward.packets_delivered
        )
        .into());
    }
    if diff > tolerance {
        return Err(format!(
            "{} bytes over {} bit/s with latency {:?} took {took:?}, predicted {expected:?} \
             (tolerance {tolerance:?}, off by {diff:?}); sender->receiver link: {forward:?}",
            plan.bytes, BANDWIDTH_BPS, plan.latency
        )
        .into());
    }
    sim_core::trace_note("bulk.took_ns", took.as_nanos() as u64);
    Ok(())
}
