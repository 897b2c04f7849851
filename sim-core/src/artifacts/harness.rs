//! The harness's side of artifacts: when a seed writes them, and where.
//!
//! | variable | effect |
//! |---|---|
//! | `SIM_ARTIFACTS=1` | every seed records and writes its artifacts |
//! | `SIM_ARTIFACTS=0` | no seed does, not even a failed one |
//! | (unset) | a failed seed is run once more, recording, and writes them |
//! | `SIM_ARTIFACTS_DIR=D` | artifacts go to `D/<seed>/` instead of [`default_dir`](super::default_dir) |
//! | `SIM_ARTIFACTS_MAX_EVENTS=N`, `SIM_ARTIFACTS_MAX_PACKETS=N` | the bounds of [`RecordOptions`] |

use std::path::{Path, PathBuf};

use crate::harness::Harness;
use crate::journal::RecordOptions;
use crate::sim::Sim;

/// When a harness run writes artifacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArtifactPolicy {
    /// Never.
    Never,
    /// For a failed seed: it runs again, recording (the default). Passing
    /// seeds cost nothing.
    OnFailure,
    /// For every seed, failed or not: each records from the start.
    Always,
}

/// The artifact settings of a [`Harness`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    policy: Option<ArtifactPolicy>,
    dir: Option<PathBuf>,
    options: Option<RecordOptions>,
}

fn env_flag(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_ascii_lowercase())
}

fn env_count(name: &str) -> Option<usize> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(v) => Some(v),
        Err(_) => {
            panic!("{name}={value:?} is not a whole number; unset it or give e.g. {name}=10000")
        }
    }
}

impl Settings {
    /// The policy, from code, else from `SIM_ARTIFACTS` (if `use_env`).
    pub(crate) fn policy(&self, use_env: bool) -> ArtifactPolicy {
        if let Some(p) = self.policy {
            return p;
        }
        match env_flag("SIM_ARTIFACTS").filter(|_| use_env).as_deref() {
            Some("0" | "no" | "never" | "false") => ArtifactPolicy::Never,
            Some("" | "failure" | "on-failure") | None => ArtifactPolicy::OnFailure,
            Some(_) => ArtifactPolicy::Always,
        }
    }

    /// The folder of `seed`. Call on the test's thread (its name names the
    /// folder).
    pub(crate) fn dir(&self, seed: u64, use_env: bool) -> PathBuf {
        let base = self.dir.clone().or_else(|| {
            use_env
                .then(|| std::env::var_os("SIM_ARTIFACTS_DIR").map(PathBuf::from))
                .flatten()
        });
        match base {
            Some(base) => base.join(seed.to_string()),
            None => super::default_dir(seed),
        }
    }

    pub(crate) fn options(&self, use_env: bool) -> RecordOptions {
        let mut options = self.options.unwrap_or_default();
        if use_env && self.options.is_none() {
            if let Some(n) = env_count("SIM_ARTIFACTS_MAX_EVENTS") {
                options.max_events = n;
            }
            if let Some(n) = env_count("SIM_ARTIFACTS_MAX_PACKETS") {
                options.max_packets = n;
            }
        }
        options
    }
}

impl Harness {
    /// When seeds write their artifacts (default: `SIM_ARTIFACTS`, else
    /// [`ArtifactPolicy::OnFailure`]). Set in code, it wins over the
    /// environment.
    pub fn artifacts(mut self, policy: ArtifactPolicy) -> Harness {
        self.artifacts.policy = Some(policy);
        self
    }

    /// Writes seed `s`'s artifacts to `dir/s/` instead of
    /// [`default_dir`](super::default_dir).
    pub fn artifacts_dir(mut self, dir: impl Into<PathBuf>) -> Harness {
        self.artifacts.dir = Some(dir.into());
        self
    }

    /// How much a recording run keeps.
    pub fn record_options(mut self, options: RecordOptions) -> Harness {
        self.artifacts.options = Some(options);
        self
    }
}

/// What a recording seed does on its own thread: start the journal, and
/// capture log lines into it while the run lasts. Returns the guard of the
/// thread's log subscriber.
pub(crate) fn start(sim: &mut Sim, options: RecordOptions) -> tracing::dispatcher::DefaultGuard {
    sim.record_artifacts(options);
    tracing::dispatcher::set_default(&super::log_layer::recording_dispatch())
}

/// Writes the artifacts after the run; a failure to write is reported on
/// standard error, never in place of the run's own outcome.
pub(crate) fn finish(sim: &mut Sim, dir: &Path) -> bool {
    // The folder is the seed's own: files of an earlier run must not pass
    // for this one's.
    let _ = std::fs::remove_dir_all(dir);
    match sim.write_artifacts(dir) {
        Ok(_) => true,
        Err(e) => {
            eprintln!("seed {}: could not write the artifacts: {e}", sim.seed());
            false
        }
    }
}
