//! What code inside a simulation can call: who am I, what time is it, crash
//! that host, skew this clock.
//!
//! These functions work from host code, actors and the setup closure alike.
//! Lifecycle requests made from inside a host take effect right after the
//! current step, at the same virtual instant (a host cannot drop its own
//! runtime while running on it).
//!
//! ```
//! use std::time::Duration;
//! use sim_core::{Builder, HostState};
//!
//! std::thread::spawn(|| {
//!     let mut sim = Builder::new().build();
//!     sim.host("victim", || async {
//!         std::future::pending::<()>().await;
//!         Ok(())
//!     });
//!     sim.client("chaos", async {
//!         tokio::time::sleep(Duration::from_secs(1)).await;
//!         assert_eq!(sim_core::host_name().as_deref(), Some("chaos"));
//!         sim_core::crash("victim")?;
//!         Ok(())
//!     });
//!     sim.run().unwrap();
//!     assert_eq!(sim.host_state("victim").unwrap(), HostState::Down);
//! })
//! .join()
//! .unwrap();
//! ```

use std::any::TypeId;
use std::rc::Rc;
use std::time::Duration;

use sim_clock::SimTime;

use crate::error::{ErrorKind, SimError};
use crate::host::HostSlot;
use crate::ids::HostId;
use crate::trace::TraceKind;
use crate::world::{self, Command, World};

/// A signed amount by which a host's realtime clock is off (or jumps).
///
/// ```
/// use std::time::Duration;
/// use sim_core::ClockOffset;
/// assert_eq!(ClockOffset::behind(Duration::from_millis(3)).as_nanos(), -3_000_000);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockOffset(i64);

impl ClockOffset {
    /// No offset.
    pub const ZERO: ClockOffset = ClockOffset(0);

