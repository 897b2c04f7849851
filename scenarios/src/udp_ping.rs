//! `udp-ping`: a pinger sends `--messages` numbered UDP pings, one every
//! [`INTERVAL`], to an echo host across links that lose datagrams with a
//! seed-drawn probability per direction.
//!
//! It checks sim-net's UDP and its link counters together:
//!
//! - every answered ping comes back exactly one round trip (twice the
//!   seed-drawn one-way latency) after it left, carrying its own number;
//! - the link counters (`Net::link_stats`) account for every datagram: the
//!   pings lost are exactly the drops of the outbound link plus the drops
//!   of the return link, all of them for `Loss`, and the echo host answered
//!   exactly the pings the outbound link delivered;
//! - the number of answered pings is plausible for the drawn loss rates
//!   (within six standard deviations of the binomial mean; for a given
//!   seed the count is fixed, so this can only fail if the loss model is
//!   wrong, never at random).

use std::time::Duration;

use rand::Rng;
use sim_core::Sim;
use sim_net::model::DropReason;
use sim_net::{LinkConfig, Loss, Net};
use tokio::net::UdpSocket;

use crate::params::{Param, Params};
use crate::registry::Scenario;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "udp-ping",
    description:
        "UDP pings over lossy links (seed-drawn loss and latency); asserts exact RTTs and \
                  that lost pings match the links' drop counters",
    params: &[Param::Messages],
    in_all: true,
    setup,
    virtual_duration,
};

const ECHO: &str = "udp-echo";
const PINGER: &str = "pinger";
const PORT: u16 = 7;
/// Time between pings; longer than any round trip, so a reply that has not
/// come by the next ping never comes (the latency is fixed).
pub const INTERVAL: Duration = Duration::from_millis(100);
/// Bounds of the one-way latency, in nanoseconds.
const LATENCY_NS: std::ops::RangeInclusive<u64> = 50_000..=40_000_000;
/// Bounds of each direction's loss probability.
const LOSS: std::ops::Range<f64> = 0.02..0.3;
/// Payload of a ping: its number, then padding.
const PING_LEN: usize = 64;

fn virtual_duration(params: &Params) -> Duration {
    INTERVAL * (params.messages + 1)
}

/// What the setup draws.
#[derive(Clone, Copy, Debug)]
struct Plan {
    latency: Duration,
    loss_out: f64,
    loss_back: f64,
}

/// Adds the echo host, the pinger, and the two lossy link directions.
pub fn setup(sim: &mut Sim, params: &Params) {
    let mut rng = sim_core::rng();
    let plan = Plan {
        latency: Duration::from_nanos(rng.random_range(LATENCY_NS)),
        loss_out: rng.random_range(LOSS),
        loss_back: rng.random_range(LOSS),
    };
    sim.host(ECHO, echo);
    sim.client(PINGER, pinger(plan, params.messages));
    let net = Net::install(sim);
    let link = |p| LinkConfig::fixed(plan.latency.as_nanos() as u64).with_loss(Loss::Bernoulli(p));
    net.set_link(PINGER, ECHO, link(plan.loss_out))
        .expect("the hosts exist");
    net.set_link(ECHO, PINGER, link(plan.loss_back))
        .expect("the hosts exist");
}

/// Sends every datagram back where it came from.
async fn echo() -> sim_core::Result {
    let socket = UdpSocket::bind(("0.0.0.0", PORT)).await?;
    let mut buf = [0u8; 1500];
    loop {
        let (n, from) = socket.recv_from(&mut buf).await?;
        socket.send_to(&buf[..n], from).await?;
    }
}

/// Pings at a fixed pace, then checks the answers against the counters.
async fn pinger(plan: Plan, pings: u32) -> sim_core::Result {
    let socket = UdpSocket::bind("0.0.0.0:0").await?;
    socket.connect((ECHO, PORT)).await?;
    let round_trip = plan.latency * 2;
    let start = tokio::time::Instant::now();
    let mut answered = 0u64;
    let mut buf = [0u8; 1500];
    for k in 0..pings {
        let sent_at = start + INTERVAL * k;
        tokio::time::sleep_until(sent_at).await;
        let mut ping = [0u8; PING_LEN];
        ping[..4].copy_from_slice(&k.to_le_bytes());
        socket.send(&ping).await?;
        let reply = tokio::time::timeout_at(sent_at + INTERVAL, socket.recv(&mut buf)).await;
        let Ok(n) = reply else {
            continue; // lost on the way out or back; the counters say which
        };
        let n = n?;
        let took = sent_at.elapsed();
        if n != PING_LEN || buf[..4] != k.to_le_bytes() || buf[4..n].iter().any(|&b| b != 0) {
            return Err(format!("ping {k}: the reply is not ping {k}: {:?}", &buf[..n]).into());
        }
        if took != round_trip {
            return Err(format!(
                "ping {k} was answered after {took:?}, expected exactly {round_trip:?}"
            )
            .into());
        }
        answered += 1;
    }
    sim_core::trace_note("udp-ping.answered", answered);
    check_counters(&plan, u64::from(pings), answered)
}

/// The pings lost are exactly what the two link directions dropped.
fn check_counters(plan: &Plan, pings: u64, answered: u64) -> sim_core::Result {
    let net = sim_net::net()?;
    let out = net.link_stats(PINGER, ECHO)?;
    let back = net.link_stats(ECHO, PINGER)?;
    let facts =
        format!("{pings} pings, {answered} answered; outbound link {out:?}; return link {back:?}");
    let fail = |what: &str| Err(format!("{what}: {facts}").into());
    if out.packets_sent != pings {
        return fail("the outbound link did not carry exactly one datagram per ping");
    }
    for (name, link) in [("outbound", &out), ("return", &back)] {
        let lost = link.dropped.get(DropReason::Loss);
        if link.dropped.total() != lost {
            return fail(&format!(
                "the {name} link dropped datagrams for another reason than loss"
            ));
        }
        if link.packets_sent - lost != link.packets_delivered {
            return fail(&format!(
                "the {name} link's sent, lost and delivered counts disagree"
            ));
        }
    }
    if back.packets_sent != out.packets_delivered {
        return fail("the echo host did not answer exactly the pings that reached it");
    }
    if back.packets_delivered != answered {
        return fail("the pinger did not see exactly the replies the return link delivered");
    }
    let lost = pings - answered;
    let dropped = out.dropped.get(DropReason::Loss) + back.dropped.get(DropReason::Loss);
    if lost != dropped {
        return fail(&format!(
            "{lost} pings went unanswered but the links dropped {dropped} datagrams"
        ));
    }
    // Each ping is answered with probability q; the count is binomial.
    let q = (1.0 - plan.loss_out) * (1.0 - plan.loss_back);
    let mean = pings as f64 * q;
    let sd = (pings as f64 * q * (1.0 - q)).sqrt();
    if (answered as f64 - mean).abs() > 6.0 * sd + 1.0 {
        return fail(&format!(
            "with loss {:.3} out and {:.3} back, {mean:.1} +- {sd:.1} answers were expected",
            plan.loss_out, plan.loss_back
        ));
    }
    Ok(())
}
