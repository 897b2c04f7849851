//! The built-in fault schedule (a "nemesis"): faults drawn from the seed,
//! injected at random instants for random durations, with one call in a
//! test's setup.
//!
//! ```
//! use std::time::Duration;
//! use sim_core::nemesis::{FaultKind, Nemesis};
//! use sim_core::Harness;
//!
//! let reports = Harness::new().seeds(0..4).ignore_env().run(|sim| {
//!     for name in ["n1", "n2", "n3"] {
//!         sim.host(name, || async {
//!             loop {
//!                 tokio::time::sleep(Duration::from_millis(100)).await;
//!             }
//!         });
//!     }
//!     Nemesis::new().active_for(Duration::from_secs(5)).install(sim);
//!     sim.client("check", async {
//!         // Wait for the quiet period, when every fault has been undone.
//!         sim_core::nemesis::wait_for_quiet().await;
//!         let quiet = sim_core::nemesis::quiet_period().unwrap();
//!         assert_eq!(quiet.start.as_duration(), Duration::from_secs(5));
//!         assert_eq!(sim_core::sim_time(), Some(quiet.start));
//!         Ok(())
//!     });
//! });
//! // Without a network, the host kinds only: crash, kill, pause, clock jump and drift.
//! let crashes: u64 = reports.iter().map(|r| r.faults.get("crash").copied().unwrap_or(0)).sum();
//! assert!(crashes > 0);
//! ```
//!
//! A [`Nemesis`] has an *active window* (from [`start_at`](Nemesis::start_at),
//! for [`active_for`](Nemesis::active_for)) in which it injects faults, one
//! every [`mean_gap`](Nemesis::mean_gap) on average (exponential gaps), each
//! lasting [`mean_duration`](Nemesis::mean_duration) on average, at most
//! [`max_at_once`](Nemesis::max_at_once) at a time, and then a *quiet
//! period* ([`quiet_for`](Nemesis::quiet_for)): at least 1 ms before it
//! begins every fault is undone (crashed and killed hosts restarted, paused ones resumed,
//! partitions healed, holds released, links and clocks restored), so a test
//! can check liveness ("after the faults stop, the cluster converges").
//! [`quiet_period`] tells code inside the simulation when that is.
//!
//! Two faults that touch the same thing never overlap (a host's process, its
//! clock, its place in the network), so undoing one never undoes another;
//! a fault due while `max_at_once` are active waits for the first to end.
//!
//! # Where the kinds live
//!
//! sim-core knows every [`FaultKind`] and draws every [`Fault`], so a seed's
//! schedule is one pure function ([`Nemesis::plan`]); it carries out the
//! host faults (crash, kill, pause, clock jump and drift) itself. The
//! network faults are carried out by whatever network is installed, through
//! [`NetworkFaults`]: `sim_net::Net::install` registers sim-net's. Without a
//! network the default schedule has only the host kinds; asking for a
//! network kind explicitly then fails the run with a clear error.
//!
//! # What a fault leaves behind
//!
//! Every fault is logged (`tracing`, target `simnet::nemesis`) with its
//! virtual time, once when injected and once when undone ("fault: partition
//! kv1 | kv2 at 1.204 s, healed at 2.950 s"), added to the trace (a
//! [`TraceKind::Fault`](crate::trace::TraceKind::Fault) event), and counted
//! by kind in [`RunReport::faults`](crate::RunReport::faults).
//!
//! The schedule owns the hosts it targets while a fault lasts: a test that
//! crashes such a host itself meanwhile sees it restarted at the fault's
//! end. A restart runs the host's factory again, as
//! [`Sim::restart`](crate::Sim::restart) does.

mod actor;
mod fault;
mod plan;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sim_clock::SimTime;

use crate::sim::Sim;

pub use fault::{Fault, FaultKind};
pub use plan::PlannedFault;

/// How the network carries out a network fault: applies it now and returns
/// the function that undoes it. sim-net implements it.
pub trait NetworkFaults {
    /// Applies `fault` (a kind for which [`FaultKind::is_network`] holds).
    /// The error names what went wrong; it fails the run.
    fn inject(&self, fault: &Fault) -> Result<Undo, String>;
}

