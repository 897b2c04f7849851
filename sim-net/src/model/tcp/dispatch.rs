//! Segments out of a connection: [`Network::flush_conn`] sends what a
//! connection produced, turns its events into notifications and re-indexes
//! its timer; pure ACKs owed at an instant are coalesced and sent at the end
//! of it ([`Network::flush_acks`]). Segments in go through
//! [`Network::conn_segment`].

use super::conn::ConnEvent;
use crate::model::ids::{SocketId, Time};
use crate::model::network::Network;
use crate::model::notify::Readiness;
use crate::model::packet::{Body, Packet, Segment};
use crate::model::socket::SocketKind;

impl Network {
    /// The instant whose pure ACKs are held back, if any: the driver calls
    /// [`flush_acks`](Self::flush_acks) once nothing else will happen then.
    pub fn acks_due(&self) -> Option<Time> {
        (!self.deferred_acks.due.is_empty()).then_some(self.deferred_acks.at)
    }

    /// Sends every pure ACK still owed, timed at the instant it became owed.
    ///
    /// A connection that receives data owes an acknowledgement at once (this
    /// model has no delayed ACK). Rather than sending a segment of its own, it
    /// waits until the end of the instant: a segment it sends before then
    /// (typically the application's reply) carries the acknowledgement, and
    /// only the connections still owing one send a pure ACK here. Either way
    /// the acknowledgement leaves at the same virtual instant. Any operation
    /// at a later instant flushes first, so the model stays causal whatever
    /// the driver does.
    pub fn flush_acks(&mut self) {
        if self.deferred_acks.due.is_empty() {
            return;
        }
        let at = self.deferred_acks.at;
        let mut due = std::mem::take(&mut self.deferred_acks.due);
        for id in due.drain(..) {
            let sent = match self.sockets.get_mut(&id).map(|e| &mut e.kind) {
                Some(SocketKind::Stream(conn)) => conn.send_deferred_ack(),
                _ => false,
            };
            if sent {
                self.flush_conn(at, id);
            }
        }
        if self.deferred_acks.due.is_empty() {
            // Given back, emptied, so the next instant does not allocate.
            self.deferred_acks.due = due;
        }
    }

    /// Hands a segment to a connection and flushes what it produced.
    pub(crate) fn conn_segment(&mut self, now: Time, id: SocketId, seg: Segment) {
        let Some(entry) = self.sockets.get_mut(&id) else {
            return;
        };
        if let SocketKind::Stream(conn) = &mut entry.kind {
            entry.stats.packets_received += 1;
            conn.on_segment(now, seg);
        }
        self.flush_conn(now, id);
    }

    /// Re-indexes the timer of a socket after its deadlines changed.
    pub(crate) fn sync_timer(&mut self, id: SocketId) {
        let Some(entry) = self.sockets.get_mut(&id) else {
            return;
        };
        let next = match &entry.kind {
            SocketKind::Stream(c) => c.next_timer(),
            _ => None,
        };
        self.timers.set(id, &mut entry.timer, next);
        self.settle_timers();
    }

    /// Sends the segments a connection produced, turns its events into
    /// notifications, and re-indexes its timer.
    pub(crate) fn flush_conn(&mut self, now: Time, id: SocketId) {
        let Some(entry) = self.sockets.get_mut(&id) else {
            return;
        };
        let node = entry.node;
        let SocketKind::Stream(conn) = &mut entry.kind else {
            return;
        };
        if conn.out.is_empty() && conn.events.is_empty() && conn.ack_pending == conn.ack_listed {
            // Nothing to send or to tell (a read that found nothing, say):
            // only the timer may have moved.
            let next = conn.next_timer();
            self.timers.set(id, &mut entry.timer, next);
            self.settle_timers();
            return;
        }
        // Taken out to release the borrow of `self.sockets`, and given back
        // (emptied, capacity kept) below so the next flush does not allocate.
        let mut segments = std::mem::take(&mut conn.out);
        let mut events = std::mem::take(&mut conn.events);
        let (local, remote, route, peer_node, parent) = (
            conn.local,
            conn.remote,
            conn.route,
            conn.peer_node,
            conn.parent,
        );
        entry.stats.packets_sent += segments.len() as u64;
        match (conn.ack_pending, conn.ack_listed) {
            (true, false) => {
                conn.ack_listed = true;
                if self.deferred_acks.due.is_empty() {
                    self.deferred_acks.at = now;
                }
                self.deferred_acks.due.push(id);
            }
            (false, true) => {
                // A segment just sent carried the ACK. The list holds the
                // connections of one instant, so it is short.
                conn.ack_listed = false;
                self.deferred_acks.due.retain(|&other| other != id);
            }
            _ => {}
        }
        for seg in segments.drain(..) {
            self.send_packet(
                now,
                Packet {
                    id: 0,
                    from_node: node,
                    to_node: peer_node,
                    src: local,
                    dst: remote,
                    body: Body::Tcp(seg),
                    route,
                },
            );
        }
        let mut remove = false;
        for ev in events.drain(..) {
            match ev {
                ConnEvent::Readable => self.notifier.push(node, id, Readiness::Readable),
                ConnEvent::Writable => self.notifier.push(node, id, Readiness::Writable),
                ConnEvent::Closed => self.notifier.push(node, id, Readiness::Closed),
                ConnEvent::Established => {
                    if let Some(p) = parent {
                        if let Some(SocketKind::Listener(l)) =
                            self.sockets.get_mut(&p).map(|e| &mut e.kind)
                        {
                            l.established(id);
                            self.notifier.push(node, p, Readiness::Acceptable);
                        }
                    }
                }
                ConnEvent::Remove => remove = true,
            }
        }
        if remove {
            self.remove_socket(id);
        } else if let Some(entry) = self.sockets.get_mut(&id) {
            // One lookup gives the buffers back and re-indexes the timer.
            let next = match &mut entry.kind {
                SocketKind::Stream(conn) => {
                    if conn.out.is_empty() && conn.events.is_empty() {
                        let unused = std::mem::replace(&mut conn.out, segments);
                        if unused.capacity() == 0 {
                            // Nothing to free: skip the out-of-line drop.
                            std::mem::forget(unused);
                        }
                        conn.events = events;
                    }
                    conn.next_timer()
                }
                _ => None,
            };
            self.timers.set(id, &mut entry.timer, next);
            self.settle_timers();
        }
    }
}
