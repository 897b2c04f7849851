//! What a TCP connection does with a segment it receives: the handshake's
//! replies, RST, acknowledgements that free the send buffer and feed the RTT
//! estimate, window updates, and data taken in order into the receive buffer
//! (with NewReno, out-of-order data kept in the reassembly queue and
//! duplicate ACKs counted by the sender's congestion control).

use std::io;

use super::congestion::CcAction;
use super::conn::{rst_for, ConnEvent, Phase, TcpConn};
use crate::model::ids::Time;
use crate::model::packet::Segment;

impl TcpConn {
    pub(super) fn reply_rst(&mut self, seg: &Segment) {
        if let Some(rst) = rst_for(seg) {
            self.out.push(rst);
        }
    }

    /// Handles one segment addressed to this connection.
    pub(crate) fn on_segment(&mut self, now: Time, seg: Segment) {
        self.handle_segment(now, &seg);
        if self.spare.capacity() < seg.data.capacity() {
            self.spare = seg.data;
        }
    }

    pub(super) fn handle_segment(&mut self, now: Time, seg: &Segment) {
        if self.removed {
            return;
        }
        if self.error.is_some() {
            // A dead connection answers like a missing socket would.
            self.reply_rst(seg);
            return;
        }
        self.last_heard = now;
        self.probes = 0;
        self.keepalive_at = None;
        if seg.rst {
            self.on_rst(seg);
            self.rearm(now);
            return;
        }
        match self.phase {
            Phase::SynSent => {
                self.on_segment_syn_sent(now, seg);
                self.rearm(now);
                return;
            }
            Phase::Closed => {
                self.reply_rst(seg);
                return;
            }
            Phase::SynRcvd | Phase::Open => {}
        }
        if seg.syn {
            if self.phase == Phase::SynRcvd && !seg.has_ack {
                // Our SYN-ACK was lost: the client retried its SYN. Sent
                // again, the SYN-ACK counts as retransmitted, as in Linux.
                let mut syn_ack = self.segment(self.iss, Vec::new(), false);
                syn_ack.syn = true;
                self.out.push(syn_ack);
                self.retransmits += 1;
            } else {
                // Our final ACK was lost: the server retried its SYN-ACK.
                self.send_ack();
            }
            return;
        }
        if !seg.has_ack {
            return;
        }
        if self.phase == Phase::SynRcvd {
            if seg.ack != self.iss + 1 {
                self.reply_rst(seg);
                return;
            }
            self.phase = Phase::Open;
            self.snd_una = self.iss + 1;
            self.snd_nxt = self.snd_nxt.max(self.snd_una);
            self.snd_wnd = seg.window;
            self.rtx_at = None;
            self.connect_deadline = None;
            // Karn's rule: a SYN-ACK sent more than once (on its timer, or
            // again for a repeated SYN) gives no sample, as the ACK may
            // answer any copy. Linux checks the same (`req->num_retrans`).
            if self.retransmits == 0 {
                self.rtt.sample(now - self.syn_sent_at);
            }
            self.retries = 0;
            self.unacked_since = None;
            self.events.push(ConnEvent::Established);
            self.events.push(ConnEvent::Writable);
        }
        if seg.ack > self.snd_max {
            self.send_ack();
            return;
        }
        // Judged before this segment updates the window (RFC 5681's rule).
        let dup = self.cc.is_some() && self.is_dup_ack(seg);
        let acked = seg.ack.saturating_sub(self.snd_una);
        if seg.ack > self.snd_una {
            self.on_ack_progress(now, seg.ack);
        }
        if seg.ack >= self.snd_una {
            let opened = seg.window > self.snd_wnd;
            self.snd_wnd = seg.window;
            if opened {
                self.events.push(ConnEvent::Writable);
            }
        }
        if self.cc.is_some() && (acked > 0 || dup) {
            self.congestion_on_ack(acked, seg.ack);
        }
        self.on_data(now, seg);
        self.try_send(now);
        self.check_done(now);
        self.rearm(now);
    }

