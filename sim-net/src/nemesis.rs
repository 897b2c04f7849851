//! The network's part of sim-core's fault schedule
//! ([`sim_core::nemesis`]): partitions, holds, latency spikes, jitter and
//! loss bursts, each applied through [`Net`] (so each lands in the
//! artifacts' fault log too) and undone exactly.
//!
//! [`Net::install`](crate::Net::install) registers it; a test turns the
//! schedule on with `sim_core::nemesis::Nemesis::new().install(sim)`.

use std::io;
use std::time::Duration;

use sim_core::nemesis::{Fault, NetworkFaults, Undo};

use crate::model::{Latency, LinkConfig, Loss};
use crate::net::{net, Net};

/// sim-net's [`NetworkFaults`].
pub(crate) struct NetFaults;

fn text(e: io::Error) -> String {
    e.to_string()
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Changes both directions between `a` and `b` with `change`, and returns
/// the undo that puts back what each direction had (its own settings, or
/// the default).
fn change_links(
    net: Net,
    a: &str,
    b: &str,
    change: impl Fn(LinkConfig) -> LinkConfig,
) -> Result<Undo, String> {
    let mut before = Vec::new();
    for (from, to) in [(a, b), (b, a)] {
        let own = net.own_link(from, to).map_err(text)?;
        let current = net.link(from, to).map_err(text)?;
        net.set_link(from, to, change(current)).map_err(text)?;
        before.push((from.to_string(), to.to_string(), own));
    }
    Ok(Box::new(move || {
        for (from, to, own) in before {
            match own {
                Some(link) => net.set_link(&from, &to, link),
                None => net.clear_link(&from, &to),
            }
            .map_err(text)?;
        }
        Ok(())
    }))
}

/// `latency` made slower by `extra` ns: every draw of a fixed, uniform or
/// normal delay grows by `extra`; an exponential one's mean and a Pareto
/// one's minimum do.
fn slower(latency: &Latency, extra: u64) -> Latency {
    match latency.clone() {
        Latency::Fixed(d) => Latency::Fixed(d.saturating_add(extra)),
        Latency::Uniform { min, max } => Latency::Uniform {
            min: min.saturating_add(extra),
            max: max.saturating_add(extra),
        },
        Latency::Normal { mean, stddev } => Latency::Normal {
            mean: mean.saturating_add(extra),
            stddev,
        },
        Latency::Exponential { mean } => Latency::Exponential {
            mean: mean.saturating_add(extra),
        },
        Latency::Pareto { scale, shape } => Latency::Pareto {
            scale: scale.saturating_add(extra),
            shape,
        },
    }
}

impl NetworkFaults for NetFaults {
    fn inject(&self, fault: &Fault) -> Result<Undo, String> {
        let net = net().map_err(text)?;
        match fault {
            Fault::Partition { a, b } => {
                net.partition(a, b).map_err(text)?;
                let (a, b) = (a.clone(), b.clone());
                Ok(Box::new(move || net.heal(&a, &b).map_err(text)))
            }
            Fault::PartitionOneWay { from, to } => {
                net.partition_one_way(from, to).map_err(text)?;
                let (from, to) = (from.clone(), to.clone());
                Ok(Box::new(move || net.heal_one_way(&from, &to).map_err(text)))
            }
            Fault::Isolate { host } => {
                net.isolate(host).map_err(text)?;
                let host = host.clone();
                Ok(Box::new(move || net.heal_node(&host).map_err(text)))
            }
            Fault::Split { left, right } => {
                let l: Vec<&str> = left.iter().map(String::as_str).collect();
                let r: Vec<&str> = right.iter().map(String::as_str).collect();
                net.split(&[&l, &r]).map_err(text)?;
                let (left, right) = (left.clone(), right.clone());
                Ok(Box::new(move || {
                    for a in &left {
                        for b in &right {
                            net.heal(a, b).map_err(text)?;
                        }
                    }
                    Ok(())
                }))
            }
            Fault::Hold { a, b } => {
                net.hold(a, b).map_err(text)?;
                net.hold(b, a).map_err(text)?;
                let (a, b) = (a.clone(), b.clone());
                Ok(Box::new(move || {
                    net.release(&a, &b).map_err(text)?;
                    net.release(&b, &a).map_err(text)
                }))
            }
            Fault::LatencySpike { a, b, extra } => {
                let extra = nanos(*extra);
                change_links(net, a, b, |link| {
                    let latency = slower(&link.latency, extra);
                    link.with_latency(latency)
                })
            }
            Fault::Jitter { a, b, jitter } => {
                let jitter = nanos(*jitter);
                change_links(net, a, b, |link| {
                    let j = link.jitter.max(jitter);
                    link.with_jitter(j)
                })
            }
            Fault::LossBurst { a, b, percent } => {
                let p = f64::from(*percent) / 100.0;
                change_links(net, a, b, |link| link.with_loss(Loss::Bernoulli(p)))
            }
            other => Err(format!("`{other}` is not a network fault")),
        }
    }
}
