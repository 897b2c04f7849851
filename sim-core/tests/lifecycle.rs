//! Crash, kill, restart, pause, resume, clock skew, cross-host wake-ups.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{log, on_fresh_thread, run_with};
use sim_core::{Builder, ClockOffset, HostState, SimTime};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A host that counts 100 ms ticks into `ticks` and records its
/// incarnation (how many times its factory ran) in `starts`.
fn ticking_host(sim: &mut sim_core::Sim, name: &str, ticks: Rc<Cell<u64>>, starts: Rc<Cell<u64>>) {
    sim.host(name, move || {
        starts.set(starts.get() + 1);
        let ticks = ticks.clone();
        let fresh_state = Rc::new(Cell::new(0u64));
        async move {
            tokio::task::spawn_local(async move {
                // A spawned task: must die with the host too.
                loop {
                    tokio::time::sleep(ms(100)).await;
                    ticks.set(ticks.get() + 1);
                    fresh_state.set(fresh_state.get() + 1);
                }
            });
            std::future::pending::<()>().await;
            Ok(())
        }
    });
}

#[test]
fn a_crashed_hosts_tasks_never_run_again_and_restart_starts_from_the_factory() {
    let out = on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        let ticks = Rc::new(Cell::new(0));
        let starts = Rc::new(Cell::new(0));
        ticking_host(&mut sim, "server", ticks.clone(), starts.clone());
        sim.run_for(ms(1050)).unwrap();
        let before_crash = ticks.get();
        sim.crash("server").unwrap();
        assert_eq!(sim.host_state("server").unwrap(), HostState::Down);
        sim.run_for(ms(5000)).unwrap();
        let while_down = ticks.get();
        sim.restart("server").unwrap();
        let restart_at = sim.now();
        sim.run_for(ms(1000)).unwrap();
        (
            before_crash,
            while_down,
            ticks.get(),
            starts.get(),
            restart_at,
        )
    });
    let (before_crash, while_down, after_restart, starts, restart_at) = out;
    assert_eq!(before_crash, 10);
    assert_eq!(while_down, 10, "a crashed host's task ran");
    assert_eq!(
        after_restart, 20,
        "the restarted host ticks from its own start"
    );
    assert_eq!(starts, 2, "restart calls the factory again");
    assert_eq!(restart_at, SimTime::ZERO + ms(6050));
}

#[test]
fn lifecycle_operations_work_from_inside_a_host() {
    let (result, seen) = run_with(
        Builder::new(),
        |sim| {
            let ticks = Rc::new(Cell::new(0));
            let starts = Rc::new(Cell::new(0));
            ticking_host(sim, "server", ticks.clone(), starts.clone());
            let seen = log();
            let out = seen.clone();
            sim.client("chaos", async move {
                tokio::time::sleep(ms(550)).await;
                sim_core::crash("server")?;
                // Takes effect right after this step, at the same instant.
                tokio::time::sleep(ms(1)).await;
                out.borrow_mut()
                    .push(("crashed", ticks.get(), starts.get()));
                tokio::time::sleep(ms(1000)).await;
                out.borrow_mut()
                    .push(("still down", ticks.get(), starts.get()));
                sim_core::restart("server")?;
                tokio::time::sleep(ms(350)).await;
                out.borrow_mut()
                    .push(("restarted", ticks.get(), starts.get()));
                sim_core::pause("server")?;
                tokio::time::sleep(ms(1000)).await;
                out.borrow_mut().push(("paused", ticks.get(), starts.get()));
                sim_core::resume("server")?;
                tokio::time::sleep(ms(1)).await;
                out.borrow_mut()
                    .push(("resumed", ticks.get(), starts.get()));
                sim_core::kill("server")?;
                Ok(())
            });
            seen
        },
        |sim, seen| (seen.borrow().clone(), sim.host_state("server").unwrap()),
    );
    result.unwrap();
    let (seen, final_state) = seen;
    assert_eq!(
        seen,
        vec![
            ("crashed", 5, 1),
            ("still down", 5, 1),
            // Restarted at 1551 ms: ticks at 1651, 1751, 1851.
            ("restarted", 8, 2),
            // Paused at 1901 ms for one second: nothing runs.
            ("paused", 8, 2),
            // On resume the overdue tick fires at once (one sleep was pending).
            ("resumed", 9, 2),
        ]
    );
    assert_eq!(final_state, HostState::Down);
}

