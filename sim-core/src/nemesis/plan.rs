//! Drawing a schedule: a pure function of the seed, the settings and the
//! target hosts, so that a seed's faults are the same in every process and
//! can be listed before the run ([`Nemesis::plan`](super::Nemesis::plan)).

use std::time::Duration;

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, RngCore};
use sim_clock::SimTime;

use super::fault::{Fault, FaultKind, Resource};
use super::Nemesis;
use crate::api::ClockOffset;

/// One fault of a schedule and when it lasts.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedFault {
    /// When it is injected.
    pub at: SimTime,
    /// When it is undone (at least 1 ms before the quiet period begins).
    pub until: SimTime,
    /// What it is.
    pub fault: Fault,
}

/// Draws from a fault that cannot overlap an active one; a slot whose draws
/// all conflict is skipped.
const DRAWS_PER_SLOT: usize = 8;

/// How long before the quiet period the last fault is undone.
const UNDO_MARGIN: Duration = Duration::from_millis(1);

/// An exponential draw of mean `mean`, in whole milliseconds, at least 1 ms.
fn exponential(rng: &mut dyn RngCore, mean: Duration) -> Duration {
    let u: f64 = rng.random();
    let ms = -(1.0 - u).ln() * mean.as_secs_f64() * 1000.0;
    Duration::from_millis((ms.round() as u64).max(1))
}

fn ms_between(rng: &mut dyn RngCore, lo: u64, hi: u64) -> Duration {
    Duration::from_millis(rng.random_range(lo..=hi))
}

fn pick(rng: &mut dyn RngCore, hosts: &[String]) -> String {
    hosts.choose(rng).cloned().unwrap_or_default()
}

/// Draws one fault of `kind` over `hosts` and `links`.
fn draw(
    kind: FaultKind,
    rng: &mut dyn RngCore,
    hosts: &[String],
    links: &[(String, String)],
) -> Fault {
    if kind.on_link() {
        let (a, b) = links.choose(rng).cloned().unwrap_or_default();
        // A link is one pair; which end is "from" is drawn too.
        let (a, b) = if rng.random::<bool>() { (a, b) } else { (b, a) };
        return match kind {
            FaultKind::Partition => Fault::Partition { a, b },
            FaultKind::PartitionOneWay => Fault::PartitionOneWay { from: a, to: b },
            FaultKind::Hold => Fault::Hold { a, b },
            FaultKind::LatencySpike => Fault::LatencySpike {
                a,
                b,
                extra: ms_between(rng, 50, 500),
            },
            FaultKind::Jitter => Fault::Jitter {
                a,
                b,
                jitter: ms_between(rng, 5, 50),
            },
            _ => Fault::LossBurst {
                a,
                b,
                percent: rng.random_range(10..=50),
            },
        };
    }
    match kind {
        FaultKind::Crash => Fault::Crash {
            host: pick(rng, hosts),
        },
        FaultKind::Kill => Fault::Kill {
            host: pick(rng, hosts),
        },
        FaultKind::Pause => Fault::Pause {
            host: pick(rng, hosts),
        },
        FaultKind::Isolate => Fault::Isolate {
            host: pick(rng, hosts),
        },
        FaultKind::Split => {
            let mut all = hosts.to_vec();
            all.shuffle(rng);
            let right = all.split_off(all.len() / 2);
            Fault::Split { left: all, right }
        }
        FaultKind::ClockJump => {
            let by = ms_between(rng, 100, 30_000);
            let jump = if rng.random::<bool>() {
                ClockOffset::ahead(by)
            } else {
                ClockOffset::behind(by)
            };
            Fault::ClockJump {
                host: pick(rng, hosts),
                jump,
            }
        }
        _ => {
            let ppm = rng.random_range(100..=1000i64);
            let ppm = if rng.random::<bool>() { ppm } else { -ppm };
            Fault::ClockDrift {
                host: pick(rng, hosts),
                ppm,
            }
        }
    }
}

/// The schedule `nemesis` draws from `rng` over `hosts` and `links`, with
/// `kinds` (weighted) the kinds that apply.
pub(super) fn schedule(
    nemesis: &Nemesis,
    rng: &mut dyn RngCore,
    kinds: &[(FaultKind, u32)],
    hosts: &[String],
    links: &[(String, String)],
) -> Vec<PlannedFault> {
    let start = SimTime::ZERO + nemesis.start;
    // Every fault is undone 1 ms before the quiet period begins, so that
    // code woken at its first instant finds them all undone, whatever
    // order the tie-break gives that instant's events.
    let end = start + nemesis.active.saturating_sub(UNDO_MARGIN);
    let mut out: Vec<PlannedFault> = Vec::new();
    if kinds.is_empty() || hosts.is_empty() {
        return out;
    }
    let mut active: Vec<(SimTime, Vec<Resource>)> = Vec::new();
    let mut t = start;
    loop {
        t += exponential(rng, nemesis.mean_gap);
        active.retain(|(until, _)| *until > t);
        if active.len() >= nemesis.max_at_once {
            // Wait for the first active fault to end.
            if let Some(first) = active.iter().map(|(until, _)| *until).min() {
                t = t.max(first);
            }
            active.retain(|(until, _)| *until > t);
        }
        if t >= end {
            return out;
        }
        for _ in 0..DRAWS_PER_SLOT {
            let kind = kinds
                .choose_weighted(rng, |(_, w)| *w)
                .map(|(k, _)| *k)
                .unwrap_or(kinds[0].0);
            let fault = draw(kind, rng, hosts, links);
            let resources = fault.resources();
            let busy = active
                .iter()
                .any(|(_, held)| held.iter().any(|r| resources.contains(r)));
            if busy {
                continue;
            }
            let until = (t + exponential(rng, nemesis.mean_duration)).min(end);
            active.push((until, resources));
            out.push(PlannedFault {
                at: t,
                until,
                fault,
            });
            break;
        }
    }
}
