//! [`ClockAnchor`]: checks that the three clocks host code reads
//! (`std::time::Instant`, `SystemTime`, `tokio::time::Instant`) all follow
//! the simulation's virtual time, with no drift and no real time leaking in.
//!
//! An anchor remembers every clock at one moment; later, each clock must
//! have moved by exactly the virtual time that passed. Only meaningful
//! inside a simulation and on a host without clock skew.

use std::time::{Duration, Instant, SystemTime};

use sim_core::SimTime;

/// Every clock read at one virtual instant.
#[derive(Clone, Copy, Debug)]
pub struct ClockAnchor {
    virt: SimTime,
    std: Instant,
    tokio: tokio::time::Instant,
    system: SystemTime,
}

impl ClockAnchor {
    /// Reads every clock now. Outside a simulation the virtual time reads
    /// as zero, and every later [`ClockAnchor::check`] reports the mismatch.
    pub fn now() -> ClockAnchor {
        ClockAnchor {
            virt: virtual_now(),
            std: Instant::now(),
            tokio: tokio::time::Instant::now(),
            system: SystemTime::now(),
        }
    }

    /// The virtual time at which the anchor was taken.
    pub fn virtual_time(&self) -> SimTime {
        self.virt
    }

    /// What `SystemTime` read at virtual time zero, as seen from this
    /// anchor: equal on every unskewed host of one run.
    pub fn epoch(&self) -> SystemTime {
        self.system - self.virt.as_duration()
    }

    /// Virtual time since the anchor.
    pub fn virtual_elapsed(&self) -> Duration {
        virtual_now().saturating_since(self.virt)
    }

    /// Checks that every clock moved by exactly the virtual time elapsed
    /// since the anchor; the error names the clock that did not.
    pub fn check(&self) -> Result<(), String> {
        let virt = self.virtual_elapsed();
        let std = Instant::now().saturating_duration_since(self.std);
        let tokio = tokio::time::Instant::now().saturating_duration_since(self.tokio);
        let system = SystemTime::now().duration_since(self.system);
        let at = virtual_now();
        if std != virt {
            return Err(format!(
                "std::time::Instant advanced {std:?} while virtual time advanced {virt:?} (at {at})"
            ));
        }
        if tokio != virt {
            return Err(format!(
                "tokio::time::Instant advanced {tokio:?} while virtual time advanced {virt:?} (at {at})"
            ));
        }
        match system {
            Ok(system) if system == virt => Ok(()),
            Ok(system) => Err(format!(
                "SystemTime advanced {system:?} while virtual time advanced {virt:?} (at {at})"
            )),
            Err(back) => Err(format!(
                "SystemTime went back {:?} while virtual time advanced {virt:?} (at {at})",
                back.duration()
            )),
        }
    }
}

/// Virtual time now, or zero outside a simulation. Unlike the host clocks,
/// this is the simulation's own time, comparable across hosts and with
/// instants chosen in the setup.
pub fn virtual_now() -> SimTime {
    sim_core::sim_time().unwrap_or(SimTime::ZERO)
}
