//! Packet capture: every packet handed to the network, and what became of
//! it, kept for the artifacts of a run (`packets.pcapng`, the journal).
//!
//! Off by default, and then each hook is one branch on an empty `Option`.
//! `Network::start_capture` turns it on: each packet then gets an id when
//! it is sent (`Network::capture_sent`), and each delivery or drop is noted
//! against that id (`Network::capture_fate`); those calls live in
//! `capture_hooks`, so that this data never reaches back to the network. The capture keeps the
//! last `limit` packets (it counts the ones it let go) and hands every event
//! to an optional observer as it happens, which is how the simulator writes
//! packets into its journal in the order they happened. Nothing here draws
//! a random number or changes what the network does.

use std::collections::VecDeque;
use std::fmt;

use super::ids::Time;
use super::node::Node;
use super::packet::Packet;
use super::stats::DropReason;

/// What became of a captured packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// It reached its destination node (a UDP duplicate arrives twice).
    Delivered,
    /// It was dropped, on the way or by the receiving node's stack.
    Dropped(DropReason),
}

/// One captured packet: a copy as it was sent, and its fates in order.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub id: u64,
    pub sent_at: Time,
    pub packet: Packet,
    pub fates: Vec<(Time, Fate)>,
}

/// What the observer is told.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Sent,
    Fate(Fate),
}

/// An event for the observer, with the packet (if still kept) and the
/// names of its nodes.
pub(crate) struct Observed<'a> {
    pub time: Time,
    pub id: u64,
    pub event: Event,
    pub packet: Option<&'a Packet>,
    pub from: &'a str,
    pub to: &'a str,
}

/// Called with every capture event as it happens.
pub(crate) type Observer = Box<dyn FnMut(&Observed<'_>)>;

/// The captured packets, oldest first, bounded.
pub(crate) struct Capture {
    limit: usize,
    packets: VecDeque<Captured>,
    next_id: u64,
    observer: Option<Observer>,
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capture")
            .field("limit", &self.limit)
            .field("kept", &self.packets.len())
            .field("sent", &self.sent())
            .finish_non_exhaustive()
    }
}

impl Capture {
    pub(crate) fn new(limit: usize, observer: Option<Observer>) -> Capture {
        Capture {
            limit,
            packets: VecDeque::new(),
            next_id: 1,
            observer,
        }
    }

    /// Packets captured in all, kept or not.
    pub(crate) fn sent(&self) -> u64 {
        self.next_id - 1
    }

    /// Packets let go to stay within the limit.
    pub(crate) fn evicted(&self) -> u64 {
        self.sent() - self.packets.len() as u64
    }

    /// The kept packets, oldest first.
    pub(crate) fn packets(&self) -> impl Iterator<Item = &Captured> {
        self.packets.iter()
    }

    /// The packet limit.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    fn index(&self, id: u64) -> Option<usize> {
        let first = self.packets.front()?.id;
        let i = usize::try_from(id.checked_sub(first)?).ok()?;
        (i < self.packets.len()).then_some(i)
    }

    // Cold and never inlined: with the capture off, the hooks in the
    // packet path stay one test of an `Option`.
    #[cold]
    #[inline(never)]
    pub(crate) fn sent_packet(&mut self, now: Time, packet: &mut Packet, nodes: &[Node]) {
        let id = self.next_id;
        self.next_id += 1;
        packet.id = id;
        if self.limit > 0 {
            if self.packets.len() >= self.limit {
                self.packets.pop_front();
            }
            self.packets.push_back(Captured {
                id,
                sent_at: now,
                packet: packet.clone(),
                fates: Vec::new(),
            });
        }
        self.observe(now, id, Event::Sent, Some(packet), nodes);
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn fate(&mut self, now: Time, id: u64, fate: Fate, nodes: &[Node]) {
        if id == 0 {
            return; // sent before the capture began
        }
        let i = self.index(id);
        if let Some(i) = i {
            self.packets[i].fates.push((now, fate));
        }
        if self.observer.is_some() {
            let packet = i.map(|i| self.packets[i].packet.clone());
            self.observe(now, id, Event::Fate(fate), packet.as_ref(), nodes);
        }
    }

    fn observe(
        &mut self,
        time: Time,
        id: u64,
        event: Event,
        packet: Option<&Packet>,
        nodes: &[Node],
    ) {
        let Some(observer) = &mut self.observer else {
            return;
        };
        let name = |n: Option<u32>| {
            n.and_then(|n| nodes.get(n as usize))
                .map_or("", |n| n.name.as_str())
        };
        observer(&Observed {
            time,
            id,
            event,
            packet,
            from: name(packet.map(|p| p.from_node.0)),
            to: name(packet.map(|p| p.to_node.0)),
        });
    }
}
