//! Starting, crashing, killing, restarting and pausing hosts, and skewing
//! their clocks. Requests arrive as commands (from the test or from host
//! code) and are applied between steps, at the current virtual instant.

use rand::RngCore;

use crate::actor::HostEvent;
use crate::api::HostContext;
use crate::error::{ErrorKind, SimError};
use crate::host::{HostRuntime, Life, Role};
use crate::ids::HostId;
use crate::queue::Target;
use crate::sim::Sim;
use crate::trace::TraceKind;
use crate::world::Command;

impl Sim {
    pub(crate) fn apply(&mut self, command: Command) -> Result<(), SimError> {
        match command {
            Command::Crash(h) => self.crash_host(h),
            Command::Kill(h) => self.kill_host(h),
            Command::Restart(h) => {
                if self.hosts[h.index()].runtime().is_some() {
                    self.crash_host(h)?;
                }
                self.start_host(h)
            }
            Command::Pause(h) => {
                let slot = &mut self.hosts[h.index()];
                if slot.runtime().is_some() && !slot.paused {
                    slot.paused = true;
                    self.world.record(TraceKind::HostPause, h.0, 0, &slot.name);
                    self.notify_actors(h, HostEvent::Paused);
                }
                Ok(())
            }
            Command::Resume(h) => {
                let slot = &mut self.hosts[h.index()];
                if slot.paused {
                    slot.paused = false;
                    let pending = std::mem::take(&mut slot.wake_pending);
                    self.world.record(TraceKind::HostResume, h.0, 0, &slot.name);
                    self.notify_actors(h, HostEvent::Resumed);
                    if pending {
                        self.wake_host(h);
                    }
                }
                Ok(())
            }
            Command::SetClockOffset(h, nanos) => {
                self.hosts[h.index()].clock_offset_nanos = nanos;
                self.record_clock(h);
                Ok(())
            }
            Command::JumpClock(h, nanos) => {
                let slot = &mut self.hosts[h.index()];
                slot.clock_offset_nanos = slot.clock_offset_nanos.saturating_add(nanos);
                self.record_clock(h);
                Ok(())
            }
            Command::SetClockDrift(h, ppm) => {
                self.hosts[h.index()].clock_drift_ppm = ppm;
                self.record_clock(h);
                Ok(())
            }
            Command::AddClockDrift(h, ppm) => {
                let slot = &mut self.hosts[h.index()];
                slot.clock_drift_ppm = slot.clock_drift_ppm.saturating_add(ppm);
                self.record_clock(h);
                Ok(())
            }
        }
    }

    fn record_clock(&self, h: HostId) {
        let slot = &self.hosts[h.index()];
        let detail =
            (slot.clock_offset_nanos as u64) ^ (slot.clock_drift_ppm as u64).rotate_left(32);
        self.world
            .record(TraceKind::ClockChange, h.0, detail, &slot.name);
    }

    /// Builds host `id`'s runtime and spawns its main future.
    pub(crate) fn start_host(&mut self, id: HostId) -> Result<(), SimError> {
        let now = self.now();
        self.notify_actors(id, HostEvent::Started);
        let slot = &mut self.hosts[id.index()];
        let main = match &mut slot.role {
            Role::Server(factory) => {
                let factory = factory.clone();
                Box::new(move || factory()) as Box<dyn FnOnce() -> _>
            }
            Role::Client(future) => match future.take() {
                Some(f) => Box::new(move || f) as Box<dyn FnOnce() -> _>,
                None => {
                    let kind = ErrorKind::InvalidOperation(format!(
                        "client `{}` cannot start again: a client runs its future once",
                        slot.name
                    ));
                    return Err(self.world.error(Some(id), kind));
                }
            },
        };
        let mut rng_seed = [0u8; 32];
        self.world
            .streams
            .borrow_mut()
            .entropy(Some(id.index()))
            .fill_bytes(&mut rng_seed);
        let limit = self.config.blocking_task_limit;
        let started = {
            let _ctx = HostContext::enter(&self.world, id, slot);
            HostRuntime::start(id.0, now, rng_seed, main).map(|rt| {
                // Blocking tasks spawned by the main future's factory.
                let threads = rt.run_threads(limit);
                (rt, threads)
            })
        };
        let rt = started.map_err(|e| {
            let kind = ErrorKind::Internal(format!(
                "could not build the tokio runtime of host `{}`: {e} (more than 2,097,152 virtual descriptors open?)",
                slot.name
            ));
            self.world.error(Some(id), kind)
        })?;
        let (rt, threads) = rt;
        slot.life = Life::Running(Box::new(rt));
        if let Err(e) = threads {
            let v = e.violation();
            let kind = ErrorKind::Unsupported {
                call: v.call.to_string(),
                advice: v.advice.to_string(),
            };
            return Err(self.world.error(Some(id), kind));
        }
        slot.paused = false;
        slot.wake_pending = false;
        slot.incarnation += 1;
        self.world.record(
            TraceKind::HostStart,
            id.0,
            slot.incarnation as u64,
            &slot.name,
        );
        self.wake_host(id);
        Ok(())
    }

