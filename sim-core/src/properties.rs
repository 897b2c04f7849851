//! Properties in the Antithesis vocabulary: [`always!`](crate::always),
//! [`sometimes!`](crate::sometimes), [`reachable!`](crate::reachable) and
//! [`unreachable!`](crate::unreachable), for host, client and test code.
//!
//! - `always!(cond, "name")`: `cond` holds every time it is evaluated. A
//!   false one fails the seed, naming the property.
//! - `sometimes!(cond, "name")`: `cond` holds at least once in some seed of a
//!   sweep: the sweep counts the seeds that saw it true.
//! - `reachable!("name")`: some seed of a sweep reaches this line.
//! - `unreachable!("name")`: no seed reaches this line; reaching it fails
//!   the seed.
//!
//! Each call site registers itself at link time, so a sweep knows the
//! properties that no seed reached at all (see
//! [`Sweep::properties`](crate::harness::Sweep::properties)): a `sometimes`
//! or `reachable` that no seed hit, or an `always` that no seed evaluated,
//! is a coverage hole, which the [`Harness`](crate::Harness) reports as a
//! warning or, with [`Harness::require_coverage`](crate::Harness::require_coverage),
//! as a failure. Call sites that share a name are one property.
//!
//! Outside a simulation every macro evaluates its condition and does
//! nothing else.
//!
//! ```
//! use sim_core::{always, sometimes, Harness};
//!
//! let sweep = Harness::new().seeds(0..20).ignore_env().sweep(|sim| {
//!     sim.client("dice", async {
//!         let roll = rand::Rng::random_range(&mut sim_core::rng(), 1..=6);
//!         always!((1..=6).contains(&roll), "a die shows one to six");
//!         sometimes!(roll == 6, "a six is rolled");
//!         Ok(())
//!     });
//! });
//! let six = sweep.properties().into_iter().find(|p| p.name == "a six is rolled").unwrap();
//! assert!(six.seeds_hit > 0 && six.seeds_hit < 20);
//! ```

use std::fmt;

use crate::error::ErrorKind;
use crate::world;

/// What a property promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PropertyKind {
    /// Holds every time it is evaluated ([`always!`](crate::always)).
    Always,
    /// Holds at least once over a sweep ([`sometimes!`](crate::sometimes)).
    Sometimes,
    /// Reached at least once over a sweep ([`reachable!`](crate::reachable)).
    Reachable,
    /// Never reached ([`unreachable!`](crate::unreachable)).
    Unreachable,
}

impl PropertyKind {
    /// The name used in reports and JSON: `always`, `sometimes`,
    /// `reachable`, `unreachable`.
    pub fn as_str(self) -> &'static str {
        match self {
            PropertyKind::Always => "always",
            PropertyKind::Sometimes => "sometimes",
            PropertyKind::Reachable => "reachable",
            PropertyKind::Unreachable => "unreachable",
        }
    }

    /// The kind called `s` (see [`as_str`](Self::as_str)).
    pub fn parse(s: &str) -> Option<PropertyKind> {
        [
            PropertyKind::Always,
            PropertyKind::Sometimes,
            PropertyKind::Reachable,
            PropertyKind::Unreachable,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether a sweep in which no seed hit the property has a coverage
    /// hole: an `always` never evaluated, a `sometimes` never true, a
    /// `reachable` never reached. An `unreachable` never reached is the goal.
    pub fn wants_a_hit(self) -> bool {
        self != PropertyKind::Unreachable
    }
}

impl fmt::Display for PropertyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One call site of a property macro, registered at link time.
#[derive(Debug)]
pub struct PropertySite {
    /// The property's name (the macro's string literal).
    pub name: &'static str,
    /// What it promises.
    pub kind: PropertyKind,
    /// The source file of the call.
    pub file: &'static str,
    /// The line of the call.
    pub line: u32,
    /// The module of the call (`my_crate::raft::log`).
    pub module: &'static str,
}

impl PropertySite {
    /// The crate the call is in (the first segment of its module path).
    pub fn krate(&self) -> &'static str {
        self.module.split("::").next().unwrap_or(self.module)
    }
}

