//! One direction of a link between two nodes: latency, jitter, bandwidth with a FIFO
//! transmit queue, loss, and (UDP only) duplication and corruption.
//!
//! Each direction owns its random stream, named after the two node names, so its
//! draws do not depend on any other link or on the order links were first used.
//!
//! Ordering: every packet draws its own latency, so UDP datagrams may overtake each
//! other. TCP segments of one direction never overtake each other (a segment arrives
//! no earlier than the previous TCP segment on the link) unless
//! [`LinkConfig::tcp_reordering`] is set: real paths rarely reorder, and a model
//! that did so on every latency draw would make TCP look far worse than it is.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha20Rng;

use super::ids::{Time, SECS};
use super::latency::Latency;
use super::loss::{chance, Loss, LossState};
use super::packet::{Body, Packet};
use super::stats::{DropReason, LinkStats};

/// Settings of one link direction.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// One-way delay distribution.
    pub latency: Latency,
    /// Extra uniform delay in `0..=jitter` nanoseconds per packet.
    pub jitter: Time,
    /// Bandwidth in bits per second; 0 = unlimited (no serialization delay).
    pub bandwidth_bps: u64,
    /// Byte limit of the transmit queue (tail drop beyond it); `None` = unbounded.
    /// Only meaningful with a bandwidth limit, since otherwise nothing queues.
    pub queue_limit_bytes: Option<u64>,
    /// Loss model.
    pub loss: Loss,
    /// Probability that a UDP datagram is delivered twice.
    pub duplicate: f64,
    /// Probability that a UDP datagram arrives with one bit flipped (as if the
    /// checksum missed it: for testing application-level integrity checks).
    pub corrupt: f64,
    /// Let TCP segments overtake each other through latency draws.
    pub tcp_reordering: bool,
}

impl Default for LinkConfig {
    /// 1 ms fixed latency, no jitter, unlimited bandwidth, no loss.
    fn default() -> Self {
        LinkConfig::fixed(super::ids::MILLIS)
    }
}

impl LinkConfig {
    /// A perfect link with a fixed one-way `latency`.
    pub fn fixed(latency: Time) -> Self {
        LinkConfig {
            latency: Latency::Fixed(latency),
            jitter: 0,
            bandwidth_bps: 0,
            queue_limit_bytes: None,
            loss: Loss::None,
            duplicate: 0.0,
            corrupt: 0.0,
            tcp_reordering: false,
        }
    }

    /// Same link with another latency distribution.
    pub fn with_latency(mut self, latency: Latency) -> Self {
        self.latency = latency;
        self
    }

    /// Same link with jitter.
    pub fn with_jitter(mut self, jitter: Time) -> Self {
        self.jitter = jitter;
        self
    }

    /// Same link with a bandwidth limit and an optional queue limit.
    pub fn with_bandwidth(mut self, bits_per_sec: u64, queue_limit_bytes: Option<u64>) -> Self {
        self.bandwidth_bps = bits_per_sec;
        self.queue_limit_bytes = queue_limit_bytes;
        self
    }

    /// Same link with a loss model.
    pub fn with_loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }

    /// Same link with UDP duplication and corruption probabilities.
    pub fn with_udp_faults(mut self, duplicate: f64, corrupt: f64) -> Self {
        self.duplicate = duplicate;
        self.corrupt = corrupt;
        self
    }

    /// Same link with TCP reordering allowed or not.
    pub fn with_tcp_reordering(mut self, on: bool) -> Self {
        self.tcp_reordering = on;
        self
    }
}

/// Serialization time of `bytes` at `bps` bits per second, rounded up.
pub(crate) fn tx_time(bytes: usize, bps: u64) -> Time {
    if bps == 0 {
        return 0;
    }
    let bits = bytes as u128 * 8 * u128::from(SECS);
    bits.div_ceil(u128::from(bps)) as Time
}

