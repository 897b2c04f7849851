//! A simulated host holds no real descriptor and makes no system call to
//! park or to wake: the process's open descriptors (`/proc/self/fd`) are
//! the same before, during and after a run of 1,000 hosts, and the
//! simulation thread forwards none of the calls a tokio runtime makes to the
//! kernel.
//!
//! One test in its own binary, so no other test opens descriptors meanwhile.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sim_core::Builder;

const HOSTS: usize = 1000;

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// 1,000 hosts in a ring, each ticking and passing a token to the next over
/// a `tokio::sync` channel (a cross-host wake through the virtual eventfd),
/// two crashed or killed and restarted. Returns the descriptor count the
/// client saw in the middle of the run and the calls the simulation thread
/// forwarded to the kernel.
fn run_ring() -> (usize, Vec<(&'static str, u64)>) {
    common::on_fresh_thread(|| {
        let during = Rc::new(RefCell::new(0));
        let mut sim = Builder::new().seed(5).build();
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..HOSTS)
            .map(|_| tokio::sync::mpsc::unbounded_channel::<u64>())
            .unzip();
        for (i, rx) in receivers.into_iter().enumerate() {
            let rx = Rc::new(RefCell::new(Some(rx)));
            let next = senders[(i + 1) % HOSTS].clone();
            sim.host(format!("h{i}"), move || {
                let rx = rx.borrow_mut().take();
                let next = next.clone();
                async move {
                    let mut tick = tokio::time::interval(Duration::from_millis(100));
                    let Some(mut rx) = rx else {
                        // Restarted: the channel end died with the crash.
                        loop {
                            tick.tick().await;
                        }
                    };
                    loop {
                        tokio::select! {
                            _ = tick.tick() => {}
                            Some(token) = rx.recv() => {
                                // Three laps round the ring, all at one instant.
                                if token < 3 * HOSTS as u64 {
                                    let _ = next.send(token + 1);
                                }
                            }
                        }
                    }
                }
            });
        }
        let first = senders[0].clone();
        let seen = during.clone();
        sim.client("observer", async move {
            first.send(0)?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            sim_core::crash("h7")?;
            sim_core::kill("h8")?;
            tokio::time::sleep(Duration::from_millis(100)).await;
            sim_core::restart("h7")?;
            sim_core::restart("h8")?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            *seen.borrow_mut() = open_descriptors();
            Ok(())
        });
        sim.run().expect("the ring runs");
        drop(sim);
        let during = *during.borrow();
        (during, sim_clock::forwarded_calls())
    })
}

#[test]
fn a_thousand_hosts_use_no_real_descriptor_and_no_system_call() {
    // The first simulation in a process may create process-wide state once
    // (tokio's signal self-pipe): warm up, then count.
    common::on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        sim.client("warm-up", async { Ok(()) });
        sim.run().unwrap();
    });
    let before = open_descriptors();
    let (during, forwarded) = run_ring();
    let after = open_descriptors();
    assert_eq!(during, before, "descriptors open while 1,000 hosts run");
    assert_eq!(after, before, "descriptors open after the run");
    assert_eq!(
        forwarded,
        vec![],
        "calls the simulation thread sent to the kernel"
    );
}
