//! What a sweep will do once the environment has had its say: which seeds in
//! which order, on how many threads, for how long, isolated or not.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::regressions::RegressionFile;
use super::replay::TestId;
use super::{Harness, Isolation};

/// One of `count` disjoint slices of a sweep's seeds: the seeds at positions
/// `index - 1`, `index - 1 + count`, ... of the sweep (1-based, as in
/// `SIM_SHARD=1/4`). The shards `1/n` to `n/n` together run exactly the seeds
/// of the unsharded sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, from 1 to `count`.
    pub index: u64,
    /// How many slices.
    pub count: u64,
}

impl Shard {
    /// Slice `index` (1-based) of `count`; `None` unless `1 <= index <= count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (index >= 1 && index <= count).then_some(Shard { index, count })
    }

    /// Whether the seed at `position` (0-based) of the sweep is in this slice.
    pub fn contains(&self, position: u64) -> bool {
        position % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard; give e.g. 1/4 (slice 1 of 4)");
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let (i, n) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Shard::new(i, n).ok_or_else(bad)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A harness's settings with the environment applied.
pub(super) struct Plan {
    /// Remembered failing seeds, run first.
    pub(super) remembered: Vec<u64>,
    /// The seeds set in code or by `SIM_SEED`/`SIM_SEEDS`.
    pub(super) listed: Vec<u64>,
    /// With a time budget: go on from this seed (up to a count, if given).
    pub(super) open_from: Option<(u64, Option<u64>)>,
    pub(super) shard: Option<Shard>,
    pub(super) check: bool,
    pub(super) jobs: usize,
    pub(super) keep_going: bool,
    pub(super) budget: Option<Duration>,
    pub(super) isolation: Isolation,
    /// Isolation came from `SIM_ISOLATE=1`, so a replay must set it too.
    pub(super) isolation_from_env: bool,
    /// The libtest test running the harness, when known.
    pub(super) test: Option<TestId>,
    pub(super) regressions: Option<RegressionFile>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub(super) fn env_u64(name: &str) -> Option<u64> {
    let value = env(name)?;
    match value.trim().parse() {
        Ok(v) => Some(v),
        Err(_) => panic!("{name}={value:?} is not a whole number; unset it or give e.g. {name}=42"),
    }
}

pub(super) fn env_flag(name: &str) -> Option<bool> {
    let value = std::env::var(name).ok()?;
    Some(!matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "no" | "off"
    ))
}

fn env_secs(name: &str) -> Option<Duration> {
    let value = env(name)?;
    match value.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
        _ => panic!("{name}={value:?} is not a number of seconds; give e.g. {name}=600"),
    }
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Plan {
    pub(super) fn resolve(h: &Harness) -> Plan {
        let mut plan = Plan {
            remembered: Vec::new(),
            listed: h.seeds.clone(),
            open_from: None,
            shard: h.shard,
            check: h.check_determinism,
            jobs: h.jobs.unwrap_or_else(default_jobs),
            keep_going: h.keep_going,
            budget: h.budget,
            isolation: h.isolation.unwrap_or(Isolation::Thread),
            isolation_from_env: false,
            test: None,
            regressions: None,
        };
        if !h.use_env {
            plan.open_budget(None);
            return plan;
        }
        let start = h.seeds.first().copied().unwrap_or(0);
        let count = env_u64("SIM_SEEDS");
        if let Some(n) = count {
            plan.listed = (start..start.saturating_add(n)).collect();
        }
        if let Some(check) = env_flag("SIM_CHECK_DETERMINISM") {
            plan.check = check;
        }
        if let Some(jobs) = env_u64("SIM_JOBS") {
            plan.jobs = usize::try_from(jobs).unwrap_or(usize::MAX).max(1);
        }
        if let Some(keep_going) = env_flag("SIM_KEEP_GOING") {
            plan.keep_going = keep_going;
        }
        if let Some(isolate) = env_flag("SIM_ISOLATE") {
            plan.isolation = if isolate {
                Isolation::Process
            } else {
                Isolation::Thread
            };
            plan.isolation_from_env = isolate && h.isolation != Some(Isolation::Process);
        }
        if let Some(shard) = env("SIM_SHARD") {
            plan.shard = Some(
                shard
                    .parse()
                    .unwrap_or_else(|e| panic!("SIM_SHARD={shard:?}: {e}")),
            );
        }
        if let Some(budget) = env_secs("SIM_SWEEP_SECS") {
            plan.budget = Some(budget);
        }
        plan.test = TestId::current();
        if let Some(seed) = env_u64("SIM_SEED") {
            // A replay: that seed alone, whatever else is configured.
            plan.listed = vec![seed];
            plan.shard = None;
            plan.budget = None;
            return plan;
        }
        plan.open_budget(count);
        plan.regressions = plan
            .test
            .as_ref()
            .and_then(|t| RegressionFile::for_test(&t.name));
        if let Some(file) = &plan.regressions {
            plan.remembered = file.seeds();
        }
        plan
    }

    /// With a time budget the sweep goes on past the listed seeds.
    fn open_budget(&mut self, count: Option<u64>) {
        if self.budget.is_some() {
            let start = self.listed.first().copied().unwrap_or(0);
            self.open_from = Some((start, count));
            self.listed.clear();
        }
    }

    /// The listed seeds after sharding (what `Harness::resolved` reports).
    pub(super) fn configured_seeds(&self) -> Vec<u64> {
        let listed: Vec<u64> = match self.open_from {
            Some((start, Some(n))) => (start..start.saturating_add(n)).collect(),
            _ => self.listed.clone(),
        };
        listed
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.shard.is_none_or(|s| s.contains(*i as u64)))
            .map(|(_, seed)| seed)
            .collect()
    }

    /// Every seed of the sweep in order: remembered failures first, then
    /// the listed seeds (or, with a budget, an open range), each once, then
    /// this shard's slice of them.
    pub(super) fn seeds(&self) -> Box<dyn Iterator<Item = u64> + Send> {
        let open: Box<dyn Iterator<Item = u64> + Send> = match self.open_from {
            Some((start, Some(n))) => Box::new(start..start.saturating_add(n)),
            Some((start, None)) => Box::new(start..=u64::MAX),
            None => Box::new(std::iter::empty()),
        };
        // Remembered and listed seeds are few; the open range of a budget is
        // only checked against the remembered ones, so memory stays flat.
        let mut seen = HashSet::new();
        let firsts: Vec<u64> = self
            .remembered
            .iter()
            .chain(&self.listed)
            .copied()
            .filter(|s| seen.insert(*s))
            .collect();
        let remembered: HashSet<u64> = self.remembered.iter().copied().collect();
        let shard = self.shard;
        Box::new(
            firsts
                .into_iter()
                .chain(open.filter(move |s| !remembered.contains(s)))
                .enumerate()
                .filter(move |(i, _)| shard.is_none_or(|s| s.contains(*i as u64)))
                .map(|(_, seed)| seed),
        )
    }
}
