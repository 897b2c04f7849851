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
}

impl Param {
    /// The command-line flag, e.g. `--hosts`.
    pub fn flag(self) -> &'static str {
        match self {
            Param::Hosts => "--hosts",
            Param::VirtualSecs => "--virtual-secs",
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = Params::default();
        match self {
            Param::Hosts => write!(f, "{} N (default {})", self.flag(), default.hosts),
            Param::VirtualSecs => write!(f, "{} N (default {})", self.flag(), default.virtual_secs),
        }
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
}

impl Default for Params {
    /// 100 hosts for one virtual hour: the workload the issue measures.
    fn default() -> Self {
        Params {
            hosts: 100,
            virtual_secs: 3600,
        }
    }
}

impl Params {
    /// The value of knob `param`.
    pub fn get(&self, param: Param) -> u64 {
        match param {
            Param::Hosts => u64::from(self.hosts),
            Param::VirtualSecs => self.virtual_secs,
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
