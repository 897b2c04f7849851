//! Packet loss models of a link direction: none, Bernoulli, Gilbert-Elliott.

use rand::Rng;

/// How a link direction loses packets.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Loss {
    /// Never loses a packet.
    #[default]
    None,
    /// Each packet is lost independently with probability `p`.
    Bernoulli(f64),
    /// Two-state Markov chain (bursty loss): before each packet the chain moves
    /// good->bad with `p_good_to_bad` or bad->good with `p_bad_to_good`, then the
    /// packet is lost with the loss probability of the state it is in.
    GilbertElliott {
        /// Probability of entering the bad state, per packet.
        p_good_to_bad: f64,
        /// Probability of leaving the bad state, per packet.
        p_bad_to_good: f64,
        /// Loss probability while good (often 0).
        loss_good: f64,
        /// Loss probability while bad (often close to 1).
        loss_bad: f64,
    },
}

/// The per-direction state a loss model needs (the Gilbert-Elliott state).
#[derive(Debug, Clone, Default)]
pub(crate) struct LossState {
    bad: bool,
}

/// A probability draw that consumes no randomness for the certain cases, so a
/// link without loss leaves its stream untouched.
pub(crate) fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    if p.is_nan() || p <= 0.0 {
        false
    } else if p >= 1.0 {
        true
    } else {
        rng.random::<f64>() < p
    }
}

impl LossState {
    /// Decides whether the next packet is lost under `model`.
    pub(crate) fn lose<R: Rng + ?Sized>(&mut self, model: &Loss, rng: &mut R) -> bool {
        match *model {
            Loss::None => false,
            Loss::Bernoulli(p) => chance(rng, p),
            Loss::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                if self.bad {
                    if chance(rng, p_bad_to_good) {
                        self.bad = false;
                    }
                } else if chance(rng, p_good_to_bad) {
                    self.bad = true;
                }
                chance(rng, if self.bad { loss_bad } else { loss_good })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::stream as stream_rng;

    #[test]
    fn bernoulli_rate() {
        let mut rng = stream_rng(3, "loss");
        let mut st = LossState::default();
        let lost = (0..10_000)
            .filter(|_| st.lose(&Loss::Bernoulli(0.1), &mut rng))
            .count();
        assert!((800..1200).contains(&lost), "{lost}");
        assert!(!st.lose(&Loss::None, &mut rng));
        assert!(st.lose(&Loss::Bernoulli(1.0), &mut rng));
    }

    #[test]
    fn gilbert_elliott_is_bursty() {
        let model = Loss::GilbertElliott {
            p_good_to_bad: 0.01,
            p_bad_to_good: 0.1,
            loss_good: 0.0,
            loss_bad: 1.0,
        };
        let mut rng = stream_rng(4, "ge");
        let mut st = LossState::default();
        let seq: Vec<bool> = (0..20_000).map(|_| st.lose(&model, &mut rng)).collect();
        let lost = seq.iter().filter(|&&l| l).count();
        // Stationary bad probability = 0.01 / 0.11 ~ 9 %.
        assert!((1000..3000).contains(&lost), "{lost}");
        // Bursts: a loss is followed by another loss far more often than 9 %.
        let pairs = seq.windows(2).filter(|w| w[0] && w[1]).count();
        assert!(pairs as f64 / lost as f64 > 0.5);
    }
}