#[test]
fn a_host_whose_main_returns_ok_exits() {
    let (result, state) = run_with(
        Builder::new(),
        |sim| {
            sim.host("oneshot", || async {
                tokio::time::sleep(ms(10)).await;
                Ok(())
            });
            sim.client("c", async {
                tokio::time::sleep(ms(20)).await;
                Ok(())
            });
        },
        |sim, _| {
            (
                sim.host_state("oneshot").unwrap(),
                sim.host_state("c").unwrap(),
            )
        },
    );
    result.unwrap();
    assert_eq!(state, (HostState::Exited, HostState::Finished));
}

#[test]
fn clock_offset_jump_and_drift_move_system_time_but_not_instant() {
    let (result, seen) = run_with(
        Builder::new(),
        |sim| {
            let seen = log();
            let out = seen.clone();
            sim.client("skewed", async move {
                let sys0 = SystemTime::now();
                let mono0 = std::time::Instant::now();
                let read = |label| {
                    let sys = match SystemTime::now().duration_since(sys0) {
                        Ok(d) => d.as_millis() as i64,
                        Err(e) => -(e.duration().as_millis() as i64),
                    };
                    (label, sys, mono0.elapsed().as_millis() as i64)
                };
                sim_core::set_clock_offset("skewed", ClockOffset::ahead(ms(5000)))?;
                tokio::time::sleep(ms(1)).await;
                out.borrow_mut().push(read("ahead 5s"));
                sim_core::jump_clock("skewed", ClockOffset::behind(ms(8000)))?;
                tokio::time::sleep(ms(1)).await;
                out.borrow_mut().push(read("jumped back 8s"));
                sim_core::set_clock_offset("skewed", ClockOffset::ZERO)?;
                sim_core::set_clock_drift("skewed", 100_000)?; // 10% fast
                tokio::time::sleep(ms(998)).await;
                out.borrow_mut().push(read("drift"));
                Ok(())
            });
            seen
        },
        |_, seen| seen.borrow().clone(),
    );
    result.unwrap();
    assert_eq!(
        seen,
        vec![
            ("ahead 5s", 5001, 1),
            ("jumped back 8s", -2998, 2),
            // Drift applies to all elapsed virtual time: 1000 ms reads 1100 ms.
            ("drift", 1100, 1000),
        ]
    );
}

#[test]
fn a_cross_host_wake_up_runs_at_the_same_virtual_instant() {
    let (result, seen) = run_with(
        Builder::new(),
        |sim| {
            let notify = Arc::new(tokio::sync::Notify::new());
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<SimTime>();
            let rx = Rc::new(std::cell::RefCell::new(Some(rx)));
            let seen = log();
            let out = seen.clone();
            let n = notify.clone();
            sim.host("listener", move || {
                let n = n.clone();
                let out = out.clone();
                let rx = rx.clone();
                async move {
                    let mut rx = rx.borrow_mut().take().expect("started once");
                    n.notified().await;
                    out.borrow_mut()
                        .push(("notified", sim_core::sim_time().unwrap()));
                    while let Some(sent_at) = rx.recv().await {
                        out.borrow_mut().push(("message", sent_at));
                        out.borrow_mut()
                            .push(("received", sim_core::sim_time().unwrap()));
                    }
                    Ok(())
                }
            });
            sim.client("sender", async move {
                tokio::time::sleep(Duration::from_nanos(1_234_567)).await;
                notify.notify_one();
                tokio::time::sleep(ms(2)).await;
                tx.send(sim_core::sim_time().unwrap()).unwrap();
                tokio::time::sleep(ms(1)).await;
                Ok(())
            });
            seen
        },
        |_, seen| seen.borrow().clone(),
    );
    result.unwrap();
    let t1 = SimTime::ZERO + ms(2);
    let t2 = SimTime::ZERO + ms(4);
    assert_eq!(
        seen,
        vec![("notified", t1), ("message", t2), ("received", t2)]
    );
}

