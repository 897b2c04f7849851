//! `swizzle`: five nodes in a full mesh of TCP connections stream numbered,
//! timestamped messages to each other while a chaos client swizzle-clogs a
//! seed-drawn subset of them ([`sim_net::Swizzle`]): clogs them 100 ms
//! apart, holds them for a seed-drawn time, unclogs them in the reverse
//! order.
//!
//! It checks what clogging promises. Every direction of every connection
//! delivers every message exactly once and in order; a direction with a
//! clogged end stalled for at least the hold (its largest delay is that
//! long); a direction between two nodes the swizzle left alone never
//! waited longer than the link's latency; and once the swizzle is over,
//! every direction is back to the latency.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use rand::Rng;
use sim_core::{Sim, SimTime};
use sim_net::{LinkConfig, Net, Swizzle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::clocks::virtual_now;
use crate::params::Params;
use crate::registry::Scenario;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "swizzle",
    description: "five nodes stream to each other over a TCP mesh while a seed-drawn subset is \
                  swizzle-clogged; asserts every message arrives once, in order, stalled only \
                  where a clog held it",
    params: &[],
    in_all: true,
    setup,
    virtual_duration,
};

const NODES: [&str; 5] = ["n1", "n2", "n3", "n4", "n5"];
const CHAOS: &str = "chaos";
const PORT: u16 = 6000;
/// Each side of each connection writes a message this often...
const PACE: Duration = Duration::from_millis(20);
/// ...this many times (4 s of traffic).
const MESSAGES: u64 = 200;
/// Sequence number, send time in ns, sender's index.
const FRAME: usize = 24;
/// Half a millisecond off the grid of host timers, so no arrival shares an
/// instant with a write, a clog or an unclog.
const LATENCY: Duration = Duration::from_micros(5_500);
/// Between one clog and the next, and one unclog and the next.
const INTERVAL: Duration = Duration::from_millis(100);
/// When the swizzle starts, in ms (after the mesh is up).
const START_MS: std::ops::Range<u64> = 300..1000;
/// How long the clogged nodes are held after the last clog, in ms.
const HOLD_MS: std::ops::Range<u64> = 200..1500;
/// Traffic ends by this time, the swizzle too (its latest end is
/// 1000 + 400 + 1500 + 400 ms), and the checker looks then.
const CHECK_AT: Duration = Duration::from_millis(5_000);

fn virtual_duration(_: &Params) -> Duration {
    CHECK_AT
}

/// What one direction of one connection saw.
#[derive(Clone, Copy, Debug, Default)]
struct Direction {
    received: u64,
    max_delay: Duration,
    last_delay: Duration,
}

/// The swizzle's draws, and what every direction saw, keyed `(from, to)`.
#[derive(Debug, Default)]
struct Plan {
    start: Duration,
    hold_for: Duration,
    directions: RefCell<BTreeMap<(usize, usize), Direction>>,
    /// Anything a reader found wrong, reported by the checker.
    errors: RefCell<Vec<String>>,
}

/// Adds the mesh nodes, the chaos client (which checks), and the network.
pub fn setup(sim: &mut Sim, _: &Params) {
    let mut rng = sim_core::rng();
    let plan = Rc::new(Plan {
        start: Duration::from_millis(rng.random_range(START_MS)),
        hold_for: Duration::from_millis(rng.random_range(HOLD_MS)),
        ..Plan::default()
    });
    for (me, name) in NODES.iter().enumerate() {
        let plan = plan.clone();
        sim.host(*name, move || node(me, plan.clone()));
    }
    sim.client(CHAOS, chaos(plan));
    Net::builder()
        .default_link(LinkConfig::fixed(LATENCY.as_nanos() as u64))
        .install(sim);
}

/// Accepts from lower-numbered nodes, connects to higher-numbered ones,
/// and streams both ways on every connection.
async fn node(me: usize, plan: Rc<Plan>) -> sim_core::Result {
    let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
    // Accepting runs beside connecting, so that every stream is read from
    // the instant it arrives and a delay measures the network alone.
    let accepting = plan.clone();
    tokio::task::spawn_local(async move {
        for _ in 0..me {
            match listener.accept().await {
                Ok((stream, _)) => talk(me, stream, accepting.clone()),
                Err(e) => {
                    let error = format!("node {} could not accept: {e}", NODES[me]);
                    accepting.errors.borrow_mut().push(error);
                }
            }
        }
        std::future::pending::<()>().await;
    });
    // Every node has bound by now: each binds at its first step, at zero.
    tokio::time::sleep(Duration::from_millis(1)).await;
    for peer in &NODES[me + 1..] {
        let stream = TcpStream::connect((*peer, PORT)).await?;
        talk(me, stream, plan.clone());
    }
    std::future::pending().await
}

