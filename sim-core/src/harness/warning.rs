//! Warnings about configurations that cannot replay a seed exactly, printed
//! once per process, straight to the terminal.
//!
//! They go to the standard error stream itself rather than through
//! `eprintln!`, which libtest captures and shows only for failing tests: a
//! sweep that passes today and fails in CI tomorrow is exactly the moment
//! the reader needs to have seen it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::host::SELECT_IS_SEEDED;

fn once(flag: &AtomicBool, text: &str) {
    if !flag.swap(true, Ordering::Relaxed) {
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

/// Seeds run on threads of one process, which share tokio's process-wide
/// state.
pub(super) fn in_process() {
    static SAID: AtomicBool = AtomicBool::new(false);
    let what = if SELECT_IS_SEEDED {
        "the order in which a crashed or killed host's tasks are dropped follows \
         tokio's process-wide task ids"
    } else {
        "this build has no `--cfg tokio_unstable`, so `tokio::select!` choices follow \
         a process-wide counter, and the order in which a crashed or killed host's \
         tasks are dropped follows tokio's process-wide task ids"
    };
    once(
        &SAID,
        &format!(
            "\nsimnet warning: seeds run in-process, and {what}: a seed of a sweep can run \
             differently when replayed alone. SIM_ISOLATE=1 (or \
             `Harness::isolation(Isolation::Process)`) runs each seed in a fresh process and \
             replays exactly.\n\n"
        ),
    );
}

/// Isolation was asked for but no child process can be started.
pub(super) fn isolation_unavailable() {
    static SAID: AtomicBool = AtomicBool::new(false);
    once(
        &SAID,
        "\nsimnet warning: SIM_ISOLATE asks for a fresh process per seed, but this harness \
         runs neither inside a libtest test nor on a program's main thread, so no child \
         process can reach it; \
         seeds run in-process and may not replay exactly.\n\n",
    );
}
