//! A host's blocking tasks (`tokio::task::spawn_blocking`) are part of the
//! simulation: they run to completion at the instant they were spawned,
//! one at a time in an order fixed by the seed, with the host's clocks and
//! random stream; one that would wait for real ends the run with an error
//! naming the host and the call, never a hang.

mod common;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::{on_fresh_thread, run_with};
use sim_core::{Builder, ClockOffset, ErrorKind};

#[test]
fn a_blocking_task_returns_at_the_instant_it_was_spawned_and_reads_the_hosts_clocks() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(1).build();
        sim.client("app", async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let (instant, system) = (Instant::now(), SystemTime::now());
            let (b_instant, b_system) =
                tokio::task::spawn_blocking(|| (Instant::now(), SystemTime::now())).await?;
            assert_eq!(b_instant, instant);
            assert_eq!(b_system, system);
            assert_eq!(instant.elapsed(), Duration::ZERO);
            Ok(())
        });
        sim.set_clock_offset("app", ClockOffset::ahead(Duration::from_secs(7)))
            .unwrap();
        let report = sim.run().unwrap();
        assert_eq!(report.virtual_time.as_duration(), Duration::from_secs(5));
    });
}

#[test]
fn many_steps_of_blocking_tasks_each_finish_at_their_instant() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(2).build();
        sim.client("app", async {
            for i in 0..200u64 {
                let spawned = Instant::now();
                let tasks: Vec<_> = (0..3u64)
                    .map(|k| tokio::task::spawn_blocking(move || (Instant::now(), i * 3 + k)))
                    .collect();
                for (k, task) in tasks.into_iter().enumerate() {
                    let (at, n) = task.await?;
                    assert_eq!((at, n), (spawned, i * 3 + k as u64));
                }
                assert_eq!(spawned.elapsed(), Duration::ZERO);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(())
        });
        let report = sim.run().unwrap();
        assert_eq!(report.virtual_time.as_duration(), Duration::from_secs(2));
    });
}

/// Three hosts each spawn two blocking tasks at the same instant; the
/// order the six ran in.
fn blocking_order(seed: u64) -> Vec<String> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (result, order) = run_with(
        Builder::new().seed(seed),
        {
            let log = log.clone();
            move |sim| {
                for h in ["a", "b", "c"] {
                    let log = log.clone();
                    sim.client(h, async move {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        let tasks: Vec<_> = (0..2)
                            .map(|k| {
                                let log = log.clone();
                                tokio::task::spawn_blocking(move || {
                                    log.lock().unwrap().push(format!("{h}{k}"))
                                })
                            })
                            .collect();
                        for t in tasks {
                            t.await?;
                        }
                        Ok(())
                    });
                }
            }
        },
        move |_, ()| log.lock().unwrap().clone(),
    );
    result.unwrap();
    order
}

#[test]
fn blocking_tasks_run_in_an_order_fixed_by_the_seed() {
    let first = blocking_order(7);
    assert_eq!(first.len(), 6);
    assert_eq!(blocking_order(7), first, "same seed, same order");
    // Each host's own tasks keep their spawn order.
    for h in ["a", "b", "c"] {
        let mine: Vec<_> = first.iter().filter(|s| s.starts_with(h)).collect();
        assert_eq!(mine, [&format!("{h}0"), &format!("{h}1")]);
    }
    let orders: std::collections::BTreeSet<_> = (0..20).map(blocking_order).collect();
    assert!(orders.len() > 1, "the seed decides the order: {orders:?}");
}

/// A hash drawn from a fresh `RandomState` inside a blocking task (std
/// draws its keys with `getrandom`, once per thread).
fn blocking_random(seed: u64) -> u64 {
    let (result, value) = run_with(
        Builder::new().seed(seed),
        |sim| {
            let out = Arc::new(Mutex::new(0));
            let o = out.clone();
            sim.client("app", async move {
                let v = tokio::task::spawn_blocking(|| RandomState::new().hash_one(42u32)).await?;
                *o.lock().unwrap() = v;
                Ok(())
            });
            out
        },
        |_, out| *out.lock().unwrap(),
    );
    result.unwrap();
    value
}

#[test]
fn a_blocking_tasks_random_bytes_come_from_the_seed() {
    assert_eq!(blocking_random(11), blocking_random(11));
    assert_ne!(blocking_random(11), blocking_random(12));
}