/// Streams [`MESSAGES`] frames out and checks the frames coming in.
fn talk(me: usize, stream: TcpStream, plan: Rc<Plan>) {
    if let Err(e) = stream.set_nodelay(true) {
        plan.errors.borrow_mut().push(format!("set_nodelay: {e}"));
    }
    let (mut reader, mut writer) = stream.into_split();
    tokio::task::spawn_local(async move {
        let mut interval = tokio::time::interval(PACE);
        let mut frame = [0u8; FRAME];
        for seq in 0..MESSAGES {
            interval.tick().await;
            frame[..8].copy_from_slice(&seq.to_le_bytes());
            frame[8..16].copy_from_slice(&virtual_now().as_nanos().to_le_bytes());
            frame[16..].copy_from_slice(&(me as u64).to_le_bytes());
            if writer.write_all(&frame).await.is_err() {
                break; // the reader reports the broken connection
            }
        }
        // Kept open (a close would end the peer's stream early at teardown).
        std::future::pending::<()>().await;
    });
    tokio::task::spawn_local(async move {
        let mut frame = [0u8; FRAME];
        let mut expected = 0u64;
        while expected < MESSAGES {
            if let Err(e) = reader.read_exact(&mut frame).await {
                let error = format!(
                    "node {} lost its stream after {expected} frames: {e}",
                    NODES[me]
                );
                plan.errors.borrow_mut().push(error);
                return;
            }
            let field = |i: usize| u64::from_le_bytes(frame[i * 8..i * 8 + 8].try_into().unwrap());
            let (seq, sent, from) = (field(0), field(1), field(2) as usize);
            if seq != expected || from >= NODES.len() {
                let error = format!(
                    "node {} got frame {seq} from {from}, expected {expected}",
                    NODES[me]
                );
                plan.errors.borrow_mut().push(error);
                return;
            }
            let delay = virtual_now().saturating_since(SimTime::from_nanos(sent));
            let mut directions = plan.directions.borrow_mut();
            let d = directions.entry((from, me)).or_default();
            d.received += 1;
            d.max_delay = d.max_delay.max(delay);
            d.last_delay = delay;
            expected += 1;
        }
    });
}

/// Runs the swizzle at the drawn time, then checks every direction.
async fn chaos(plan: Rc<Plan>) -> sim_core::Result {
    tokio::time::sleep(plan.start).await;
    let clogged = Swizzle::new(NODES)
        .interval(INTERVAL)
        .hold_for(plan.hold_for)
        .run()
        .await?;
    tokio::time::sleep(CHECK_AT.saturating_sub(virtual_now().as_duration())).await;

    if let Some(error) = plan.errors.borrow().first() {
        return Err(error.clone().into());
    }
    let is_clogged = |name: &str| clogged.iter().any(|c| c == name);
    let directions = plan.directions.borrow();
    for (from, from_name) in NODES.iter().enumerate() {
        for (to, to_name) in NODES.iter().enumerate().filter(|&(to, _)| to != from) {
            let d = directions.get(&(from, to)).copied().unwrap_or_default();
            let name = format!("{from_name} -> {to_name}");
            if d.received != MESSAGES {
                return Err(format!("{name}: {} of {MESSAGES} frames", d.received).into());
            }
            if is_clogged(from_name) || is_clogged(to_name) {
                // A frame written within one pace of the first clog of the
                // two ends waited at least until that end's unclog.
                if d.max_delay + PACE < plan.hold_for {
                    return Err(format!(
                        "{name} had a clogged end ({clogged:?}) but its longest delay was \
                         {:?}, under the hold of {:?}",
                        d.max_delay, plan.hold_for
                    )
                    .into());
                }
            } else if d.max_delay != LATENCY {
                return Err(format!(
                    "{name}: neither end was clogged ({clogged:?}), yet a frame took {:?}",
                    d.max_delay
                )
                .into());
            }
            if d.last_delay != LATENCY {
                return Err(format!(
                    "{name}: the last frame took {:?} after the swizzle ended",
                    d.last_delay
                )
                .into());
            }
        }
    }
    sim_core::trace_note("swizzle.clogged", clogged.len() as u64);
    sim_core::trace_note("swizzle.hold_ms", plan.hold_for.as_millis() as u64);
    Ok(())
}
