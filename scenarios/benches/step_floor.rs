//! Benchmark: the floor under every simulated message. Two hosts hand a
//! token back and forth over `tokio::sync::mpsc` channels, with no network
//! at all. Each hand-off wakes the other host's task from inside a host step
//! (a cross-host wake-up), so it costs exactly one host step (tokio's
//! `block_on`: run the woken task, park) and one scheduler event.
//!
//! ```text
//! cargo bench -p scenarios --bench step_floor
//! ```
//!
//! A simulated TCP message needs at least this much (one host step to read
//! and answer it) plus the network's work, so this figure bounds the
//! ping-pong benchmark from above on this machine. It is what the design's
//! "one tokio runtime per host" costs by itself. `STEP_FLOOR_HANDOFFS=N`
//! changes the count.

use std::cell::RefCell;
use std::rc::Rc;

use scenarios::bench_env::env_count;
use sim_core::{Builder, Harness};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

const HANDOFFS: u64 = 1_000_000;

/// A channel end the host factory takes once (hosts start once here).
type Slot<T> = Rc<RefCell<Option<T>>>;

fn main() {
    let handoffs = env_count("STEP_FLOOR_HANDOFFS", HANDOFFS);
    let reports = Harness::new()
        .ignore_env()
        // Every hand-off happens at virtual time zero: no latency anywhere.
        .builder(Builder::new().max_events_per_instant(u64::MAX))
        .seeds([0])
        .run(move |sim| {
            let (to_echo, echo_rx) = unbounded_channel::<u64>();
            let (to_ping, mut ping_rx) = unbounded_channel::<u64>();
            let echo_ends: Slot<(UnboundedReceiver<u64>, UnboundedSender<u64>)> =
                Rc::new(RefCell::new(Some((echo_rx, to_ping))));
            sim.host("echo", move || {
                let ends = echo_ends.borrow_mut().take();
                async move {
                    let (mut rx, tx) = ends.expect("the echo host starts once");
                    while let Some(token) = rx.recv().await {
                        if tx.send(token).is_err() {
                            break;
                        }
                    }
                    std::future::pending().await
                }
            });
            sim.client("ping", async move {
                for i in 0..handoffs / 2 {
                    to_echo.send(i).map_err(|_| "echo host gone")?;
                    let back = ping_rx.recv().await.ok_or("echo host gone")?;
                    if back != i {
                        return Err(format!("token {back} came back for {i}").into());
                    }
                }
                Ok(())
            });
        });
    let report = &reports[0];
    let wall = report.wall.as_secs_f64();
    println!(
        "host steps only (no network): {handoffs} hand-offs, {} scheduler events, {:.3} s wall, \
         {:.0} hand-offs/wall s, {:.0} ns wall per hand-off",
        report.events,
        wall,
        handoffs as f64 / wall,
        wall * 1e9 / handoffs as f64
    );
}
