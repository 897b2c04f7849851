//! The HTTP scenarios open no real socket and leave no file descriptor
//! behind: the process's open files, counted in `/proc/self/fd`, are the
//! same before a run and after its `Sim` is dropped, and no descriptor is
//! a socket while the run is in full swing.
//!
//! Alone in its test binary, with one test: the harness runs the tests of
//! a binary on parallel threads, and their descriptors would be counted.
//!
//! The one socket a host runtime does hold is not a network socket: when
//! tokio's `signal` feature is compiled in (turmoil, a dev-dependency of
//! this crate, turns it on), every runtime's I/O driver holds a duplicate
//! of a process-wide Unix socket pair that tokio creates once, on the first
//! runtime, and keeps for the life of the process. A first, empty
//! simulation creates it before anything is counted; after that, every
//! socket a run may hold is one of the pair (same inode).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use scenarios::{registry, Params};
use sim_core::Builder;

const SMALL: Params = Params {
    clients: 4,
    bytes: 200_000,
    ..Params::DEFAULT
};

/// Every open descriptor of the process and what it points to.
fn open_fds() -> BTreeMap<u32, PathBuf> {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd lists the open descriptors")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let fd = entry.file_name().to_str()?.parse().ok()?;
            // The directory's own descriptor is gone by the time we look.
            let target = std::fs::read_link(entry.path()).ok()?;
            Some((fd, target))
        })
        .collect()
}

/// The distinct sockets (`socket:[inode]`) among `fds`.
fn sockets(fds: &BTreeMap<u32, PathBuf>) -> BTreeSet<String> {
    fds.values()
        .map(|t| t.to_string_lossy().into_owned())
        .filter(|t| t.starts_with("socket:"))
        .collect()
}

/// Runs an empty simulation, so that what tokio creates once per process
/// exists before the count.
fn warm_up() {
    let mut sim = Builder::new().build();
    sim.client("nothing", async { Ok(()) });
    sim.run().expect("an empty simulation runs");
}

#[test]
fn http_scenarios_leave_the_open_file_count_where_it_was() {
    warm_up();
    for name in ["http-allowlist", "p2p-relay", "p2p-relay-relay-crash"] {
        let scenario = registry::find(name).unwrap();
        // On this thread: the Sim's host runtimes and their descriptors live here.
        let before = open_fds();
        let sockets_before = sockets(&before);
        {
            let mut sim = scenario.builder(&SMALL).seed(3).build();
            (scenario.setup)(&mut sim, &SMALL);
            // Look in the middle of the run, with the HTTP connections open.
            let expected = sockets_before.clone();
            sim.client("fd-watcher", async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let during = sockets(&open_fds());
                if !during.is_subset(&expected) {
                    return Err(format!(
                        "new sockets during the run: {during:?}, before it: {expected:?}"
                    )
                    .into());
                }
                Ok(())
            });
            sim.run()
                .unwrap_or_else(|e| panic!("{name}: the run failed: {e}"));
        }
        let after = open_fds();
        assert_eq!(
            after.len(),
            before.len(),
            "{name}: the number of open descriptors changed: before {before:?}, after {after:?}"
        );
        assert_eq!(after, before, "{name}: other descriptors are open");
    }
}
