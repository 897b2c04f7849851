//! Checks of the settings a test gives the network: every probability in
//! `0..=1`, distribution parameters positive and finite, spans of time under
//! the documented caps. A bad value is refused where it is set, with an
//! `InvalidInput` error naming the field and the value, instead of being
//! silently clamped (a NaN loss used to mean no loss, 1.5 always lost).

use std::io;

use super::config::{NetConfig, TcpConfig};
use super::ids::Time;
use super::latency::{Latency, MAX_LATENCY};
use super::link::LinkConfig;
use super::loss::Loss;

/// The error for `field` holding `value`, which breaks `rule`.
fn refused(field: &str, value: impl std::fmt::Display, rule: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{field} = {value} is refused: {rule}"),
    )
}

/// A probability: a number in `0..=1` (NaN refused).
pub(crate) fn probability(field: &str, p: f64) -> io::Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(refused(field, p, "a probability lies in 0..=1"))
    }
}

/// A span of time no longer than `cap`.
fn span(field: &str, t: Time, cap: Time, cap_name: &str) -> io::Result<()> {
    if t <= cap {
        Ok(())
    } else {
        Err(refused(
            field,
            format!("{t} ns"),
            &format!("at most {cap_name} ({cap} ns)"),
        ))
    }
}

/// A latency parameter: at most [`MAX_LATENCY`].
fn latency_span(field: &str, t: Time) -> io::Result<()> {
    span(field, t, MAX_LATENCY, "MAX_LATENCY, one hour")
}

impl Latency {
    /// Checks the distribution's parameters (`field` names it in errors):
    /// every delay at most [`MAX_LATENCY`], `Uniform`'s `min <= max`,
    /// Pareto's shape a positive finite number.
    pub fn validate(&self, field: &str) -> io::Result<()> {
        match *self {
            Latency::Fixed(d) => latency_span(&format!("{field} (Fixed)"), d),
            Latency::Uniform { min, max } => {
                latency_span(&format!("{field}.min"), min)?;
                latency_span(&format!("{field}.max"), max)?;
                if min > max {
                    return Err(refused(
                        &format!("{field}.min"),
                        format!("{min} ns"),
                        &format!("Uniform needs min <= max ({max} ns)"),
                    ));
                }
                Ok(())
            }
            Latency::Normal { mean, stddev } => {
                latency_span(&format!("{field}.mean"), mean)?;
                latency_span(&format!("{field}.stddev"), stddev)
            }
            Latency::Exponential { mean } => latency_span(&format!("{field}.mean"), mean),
            Latency::Pareto { scale, shape } => {
                latency_span(&format!("{field}.scale"), scale)?;
                if shape.is_finite() && shape > 0.0 {
                    Ok(())
                } else {
                    Err(refused(
                        &format!("{field}.shape"),
                        shape,
                        "the Pareto shape is a positive finite number",
                    ))
                }
            }
        }
    }
}

impl Loss {
    /// Checks that every probability of the model lies in `0..=1`.
    pub fn validate(&self, field: &str) -> io::Result<()> {
        match *self {
            Loss::None => Ok(()),
            Loss::Bernoulli(p) => probability(&format!("{field} (Bernoulli)"), p),
            Loss::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                probability(&format!("{field}.p_good_to_bad"), p_good_to_bad)?;
                probability(&format!("{field}.p_bad_to_good"), p_bad_to_good)?;
                probability(&format!("{field}.loss_good"), loss_good)?;
                probability(&format!("{field}.loss_bad"), loss_bad)
            }
        }
    }
}

impl LinkConfig {
    /// Checks every setting of the link: latency and jitter (each at most
    /// [`MAX_LATENCY`]), loss, and the duplicate and corrupt probabilities.
    pub fn validate(&self) -> io::Result<()> {
        self.latency.validate("LinkConfig::latency")?;
        latency_span("LinkConfig::jitter", self.jitter)?;
        self.loss.validate("LinkConfig::loss")?;
        probability("LinkConfig::duplicate", self.duplicate)?;
        probability("LinkConfig::corrupt", self.corrupt)
    }
}

impl TcpConfig {
    /// Checks the TCP settings: a positive MSS, `rto_min <= rto_max`.
    pub fn validate(&self) -> io::Result<()> {
        if self.mss == 0 {
            return Err(refused(
                "TcpConfig::mss",
                0,
                "a segment carries at least one byte",
            ));
        }
        if self.rto_min > self.rto_max {
            return Err(refused(
                "TcpConfig::rto_min",
                format!("{} ns", self.rto_min),
                &format!("at most rto_max ({} ns)", self.rto_max),
            ));
        }
        Ok(())
    }
}

impl NetConfig {
    /// Checks the whole configuration: the default link and TCP settings,
    /// an MTU of at least 68 bytes (IPv4's minimum), a prefix length of at
    /// most 32, a non-empty ephemeral range without port 0, and a loopback
    /// latency of at most [`MAX_LATENCY`].
    pub fn validate(&self) -> io::Result<()> {
        self.default_link.validate()?;
        self.tcp.validate()?;
        if self.mtu < 68 {
            return Err(refused(
                "NetConfig::mtu",
                self.mtu,
                "IPv4 needs at least 68 bytes",
            ));
        }
        if self.ipv4_prefix_len > 32 {
            return Err(refused(
                "NetConfig::ipv4_prefix_len",
                self.ipv4_prefix_len,
                "an IPv4 prefix is at most 32 bits",
            ));
        }
        if self.ephemeral_first == 0 || self.ephemeral_first > self.ephemeral_last {
            return Err(refused(
                "NetConfig::ephemeral_first",
                self.ephemeral_first,
                &format!(
                    "the range is ephemeral_first..=ephemeral_last ({}), without port 0",
                    self.ephemeral_last
                ),
            ));
        }
        latency_span("NetConfig::loopback_latency", self.loopback_latency)
    }
}
