//! `scenarios`: lists and runs the simulator's bundled scenarios.
//!
//! ```text
//! scenarios list
//! scenarios run <name>|--all [--seed S] [--seeds N] [--json] [--hosts N] [--virtual-secs N] [--jobs J]
//!               [--faults] [--require-coverage]
//!               [--artifacts DIR [--artifacts-all] [--max-events N] [--max-packets N]]
//! ```
//!
//! Exit status: 0 when every seed passed, 1 when any failed (or, with
//! `--require-coverage`, when a property was never hit), 2 for bad
//! arguments or an unknown scenario.

mod cli;
mod output;
mod progress;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use scenarios::runner::{self, ScenarioRun};
use scenarios::{registry, Scenario};

use cli::{Cli, Command, RunArgs};
use progress::Progress;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::List => {
            list();
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(&args),
    }
}

/// Prints one scenario per entry: name, whether `--all` runs it, what it
/// does, and the parameters it reads.
fn list() {
    let width = registry::all()
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for s in registry::all() {
        let all = if s.in_all { "in --all" } else { "NOT in --all" };
        out.push_str(&format!("{:width$}  [{all}] {}\n", s.name, s.description));
        if !s.params.is_empty() {
            let params: Vec<String> = s.params.iter().map(ToString::to_string).collect();
            out.push_str(&format!(
                "{:width$}  parameters: {}\n",
                "",
                params.join(", ")
            ));
        }
    }
    print_stdout(&out);
}

fn run(args: &RunArgs) -> ExitCode {
    let selected: Vec<&'static Scenario> = if args.all {
        registry::all().iter().filter(|s| s.in_all).collect()
    } else {
        let name = args.name.as_deref().unwrap_or_default();
        match registry::find(name) {
            Ok(s) => vec![s],
            Err(e) => usage_error(&e.to_string()),
        }
    };
    let seeds = match args.seed_list() {
        Ok(seeds) => seeds,
        Err(message) => usage_error(&message),
    };
    let params = args.params();
    let artifacts = args.artifact_request();
    let mut runs: Vec<ScenarioRun> = Vec::with_capacity(selected.len());
    for scenario in selected {
        let progress = Progress::new(scenario.name, seeds.len());
        let run = runner::run_seeds_with(
            scenario,
            &params,
            &seeds,
            args.jobs(),
            artifacts.as_ref(),
            &|o| progress.seed_done(o),
        );
        progress.finish();
        if !args.json {
            // Printed as each scenario ends, so a long --all shows progress.
            print_stdout(&output::human(&run));
            if let Some(request) = &artifacts {
                print_stdout(&passed_artifacts(&run, request));
            }
        }
        runs.push(run);
    }
    let failures: usize = runs.iter().map(|r| r.failures().count()).sum();
    let holes: usize = runs.iter().map(output::coverage_holes).sum();
    if args.json {
        let json = if args.all {
            serde_json::to_string(&output::AllJson {
                scenarios: runs.iter().map(output::scenario_json).collect(),
                failures,
            })
        } else {
            serde_json::to_string(&output::scenario_json(&runs[0]))
        };
        match json {
            Ok(text) => print_stdout(&format!("{text}\n")),
            Err(e) => {
                eprintln!("error: could not encode the results as JSON: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print_stdout(&format!("{}\n", output::human_total(&runs)));
    }
    if holes > 0 {
        let verdict = if args.require_coverage {
            "error"
        } else {
            "warning"
        };
        eprintln!(
            "{verdict}: {holes} propert{} never hit by any seed (coverage holes{})",
            if holes == 1 { "y was" } else { "ies were" },
            if args.require_coverage {
                ", failing the run as --require-coverage asks"
            } else {
                "; --require-coverage makes them fail the run"
            }
        );
    }
    if failures == 0 && (holes == 0 || !args.require_coverage) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The artifact folders of the seeds that passed (failed ones are listed
/// under their failure).
fn passed_artifacts(run: &ScenarioRun, request: &runner::ArtifactRequest) -> String {
    let mut out = String::new();
    for report in run.passed() {
        let dir = request.seed_dir(run.scenario, report.seed);
        if runner::has_artifacts(&dir) {
            out.push_str(&format!(
                "  seed {}: artifacts: {}\n",
                report.seed,
                dir.display()
            ));
        }
    }
    out
}

/// Exits with clap's usage error format (showing `run`'s usage) and status 2.
fn usage_error(message: &str) -> ! {
    let mut cli = Cli::command();
    cli.build();
    let mut run = cli.find_subcommand_mut("run").cloned().unwrap_or(cli);
    run.error(clap::error::ErrorKind::InvalidValue, message)
        .exit()
}

/// Writes to stdout; a closed pipe (`scenarios list | head -1`) is not an
/// error worth a panic.
fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