#[test]
fn a_blocking_task_that_sleeps_for_real_ends_the_run_naming_host_and_call() {
    let (result, ()) = run_with(
        Builder::new().seed(4),
        |sim| {
            sim.client("sleeper", async {
                tokio::time::sleep(Duration::from_millis(3)).await;
                tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_secs(3600)))
                    .await?;
                Ok(())
            });
        },
        |_, ()| (),
    );
    let e = result.unwrap_err();
    assert_eq!(e.host.as_deref(), Some("sleeper"));
    assert_eq!(e.time.as_duration(), Duration::from_millis(3));
    let ErrorKind::Unsupported { call, advice } = &e.kind else {
        panic!("{e}");
    };
    // std::thread::sleep is clock_nanosleep in glibc.
    assert_eq!(call, "clock_nanosleep");
    assert!(advice.contains("spawn_blocking"), "{advice}");
}

#[test]
fn a_blocking_task_reading_a_virtual_descriptor_ends_the_run_naming_host_and_call() {
    let (result, ()) = run_with(
        Builder::new().seed(4),
        |sim| {
            sim.client("reader", async {
                // SAFETY: plain system calls on a descriptor this code owns.
                let fd = unsafe { libc::eventfd(0, 0) };
                assert!(fd >= 0);
                let n = tokio::task::spawn_blocking(move || {
                    let mut buf = [0u8; 8];
                    // SAFETY: a valid buffer of 8 bytes.
                    unsafe { libc::read(fd, buf.as_mut_ptr().cast(), 8) }
                })
                .await?;
                assert_eq!(n, -1);
                Ok(())
            });
        },
        |_, ()| (),
    );
    let e = result.unwrap_err();
    assert_eq!(e.host.as_deref(), Some("reader"));
    let ErrorKind::Unsupported { call, .. } = &e.kind else {
        panic!("{e}");
    };
    assert_eq!(call, "read");
}

#[test]
fn a_blocking_task_opening_a_socket_ends_the_run_and_never_reaches_the_network() {
    let (result, ()) = run_with(
        Builder::new().seed(4),
        |sim| {
            sim.client("dialer", async {
                let r = tokio::task::spawn_blocking(|| {
                    std::net::TcpStream::connect("192.0.2.1:80").map(|_| ())
                })
                .await?;
                assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EPERM));
                Ok(())
            });
        },
        |_, ()| (),
    );
    let e = result.unwrap_err();
    assert_eq!(e.host.as_deref(), Some("dialer"));
    let ErrorKind::Unsupported { call, .. } = &e.kind else {
        panic!("{e}");
    };
    assert_eq!(call, "socket");
}

#[test]
fn a_blocking_task_waiting_on_async_code_ends_the_run_after_the_wall_clock_bound() {
    let (result, ()) = run_with(
        Builder::new()
            .seed(4)
            .blocking_task_limit(Duration::from_millis(200)),
        |sim| {
            sim.client("waiter", async {
                let (tx, rx) = std::sync::mpsc::channel::<()>();
                // The sender lives in async code that cannot run while the
                // blocking task waits: it would wait forever.
                let task = tokio::task::spawn_blocking(move || rx.recv());
                let _ = task.await;
                drop(tx);
                Ok(())
            });
        },
        |_, ()| (),
    );
    let e = result.unwrap_err();
    assert_eq!(e.host.as_deref(), Some("waiter"));
    let ErrorKind::Unsupported { call, advice } = &e.kind else {
        panic!("{e}");
    };
    // Blocked in the channel's futex (on a kernel that reports it in
    // /proc/self/task/TID/syscall; the task's name otherwise).
    assert!(call == "futex" || call == "spawn_blocking", "{call}");
    assert!(advice.contains("outside the simulation"), "{advice}");
}

#[test]
fn a_blocking_task_spawned_while_a_host_starts_runs_before_its_first_step() {
    let (result, seen) = run_with(
        Builder::new().seed(5),
        |sim| {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let s = seen.clone();
            sim.host("server", move || {
                // The factory runs inside the new runtime's context.
                let task = tokio::task::spawn_blocking(Instant::now);
                let s = s.clone();
                async move {
                    let ran_at = task.await?;
                    s.lock().unwrap().push(ran_at == Instant::now());
                    Ok(())
                }
            });
            seen
        },
        |_, seen| seen.lock().unwrap().clone(),
    );
    result.unwrap();
    assert_eq!(seen, [true]);
}
