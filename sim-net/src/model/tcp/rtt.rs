//! Round-trip estimation and the retransmission timeout (RFC 6298), with
//! exponential backoff.

use crate::model::ids::Time;

/// Smoothed RTT, its variance, and the current (backed-off) RTO.
#[derive(Debug, Clone)]
pub(crate) struct RttEstimator {
    srtt: Option<Time>,
    rttvar: Time,
    base_rto: Time,
    backoff: u32,
    min: Time,
    max: Time,
}

impl RttEstimator {
    pub(crate) fn new(initial: Time, min: Time, max: Time) -> Self {
        RttEstimator {
            srtt: None,
            rttvar: 0,
            base_rto: initial.clamp(min, max.max(min)),
            backoff: 0,
            min,
            max: max.max(min),
        }
    }

    /// Feeds one RTT measurement (Karn: never from a retransmitted segment).
    pub(crate) fn sample(&mut self, rtt: Time) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                let diff = srtt.abs_diff(rtt);
                self.rttvar = (3 * self.rttvar + diff) / 4;
                self.srtt = Some((7 * srtt + rtt) / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(rtt);
        self.base_rto = (srtt + (4 * self.rttvar).max(1)).clamp(self.min, self.max);
        self.backoff = 0;
    }

    /// The RTO with the current backoff applied.
    pub(crate) fn rto(&self) -> Time {
        self.base_rto
            .saturating_mul(1u64 << self.backoff.min(32))
            .min(self.max)
    }

    /// Doubles the RTO after a timeout.
    pub(crate) fn back_off(&mut self) {
        self.backoff = self.backoff.saturating_add(1);
    }

    /// Forgets the backoff after new data was acknowledged.
    pub(crate) fn reset_backoff(&mut self) {
        self.backoff = 0;
    }

    /// The smoothed RTT, once measured.
    pub(crate) fn srtt(&self) -> Option<Time> {
        self.srtt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::{MILLIS, SECS};

    #[test]
    fn rto_follows_rfc6298_and_backs_off() {
        let mut r = RttEstimator::new(SECS, 200 * MILLIS, 120 * SECS);
        assert_eq!(r.rto(), SECS);
        r.sample(100 * MILLIS);
        // 100 ms + 4 * 50 ms = 300 ms.
        assert_eq!(r.rto(), 300 * MILLIS);
        r.back_off();
        r.back_off();
        assert_eq!(r.rto(), 1200 * MILLIS);
        r.reset_backoff();
        r.sample(10 * MILLIS);
        // srtt 88.75 ms, rttvar 60 ms: 328.75 ms.
        assert_eq!(r.rto(), 328_750_000);
        for _ in 0..40 {
            r.back_off();
        }
        assert_eq!(r.rto(), 120 * SECS);
        assert!(r.srtt().is_some());
    }
}
