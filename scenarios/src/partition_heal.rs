//! `partition-heal`: a TCP stream of `--bytes` bytes, written at a steady
//! pace, is cut by a two-way partition at a seed-drawn instant and healed
//! at another.
//!
//! It checks what the design promises for a partition on an open
//! connection: the stream stalls (the receiver reads nothing from the
//! partition until the heal's data can have crossed the link), then resumes
//! by retransmission, and the receiver gets every byte exactly once, in
//! order (each byte is checked against the seeded [`Pattern`]). It also
//! checks that the partition really cut the stream mid-way (bytes arrived
//! before it, and after the heal) and that the stream resumed within a
//! bound the retransmission backoff implies.

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

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "partition-heal",
    description: "a paced TCP stream is partitioned and healed at seed-drawn times; asserts it \
                  stalls, then delivers every byte in order after the heal",
    params: &[Param::Bytes],
    in_all: true,
    setup,
    virtual_duration,
};

const SENDER: &str = "sender";
const RECEIVER: &str = "receiver";
const CHAOS: &str = "chaos";
const PORT: u16 = 5000;
/// The sender writes this much...
const CHUNK: usize = 1024;
/// ...this often, so the stream lasts `bytes / CHUNK` milliseconds.
const PACE: Duration = Duration::from_millis(1);
/// The one-way latency. Host timers (tokio's wheel) fire on whole
/// milliseconds, so writes, the partition and the heal do; a latency of a
/// whole number of milliseconds and a half puts every arrival half-way
/// between, so no arrival shares an instant with the cut or the heal and
/// the outcome does not depend on the tie-break.
const LATENCY: Duration = Duration::from_micros(5_500);
/// Bounds of the partition's length, in ms.
const PARTITION_MS: std::ops::RangeInclusive<u64> = 200..=8000;

/// The shortest stream the scenario can cut mid-way: one that lasts past
/// twice the earliest cut (see the setup).
pub const MIN_BYTES: u64 = 64 * 1024;

fn stream_time(params: &Params) -> Duration {
    let chunks = params.bytes.div_ceil(CHUNK as u64).max(1);
    PACE.saturating_mul(u32::try_from(chunks).unwrap_or(u32::MAX))
}

/// How long after the heal data may take to flow again, for a partition
/// of length `p`. The first segment lost was sent at some `t0` no earlier
/// than two latencies before the cut (it was in flight or sent after), and
/// retransmissions follow at `t0 + (2^k - 1) * rto`. If the last one inside
/// the partition was the `k`-th, `2^k * rto < heal - t0 + rto`, so the next
/// leaves less than `heal - t0 + rto <= p + 2 * LATENCY + rto` after the
/// heal, and arrives one latency later. `rto` is at most the 1 s initial
/// timeout here: the measured round trip (11 ms) gives the 200 ms floor.
fn resume_bound(partition: Duration) -> Duration {
    let rto = Duration::from_nanos(TcpConfig::default().rto_initial);
    partition + rto + LATENCY * 3
}

fn virtual_duration(params: &Params) -> Duration {
    let longest = Duration::from_millis(*PARTITION_MS.end());
    stream_time(params) + longest + resume_bound(longest) + LATENCY * 4
}

/// The partition's instants, drawn in the setup, and what the receiver saw.
#[derive(Debug)]
struct Plan {
    bytes: u64,
    pattern: Pattern,
    cut: SimTime,
    heal: SimTime,
    /// Bytes the receiver had read when the partition began.
    before_cut: Cell<u64>,
}