/// The state of one link direction.
#[derive(Debug)]
pub(crate) struct Link {
    rng: ChaCha20Rng,
    loss: LossState,
    /// When the transmitter finishes the last queued packet.
    busy_until: Time,
    /// (finish time, bytes) of packets still in the transmit queue.
    in_queue: VecDeque<(Time, u64)>,
    /// Arrival time of the last TCP segment, to keep TCP in order.
    last_tcp_arrival: Time,
    /// Packets held by `hold`, in send order.
    pub held: VecDeque<Packet>,
    pub stats: LinkStats,
}

impl Link {
    pub(crate) fn new(seed: u64, from: &str, to: &str) -> Self {
        Link {
            rng: sim_core::rng::stream(seed, &format!("link:{from}->{to}")),
            loss: LossState::default(),
            busy_until: 0,
            in_queue: VecDeque::new(),
            last_tcp_arrival: 0,
            held: VecDeque::new(),
            stats: LinkStats::default(),
        }
    }

    /// Bytes waiting in (or being serialized by) the transmit queue at `now`.
    pub(crate) fn queued_bytes(&mut self, now: Time) -> u64 {
        while self.in_queue.front().is_some_and(|&(f, _)| f <= now) {
            self.in_queue.pop_front();
        }
        self.in_queue.iter().map(|&(_, b)| b).sum()
    }

    /// Sends `packet` at `now`: pushes its arrival(s) onto `out`, or says why it
    /// was dropped. Counts everything in `stats` except deliveries.
    #[cfg(test)]
    pub(crate) fn transmit(
        &mut self,
        cfg: &LinkConfig,
        now: Time,
        packet: Packet,
        out: &mut Vec<(Time, Packet)>,
    ) -> Result<(), DropReason> {
        self.transmit_to(cfg, now, packet, |at, p| out.push((at, p)))
    }

