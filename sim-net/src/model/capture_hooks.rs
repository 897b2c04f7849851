//! The network's calls into its packet capture (see `capture`): one call
//! per place a packet is sent, delivered or dropped, each a single test of
//! an `Option` while nothing records.

use super::capture::{Capture, Fate, Observer};
use super::ids::Time;
use super::network::Network;
use super::packet::Packet;

impl Network {
    /// Starts capturing packets, keeping the last `limit`; `observer` (if
    /// any) sees every event as it happens. A second call replaces the
    /// capture.
    pub(crate) fn start_capture(&mut self, limit: usize, observer: Option<Observer>) {
        self.capture = Some(Box::new(Capture::new(limit, observer)));
    }

    /// The capture, if on.
    pub(crate) fn capture(&self) -> Option<&Capture> {
        self.capture.as_deref()
    }

    /// A packet is handed to the network at `now`: with capture on, it gets
    /// its id and is kept.
    #[inline]
    pub(crate) fn capture_sent(&mut self, now: Time, packet: &mut Packet) {
        if let Some(c) = self.capture.as_deref_mut() {
            c.sent_packet(now, packet, &self.nodes);
        }
    }

    /// Packet `id` (0: sent before capture began) was delivered or dropped
    /// at `now`.
    #[inline]
    pub(crate) fn capture_fate(&mut self, now: Time, id: u64, fate: Fate) {
        if let Some(c) = self.capture.as_deref_mut() {
            c.fate(now, id, fate, &self.nodes);
        }
    }
}