#[test]
fn a_paused_host_keeps_its_wake_ups_until_resumed() {
    let out = on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let got = Rc::new(Cell::new(0u32));
        let g = got.clone();
        let rx_cell = Rc::new(std::cell::RefCell::new(Some(rx_take(&mut rx))));
        sim.host("worker", move || {
            let g = g.clone();
            let rx = rx_cell.borrow_mut().take();
            async move {
                let mut rx = rx.expect("started once");
                while let Some(v) = rx.recv().await {
                    g.set(g.get() + v);
                }
                Ok(())
            }
        });
        sim.run_for(ms(10)).unwrap();
        sim.pause("worker").unwrap();
        assert_eq!(sim.host_state("worker").unwrap(), HostState::Paused);
        tx.send(5).unwrap();
        sim.run_for(ms(100)).unwrap();
        let while_paused = got.get();
        sim.resume("worker").unwrap();
        sim.run_for(ms(1)).unwrap();
        (while_paused, got.get())
    });
    assert_eq!(out, (0, 5));
}

/// Moves the receiver out so the host factory can own it.
fn rx_take(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<u32>,
) -> tokio::sync::mpsc::UnboundedReceiver<u32> {
    let (_tx, empty) = tokio::sync::mpsc::unbounded_channel();
    std::mem::replace(rx, empty)
}

#[test]
fn stepping_lets_the_test_look_between_events() {
    let (ticks, step_times) = on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        let ticks = log();
        let out = ticks.clone();
        sim.host("h", move || {
            let out = out.clone();
            async move {
                loop {
                    tokio::time::sleep(ms(50)).await;
                    out.borrow_mut()
                        .push(sim_core::sim_time().unwrap().as_duration().as_millis());
                }
            }
        });
        let mut step_times = Vec::new();
        while ticks.borrow().len() < 4 {
            assert!(sim.step().unwrap());
            step_times.push(sim.now().as_duration().as_millis());
        }
        let ticks = ticks.borrow().clone();
        (ticks, step_times)
    });
    assert_eq!(ticks, vec![50, 100, 150, 200]);
    // One event per step, in time order; tokio's wheel adds a wake-up at
    // each 64 ms window boundary it crosses.
    assert!(
        step_times.windows(2).all(|w| w[0] <= w[1]),
        "{step_times:?}"
    );
    assert_eq!(step_times.first(), Some(&0));
    assert_eq!(step_times.last(), Some(&200));
}

/// A host crashed (or killed) before the run starts stays down until
/// `restart`: its factory does not run with the others.
#[test]
fn a_host_crashed_before_the_run_stays_down_until_restarted() {
    let out = on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        let (ticks, starts) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let (killed_ticks, killed_starts) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        ticking_host(&mut sim, "crashed", ticks.clone(), starts.clone());
        ticking_host(
            &mut sim,
            "killed",
            killed_ticks.clone(),
            killed_starts.clone(),
        );
        sim.crash("crashed").unwrap();
        sim.kill("killed").unwrap();
        assert_eq!(sim.host_state("crashed").unwrap(), HostState::Down);
        assert_eq!(sim.host_state("killed").unwrap(), HostState::Down);
        sim.run_for(ms(1050)).unwrap();
        let down = (
            ticks.get(),
            starts.get(),
            killed_ticks.get(),
            killed_starts.get(),
        );
        sim.restart("crashed").unwrap();
        sim.run_for(ms(1050)).unwrap();
        (
            down,
            ticks.get(),
            starts.get(),
            sim.host_state("crashed").unwrap(),
        )
    });
    assert_eq!(out.0, (0, 0, 0, 0), "nothing ran while down");
    assert_eq!((out.1, out.2, out.3), (10, 1, HostState::Running));
}
