//! A killed host's sockets close in an order the seed decides.
//!
//! tokio drops a runtime's tasks shard by shard, and a task's shard comes
//! from a process-wide task id: the same seed, run after some other tokio
//! work in the same process, dropped its tasks (and with them its sockets)
//! in another order, and `p2p-relay-peer-restart` (which kills a peer
//! mid-download) took another course. The network now leaves the sockets of
//! a stopping host to its own close-everything step, in socket order.

use scenarios::{registry, Params};
use sim_core::Harness;

/// Spawns `n` tasks on a throwaway tokio runtime on another thread, which
/// moves the process-wide task id counter on.
fn spend_task_ids(n: usize) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            for _ in 0..n {
                tokio::spawn(async {}).await.unwrap();
            }
        });
    })
    .join()
    .unwrap();
}

#[test]
fn a_killed_host_replays_whatever_tokio_ran_before() {
    let scenario = registry::find("p2p-relay-peer-restart").unwrap();
    let params = Params::default();
    let run = || {
        Harness::new()
            .ignore_env()
            .builder(scenario.builder(&params))
            .seeds([0, 1])
            .run(scenario.setup_with(&params))
            .iter()
            .map(|r| r.trace_hash)
            .collect::<Vec<_>>()
    };
    let first = run();
    for spent in 1..4 {
        spend_task_ids(spent);
        assert_eq!(
            run(),
            first,
            "after {spent} more tokio tasks in the process"
        );
    }
}
