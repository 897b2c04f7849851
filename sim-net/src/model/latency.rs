//! Latency distributions of a link direction.
//!
//! A packet's one-way delay is one draw from the link's [`Latency`] plus a uniform
//! jitter in `0..=jitter`. Because each packet draws independently, UDP datagrams
//! reorder naturally when draws differ; TCP segments are kept in order by the link
//! unless the link enables reordering (see [`LinkConfig`](super::LinkConfig)).

use rand::Rng;

use super::ids::Time;

/// Upper bound of one latency draw (one hour), so heavy-tailed distributions
/// cannot produce a delay that overflows the clock.
pub const MAX_LATENCY: Time = 3_600 * super::ids::SECS;

/// A one-way delay distribution, all parameters in nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Latency {
    /// Always the same delay.
    Fixed(Time),
    /// Uniform in `min..=max`.
    Uniform {
        /// Smallest delay.
        min: Time,
        /// Largest delay.
        max: Time,
    },
    /// Normal (Gaussian), negative draws clamped to 0.
    Normal {
        /// Mean delay.
        mean: Time,
        /// Standard deviation.
        stddev: Time,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean delay.
        mean: Time,
    },
    /// Pareto: `scale / u^(1/shape)`, never below `scale`; heavy tail for small `shape`.
    Pareto {
        /// Minimum delay (x_m).
        scale: Time,
        /// Tail index (alpha), must be > 0.
        shape: f64,
    },
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed(super::ids::MILLIS)
    }
}

impl Latency {
    /// One draw, in nanoseconds, capped at [`MAX_LATENCY`].
    /// `Fixed` draws nothing, so it does not consume the link's random stream.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Time {
        let value = match *self {
            Latency::Fixed(d) => return d.min(MAX_LATENCY),
            Latency::Uniform { min, max } => {
                let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
                return rng.random_range(lo..=hi).min(MAX_LATENCY);
            }
            Latency::Normal { mean, stddev } => {
                // Box-Muller: keeps the dependency list to rand alone.
                let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
                let u2: f64 = rng.random::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                mean as f64 + z * stddev as f64
            }
            Latency::Exponential { mean } => {
                let u: f64 = 1.0 - rng.random::<f64>();
                -(mean as f64) * u.ln()
            }
            Latency::Pareto { scale, shape } => {
                let u: f64 = 1.0 - rng.random::<f64>();
                let shape = if shape > 0.0 {
                    shape
                } else {
                    f64::MIN_POSITIVE
                };
                scale as f64 / u.powf(1.0 / shape)
            }
        };
        if value.is_nan() || value <= 0.0 {
            0
        } else if value >= MAX_LATENCY as f64 {
            MAX_LATENCY
        } else {
            value as Time
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::MILLIS;
    use sim_core::rng::stream as stream_rng;

    fn mean_of(l: &Latency, n: usize) -> f64 {
        let mut rng = stream_rng(1, "latency-test");
        (0..n).map(|_| l.sample(&mut rng) as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn fixed_and_uniform_bounds() {
        let mut rng = stream_rng(1, "x");
        assert_eq!(Latency::Fixed(5).sample(&mut rng), 5);
        for _ in 0..1000 {
            let v = Latency::Uniform { min: 10, max: 20 }.sample(&mut rng);
            assert!((10..=20).contains(&v));
        }
    }

    #[test]
    fn distribution_means_are_plausible() {
        let n = 20_000;
        let normal = mean_of(
            &Latency::Normal {
                mean: 10 * MILLIS,
                stddev: MILLIS,
            },
            n,
        );
        assert!((normal / MILLIS as f64 - 10.0).abs() < 0.1, "{normal}");
        let exp = mean_of(&Latency::Exponential { mean: 10 * MILLIS }, n);
        assert!((exp / MILLIS as f64 - 10.0).abs() < 0.5, "{exp}");
        // Pareto mean = scale * shape / (shape - 1) for shape > 1.
        let par = mean_of(
            &Latency::Pareto {
                scale: MILLIS,
                shape: 3.0,
            },
            n,
        );
        assert!((par / MILLIS as f64 - 1.5).abs() < 0.1, "{par}");
    }

    #[test]
    fn normal_clamps_at_zero_and_pareto_is_capped() {
        let mut rng = stream_rng(2, "y");
        for _ in 0..1000 {
            let _ = Latency::Normal {
                mean: 0,
                stddev: MILLIS,
            }
            .sample(&mut rng);
            let p = Latency::Pareto {
                scale: MILLIS,
                shape: 0.01,
            }
            .sample(&mut rng);
            assert!((MILLIS..=MAX_LATENCY).contains(&p));
        }
    }
}
