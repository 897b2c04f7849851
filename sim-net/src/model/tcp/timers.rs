//! The timers of a TCP connection: retransmission (with the SYN and SYN-ACK
//! retries of the handshake), zero-window persist, keepalive, and the linger after
//! a clean close. `TcpConn::rearm` (in `conn`) decides which run; this
//! file decides what happens when one fires.

use std::io;

use super::conn::{Phase, TcpConn, SYNACK_RETRIES};
use crate::model::ids::Time;

impl TcpConn {
    /// Runs every timer due at `now`.
    pub(crate) fn on_timer(&mut self, now: Time) {
        if self.removed {
            return;
        }
        if self.linger_until.is_some_and(|t| t <= now) {
            self.remove();
            return;
        }
        if self.rtx_at.is_some_and(|t| t <= now) {
            self.rtx_at = None;
            self.on_rto(now);
        }
        if self.persist_at.is_some_and(|t| t <= now) && self.error.is_none() {
            self.persist_at = None;
            match self.cfg.user_timeout {
                Some(ut) if now.saturating_sub(self.last_heard) >= ut => {
                    self.fail(
                        io::ErrorKind::TimedOut,
                        io::ErrorKind::TimedOut,
                        format!(
                            "no answer from {} to window probes within the user timeout",
                            self.remote
                        ),
                    );
                }
                _ => {
                    self.send_probe();
                    self.persist_backoff = self.persist_backoff.saturating_add(1);
                }
            }
        }
        if self.keepalive_at.is_some_and(|t| t <= now) && self.error.is_none() {
            self.keepalive_at = None;
            if let Some(k) = self.cfg.keepalive {
                if self.snd_una < self.snd_max {
                    // Data in flight: the retransmission timer watches the peer.
                } else if self.probes >= k.count {
                    self.fail(
                        io::ErrorKind::TimedOut,
                        io::ErrorKind::TimedOut,
                        format!(
                            "keepalive: {} did not answer {} probes",
                            self.remote, k.count
                        ),
                    );
                } else {
                    self.send_probe();
                    self.probes += 1;
                    self.keepalive_at = Some(now.saturating_add(k.interval));
                }
            }
        }
        self.rearm(now);
    }

    fn on_rto(&mut self, now: Time) {
        match self.phase {
            Phase::SynSent => {
                if self.connect_deadline.is_some_and(|d| now >= d) {
                    let secs = self.cfg.connect_timeout as f64 / 1e9;
                    self.fail(
                        io::ErrorKind::TimedOut,
                        io::ErrorKind::TimedOut,
                        format!("connect to {} timed out after {secs} s", self.remote),
                    );
                    return;
                }
                self.retries += 1;
                self.retransmits += 1;
                self.snd_nxt = self.iss;
                self.send_syn(now);
            }
            Phase::SynRcvd => {
                if self.retries >= SYNACK_RETRIES {
                    self.remove();
                    return;
                }
                self.retries += 1;
                self.retransmits += 1;
                let mut seg = self.segment(self.iss, Vec::new(), false);
                seg.syn = true;
                self.out.push(seg);
                self.syn_sent_at = now;
                self.rtx_at = Some(
                    now + self
                        .cfg
                        .rto_initial
                        .saturating_mul(1 << self.retries.min(32)),
                );
            }
            Phase::Open => {
                if self.snd_una >= self.snd_max {
                    return;
                }
                if let (Some(ut), Some(since)) = (self.cfg.user_timeout, self.unacked_since) {
                    if now >= since.saturating_add(ut) {
                        self.fail(
                            io::ErrorKind::TimedOut,
                            io::ErrorKind::TimedOut,
                            format!(
                                "no acknowledgement from {} for {} ms (user timeout)",
                                self.remote,
                                ut / 1_000_000
                            ),
                        );
                        return;
                    }
                }
                if self.retries >= self.cfg.max_retries {
                    self.fail(
                        io::ErrorKind::TimedOut,
                        io::ErrorKind::TimedOut,
                        format!(
                            "{} retransmissions to {} unanswered",
                            self.retries, self.remote
                        ),
                    );
                    return;
                }
                let (flight, snd_max, first) = (self.in_flight(), self.snd_max, self.retries == 0);
                if let Some(cc) = self.cc.as_mut() {
                    // NewReno: one segment, slow start again from there.
                    cc.on_rto(flight, snd_max, first);
                }
                self.retries += 1;
                self.rtt.back_off();
                self.rtt_probe = None;
                // Go back to the first unacknowledged byte.
                self.snd_nxt = self.snd_una;
                self.try_send(now);
            }
            Phase::Closed => {}
        }
    }
}
