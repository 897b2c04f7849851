//! [`SimError`]: why a run ended badly, with the seed, the virtual time and
//! the host, so that a failure can be replayed and understood.

use std::fmt;
use std::time::Duration;

use sim_clock::SimTime;

/// A failed run: what went wrong, where, and how to get back there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimError {
    /// The seed of the run; the same seed replays the same run.
    pub seed: u64,
    /// Virtual time at which the failure was seen.
    pub time: SimTime,
    /// The host involved, if one was.
    pub host: Option<String>,
    /// What happened.
    pub kind: ErrorKind,
}

/// The causes a run can fail with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A client's future returned `Err`.
    ClientFailed(String),
    /// A task of a client panicked.
    ClientPanicked(String),
    /// A host's future returned `Err`.
    HostFailed(String),
    /// A task of a host panicked.
    HostPanicked(String),
    /// Virtual time reached the builder's limit while clients still ran.
    TimeLimit {
        /// The configured limit.
        limit: Duration,
        /// Clients that had not finished.
        waiting: Vec<String>,
    },
    /// The run took longer than the builder's wall-clock limit.
    WallClockLimit {
        /// The configured limit.
        limit: Duration,
        /// Clients that had not finished.
        waiting: Vec<String>,
        /// Hosts that kept their runtime busy at the current virtual
        /// instant (time stood still while the wall clock ran out): usually
        /// a task that retries at once, without awaiting anything that
        /// takes virtual time.
        busy: Vec<String>,
    },
    /// No event is left (every host idle with no timer) while clients wait.
    Deadlock {
        /// Clients that had not finished.
        waiting: Vec<String>,
    },
    /// Virtual time stopped advancing: too many events at one instant.
    Livelock {
        /// Events run at this instant.
        events: u64,
        /// Hosts that were still busy.
        busy: Vec<String>,
    },
    /// Host code made a call a simulation cannot honour (a blocking sleep,
    /// a real socket).
    Unsupported {
        /// The libc call.
        call: String,
        /// What to use instead.
        advice: String,
    },
    /// The simulation was used wrongly: unknown host, duplicate name, an
    /// operation that does not apply.
    InvalidOperation(String),
    /// The simulator could not do its job (e.g. the OS refused a runtime).
    Internal(String),
    /// A property failed: an [`always!`](crate::always) was false or an
    /// [`unreachable!`](crate::unreachable) was reached.
    PropertyFailed {
        /// The property's name.
        property: String,
        /// What happened, and where.
        detail: String,
    },
}

impl SimError {
    /// Whether the failure is of the given kind's variant (ignoring details).
    pub fn is(&self, f: impl FnOnce(&ErrorKind) -> bool) -> bool {
        f(&self.kind)
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::ClientFailed(m) => write!(f, "client returned an error: {m}"),
            ErrorKind::ClientPanicked(m) => write!(f, "client panicked: {m}"),
            ErrorKind::HostFailed(m) => write!(f, "host returned an error: {m}"),
            ErrorKind::HostPanicked(m) => write!(f, "host panicked: {m}"),
            ErrorKind::TimeLimit { limit, waiting } => write!(
                f,
                "virtual time limit of {limit:?} reached; clients still running: {}",
                list(waiting)
            ),
            ErrorKind::WallClockLimit {
                limit,
                waiting,
                busy,
            } => {
                write!(
                    f,
                    "wall-clock limit of {limit:?} reached; clients still running: {}",
                    list(waiting)
                )?;
                if !busy.is_empty() {
                    write!(
                        f,
                        "; virtual time stood still while these hosts stayed busy: {} (a task \
                         that retries at once, e.g. after an accept or read error, without \
                         awaiting a timer?)",
                        list(busy)
                    )?;
                }
                Ok(())
            }
            ErrorKind::Deadlock { waiting } => write!(
                f,
                "deadlock: no event left (every host idle, no timer armed) while clients wait: {}",
                list(waiting)
            ),
            ErrorKind::Livelock { events, busy } => write!(
                f,
                "livelock: {events} events at one virtual instant without time advancing; busy hosts: {}",
                list(busy)
            ),
            ErrorKind::Unsupported { call, advice } => {
                write!(f, "unsupported call `{call}` inside the simulation: {advice}")
            }
            ErrorKind::InvalidOperation(m) => write!(f, "invalid operation: {m}"),
            ErrorKind::Internal(m) => write!(f, "simulator error: {m}"),
            ErrorKind::PropertyFailed { property, detail } => {
                write!(f, "property `{property}` failed: {detail}")
            }
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed {}, virtual time {}", self.seed, self.time)?;
        if let Some(host) = &self.host {
            write!(f, ", host `{host}`")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for SimError {}
