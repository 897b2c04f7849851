//! What a TCP connection sends: segments with the current acknowledgement and
//! window, the handshake's SYN, pure and held-back ACKs, probes, data as the
//! window allows, and which timers run afterwards (`rearm`).

use super::conn::{Phase, TcpConn};
use crate::model::ids::Time;
use crate::model::packet::Segment;

impl TcpConn {
    pub(super) fn segment(&mut self, seq: u64, data: Vec<u8>, fin: bool) -> Segment {
        let window = self.rcv_window();
        self.adv_edge = self.adv_edge.max(self.rcv_nxt + window);
        let has_ack = self.phase != Phase::SynSent;
        if has_ack {
            // This segment acknowledges everything received so far.
            self.ack_pending = false;
        }
        Segment {
            seq,
            ack: self.rcv_nxt,
            syn: false,
            has_ack,
            fin,
            rst: false,
            window,
            data,
        }
    }

    pub(super) fn send_syn(&mut self, now: Time) {
        let mut seg = self.segment(self.iss, Vec::new(), false);
        seg.syn = true;
        self.out.push(seg);
        self.snd_nxt = self.iss + 1;
        self.snd_max = self.snd_max.max(self.snd_nxt);
        self.syn_sent_at = now;
        let rto = self
            .cfg
            .rto_initial
            .saturating_mul(1 << self.retries.min(32));
        let mut at = now.saturating_add(rto);
        if let Some(d) = self.connect_deadline {
            at = at.min(d);
        }
        self.rtx_at = Some(at);
    }

    /// A pure ACK. Its sequence number is the highest ever sent, which the peer has
    /// never passed, so it can never look like an old segment needing an answer.
    pub(super) fn send_ack(&mut self) {
        let seg = self.segment(self.snd_max, Vec::new(), false);
        self.out.push(seg);
    }

    /// Owes a pure ACK, sent at the end of the instant unless a segment
    /// sent before then carries it.
    pub(super) fn defer_ack(&mut self) {
        self.ack_pending = true;
    }

    /// Sends the ACK held back by [`defer_ack`](Self::defer_ack), if still
    /// owed: the end of its instant has come. Returns whether it sent one.
    pub(crate) fn send_deferred_ack(&mut self) -> bool {
        self.ack_listed = false;
        let owed = self.ack_pending && !self.removed && self.error.is_none();
        self.ack_pending = false;
        if owed {
            self.send_ack();
        }
        owed
    }

    /// Zero-window or keepalive probe: an old sequence number the peer must ACK.
    pub(super) fn send_probe(&mut self) {
        let seg = self.segment(self.snd_una.saturating_sub(1), Vec::new(), false);
        self.out.push(seg);
    }

    pub(super) fn maybe_window_update(&mut self, _now: Time) {
        if self.phase != Phase::Open || self.fin_received {
            return;
        }
        let old = self.adv_edge.saturating_sub(self.rcv_nxt);
        let new = self.rcv_window();
        let threshold = if self.cfg.recv_buffer == 0 {
            1
        } else {
            (self.cfg.mss as u64)
                .min(self.cfg.recv_buffer as u64 / 2)
                .max(1)
        };
        if new > old && old < threshold {
            self.defer_ack();
        }
    }

