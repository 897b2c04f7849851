//! What `scenarios run` prints: a human summary, or JSON for tools.
//!
//! Trace hashes are printed as `0x` and 16 hex digits, in JSON too: a JSON
//! number above 2^53 loses digits in many readers (JavaScript, older jq).

use std::collections::BTreeMap;
use std::time::Duration;

use scenarios::runner::{ScenarioRun, SeedOutcome};
use serde::Serialize;
use sim_core::harness::coverage_text;
use sim_core::SimTime;

/// One scenario's results, as JSON.
#[derive(Debug, Serialize)]
pub struct ScenarioJson {
    scenario: &'static str,
    /// Only the knobs the scenario reads, by flag name without dashes.
    params: BTreeMap<String, u64>,
    first_seed: u64,
    seeds: usize,
    failures: Vec<FailureJson>,
    trace_hash: Option<String>,
    events: u64,
    virtual_ns: u64,
    wall_ms: f64,
    /// The process's peak resident memory so far (over every scenario run
    /// before this one too).
    peak_rss_bytes: u64,
    /// Faults the built-in schedule injected, by kind, over the passed
    /// seeds (every kind, zeros included, when it ran; empty otherwise).
    faults: BTreeMap<String, u64>,
    /// Every property the seeds met.
    properties: Vec<PropertyJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runs: Option<Vec<RunJson>>,
}

#[derive(Debug, Serialize)]
struct PropertyJson {
    name: String,
    kind: &'static str,
    seeds_hit: u64,
    failures: u64,
    /// A sometimes/reachable no seed hit, or an always no seed evaluated.
    hole: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
}

#[derive(Debug, Serialize)]
struct FailureJson {
    seed: u64,
    virtual_ns: u64,
    message: String,
    replay: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifacts: Option<String>,
}

#[derive(Debug, Serialize)]
struct RunJson {
    seed: u64,
    passed: bool,
    trace_hash: Option<String>,
    events: Option<u64>,
    virtual_ns: u64,
    wall_ms: f64,
}

/// The results of `--all`, as JSON.
#[derive(Debug, Serialize)]
pub struct AllJson {
    /// One entry per scenario run.
    pub scenarios: Vec<ScenarioJson>,
    /// Failed seeds over every scenario.
    pub failures: usize,
}

fn hex(hash: u64) -> String {
    format!("{hash:#018x}")
}

/// Milliseconds, rounded to the microsecond (finer digits are noise).
fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// The JSON object for one scenario; `runs` lists every seed of a sweep.
pub fn scenario_json(run: &ScenarioRun) -> ScenarioJson {
    let params = run
        .scenario
        .params
        .iter()
        .map(|p| {
            (
                p.flag().trim_start_matches('-').replace('-', "_"),
                run.params.get(*p),
            )
        })
        .collect();
    let runs = (run.outcomes.len() > 1).then(|| {
        run.outcomes
            .iter()
            .map(|o| match o {
                SeedOutcome::Passed(r) => RunJson {
                    seed: r.seed,
                    passed: true,
                    trace_hash: Some(hex(r.trace_hash)),
                    events: Some(r.events),
                    virtual_ns: r.virtual_time.as_nanos(),
                    wall_ms: ms(r.wall),
                },
                SeedOutcome::Failed(f) => RunJson {
                    seed: f.seed,
                    passed: false,
                    trace_hash: None,
                    events: None,
                    virtual_ns: f.virtual_ns,
                    wall_ms: ms(f.wall),
                },
            })
            .collect()
    });
    ScenarioJson {
        scenario: run.scenario.name,
        params,
        first_seed: run.seeds().first().copied().unwrap_or(0),
        seeds: run.outcomes.len(),
        failures: run
            .failures()
            .map(|f| FailureJson {
                seed: f.seed,
                virtual_ns: f.virtual_ns,
                message: f.message.clone(),
                replay: f.replay.clone(),
                artifacts: f.artifacts.as_ref().map(|d| d.display().to_string()),
            })
            .collect(),
        trace_hash: run.trace_hash().map(hex),
        events: run.events(),
        virtual_ns: run.virtual_ns(),
        wall_ms: ms(run.wall),
        peak_rss_bytes: scenarios::memory::peak_rss_bytes(),
        faults: run.faults(),
        properties: run
            .properties()
            .into_iter()
            .map(|p| PropertyJson {
                hole: p.is_hole(),
                kind: p.kind.as_str(),
                name: p.name,
                seeds_hit: p.seeds_hit,
                failures: p.failures,
                location: p.location,
            })
            .collect(),
        runs,
    }
}

/// The human summary of one scenario: a status line, each failure with its
/// replay command, then the figures.
pub fn human(run: &ScenarioRun) -> String {
    let seeds = run.seeds();
    let range = match (seeds.first(), seeds.last()) {
        (Some(a), Some(b)) if a == b => format!("seed {a}"),
        (Some(a), Some(b)) => format!("seeds {a}..={b} ({})", seeds.len()),
        _ => "no seeds".to_string(),
    };
    let failed = run.failures().count();
    let status = if failed == 0 {
        "ok".to_string()
    } else {
        format!("{failed} of {} FAILED", seeds.len())
    };
    let mut out = format!("{} ({range}): {status}\n", run.scenario.name);
    for f in run.failures() {
        // The message itself names the seed, the virtual time and the host.
        out.push_str(&format!(
            "  FAILED {}\n    replay: {}\n",
            indent(&f.message),
            f.replay
        ));
        if let Some(dir) = &f.artifacts {
            out.push_str(&format!("    artifacts: {}\n", dir.display()));
        }
    }
    let hash = run
        .trace_hash()
        .map_or_else(|| "none (failed)".to_string(), hex);
    let virt = Duration::from_nanos(run.virtual_ns());
    let speed = virt.as_secs_f64() / run.wall.as_secs_f64().max(1e-9);
    out.push_str(&format!(
        "  trace hash {hash}, {} events, {} virtual, {:.3} s wall ({speed:.0}x real time), peak memory {:.1} MiB\n",
        run.events(),
        SimTime::from_nanos(run.virtual_ns()),
        run.wall.as_secs_f64(),
        scenarios::memory::peak_rss_bytes() as f64 / (1024.0 * 1024.0),
    ));
    let coverage = coverage_text(&run.properties(), &run.faults(), seeds.len());
    for line in coverage.lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// The properties of `run` that no seed hit (coverage holes).
pub fn coverage_holes(run: &ScenarioRun) -> usize {
    run.properties().iter().filter(|p| p.is_hole()).count()
}

/// The closing line of the human output.
pub fn human_total(runs: &[ScenarioRun]) -> String {
    let seeds: usize = runs.iter().map(|r| r.outcomes.len()).sum();
    let failed: usize = runs.iter().map(|r| r.failures().count()).sum();
    let verdict = if failed == 0 { "all passed" } else { "FAILED" };
    format!(
        "total: {} scenario(s), {seeds} seed(s), {failed} failure(s): {verdict}",
        runs.len()
    )
}

/// Keeps a multi-line message under its heading.
fn indent(message: &str) -> String {
    message.replace('\n', "\n      ")
}