/// Undoes one injected fault.
pub type Undo = Box<dyn FnOnce() -> Result<(), String>>;

/// The network's [`NetworkFaults`], as an extension of the simulation.
struct NetworkHook(Rc<dyn NetworkFaults>);

/// Registers the network's way of carrying out network faults (a network
/// calls it when it is installed).
pub fn set_network_faults(sim: &mut Sim, faults: Rc<dyn NetworkFaults>) {
    sim.insert_extension(Rc::new(NetworkHook(faults)));
}

fn network_faults() -> Option<Rc<dyn NetworkFaults>> {
    crate::api::extension::<NetworkHook>().map(|h| h.0.clone())
}

/// The active window and quiet period of the installed schedule.
#[derive(Clone, Copy, Debug)]
struct Window {
    quiet_from: SimTime,
    quiet_until: SimTime,
}

/// When the quiet period of the installed schedule begins and ends: every
/// fault is undone at its start and none is injected until its end (nor
/// after). `None` outside a simulation or without a schedule.
pub fn quiet_period() -> Option<std::ops::Range<SimTime>> {
    let w = crate::api::extension::<Window>()?;
    Some(w.quiet_from..w.quiet_until)
}

/// Sleeps until the quiet period of the installed schedule begins (at once
/// without a schedule, or once it has begun). Call it from host code.
pub async fn wait_for_quiet() {
    if let Some(q) = quiet_period() {
        let now = crate::api::sim_time().unwrap_or(SimTime::ZERO);
        if q.start > now {
            tokio::time::sleep(q.start - now).await;
        }
    }
}

/// Whether `sim` has a fault schedule installed.
pub fn installed(sim: &Sim) -> bool {
    sim.extension::<Window>().is_some()
}

/// The settings of a fault schedule; [`install`](Nemesis::install) turns it
/// on for a simulation.
#[derive(Clone, Debug)]
pub struct Nemesis {
    weights: Vec<(FaultKind, u32)>,
    explicit_kinds: bool,
    hosts: Option<Vec<String>>,
    links: Option<Vec<(String, String)>>,
    start: Duration,
    active: Duration,
    quiet: Duration,
    mean_gap: Duration,
    mean_duration: Duration,
    max_at_once: usize,
}

impl Default for Nemesis {
    fn default() -> Self {
        Nemesis::new()
    }
}

impl Nemesis {
    /// Every kind, weight 1 each, over every server host (not the clients)
    /// and every pair of them; active from 0 for 10 s, then 10 s quiet; a
    /// fault every 500 ms on average, lasting 1 s on average, at most two
    /// at once.
    pub fn new() -> Nemesis {
        Nemesis {
            weights: FaultKind::ALL.iter().map(|k| (*k, 1)).collect(),
            explicit_kinds: false,
            hosts: None,
            links: None,
            start: Duration::ZERO,
            active: Duration::from_secs(10),
            quiet: Duration::from_secs(10),
            mean_gap: Duration::from_millis(500),
            mean_duration: Duration::from_secs(1),
            max_at_once: 2,
        }
    }

