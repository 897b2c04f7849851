//! What a TCP connection does with a segment it receives: the handshake's
//! replies, RST, acknowledgements that free the send buffer and feed the RTT
//! estimate, window updates, and data taken in order into the receive buffer.

use std::io;

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
                // Our SYN-ACK was lost: the client retried its SYN.
                let mut syn_ack = self.segment(self.iss, Vec::new(), false);
                syn_ack.syn = true;
                self.out.push(syn_ack);
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
            self.retries = 0;
            self.connect_deadline = None;
            if self.retries == 0 {
                self.rtt.sample(now - self.syn_sent_at);
            }
            self.unacked_since = None;
            self.events.push(ConnEvent::Established);
            self.events.push(ConnEvent::Writable);
        }
        if seg.ack > self.snd_max {
            self.send_ack();
            return;
        }
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

    pub(super) fn on_data(&mut self, now: Time, seg: &Segment) {
        if seg.data.is_empty() && !seg.fin {
            if seg.seq < self.rcv_nxt {
                self.defer_ack(); // zero-window or keepalive probe
            }
            return;
        }
        let data_end = seg.seq + seg.data.len() as u64;
        let new_fin = seg.fin && !self.fin_received;
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
        if new_fin && take == fresh.len() && self.rcv_nxt == data_end {
            self.fin_received = true;
            self.rcv_nxt += 1;
            self.events.push(ConnEvent::Readable);
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