    pub(super) fn on_segment_syn_sent(&mut self, now: Time, seg: &Segment) {
        if !seg.has_ack {
            return; // simultaneous open is not modelled
        }
        if seg.ack != self.iss + 1 {
            self.reply_rst(seg);
            return;
        }
        if !seg.syn {
            return;
        }
        self.set_irs(seg.seq);
        self.phase = Phase::Open;
        self.snd_una = self.iss + 1;
        self.snd_nxt = self.snd_una;
        self.snd_wnd = seg.window;
        self.rtx_at = None;
        self.connect_deadline = None;
        if self.retries == 0 {
            self.rtt.sample(now - self.syn_sent_at);
        }
        self.retries = 0;
        self.unacked_since = None;
        self.send_ack();
        self.events.push(ConnEvent::Writable);
    }

    pub(super) fn on_rst(&mut self, seg: &Segment) {
        match self.phase {
            Phase::SynSent => {
                if seg.has_ack && seg.ack == self.iss + 1 {
                    self.fail(
                        io::ErrorKind::ConnectionRefused,
                        io::ErrorKind::ConnectionRefused,
                        format!("connection refused by {}: nothing listening", self.remote),
                    );
                }
            }
            Phase::SynRcvd => self.remove(),
            Phase::Open | Phase::Closed => {
                if seg.seq >= self.rcv_nxt {
                    self.fail(
                        io::ErrorKind::ConnectionReset,
                        io::ErrorKind::BrokenPipe,
                        format!("connection reset by {}", self.remote),
                    );
                }
            }
        }
    }

    pub(super) fn on_ack_progress(&mut self, now: Time, ack: u64) {
        let data_end = self.send.end_seq();
        let freed = self.send.ack_to(ack.min(data_end));
        if self.fin_queued && ack > data_end {
            self.fin_acked = true;
        }
        self.snd_una = ack;
        self.snd_nxt = self.snd_nxt.max(ack);
        if let Some((seq, at)) = self.rtt_probe {
            if ack >= seq {
                self.rtt.sample(now - at);
                self.rtt_probe = None;
            }
        }
        self.retries = 0;
        self.rtt.reset_backoff();
        self.rtx_at = None;
        self.unacked_since = (self.snd_una < self.snd_max).then_some(now);
        if freed > 0 {
            self.events.push(ConnEvent::Writable);
        }
    }

    /// RFC 5681's duplicate ACK: it acknowledges nothing new, carries no
    /// data, no FIN and the same window, while data is outstanding. (A
    /// closed window is no sign of loss: those do not count.)
    fn is_dup_ack(&self, seg: &Segment) -> bool {
        self.phase == Phase::Open
            && seg.ack == self.snd_una
            && seg.data.is_empty()
            && !seg.fin
            && seg.window == self.snd_wnd
            && self.snd_wnd > 0
            && self.snd_max > self.snd_una
    }

    /// NewReno's answer to an acknowledgement of `acked` new bytes (0 for a
    /// duplicate ACK) up to `ack`: grow or shrink the window, and
    /// retransmit the first unacknowledged segment when it says so.
    fn congestion_on_ack(&mut self, acked: u64, ack: u64) {
        let (flight, snd_max) = (self.in_flight(), self.snd_max);
        let Some(cc) = self.cc.as_mut() else { return };
        let action = if acked > 0 {
            cc.on_ack(acked, ack)
        } else {
            cc.on_dup_ack(ack, flight, snd_max)
        };
        if action == CcAction::RetransmitFirst {
            // Karn: the segment being timed may be the one resent, or come
            // after it; its acknowledgement would not measure a round trip.
            self.rtt_probe = None;
            self.retransmit_first();
        }
    }

    /// Appends in-order bytes at `rcv_nxt`, as many as the window takes;
    /// returns how many.
    fn append(&mut self, fresh: &[u8]) -> usize {
        let room = self.rcv_window() as usize;
        let take = fresh.len().min(room);
        if take > 0 {
            let limit = self.recv_limit();
            if self.recv.push(self.rcv_nxt, &fresh[..take], limit) {
                self.rcv_nxt += take as u64;
                self.bytes_received += take as u64;
                if self.cfg.recv_buffer == 0 {
                    self.pending_read = self.pending_read.saturating_sub(take);
                }
                self.events.push(ConnEvent::Readable);
            }
        }
        take
    }