    /// Only these kinds, weight 1 each.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = FaultKind>) -> Nemesis {
        self.weights = kinds.into_iter().map(|k| (k, 1)).collect();
        self.explicit_kinds = true;
        self
    }

    /// The relative weight of `kind` (0 leaves it out).
    pub fn weight(mut self, kind: FaultKind, weight: u32) -> Nemesis {
        self.weights.retain(|(k, _)| *k != kind);
        if weight > 0 {
            self.weights.push((kind, weight));
            self.weights.sort();
        }
        self
    }

    /// The hosts it may touch (default: every server host at the start of
    /// the active window).
    pub fn hosts<I, S>(mut self, hosts: I) -> Nemesis
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.hosts = Some(hosts.into_iter().map(Into::into).collect());
        self
    }

    /// The host pairs whose links and partitions it may touch (default:
    /// every pair of its hosts).
    pub fn links<I, S>(mut self, links: I) -> Nemesis
    where
        I: IntoIterator<Item = (S, S)>,
        S: Into<String>,
    {
        self.links = Some(
            links
                .into_iter()
                .map(|(a, b)| (a.into(), b.into()))
                .collect(),
        );
        self
    }

    /// When the active window begins (default: at once).
    pub fn start_at(mut self, start: Duration) -> Nemesis {
        self.start = start;
        self
    }

    /// How long the active window lasts (default 10 s).
    pub fn active_for(mut self, active: Duration) -> Nemesis {
        self.active = active;
        self
    }

    /// How long the quiet period after it lasts (default 10 s).
    pub fn quiet_for(mut self, quiet: Duration) -> Nemesis {
        self.quiet = quiet;
        self
    }

    /// The mean virtual time between two faults (default 500 ms).
    pub fn mean_gap(mut self, gap: Duration) -> Nemesis {
        self.mean_gap = gap;
        self
    }

    /// The mean virtual time a fault lasts (default 1 s).
    pub fn mean_duration(mut self, duration: Duration) -> Nemesis {
        self.mean_duration = duration;
        self
    }

    /// The most faults active at once (default 2; at least 1).
    pub fn max_at_once(mut self, max: usize) -> Nemesis {
        self.max_at_once = max.max(1);
        self
    }

    /// The quiet period this schedule ends with.
    pub fn quiet_window(&self) -> std::ops::Range<SimTime> {
        let from = SimTime::ZERO + self.start + self.active;
        from..from + self.quiet
    }

    /// The schedule of the run seeded with `seed` over `hosts` (when no
    /// hosts were configured), with the network kinds if `network`: what
    /// [`install`](Self::install) will inject, in order of injection.
    pub fn plan(
        &self,
        seed: u64,
        hosts: &[String],
        network: bool,
    ) -> Result<Vec<PlannedFault>, String> {
        let hosts = self.hosts.clone().unwrap_or_else(|| hosts.to_vec());
        let links = match &self.links {
            Some(links) => links.clone(),
            None => pairs(&hosts),
        };
        let missing: Vec<&str> = self
            .weights
            .iter()
            .filter(|(k, _)| k.is_network() && !network)
            .map(|(k, _)| k.as_str())
            .collect();
        if self.explicit_kinds && !missing.is_empty() {
            return Err(format!(
                "the fault schedule asks for network faults ({}) but no network is installed \
                 (install one, e.g. sim_net::Net::install, or leave these kinds out)",
                missing.join(", ")
            ));
        }
        let kinds: Vec<(FaultKind, u32)> = self
            .weights
            .iter()
            .copied()
            .filter(|(k, _)| network || !k.is_network())
            .filter(|(k, _)| hosts.len() >= k.min_hosts())
            .filter(|(k, _)| !k.on_link() || !links.is_empty())
            .collect();
        if self.explicit_kinds && kinds.len() < self.weights.len() {
            return Err(format!(
                "the fault schedule has {} host(s) and {} link(s): too few for some of the \
                 kinds asked for ({})",
                hosts.len(),
                links.len(),
                self.weights
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut rng = crate::rng::stream(seed, "nemesis");
        Ok(plan::schedule(self, &mut rng, &kinds, &hosts, &links))
    }

    /// Turns the schedule on for `sim`. Call it in the setup, before or
    /// after adding the hosts: the default target hosts are the server
    /// hosts the simulation has when the active window begins. One schedule
    /// per simulation: a second one fails the run.
    pub fn install(self, sim: &mut Sim) {
        if installed(sim) {
            sim.fail_setup("a fault schedule (Nemesis) is already installed in this simulation");
            return;
        }
        let q = self.quiet_window();
        sim.insert_extension(Rc::new(Window {
            quiet_from: q.start,
            quiet_until: q.end,
        }));
        sim.add_actor(Rc::new(RefCell::new(actor::NemesisActor::new(self))));
    }
}

/// Every unordered pair of `hosts`, in order.
fn pairs(hosts: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, a) in hosts.iter().enumerate() {
        for b in &hosts[i + 1..] {
            out.push((a.clone(), b.clone()));
        }
    }
    out
}