    /// Like [`transmit`](Self::transmit), handing each arrival to `out` in
    /// order (the network queues them without a scratch buffer).
    pub(crate) fn transmit_to(
        &mut self,
        cfg: &LinkConfig,
        now: Time,
        packet: Packet,
        mut out: impl FnMut(Time, Packet),
    ) -> Result<(), DropReason> {
        let size = packet.wire_size();
        self.stats.packets_sent += 1;
        self.stats.bytes_sent += size as u64;
        if self.loss.lose(&cfg.loss, &mut self.rng) {
            self.stats.dropped.add(DropReason::Loss);
            return Err(DropReason::Loss);
        }
        let mut sent_at = now;
        if cfg.bandwidth_bps > 0 {
            let queued = self.queued_bytes(now);
            if let Some(limit) = cfg.queue_limit_bytes {
                if queued + size as u64 > limit {
                    self.stats.dropped.add(DropReason::QueueFull);
                    return Err(DropReason::QueueFull);
                }
            }
            let start = self.busy_until.max(now);
            sent_at = start + tx_time(size, cfg.bandwidth_bps);
            self.busy_until = sent_at;
            self.in_queue.push_back((sent_at, size as u64));
        }
        let udp = !packet.is_tcp();
        let copies = if udp && chance(&mut self.rng, cfg.duplicate) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        // The last copy is the packet itself, moved rather than cloned.
        let mut packet = Some(packet);
        for i in 0..copies {
            let mut arrival = sent_at.saturating_add(cfg.latency.sample(&mut self.rng));
            if cfg.jitter > 0 {
                arrival = arrival.saturating_add(self.rng.random_range(0..=cfg.jitter));
            }
            if !udp && !cfg.tcp_reordering {
                arrival = arrival.max(self.last_tcp_arrival);
                self.last_tcp_arrival = arrival;
            }
            let mut copy = if i + 1 == copies {
                packet.take()
            } else {
                packet.clone()
            }
            .expect("the packet is taken by its last copy only");
            if let Body::Udp(data) = &mut copy.body {
                if !data.is_empty() && chance(&mut self.rng, cfg.corrupt) {
                    let byte = self.rng.random_range(0..data.len());
                    let bit = self.rng.random_range(0..8u32);
                    data[byte] ^= 1 << bit;
                    self.stats.corrupted += 1;
                }
            }
            out(arrival, copy);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::{NodeId, MILLIS};
    use crate::model::packet::{Route, Segment};
    use std::net::SocketAddr;

    fn udp(len: usize) -> Packet {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        Packet {
            id: 0,
            from_node: NodeId(0),
            to_node: NodeId(1),
            src: a,
            dst: a,
            body: Body::Udp(vec![0; len]),
            route: Route::Link,
        }
    }

    fn tcp() -> Packet {
        let mut p = udp(0);
        p.body = Body::Tcp(Segment {
            seq: 0,
            ack: 0,
            syn: false,
            has_ack: true,
            fin: false,
            rst: false,
            window: 0,
            data: vec![0; 100],
        });
        p
    }

    #[test]
    fn serialization_queues_fifo() {
        // 1000 wire bytes at 8 Mbit/s = 1 ms each.
        let cfg = LinkConfig::fixed(5 * MILLIS).with_bandwidth(8_000_000, Some(3000));
        let mut link = Link::new(1, "a", "b");
        let mut out = Vec::new();
        for _ in 0..3 {
            link.transmit(&cfg, 0, udp(1000 - 28), &mut out).unwrap();
        }
        let times: Vec<Time> = out.iter().map(|(t, _)| *t).collect();
        assert_eq!(times, vec![6 * MILLIS, 7 * MILLIS, 8 * MILLIS]);
        // 3000 bytes queued: a fourth is tail-dropped.
        assert_eq!(
            link.transmit(&cfg, 0, udp(1000 - 28), &mut out),
            Err(DropReason::QueueFull)
        );
        assert_eq!(link.stats.dropped.get(DropReason::QueueFull), 1);
        // At 1 ms the first left the queue: room again, sent after the third.
        link.transmit(&cfg, MILLIS, udp(972), &mut out).unwrap();
        assert_eq!(out.last().map(|(t, _)| *t), Some(9 * MILLIS));
    }

    #[test]
    fn tcp_does_not_overtake_but_udp_may() {
        let cfg = LinkConfig::fixed(0).with_latency(Latency::Uniform {
            min: 0,
            max: 10 * MILLIS,
        });
        let mut link = Link::new(2, "a", "b");
        let mut out = Vec::new();
        for i in 0..200 {
            link.transmit(&cfg, i, tcp(), &mut out).unwrap();
        }
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0));
        let mut out = Vec::new();
        for i in 0..200 {
            link.transmit(&cfg, i, udp(10), &mut out).unwrap();
        }
        assert!(out.windows(2).any(|w| w[0].0 > w[1].0));
    }

    #[test]
    fn udp_duplicate_and_corrupt() {
        let cfg = LinkConfig::fixed(MILLIS).with_udp_faults(1.0, 1.0);
        let mut link = Link::new(3, "a", "b");
        let mut out = Vec::new();
        link.transmit(&cfg, 0, udp(4), &mut out).unwrap();
        assert_eq!(out.len(), 2);
        for (_, p) in &out {
            match &p.body {
                Body::Udp(d) => assert_eq!(d.iter().map(|b| b.count_ones()).sum::<u32>(), 1),
                Body::Tcp(_) | Body::PortUnreachable { .. } => unreachable!(),
            }
        }
        // TCP is never duplicated nor corrupted.
        let mut out = Vec::new();
        link.transmit(&cfg, 0, tcp(), &mut out).unwrap();
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn tx_time_rounds_up() {
        assert_eq!(tx_time(1, 3), (8 * SECS).div_ceil(3));
        assert_eq!(tx_time(1000, 0), 0);
    }
}