/// Adds the receiver (which checks), the sender, and the chaos client.
pub fn setup(sim: &mut Sim, params: &Params) {
    assert!(
        params.bytes >= MIN_BYTES,
        "partition-heal needs --bytes {MIN_BYTES} or more to cut a stream mid-way, got {}",
        params.bytes
    );
    let mut rng = sim_core::rng();
    let stream = stream_time(params);
    // Cut somewhere in the first half of the stream (so data is left to
    // stall), and after the handshake and some data.
    let earliest = LATENCY * 4;
    let latest = (stream / 2).max(earliest + PACE);
    let cut_ms = rng.random_range(earliest.as_millis() as u64..latest.as_millis() as u64);
    let cut = SimTime::ZERO + Duration::from_millis(cut_ms);
    let heal = cut + Duration::from_millis(rng.random_range(PARTITION_MS));
    let plan = Rc::new(Plan {
        bytes: params.bytes,
        pattern: Pattern::new(rng.random()),
        cut,
        heal,
        before_cut: Cell::new(0),
    });
    let p = plan.clone();
    sim.host(SENDER, move || sender(p.clone()));
    sim.client(RECEIVER, receiver(plan.clone()));
    sim.client(CHAOS, chaos(plan));
    Net::builder()
        .default_link(LinkConfig::fixed(LATENCY.as_nanos() as u64))
        .install(sim);
}

/// Cuts the two hosts apart, then heals them.
async fn chaos(plan: Rc<Plan>) -> sim_core::Result {
    let net = sim_net::net()?;
    sleep_until(plan.cut).await;
    net.partition(SENDER, RECEIVER)?;
    sleep_until(plan.heal).await;
    net.heal(SENDER, RECEIVER)?;
    Ok(())
}

/// Sleeps until virtual time `t`.
async fn sleep_until(t: SimTime) {
    tokio::time::sleep(t.saturating_since(virtual_now())).await;
}

/// Writes the pattern a chunk per [`PACE`]; `write_all` waits whenever the
/// partition has filled the send buffer.
async fn sender(plan: Rc<Plan>) -> sim_core::Result {
    let mut stream = TcpStream::connect((RECEIVER, PORT)).await?;
    let mut interval = tokio::time::interval(PACE);
    let mut chunk = vec![0u8; CHUNK];
    let mut offset = 0u64;
    while offset < plan.bytes {
        interval.tick().await;
        let n = (plan.bytes - offset).min(CHUNK as u64) as usize;
        plan.pattern.fill(offset, &mut chunk[..n]);
        stream.write_all(&chunk[..n]).await?;
        offset += n as u64;
    }
    stream.shutdown().await?;
    std::future::pending().await
}

/// Reads to EOF, checking every byte and when it arrived.
async fn receiver(plan: Rc<Plan>) -> sim_core::Result {
    let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
    let (mut stream, _) = listener.accept().await?;
    let earliest_after_heal = plan.heal + LATENCY;
    let mut buf = vec![0u8; 8192];
    let mut offset = 0u64;
    let mut first_after_heal = None;
    loop {
        let n = stream.read(&mut buf).await?;
        let now = virtual_now();
        if n == 0 {
            break;
        }
        if now <= plan.cut {
            plan.before_cut.set(offset + n as u64);
        } else if now < earliest_after_heal {
            return Err(format!(
                "read {n} bytes at stream offset {offset} at {now}, during the partition \
                 ({} to {}; nothing can arrive before {earliest_after_heal})",
                plan.cut, plan.heal
            )
            .into());
        } else {
            first_after_heal.get_or_insert(now);
        }
        plan.pattern.check(offset, &buf[..n])?;
        offset += n as u64;
    }
    if offset != plan.bytes {
        return Err(format!("EOF after {offset} bytes, expected {}", plan.bytes).into());
    }
    let before = plan.before_cut.get();
    if before == 0 || before >= plan.bytes {
        return Err(format!(
            "{before} of {} bytes arrived before the partition at {}: it did not cut the stream",
            plan.bytes, plan.cut
        )
        .into());
    }
    let Some(resumed) = first_after_heal else {
        return Err("no byte arrived after the heal".into());
    };
    let bound = resume_bound(plan.heal.saturating_since(plan.cut));
    if resumed.saturating_since(plan.heal) > bound {
        return Err(format!(
            "the stream resumed at {resumed}, more than {bound:?} after the heal at {}",
            plan.heal
        )
        .into());
    }
    sim_core::trace_note("partition-heal.before_cut", before);
    sim_core::trace_note("partition-heal.resumed_ns", resumed.as_nanos());
    Ok(())
}
