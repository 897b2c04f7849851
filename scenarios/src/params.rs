//! [`Params`]: the knobs a scenario reads, with the defaults the command
//! line uses, and [`Param`]: the name of one knob.
//!
//! Scenarios declare which knobs they read, so that `scenarios list` can show
//! them and a replay command carries exactly the non-default ones that matter.
//!
//! ```
//! use scenarios::{Param, Params};
//!
//! let small = Params { hosts: 20, ..Params::default() };
//! assert_eq!(small.non_default(&[Param::Hosts, Param::VirtualSecs]), vec!["--hosts 20".to_string()]);
//! ```

use std::fmt;

/// One knob of a scenario, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// `--hosts N`: how many hosts the scenario starts.
    Hosts,
    /// `--virtual-secs N`: how long (in virtual seconds) the scenario runs.
    VirtualSecs,
    /// `--clients N`: how many clients talk to the server.
    Clients,
    /// `--messages N`: how many messages (or pings) each client sends.
    Messages,
    /// `--bytes N`: how many bytes a stream carries.
    Bytes,
}

impl Param {
    /// The command-line flag, e.g. `--hosts`.
    pub fn flag(self) -> &'static str {
        match self {
            Param::Hosts => "--hosts",
            Param::VirtualSecs => "--virtual-secs",
            Param::Clients => "--clients",
            Param::Messages => "--messages",
            Param::Bytes => "--bytes",
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} N (default {})",
            self.flag(),
            Params::DEFAULT.get(*self)
        )
    }
}

/// The values of every knob for one run. `Copy`, so a setup closure that
/// runs on a fresh thread per seed can hold its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Number of hosts (`--hosts`).
    pub hosts: u32,
    /// Virtual duration in seconds (`--virtual-secs`).
    pub virtual_secs: u64,
    /// Number of clients (`--clients`).
    pub clients: u32,
    /// Messages or pings per client (`--messages`).
    pub messages: u32,
    /// Bytes of a stream (`--bytes`).
    pub bytes: u64,
    /// The built-in fault schedule on, for any scenario (`--faults`; see
    /// [`crate::registry::Scenario::setup_with`]).
    pub faults: bool,
}

impl Default for Params {
    /// [`Params::DEFAULT`].
    fn default() -> Self {
        Params::DEFAULT
    }
}

impl Params {
    /// The defaults, usable in `const` items (`..Params::DEFAULT`): 100
    /// hosts for one virtual hour (the workload the heartbeats benchmark
    /// measures), 8 clients of 50 messages, streams of 1 MiB.
    pub const DEFAULT: Params = Params {
        hosts: 100,
        virtual_secs: 3600,
        clients: 8,
        messages: 50,
        bytes: 1 << 20,
        faults: false,
    };

    /// The value of knob `param`.
    pub fn get(&self, param: Param) -> u64 {
        match param {
            Param::Hosts => u64::from(self.hosts),
            Param::VirtualSecs => self.virtual_secs,
            Param::Clients => u64::from(self.clients),
            Param::Messages => u64::from(self.messages),
            Param::Bytes => self.bytes,
        }
    }

    /// Command-line arguments (`--flag value`) for the knobs among `used`
    /// that differ from their default, in the order given.
    pub fn non_default(&self, used: &[Param]) -> Vec<String> {
        let default = Params::default();
        used.iter()
            .filter(|p| self.get(**p) != default.get(**p))
            .map(|p| format!("{} {}", p.flag(), self.get(*p)))
            .collect()
    }
}
