//! NewReno congestion control of a TCP sender (RFC 5681, RFC 6582), with
//! Linux's initial window of 10 segments (RFC 6928).
//!
//! Only the arithmetic lives here: the connection tells this state about
//! every acknowledgement that moves `snd_una`, every duplicate ACK and every
//! retransmission timeout, and the state says when to retransmit the first
//! unacknowledged segment. `try_send` (in `sending`) limits the bytes in
//! flight to the congestion window. Everything is in bytes, as in RFC 5681.
//!
//! Not modelled: limited transmit (RFC 3042), SACK, undoing spurious
//! retransmissions, CUBIC, pacing, ECN.

/// Initial window in segments (RFC 6928, Linux's default).
const INITIAL_WINDOW: u64 = 10;

/// Duplicate ACKs that signal a loss (RFC 5681's `DupThresh`).
const DUP_THRESHOLD: u32 = 3;

/// What the connection must do after an acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CcAction {
    /// Nothing beyond sending what the window now allows.
    None,
    /// Send the first unacknowledged segment again (fast retransmit, or the
    /// next hole after a partial acknowledgement in fast recovery).
    RetransmitFirst,
}

/// The sender's congestion state.
#[derive(Debug, Clone)]
pub(crate) struct NewReno {
    mss: u64,
    /// Congestion window: the most bytes that may be in flight.
    pub(crate) cwnd: u64,
    /// Slow start threshold; `u64::MAX` until the first loss (unbounded).
    pub(crate) ssthresh: u64,
    /// Consecutive duplicate ACKs seen outside fast recovery.
    dup_acks: u32,
    /// In fast recovery until `recover` is acknowledged.
    in_recovery: bool,
    /// RFC 6582's `recover`: `snd_max` when fast recovery started or the
    /// last retransmission timeout fired. Duplicate ACKs for data sent
    /// before it start no new fast recovery (they are echoes of one loss,
    /// or of a go-back-N after a timeout).
    recover: u64,
    /// Segments sent by fast retransmit and for partial acknowledgements.
    pub(crate) fast_retransmits: u64,
}

impl NewReno {
    /// A fresh sender whose first sequence number is `iss`.
    pub(super) fn new(mss: usize, iss: u64) -> Self {
        let mss = (mss as u64).max(1);
        NewReno {
            mss,
            cwnd: INITIAL_WINDOW * mss,
            ssthresh: u64::MAX,
            dup_acks: 0,
            in_recovery: false,
            recover: iss,
            fast_retransmits: 0,
        }
    }

    /// Whether a cwnd-limited send should send a segment of `len` bytes
    /// when the window has `room` bytes left: only full segments (or the
    /// last bytes of the data), so that a window grown by a fraction of a
    /// segment in congestion avoidance does not cut segments short.
    pub(super) fn allows(&self, room: u64, len: u64) -> bool {
        room >= len.min(self.mss)
    }

    /// `acked` new bytes were acknowledged, up to `ack`.
    pub(super) fn on_ack(&mut self, acked: u64, ack: u64) -> CcAction {
        self.dup_acks = 0;
        if self.in_recovery {
            if ack >= self.recover {
                // Full acknowledgement: deflate and leave fast recovery
                // (RFC 6582 3.2 step 3, option 2).
                self.in_recovery = false;
                self.cwnd = self.ssthresh;
                return CcAction::None;
            }
            // Partial acknowledgement: the next hole was lost too. Deflate
            // by what was acknowledged, add back one segment for the
            // retransmission that leaves, and stay in fast recovery.
            self.cwnd = self.cwnd.saturating_sub(acked);
            if acked >= self.mss {
                self.cwnd += self.mss;
            }
            self.cwnd = self.cwnd.max(self.mss);
            self.fast_retransmits += 1;
            return CcAction::RetransmitFirst;
        }
        if self.cwnd < self.ssthresh {
            // Slow start: one segment per ACK at most (RFC 5681 3.1).
            self.cwnd += acked.min(self.mss);
        } else {
            // Congestion avoidance: about one segment per round trip.
            self.cwnd += (self.mss * self.mss / self.cwnd).max(1);
        }
        CcAction::None
    }