    /// The clock reads later than true virtual time by `d`.
    pub fn ahead(d: Duration) -> ClockOffset {
        ClockOffset(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    /// The clock reads earlier than true virtual time by `d`.
    pub fn behind(d: Duration) -> ClockOffset {
        ClockOffset(-i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    /// An offset of `nanos` nanoseconds (positive: ahead).
    pub fn from_nanos(nanos: i64) -> ClockOffset {
        ClockOffset(nanos)
    }

    /// The offset in nanoseconds (positive: ahead).
    pub fn as_nanos(self) -> i64 {
        self.0
    }
}

/// Sets the per-host parts of the simulated thread state while host code
/// runs (a step, a start, a crash), and clears them afterwards.
pub(crate) struct HostContext<'a> {
    world: &'a World,
}

impl<'a> HostContext<'a> {
    pub(crate) fn enter(world: &'a World, id: HostId, slot: &HostSlot) -> HostContext<'a> {
        world.current_host.set(Some(id));
        sim_clock::set_realtime_adjustment(slot.clock_offset_nanos, slot.clock_drift_ppm);
        sim_clock::wakers::set_stepping(Some(id.0));
        HostContext { world }
    }
}

impl Drop for HostContext<'_> {
    fn drop(&mut self) {
        sim_clock::wakers::set_stepping(None);
        sim_clock::set_realtime_adjustment(0, 0);
        self.world.current_host.set(None);
    }
}

/// Checks that `op` may apply to host `name`.
pub(crate) fn validate(world: &World, op: &str, name: &str) -> Result<HostId, SimError> {
    let id = world.lookup(name)?;
    let is_client = world
        .client_flags
        .borrow()
        .get(id.index())
        .copied()
        .unwrap_or(false);
    if is_client && matches!(op, "crash" | "kill" | "restart") {
        let kind = ErrorKind::InvalidOperation(format!(
            "cannot {op} client `{name}`: clients run once and decide the run's outcome; \
             make it a host (Sim::host) to {op} it"
        ));
        return Err(world.error(None, kind));
    }
    Ok(id)
}

fn request(op: &str, name: &str, make: impl FnOnce(HostId) -> Command) -> Result<(), SimError> {
    let w = world::current(op)?;
    let id = validate(&w, op, name)?;
    w.push(make(id));
    Ok(())
}

/// Crashes the machine of host `name` (see `Sim::crash`).
pub fn crash(name: &str) -> Result<(), SimError> {
    request("crash", name, Command::Crash)
}

/// Kills the process of host `name` (see `Sim::kill`).
pub fn kill(name: &str) -> Result<(), SimError> {
    request("kill", name, Command::Kill)
}

/// Restarts host `name` from its factory (see `Sim::restart`).
pub fn restart(name: &str) -> Result<(), SimError> {
    request("restart", name, Command::Restart)
}

/// Pauses host `name` (see `Sim::pause`).
pub fn pause(name: &str) -> Result<(), SimError> {
    request("pause", name, Command::Pause)
}

/// Resumes host `name` (see `Sim::resume`).
pub fn resume(name: &str) -> Result<(), SimError> {
    request("resume", name, Command::Resume)
}

/// Sets host `name`'s realtime clock offset (see `Sim::set_clock_offset`).
pub fn set_clock_offset(name: &str, offset: ClockOffset) -> Result<(), SimError> {
    request("set_clock_offset", name, |h| {
        Command::SetClockOffset(h, offset.as_nanos())
    })
}

/// Steps host `name`'s realtime clock (see `Sim::jump_clock`).
pub fn jump_clock(name: &str, jump: ClockOffset) -> Result<(), SimError> {
    request("jump_clock", name, |h| {
        Command::JumpClock(h, jump.as_nanos())
    })
}

/// Sets host `name`'s realtime clock drift (see `Sim::set_clock_drift`).
pub fn set_clock_drift(name: &str, ppm: i64) -> Result<(), SimError> {
    request("set_clock_drift", name, |h| Command::SetClockDrift(h, ppm))
}

/// The host whose code is running, if any.
pub fn current_host() -> Option<HostId> {
    world::with_current(|w| w.current_host.get()).flatten()
}

/// Whether the current host's tasks are being dropped because its machine
/// crashed or its process was killed or exited.
///
/// tokio drops a runtime's tasks in an order that depends on process-wide
/// task ids (so on whatever else the process ran), not on the seed. A
/// destructor that would act on the world (a socket's, closing it) should
/// leave the work to the host's `HostEvent::Crashed` or
/// `HostEvent::Stopped` handler, which can do it in a deterministic order;
/// the network does exactly that, as a kernel closes a dead process's
/// sockets.
pub fn host_stopping() -> bool {
    world::with_current(|w| w.stopping.get()).unwrap_or(false)
}

/// The name of the host whose code is running, if any.
pub fn host_name() -> Option<String> {
    let w = world::try_current()?;
    let id = w.current_host.get()?;
    Some(w.host_name(id))
}

/// The name of host `id` in the simulation running on this thread.
pub fn name_of(id: HostId) -> Option<String> {
    let w = world::try_current()?;
    let names = w.host_names.borrow();
    names.get(id.index()).cloned()
}

/// The id of the host called `name` in the simulation running on this thread.
pub fn host_id(name: &str) -> Option<HostId> {
    world::with_current(|w| w.host_ids.borrow().get(name).copied()).flatten()
}

/// Virtual time now, if a simulation runs on this thread.
pub fn sim_time() -> Option<SimTime> {
    world::with_current(|w| w.now.get())
}

/// The seed of the simulation running on this thread.
pub fn seed() -> Option<u64> {
    world::with_current(|w| w.seed)
}

/// Whether a simulation runs on this thread.
pub fn in_simulation() -> bool {
    world::with_current(|_| ()).is_some()
}

/// The extension of type `T` stored with `Sim::insert_extension`.
pub fn extension<T: 'static>() -> Option<Rc<T>> {
    world::with_current(extension_in::<T>).flatten()
}

pub(crate) fn extension_in<T: 'static>(w: &World) -> Option<Rc<T>> {
    let id = TypeId::of::<T>();
    let extensions = w.extensions.borrow();
    let (_, value) = extensions.iter().find(|(t, _)| *t == id)?;
    value.clone().downcast::<T>().ok()
}

/// Mixes a fact into the run's trace hash (a packet delivered, a decision
/// taken), so that the determinism check catches runs that differ in it.
/// `label` names the fact; `value` is any number describing it.
pub fn trace_note(label: &str, value: u64) {
    if let Some(w) = world::try_current() {
        let subject = w.current_host.get().map_or(u32::MAX, |h| h.index() as u32);
        let detail = crate::rng::stable_hash(label.as_bytes()) ^ value;
        w.record(TraceKind::Note, subject, detail, label);
    }
}