/// Every property call site linked into this program.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static PROPERTY_SITES: [PropertySite];

/// Every property call site linked into this program, whether or not it
/// ever runs.
pub fn declared() -> impl Iterator<Item = &'static PropertySite> {
    PROPERTY_SITES.iter()
}

/// What one run saw of one property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropertyCount {
    /// What the property promises.
    pub kind: PropertyKind,
    /// Times a call site of it ran.
    pub evaluations: u64,
    /// Times it held (`always`, `sometimes`) or was reached (`reachable`,
    /// `unreachable`).
    pub hits: u64,
}

/// Records one evaluation of the property at `site` (the macros' back end).
#[doc(hidden)]
pub fn __check(site: &'static PropertySite, cond: bool) {
    world::with_current(|w| {
        let hit = match site.kind {
            PropertyKind::Always | PropertyKind::Sometimes => cond,
            PropertyKind::Reachable | PropertyKind::Unreachable => true,
        };
        {
            let mut props = w.properties.borrow_mut();
            let count = props.entry(site.name).or_insert(PropertyCount {
                kind: site.kind,
                evaluations: 0,
                hits: 0,
            });
            count.evaluations += 1;
            count.hits += u64::from(hit);
        }
        let failed = match site.kind {
            PropertyKind::Always => !cond,
            PropertyKind::Unreachable => true,
            PropertyKind::Sometimes | PropertyKind::Reachable => false,
        };
        if failed {
            let detail = match site.kind {
                PropertyKind::Always => "an `always` property was false",
                _ => "an `unreachable` property was reached",
            };
            let kind = ErrorKind::PropertyFailed {
                property: site.name.to_string(),
                detail: format!("{detail} at {}:{}", site.file, site.line),
            };
            w.fail_later(w.error(w.current_host.get(), kind));
        }
    });
}

/// Asserts that `cond` holds every time this line runs; a false `cond`
/// fails the seed with the property's name (see [`properties`](crate::properties)).
///
/// ```
/// # let acked = 3; let stored = 3;
/// sim_core::always!(stored >= acked, "no acknowledged write is lost");
/// ```
#[macro_export]
macro_rules! always {
    ($cond:expr, $name:literal $(,)?) => {
        $crate::__property!(Always, $name, $cond)
    };
}

/// Declares that `cond` is true at least once over a sweep; the sweep counts
/// the seeds in which it was (see [`properties`](crate::properties)).
///
/// ```
/// # let acks = 1;
/// sim_core::sometimes!(acks < 2, "a write is rejected for lack of quorum");
/// ```
#[macro_export]
macro_rules! sometimes {
    ($cond:expr, $name:literal $(,)?) => {
        $crate::__property!(Sometimes, $name, $cond)
    };
}

/// Declares that some seed of a sweep reaches this line (see
/// [`properties`](crate::properties)).
///
/// ```
/// sim_core::reachable!("a replica catches up");
/// ```
#[macro_export]
macro_rules! reachable {
    ($name:literal $(,)?) => {
        $crate::__property!(Reachable, $name, true)
    };
}

/// Declares that no seed reaches this line; reaching it fails the seed
/// with the property's name (see [`properties`](crate::properties)).
/// Use it by path (`sim_core::unreachable!`): it is not `std`'s.
///
/// ```
/// # fn never() {
/// sim_core::unreachable!("two leaders in one term");
/// # }
/// ```
#[macro_export]
macro_rules! unreachable {
    ($name:literal $(,)?) => {
        $crate::__property!(Unreachable, $name, true)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __property {
    ($kind:ident, $name:literal, $cond:expr) => {{
        #[$crate::__private::linkme::distributed_slice($crate::properties::PROPERTY_SITES)]
        #[linkme(crate = $crate::__private::linkme)]
        static SITE: $crate::properties::PropertySite = $crate::properties::PropertySite {
            name: $name,
            kind: $crate::properties::PropertyKind::$kind,
            file: ::core::file!(),
            line: ::core::line!(),
            module: ::core::module_path!(),
        };
        $crate::properties::__check(&SITE, $cond)
    }};
}
