//! The schedule at run time: an actor that draws the plan when the active
//! window begins and then injects and undoes each fault at its instant.

use sim_clock::SimTime;

use super::fault::{Fault, FaultKind};
use super::plan::PlannedFault;
use super::{network_faults, Nemesis, Undo};
use crate::actor::Actor;
use crate::error::ErrorKind;
use crate::trace::TraceKind;
use crate::world::{self, World};

/// One step of the plan: inject or undo fault `index`.
#[derive(Clone, Copy, Debug)]
struct Step {
    time: SimTime,
    undo: bool,
    index: usize,
}

pub(super) struct NemesisActor {
    config: Nemesis,
    plan: Vec<PlannedFault>,
    steps: Vec<Step>,
    next: usize,
    started: bool,
    undos: Vec<Option<Undo>>,
}

impl NemesisActor {
    pub(super) fn new(config: Nemesis) -> NemesisActor {
        NemesisActor {
            config,
            plan: Vec::new(),
            steps: Vec::new(),
            next: 0,
            started: false,
            undos: Vec::new(),
        }
    }

    /// Draws the plan over the hosts the simulation has now.
    fn start(&mut self, w: &World) -> Result<(), String> {
        let servers: Vec<String> = {
            let names = w.host_names.borrow();
            let clients = w.client_flags.borrow();
            names
                .iter()
                .zip(clients.iter())
                .filter(|(_, client)| !**client)
                .map(|(n, _)| n.clone())
                .collect()
        };
        if let Some(hosts) = &self.config.hosts {
            for h in hosts {
                w.lookup(h).map_err(|e| e.kind.to_string())?;
                if !servers.contains(h) {
                    return Err(format!(
                        "the fault schedule targets `{h}`, a client: clients run once and \
                         cannot be crashed or restarted; target server hosts only"
                    ));
                }
            }
        }
        let network = network_faults().is_some();
        self.plan = self.config.plan(w.seed, &servers, network)?;
        self.undos = (0..self.plan.len()).map(|_| None).collect();
        for (index, p) in self.plan.iter().enumerate() {
            self.steps.push(Step {
                time: p.at,
                undo: false,
                index,
            });
            self.steps.push(Step {
                time: p.until,
                undo: true,
                index,
            });
        }
        // At one instant undos go first: a fault that starts when another
        // ends may reuse what that one held.
        self.steps.sort_by_key(|s| (s.time, !s.undo, s.index));
        Ok(())
    }

    fn inject(&mut self, w: &World, index: usize) -> Result<(), String> {
        let fault = self.plan[index].fault.clone();
        let undo: Undo = match &fault {
            Fault::Crash { host } => {
                crate::api::crash(host).map_err(|e| e.to_string())?;
                restart(host.clone())
            }
            Fault::Kill { host } => {
                crate::api::kill(host).map_err(|e| e.to_string())?;
                restart(host.clone())
            }
            Fault::Pause { host } => {
                crate::api::pause(host).map_err(|e| e.to_string())?;
                let host = host.clone();
                Box::new(move || crate::api::resume(&host).map_err(|e| e.to_string()))
            }
            Fault::ClockJump { host, jump } => {
                crate::api::jump_clock(host, *jump).map_err(|e| e.to_string())?;
                let (host, back) = (
                    host.clone(),
                    crate::ClockOffset::from_nanos(-jump.as_nanos()),
                );
                Box::new(move || crate::api::jump_clock(&host, back).map_err(|e| e.to_string()))
            }
            Fault::ClockDrift { host, ppm } => {
                let id = w.lookup(host).map_err(|e| e.to_string())?;
                w.push(crate::world::Command::AddClockDrift(id, *ppm));
                let (id, back) = (id, -*ppm);
                Box::new(move || {
                    let w = world::current("the fault schedule").map_err(|e| e.to_string())?;
                    w.push(crate::world::Command::AddClockDrift(id, back));
                    Ok(())
                })
            }
            network => {
                let hook = network_faults()
                    .ok_or_else(|| format!("no network is installed to carry out `{network}`"))?;
                hook.inject(network)?
            }
        };
        self.undos[index] = Some(undo);
        *w.faults
            .borrow_mut()
            .entry(fault.kind().as_str())
            .or_insert(0) += 1;
        let line = format!("fault: {fault} at {}", secs(self.plan[index].at));
        tracing::info!(target: "simnet::nemesis", "{line}");
        w.record(TraceKind::Fault, u32::MAX, kind_index(fault.kind()), &line);
        Ok(())
    }

    fn undo(&mut self, w: &World, index: usize) -> Result<(), String> {
        if let Some(undo) = self.undos[index].take() {
            undo()?;
            let p = &self.plan[index];
            let line = format!(
                "fault: {} at {}, {} at {}",
                p.fault,
                secs(p.at),
                p.fault.undo_word(),
                secs(p.until)
            );
            tracing::info!(target: "simnet::nemesis", "{line}");
            w.record(
                TraceKind::Fault,
                u32::MAX,
                kind_index(p.fault.kind()) | 1 << 32,
                &line,
            );
        }
        Ok(())
    }

    fn run_due(&mut self, now: SimTime) -> Result<(), String> {
        let w = world::current("the fault schedule").map_err(|e| e.to_string())?;
        if !self.started {
            self.started = true;
            self.start(&w)?;
        }
        while let Some(step) = self.steps.get(self.next).copied() {
            if step.time > now {
                break;
            }
            self.next += 1;
            if step.undo {
                self.undo(&w, step.index)?;
            } else {
                self.inject(&w, step.index)?;
            }
        }
        Ok(())
    }
}

fn restart(host: String) -> Undo {
    Box::new(move || crate::api::restart(&host).map_err(|e| e.to_string()))
}

fn kind_index(kind: FaultKind) -> u64 {
    FaultKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u64
}

/// `1.204 s`.
fn secs(t: SimTime) -> String {
    let ms = t.as_nanos() / 1_000_000;
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

impl Actor for NemesisActor {
    fn name(&self) -> &str {
        "nemesis"
    }

    fn next_deadline(&self) -> Option<SimTime> {
        if !self.started {
            return Some(SimTime::ZERO + self.config.start);
        }
        self.steps.get(self.next).map(|s| s.time)
    }

    fn step(&mut self, now: SimTime) {
        if let Err(message) = self.run_due(now) {
            // Nothing more is injected; the run fails after this event.
            self.next = self.steps.len();
            world::with_current(|w| {
                let kind = ErrorKind::InvalidOperation(format!("fault schedule: {message}"));
                w.fail_later(w.error(None, kind));
            });
        }
    }
}
