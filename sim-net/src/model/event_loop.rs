//! The event loop: when the next thing happens inside the network, running
//! everything due up to a given time (packets before timers at the same
//! instant), firing TCP timers, and the readiness notifications the driver
//! drains after each call.

use super::ids::{SocketId, Time};
use super::network::Network;
use super::notify::{Notification, Readiness};
use super::socket::SocketKind;

impl Network {
    /// The earliest instant at which something happens inside the network (a packet
    /// arrives, a TCP timer fires, or held-back ACKs must leave), if anything
    /// is pending. Calling [`advance`](Self::advance) with it runs it.
    pub fn next_deadline(&self) -> Option<Time> {
        match (self.next_event(), self.acks_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Like [`next_deadline`](Self::next_deadline), ignoring held-back ACKs:
    /// for a driver that sends those through [`flush_acks`](Self::flush_acks).
    pub fn next_event(&self) -> Option<Time> {
        let p = self.in_flight.next_time();
        let t = self.timers.peek().map(|(t, _)| t);
        match (p, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes everything due at or before `now`, in time order (packets before
    /// timers at the same instant, so an ACK arriving exactly at an RTO prevents the
    /// retransmission), then sends the acknowledgements held back (see
    /// [`flush_acks`](Self::flush_acks)). Each event runs at its own time, not
    /// at `now`.
    pub fn advance(&mut self, now: Time) {
        self.deliver_due(now);
        self.flush_acks();
    }

    /// Like [`advance`](Self::advance), but keeps the pure ACKs owed at `now`
    /// for [`flush_acks`](Self::flush_acks), so that data the application
    /// writes at `now` can carry them. A driver that lets applications run
    /// between the two calls (the simulator's scheduler does) sends fewer
    /// packets with the same timing.
    pub fn deliver_due(&mut self, now: Time) {
        self.run_until(now, true);
        self.now = self.now.max(now);
    }

    /// Runs events strictly before `now` and moves the clock: called by every
    /// operation, so the model stays causal even if the caller skipped `advance`;
    /// events exactly at `now` are left for the scheduler to order.
    pub(crate) fn touch(&mut self, now: Time) {
        self.run_until(now, false);
        self.now = self.now.max(now);
    }

    fn run_until(&mut self, now: Time, inclusive: bool) {
        let due = |t: Time| if inclusive { t <= now } else { t < now };
        loop {
            let p = self.in_flight.next_time().filter(|&t| due(t));
            let t = self.timers.peek().filter(|&(t, _)| due(t));
            let next = match (p, t) {
                (Some(pt), Some((tt, _))) => pt.min(tt),
                (Some(pt), None) => pt,
                (None, Some((tt, _))) => tt,
                (None, None) => now,
            };
            if !self.deferred_acks.due.is_empty() && self.deferred_acks.at < next {
                // Time moves on: what an earlier instant owed leaves first.
                self.flush_acks();
                continue;
            }
            match (p, t) {
                (Some(pt), Some((tt, _))) if pt <= tt => self.deliver_next(pt),
                (Some(pt), None) => self.deliver_next(pt),
                (_, Some((tt, id))) => self.fire_timer(tt, id),
                (None, None) => break,
            }
        }
    }

    fn deliver_next(&mut self, t: Time) {
        if let Some((at, packet)) = self.in_flight.pop_due(t) {
            self.deliver(at, packet);
        }
    }

    /// Fires the first timer, `(t, id)`.
    fn fire_timer(&mut self, t: Time, id: SocketId) {
        let first = self.timers.pop();
        debug_assert_eq!(first, Some((t, id)));
        if let Some(entry) = self.sockets.get_mut(&id) {
            // Cleared before the connection re-arms, so that an equal stale
            // copy in the index cannot fire it twice.
            self.timers.set(id, &mut entry.timer, None);
            if let SocketKind::Stream(conn) = &mut entry.kind {
                conn.on_timer(t);
            }
            self.flush_conn(t, id);
        }
        self.settle_timers();
    }

    /// Drops stale entries from the timer index (see [`TimerIndex::settle`]):
    /// after every change to a socket's timer, before anything reads it.
    #[inline]
    pub(crate) fn settle_timers(&mut self) {
        let sockets = &self.sockets;
        self.timers
            .settle(|t, id| sockets.get(&id).is_some_and(|e| e.timer == Some(t)));
    }

    /// Moves the readiness changes since the last call, in the order they
    /// happened, to the end of `out` (a driver that drains after every
    /// operation reuses one buffer).
    pub fn drain_notifications_into(&mut self, out: &mut Vec<Notification>) {
        self.notifier.drain_into(out);
    }

    /// Whether readiness changes are waiting to be taken.
    pub fn has_notifications(&self) -> bool {
        !self.notifier.is_empty()
    }

    pub(crate) fn notify(&mut self, socket: SocketId, readiness: Readiness) {
        if let Some(e) = self.sockets.get(&socket) {
            self.notifier.push(e.node, socket, readiness);
        }
    }
}