    /// A duplicate ACK of `ack` arrived with `flight` bytes outstanding and
    /// `snd_max` the highest sequence number sent.
    pub(super) fn on_dup_ack(&mut self, ack: u64, flight: u64, snd_max: u64) -> CcAction {
        if self.in_recovery {
            // Another segment left the network: inflate (RFC 5681 3.2 step 4).
            self.cwnd += self.mss;
            return CcAction::None;
        }
        self.dup_acks += 1;
        if self.dup_acks != DUP_THRESHOLD || ack <= self.recover {
            return CcAction::None;
        }
        // Fast retransmit, then fast recovery (RFC 5681 3.2 steps 2 and 3).
        self.ssthresh = (flight / 2).max(2 * self.mss);
        self.cwnd = self.ssthresh + u64::from(DUP_THRESHOLD) * self.mss;
        self.recover = snd_max;
        self.in_recovery = true;
        self.fast_retransmits += 1;
        CcAction::RetransmitFirst
    }

    /// The retransmission timer fired with `flight` bytes outstanding and
    /// `snd_max` the highest sequence number sent. `first` is false when the
    /// same data already timed out: ssthresh then stays (RFC 5681 3.1).
    pub(super) fn on_rto(&mut self, flight: u64, snd_max: u64, first: bool) {
        if first {
            self.ssthresh = (flight / 2).max(2 * self.mss);
        }
        self.cwnd = self.mss;
        self.dup_acks = 0;
        self.in_recovery = false;
        self.recover = snd_max;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1000;

    #[test]
    fn slow_start_then_congestion_avoidance() {
        let mut cc = NewReno::new(MSS as usize, 0);
        assert_eq!(cc.cwnd, 10 * MSS);
        // A stretch ACK counts one segment in slow start.
        assert_eq!(cc.on_ack(5 * MSS, 5 * MSS), CcAction::None);
        assert_eq!(cc.cwnd, 11 * MSS);
        cc.ssthresh = 11 * MSS;
        cc.on_ack(MSS, 6 * MSS);
        assert_eq!(cc.cwnd, 11 * MSS + MSS * MSS / (11 * MSS));
    }

    #[test]
    fn three_dup_acks_then_partial_then_full_ack() {
        let mut cc = NewReno::new(MSS as usize, 0);
        // 10 segments out, the first lost.
        assert_eq!(cc.on_dup_ack(1, 10 * MSS, 10 * MSS + 1), CcAction::None);
        assert_eq!(cc.on_dup_ack(1, 10 * MSS, 10 * MSS + 1), CcAction::None);
        assert_eq!(
            cc.on_dup_ack(1, 10 * MSS, 10 * MSS + 1),
            CcAction::RetransmitFirst
        );
        assert_eq!(cc.ssthresh, 5 * MSS);
        assert_eq!(cc.cwnd, 8 * MSS);
        cc.on_dup_ack(1, 10 * MSS, 10 * MSS + 1);
        assert_eq!(cc.cwnd, 9 * MSS);
        // Partial: 2 segments acknowledged, the third lost too.
        assert_eq!(cc.on_ack(2 * MSS, 2 * MSS + 1), CcAction::RetransmitFirst);
        assert_eq!(cc.cwnd, 8 * MSS);
        // Full.
        assert_eq!(cc.on_ack(8 * MSS, 10 * MSS + 1), CcAction::None);
        assert_eq!(cc.cwnd, 5 * MSS);
        assert_eq!(cc.fast_retransmits, 2);
    }

    #[test]
    fn timeout_collapses_the_window_and_blocks_fast_retransmit_of_old_data() {
        let mut cc = NewReno::new(MSS as usize, 0);
        cc.on_rto(8 * MSS, 8 * MSS + 1, true);
        assert_eq!((cc.cwnd, cc.ssthresh), (MSS, 4 * MSS));
        cc.on_rto(MSS, 8 * MSS + 1, false);
        assert_eq!(cc.ssthresh, 4 * MSS, "held on a repeated timeout");
        for _ in 0..3 {
            assert_eq!(cc.on_dup_ack(4 * MSS, MSS, 8 * MSS + 1), CcAction::None);
        }
    }
}
