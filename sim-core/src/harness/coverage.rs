//! What a sweep covered: each property with the number of seeds that hit
//! it, and the faults the schedule injected, summed over the seeds.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{FailureCause, Sweep};
use crate::error::ErrorKind;
use crate::error::SimError;
use crate::properties::{self, PropertyKind};
use crate::sim::RunReport;

/// One property over a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyTally {
    /// Its name.
    pub name: String,
    /// What it promises.
    pub kind: PropertyKind,
    /// Where it is declared (`file:line` of its first call site), if this
    /// program links it.
    pub location: Option<String>,
    /// Passing seeds that hit it: evaluated an `always`, saw a `sometimes`
    /// true, reached a `reachable` (an `unreachable` reached fails its seed).
    pub seeds_hit: u64,
    /// Seeds it failed.
    pub failures: u64,
}

impl PropertyTally {
    /// A `sometimes` or `reachable` that no seed hit, or an `always` that no
    /// seed evaluated: the sweep did not cover it.
    pub fn is_hole(&self) -> bool {
        self.kind.wants_a_hit() && self.seeds_hit == 0 && self.failures == 0
    }
}

fn site_of(name: &str) -> Option<&'static properties::PropertySite> {
    properties::declared().find(|s| s.name == name)
}

/// The entry of property `name`, made if it is new.
fn tally<'a>(
    by_name: &'a mut BTreeMap<String, PropertyTally>,
    name: &str,
    kind: PropertyKind,
) -> &'a mut PropertyTally {
    by_name
        .entry(name.to_string())
        .or_insert_with(|| PropertyTally {
            name: name.to_string(),
            kind,
            location: site_of(name).map(|s| format!("{}:{}", s.file, s.line)),
            seeds_hit: 0,
            failures: 0,
        })
}

/// The property a failed run names, if a property failed it.
pub fn failed_property(e: &SimError) -> Option<&str> {
    match &e.kind {
        ErrorKind::PropertyFailed { property, .. } => Some(property),
        _ => None,
    }
}

/// Every property met by the passing runs `reports` and the failing
/// properties `failed` (one name per failed seed), plus every other
/// property declared in the same crates (so a `reachable!` that no seed
/// reached is listed, with zero hits): what [`Sweep::properties`] reports,
/// for runners that keep their own list of outcomes.
pub fn tally_properties<'a>(
    reports: impl IntoIterator<Item = &'a RunReport>,
    failed: impl IntoIterator<Item = &'a str>,
) -> Vec<PropertyTally> {
    let mut by_name: BTreeMap<String, PropertyTally> = BTreeMap::new();
    for report in reports {
        for (name, count) in &report.properties {
            tally(&mut by_name, name, count.kind).seeds_hit += u64::from(count.hits > 0);
        }
    }
    for property in failed {
        let kind = site_of(property).map_or(PropertyKind::Always, |s| s.kind);
        tally(&mut by_name, property, kind).failures += 1;
    }
    let crates: Vec<&str> = properties::declared()
        .filter(|s| by_name.contains_key(s.name))
        .map(|s| s.krate())
        .collect();
    for site in properties::declared().filter(|s| crates.contains(&s.krate())) {
        tally(&mut by_name, site.name, site.kind);
    }
    by_name.into_values().collect()
}

/// A table of `properties` over `seeds` seeds (kind, name, seeds hit,
/// failures, each hole flagged) and a line of `faults` by kind; empty when
/// there are neither.
pub fn coverage_text(
    properties: &[PropertyTally],
    faults: &BTreeMap<String, u64>,
    seeds: usize,
) -> String {
    let mut s = String::new();
    if !properties.is_empty() {
        let _ = writeln!(s, "properties over {seeds} seeds:");
        for p in properties {
            let flag = if p.is_hole() {
                "  <- never hit: a coverage hole"
            } else {
                ""
            };
            let failed = if p.failures > 0 {
                format!(", FAILED in {} seed(s)", p.failures)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  {:<11} {:<58} hit in {} seed(s){failed}{flag}",
                p.kind.as_str(),
                format!("\"{}\"", p.name),
                p.seeds_hit,
            );
        }
    }
    if !faults.is_empty() {
        let list: Vec<String> = faults.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(s, "faults injected: {}", list.join(", "));
    }
    s
}

impl Sweep {
    /// Every property the sweep met, by name: those evaluated in some seed,
    /// those that failed a seed, and every other property declared in the
    /// same crates (so a `reachable!` that no seed reached is listed, with
    /// zero hits). Seeds that failed count only in `failures`.
    pub fn properties(&self) -> Vec<PropertyTally> {
        let failed = self.failures().filter_map(|f| match &f.cause {
            FailureCause::Run(e) => failed_property(e),
            _ => None,
        });
        tally_properties(self.reports(), failed)
    }

    /// The faults the built-in schedule injected, by kind, summed over the
    /// passing seeds.
    pub fn faults(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for report in self.reports() {
            for (kind, n) in &report.faults {
                *out.entry(kind.clone()).or_insert(0) += n;
            }
        }
        out
    }

    /// The coverage holes (see [`PropertyTally::is_hole`]).
    pub fn coverage_holes(&self) -> Vec<PropertyTally> {
        self.properties()
            .into_iter()
            .filter(PropertyTally::is_hole)
            .collect()
    }

    /// A table of the properties (kind, name, seeds hit, failures) and the
    /// faults, each hole flagged; empty when the sweep met neither.
    pub fn coverage_report(&self) -> String {
        coverage_text(&self.properties(), &self.faults(), self.runs.len())
    }
}