    /// NewReno receiver: keeps an out-of-order segment (what of it lies in
    /// the window) and answers at once with a duplicate ACK, which the
    /// sender counts towards a fast retransmit.
    fn on_out_of_order(&mut self, seg: &Segment) {
        let edge = self.rcv_nxt + self.rcv_window();
        self.ooo
            .insert(seg.seq, &seg.data, seg.fin, self.rcv_nxt, edge);
        self.check_receive_space();
        self.send_ack();
    }

    /// After in-order data: the queued bytes that now continue the stream
    /// join the receive buffer (`rcv_nxt` jumps over them), with a FIN that
    /// followed them. Bytes that do not fit are forgotten: the sender will
    /// send them again.
    fn take_reassembled(&mut self) {
        let (bytes, fin) = self.ooo.take_ready(self.rcv_nxt);
        let take = self.append(&bytes);
        if take < bytes.len() {
            self.ooo.clear();
        } else if fin {
            self.fin_received = true;
            self.rcv_nxt += 1;
            self.events.push(ConnEvent::Readable);
            self.ooo.clear();
        }
        self.check_receive_space();
    }

    /// No buffer above its capacity: buffered and queued bytes together
    /// stay within the receive buffer.
    fn check_receive_space(&self) {
        debug_assert!(
            self.cfg.recv_buffer == 0 || self.recv.len() + self.ooo.len() <= self.cfg.recv_buffer,
            "receive buffer over capacity: {} buffered + {} queued > {}",
            self.recv.len(),
            self.ooo.len(),
            self.cfg.recv_buffer
        );
    }

    pub(super) fn on_data(&mut self, now: Time, seg: &Segment) {
        if seg.data.is_empty() && !seg.fin {
            if seg.seq < self.rcv_nxt {
                self.defer_ack(); // zero-window or keepalive probe
            }
            return;
        }
        let data_end = seg.seq + seg.data.len() as u64;
        let new_fin = seg.fin && !self.fin_received;
        if seg.seq > self.rcv_nxt && self.reassembles() {
            self.on_out_of_order(seg);
            return;
        }
        if seg.seq > self.rcv_nxt
            || data_end < self.rcv_nxt
            || (data_end == self.rcv_nxt && !new_fin)
        {
            // A gap before it (discarded) or an old duplicate: say where we are.
            self.defer_ack();
            return;
        }
        let skip = (self.rcv_nxt - seg.seq) as usize;
        let fresh = &seg.data[skip..];
        if self.orphaned && !fresh.is_empty() {
            // Nobody will ever read this: tell the sender (Linux does the same).
            let mut rst = self.segment(self.snd_max, Vec::new(), false);
            rst.rst = true;
            self.out.push(rst);
            self.fail(
                io::ErrorKind::ConnectionAborted,
                io::ErrorKind::ConnectionAborted,
                format!("data from {} after close", self.remote),
            );
            self.remove();
            return;
        }
        if self.ack_pending && self.reassembles() {
            // NewReno: every in-order segment is acknowledged, as a kernel
            // without delayed ACK does (slow start grows by one segment per
            // ACK). What the previous segment of this instant was owed
            // leaves now; this one's waits for the end of the instant, so a
            // reply can still carry it.
            self.send_ack();
        }
        let take = self.append(fresh);
        if new_fin && take == fresh.len() && self.rcv_nxt == data_end {
            self.fin_received = true;
            self.rcv_nxt += 1;
            self.events.push(ConnEvent::Readable);
            self.ooo.clear(); // nothing follows a FIN
        } else if !self.ooo.is_empty() {
            self.take_reassembled();
        }
        self.defer_ack();
        let _ = now;
    }

    pub(super) fn check_done(&mut self, now: Time) {
        if self.orphaned && self.fin_acked && self.linger_until.is_none() && !self.removed {
            // TIME_WAIT (or FIN_WAIT_2 timeout for an orphan): linger, then forget.
            self.linger_until = Some(now.saturating_add(self.cfg.time_wait));
            self.rtx_at = None;
            self.persist_at = None;
            self.keepalive_at = None;
        }
    }
}
