//! Actors: model code (a packet switch, a link, a socket buffer) stepped by
//! the scheduler alongside hosts.
//!
//! An actor says when it next needs to run ([`Actor::next_deadline`]); the
//! scheduler steps it at that virtual instant, interleaved with host steps by
//! the seeded tie-break. When code outside the actor changes it (host code
//! writing to a socket), that code calls [`actor_changed`] and the scheduler
//! asks for the deadline again after the current step. The network of
//! `sim-net` plugs in this way.
//!
//! ```
//! use std::{cell::RefCell, rc::Rc, time::Duration};
//! use sim_core::{Actor, Builder, SimTime};
//!
//! /// Ticks every 100 ms of virtual time, five times.
//! struct Ticker { next: Option<SimTime>, ticks: u32 }
//!
//! impl Actor for Ticker {
//!     fn name(&self) -> &str { "ticker" }
//!     fn next_deadline(&self) -> Option<SimTime> { self.next }
//!     fn step(&mut self, now: SimTime) {
//!         self.ticks += 1;
//!         self.next = (self.ticks < 5).then(|| now + Duration::from_millis(100));
//!     }
//! }
//!
//! std::thread::spawn(|| {
//!     let ticker = Rc::new(RefCell::new(Ticker { next: Some(SimTime::ZERO), ticks: 0 }));
//!     let mut sim = Builder::new().build();
//!     sim.add_actor(ticker.clone());
//!     let report = sim.run().unwrap();
//!     assert_eq!(ticker.borrow().ticks, 5);
//!     assert_eq!(report.virtual_time, SimTime::ZERO + Duration::from_millis(400));
//! }).join().unwrap();
//! ```

use sim_clock::SimTime;

use crate::ids::{ActorId, HostId};
use crate::world;

/// Something that happened to a host, told to every actor (the network
/// silences a crashed machine's sockets, for instance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostEvent {
    /// The host (re)started: its code is about to run from its factory.
    Started,
    /// The machine crashed: nothing of it runs or answers any more. Sent
    /// before its tasks are dropped.
    Crashed,
    /// The process was killed or exited: the kernel closes its sockets. Sent
    /// after its tasks are dropped.
    Stopped,
    /// The host was paused: no task of it runs until resumed.
    Paused,
    /// The host was resumed.
    Resumed,
}

/// Model code stepped by the scheduler: an actor says when it next has
/// work ([`Actor::next_deadline`]) and the scheduler steps it then.
pub trait Actor {
    /// A name for traces and error messages.
    fn name(&self) -> &str;

    /// The next virtual instant at which the actor needs a step, if any.
    fn next_deadline(&self) -> Option<SimTime>;

    /// Runs everything due at `now`.
    fn step(&mut self, now: SimTime);

    /// An instant at which the actor needs a step *after* everything else due
    /// at that instant has run, host steps included: work it holds back in
    /// case a host makes it unnecessary. The network holds back a pure TCP
    /// acknowledgement this way, so that a reply the application writes at
    /// the same virtual instant carries it; the ACK leaves at the same
    /// instant either way. The scheduler then calls
    /// [`finish_instant`](Self::finish_instant). The default holds nothing back.
    fn end_of_instant(&self) -> Option<SimTime> {
        None
    }

    /// Runs the work held back for the end of `now` (see
    /// [`end_of_instant`](Self::end_of_instant)). The default does nothing.
    fn finish_instant(&mut self, _now: SimTime) {}

    /// Hears of host lifecycle changes. The default ignores them.
    fn host_event(&mut self, _host: HostId, _event: HostEvent) {}
}

/// Tells the scheduler that `actor`'s deadline may have changed; it asks
/// again after the current step. Does nothing outside a simulation.
pub fn actor_changed(actor: ActorId) {
    world::with_current(|w| {
        let mut dirty = w.dirty_actors.borrow_mut();
        // A repeat of the last request changes nothing (the scheduler would
        // read the same deadline twice), so it is not queued.
        if dirty.last() != Some(&actor) {
            dirty.push(actor);
        }
    });
}