    /// Drops host `id`'s runtime (every task) inside its context, if it runs.
    pub(crate) fn stop_runtime(&mut self, id: HostId) -> Result<bool, SimError> {
        self.queue.cancel(Target::Host(id.0));
        let slot = &mut self.hosts[id.index()];
        let life = std::mem::replace(&mut slot.life, Life::Down);
        let Life::Running(rt) = life else {
            slot.life = life;
            return Ok(false);
        };
        slot.paused = false;
        slot.wake_pending = false;
        let stopped = {
            let _ctx = HostContext::enter(&self.world, id, slot);
            self.world.stopping.set(true);
            let stopped = rt.shutdown();
            self.world.stopping.set(false);
            stopped
        };
        // tokio catches a panic in a task's destructor and drops the rest:
        // the hook recorded it, and it fails the run like any host panic
        // (a crash or kill must not hide a bug in cleanup code).
        let caught = crate::panics::take_caught();
        let stopped = stopped.and_then(|()| caught.into_iter().next().map_or(Ok(()), Err));
        stopped.map(|_| true).map_err(|m| {
            let kind = ErrorKind::HostPanicked(format!("while its tasks were dropped: {m}"));
            self.world.error(Some(id), kind)
        })
    }

    fn crash_host(&mut self, id: HostId) -> Result<(), SimError> {
        if self.mark_down_before_start(id) {
            return Ok(());
        }
        if self.hosts[id.index()].runtime().is_none() {
            return Ok(());
        }
        // The network hears first, so sockets dropped with the tasks vanish silently.
        self.notify_actors(id, HostEvent::Crashed);
        self.stop_runtime(id)?;
        let name = &self.hosts[id.index()].name;
        self.world.record(TraceKind::HostCrash, id.0, 0, name);
        Ok(())
    }

    /// A host crashed or killed before the run started stays down until
    /// `restart`, rather than being started with the others.
    fn mark_down_before_start(&mut self, id: HostId) -> bool {
        let slot = &mut self.hosts[id.index()];
        if !matches!(slot.life, Life::NotStarted) {
            return false;
        }
        slot.life = Life::Down;
        true
    }

    fn kill_host(&mut self, id: HostId) -> Result<(), SimError> {
        if self.mark_down_before_start(id) {
            return Ok(());
        }
        if self.stop_runtime(id)? {
            let name = &self.hosts[id.index()].name;
            self.world.record(TraceKind::HostStop, id.0, 0, name);
            self.notify_actors(id, HostEvent::Stopped);
        }
        Ok(())
    }

    /// A main future returned `Ok`: a client is done, a server's process exits.
    pub(crate) fn main_returned(&mut self, id: HostId) -> Result<(), SimError> {
        self.stop_runtime(id)?;
        let slot = &mut self.hosts[id.index()];
        let kind = if slot.is_client() {
            slot.life = Life::Finished;
            self.clients_unfinished -= 1;
            TraceKind::ClientDone
        } else {
            slot.life = Life::Exited;
            TraceKind::HostStop
        };
        self.world.record(kind, id.0, 0, &slot.name);
        self.notify_actors(id, HostEvent::Stopped);
        Ok(())
    }
}
