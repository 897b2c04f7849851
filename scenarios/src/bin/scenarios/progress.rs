//! The progress bar of a sweep: on stderr, and only when stderr is a
//! terminal, so pipes, files and CI logs get the summary alone.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scenarios::runner::SeedOutcome;

const TEMPLATE: &str = "{prefix} [{bar:40}] {pos}/{len} seeds, {msg} ({elapsed}, eta {eta})";

/// A sweep's bar and its failure count.
pub struct Progress {
    bar: ProgressBar,
    failed: AtomicUsize,
}

impl Progress {
    /// A bar for `seeds` seeds of `scenario`; hidden for a single seed or
    /// when stderr is not a terminal.
    pub fn new(scenario: &str, seeds: usize) -> Progress {
        Progress {
            bar: bar(scenario, seeds),
            failed: AtomicUsize::new(0),
        }
    }

    /// Counts a finished seed (called from any worker thread).
    pub fn seed_done(&self, outcome: &SeedOutcome) {
        if matches!(outcome, SeedOutcome::Failed(_)) {
            let failed = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
            self.bar.set_message(format!("{failed} failed"));
        }
        self.bar.inc(1);
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn bar(scenario: &str, seeds: usize) -> ProgressBar {
    if seeds < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(seeds as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(scenario.to_string());
    bar.set_message("0 failed");
    bar
}