    /// Sends whatever the window allows, then FIN if queued and all data is out.
    pub(super) fn try_send(&mut self, now: Time) {
        if self.phase != Phase::Open || self.error.is_some() {
            return;
        }
        loop {
            let data_end = self.send.end_seq();
            if self.snd_nxt < data_end {
                let limit = data_end.min(self.snd_una + self.snd_wnd);
                if self.snd_nxt >= limit {
                    break;
                }
                let limit = match &self.cc {
                    None => limit,
                    Some(cc) => {
                        let cwnd_edge = self.snd_una + cc.cwnd;
                        let room = cwnd_edge.saturating_sub(self.snd_nxt);
                        if cwnd_edge < limit && !cc.allows(room, limit - self.snd_nxt) {
                            break;
                        }
                        limit.min(cwnd_edge)
                    }
                };
                let len = (limit - self.snd_nxt).min(self.cfg.mss as u64) as usize;
                let seq = self.snd_nxt;
                let data = self
                    .send
                    .slice_into(seq, len, std::mem::take(&mut self.spare));
                let fin = self.fin_queued && seq + len as u64 == data_end;
                let retransmit = seq < self.snd_max;
                if retransmit {
                    self.retransmits += 1;
                } else if self.rtt_probe.is_none() {
                    self.rtt_probe = Some((seq + len as u64, now));
                }
                self.bytes_sent += (seq + len as u64).saturating_sub(self.snd_max.max(seq));
                let seg = self.segment(seq, data, fin);
                self.out.push(seg);
                self.snd_nxt = seq + len as u64 + u64::from(fin);
                self.note_sent(now);
                continue;
            }
            if self.fin_queued && self.snd_nxt == data_end {
                if data_end < self.snd_max {
                    self.retransmits += 1;
                }
                let seg = self.segment(data_end, Vec::new(), true);
                self.out.push(seg);
                self.snd_nxt = data_end + 1;
                self.note_sent(now);
            }
            break;
        }
    }

    /// Sends the first unacknowledged segment again, leaving `snd_nxt` where
    /// it is: NewReno's fast retransmit, and its answer to a partial
    /// acknowledgement in fast recovery. Counted as a retransmission.
    pub(super) fn retransmit_first(&mut self) {
        if self.phase != Phase::Open || self.error.is_some() || self.snd_una >= self.snd_max {
            return;
        }
        let data_end = self.send.end_seq();
        let seq = self.snd_una;
        let sent_end = self.snd_max.min(data_end);
        let fin_sent = self.fin_queued && self.snd_max > data_end;
        let seg = if seq < sent_end {
            let len = (sent_end - seq).min(self.cfg.mss as u64) as usize;
            let data = self
                .send
                .slice_into(seq, len, std::mem::take(&mut self.spare));
            let fin = fin_sent && seq + len as u64 == data_end;
            self.segment(seq, data, fin)
        } else if fin_sent {
            self.segment(data_end, Vec::new(), true)
        } else {
            return;
        };
        self.retransmits += 1;
        self.out.push(seg);
    }

    pub(super) fn note_sent(&mut self, now: Time) {
        if self.snd_una == self.snd_max {
            self.unacked_since = Some(now);
        }
        self.snd_max = self.snd_max.max(self.snd_nxt);
    }

    /// Recomputes which timers run, after any change.
    pub(super) fn rearm(&mut self, now: Time) {
        if self.removed || self.error.is_some() {
            self.clear_timers();
            return;
        }
        if self.phase != Phase::Open {
            return; // handshake timers are managed by send_syn / on_timer
        }
        // Retransmission: runs while something is in flight.
        if self.snd_nxt > self.snd_una {
            if self.rtx_at.is_none() {
                let mut at = now.saturating_add(self.rtt.rto());
                if let (Some(ut), Some(since)) = (self.cfg.user_timeout, self.unacked_since) {
                    at = at.min(since.saturating_add(ut).max(now));
                }
                self.rtx_at = Some(at);
            }
        } else {
            self.rtx_at = None;
        }
        // Persist: data waiting, nothing in flight, window closed.
        let stalled = self.snd_nxt == self.snd_una
            && self.send.end_seq() > self.snd_nxt
            && self.snd_una + self.snd_wnd <= self.snd_nxt;
        if stalled {
            if self.persist_at.is_none() {
                let d = self
                    .rtt
                    .rto()
                    .saturating_mul(1 << self.persist_backoff.min(32))
                    .min(self.cfg.rto_max);
                self.persist_at = Some(now.saturating_add(d));
            }
        } else {
            self.persist_at = None;
            self.persist_backoff = 0;
        }
        // Keepalive: while open and not finished both ways.
        match self.cfg.keepalive {
            Some(k) if !(self.fin_acked && self.fin_received) => {
                if self.keepalive_at.is_none() {
                    let at = if self.probes == 0 {
                        self.last_heard.saturating_add(k.idle)
                    } else {
                        now.saturating_add(k.interval)
                    };
                    self.keepalive_at = Some(at.max(now));
                }
            }
            _ => self.keepalive_at = None,
        }
    }
}
