//! The command line: `scenarios list` and `scenarios run`, parsed with clap.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};
use scenarios::runner::ArtifactRequest;
use scenarios::Params;
use sim_core::RecordOptions;

/// Runs the simulator's bundled scenarios over one seed or a sweep of seeds.
///
/// A failing seed is printed with the exact command that replays it.
#[derive(Debug, Parser)]
#[command(name = "scenarios", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the bundled scenarios, their parameters and whether --all runs them.
    List,
    /// Run one scenario, or every scenario with --all, over one or more seeds.
    Run(RunArgs),
}

/// The arguments of `scenarios run`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["name", "all"])))]
pub struct RunArgs {
    /// The scenario to run (see `scenarios list`).
    pub name: Option<String>,
    /// Run every scenario that `scenarios list` marks as part of --all.
    #[arg(long)]
    pub all: bool,
    /// The seed to run, or the first seed of a sweep.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How many seeds to sweep, starting at --seed (at most ten million).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub seeds: u64,
    /// Print one JSON object on stdout instead of the human summary.
    #[arg(long)]
    pub json: bool,
    /// Number of hosts, for scenarios that read it.
    #[arg(long, default_value_t = Params::default().hosts)]
    pub hosts: u32,
    /// Virtual duration in seconds, for scenarios that read it.
    #[arg(long, default_value_t = Params::default().virtual_secs)]
    pub virtual_secs: u64,
    /// Number of clients, for scenarios that read it.
    #[arg(long, default_value_t = Params::DEFAULT.clients)]
    pub clients: u32,
    /// Messages (or pings) per client, for scenarios that read it.
    #[arg(long, default_value_t = Params::DEFAULT.messages)]
    pub messages: u32,
    /// Bytes of a stream, for scenarios that read it.
    #[arg(long, default_value_t = Params::DEFAULT.bytes)]
    pub bytes: u64,
    /// Turn on the built-in fault schedule (crashes, kills, pauses,
    /// partitions, holds, latency spikes, jitter, loss bursts, clock jumps
    /// and drift, drawn from the seed) over the scenario's server hosts, for
    /// the scenario's whole length. Scenarios that install their own keep it.
    #[arg(long)]
    pub faults: bool,
    /// Fail (exit status 1) when a sometimes/reachable property was hit by
    /// no seed, or an always property evaluated by none (a coverage hole);
    /// without it a hole is a warning.
    #[arg(long)]
    pub require_coverage: bool,
    /// Seeds run at once in a sweep (default: the number of CPUs). Results
    /// do not depend on it: each seed runs alone on a fresh thread.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..1025))]
    pub jobs: Option<u64>,
    /// Write each failed seed's artifacts (trace.jsonl, packets.pcapng,
    /// dropped.pcapng, timeline.html) to DIR/<scenario>/<seed>/; a single
    /// seed (no --seeds) writes them whether it fails or not.
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    /// With --artifacts: every seed of a sweep writes them, not only the
    /// failed ones.
    #[arg(long, requires = "artifacts")]
    pub artifacts_all: bool,
    /// With --artifacts: journal entries kept per seed (the last ones).
    #[arg(long, requires = "artifacts", default_value_t = RecordOptions::default().max_events)]
    pub max_events: usize,
    /// With --artifacts: packets kept per seed (the last ones).
    #[arg(long, requires = "artifacts", default_value_t = RecordOptions::default().max_packets)]
    pub max_packets: usize,
}

impl RunArgs {
    /// The scenario parameters the flags set.
    pub fn params(&self) -> Params {
        Params {
            hosts: self.hosts,
            virtual_secs: self.virtual_secs,
            clients: self.clients,
            messages: self.messages,
            bytes: self.bytes,
            faults: self.faults,
        }
    }

    /// The seeds to run, or a message if the range does not fit in a `u64`.
    pub fn seed_list(&self) -> Result<Vec<u64>, String> {
        let last = self.seed.checked_add(self.seeds - 1).ok_or_else(|| {
            format!(
                "--seed {} with --seeds {} runs past the largest seed ({}); lower one of them",
                self.seed,
                self.seeds,
                u64::MAX
            )
        })?;
        Ok((self.seed..=last).collect())
    }

    /// Which seeds write artifacts, and where (`None`: no --artifacts).
    pub fn artifact_request(&self) -> Option<ArtifactRequest> {
        let dir = self.artifacts.clone()?;
        Some(ArtifactRequest {
            dir,
            every_seed: self.artifacts_all || self.seeds == 1,
            options: RecordOptions {
                max_events: self.max_events,
                max_packets: self.max_packets,
            },
        })
    }

    /// Worker threads for the sweep.
    pub fn jobs(&self) -> usize {
        match self.jobs {
            Some(j) => j as usize,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}
