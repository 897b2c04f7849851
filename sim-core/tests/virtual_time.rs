//! Virtual time: exact, shared by every clock API, and event-driven.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{log, on_fresh_thread, run_with};
use sim_core::{Builder, SimTime};

#[test]
fn a_500ms_sleep_ends_exactly_500ms_later_on_every_clock() {
    let (result, seen) = run_with(
        Builder::new().seed(3),
        |sim| {
            let seen = log();
            let out = seen.clone();
            sim.client("sleeper", async move {
                let std0 = std::time::Instant::now();
                let tok0 = tokio::time::Instant::now();
                let sys0 = SystemTime::now();
                tokio::time::sleep(Duration::from_millis(500)).await;
                out.borrow_mut().push((
                    std0.elapsed(),
                    tok0.elapsed(),
                    SystemTime::now().duration_since(sys0).unwrap(),
                    sim_core::sim_time().unwrap(),
                ));
                Ok(())
            });
            seen
        },
        |_, seen| seen.borrow().clone(),
    );
    let report = result.unwrap();
    let ms500 = Duration::from_millis(500);
    assert_eq!(seen, vec![(ms500, ms500, ms500, SimTime::ZERO + ms500)]);
    assert_eq!(report.virtual_time, SimTime::ZERO + ms500);
}

#[test]
fn system_time_reads_the_configured_epoch_plus_virtual_time() {
    let epoch = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let (result, seen) = run_with(
        Builder::new().epoch(epoch),
        |sim| {
            let seen = log();
            let out = seen.clone();
            sim.client("c", async move {
                out.borrow_mut().push(SystemTime::now());
                tokio::time::sleep(Duration::from_secs(90)).await;
                out.borrow_mut().push(SystemTime::now());
                Ok(())
            });
            seen
        },
        |_, seen| seen.borrow().clone(),
    );
    result.unwrap();
    assert_eq!(seen, vec![epoch, epoch + Duration::from_secs(90)]);
}

#[test]
fn sleeps_of_many_lengths_end_exactly_on_time() {
    // Short sleeps sit in tokio's finest wheel level; long ones are reached
    // through coarser levels (extra cheap wake-ups) but must still end exactly.
    let lengths_ms = [1u64, 7, 63, 64, 65, 999, 1000, 4097, 65_000, 3_600_000];
    let (result, seen) = run_with(
        Builder::new().time_limit(Duration::from_secs(7200)),
        move |sim| {
            let seen = log();
            for (i, ms) in lengths_ms.into_iter().enumerate() {
                let out = seen.clone();
                sim.client(format!("c{i}"), async move {
                    let t0 = tokio::time::Instant::now();
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    out.borrow_mut()
                        .push((ms, t0.elapsed(), sim_core::sim_time().unwrap()));
                    Ok(())
                });
            }
            seen
        },
        |_, seen| seen.borrow().clone(),
    );
    result.unwrap();
    assert_eq!(seen.len(), lengths_ms.len());
    for (ms, elapsed, at) in seen {
        assert_eq!(elapsed, Duration::from_millis(ms), "sleep of {ms} ms");
        assert_eq!(
            at,
            SimTime::ZERO + Duration::from_millis(ms),
            "sleep of {ms} ms"
        );
    }
}

#[test]
fn an_hour_of_idle_time_costs_a_handful_of_events() {
    let (result, _) = run_with(
        Builder::new(),
        |sim| {
            sim.client("waiter", async {
                tokio::time::sleep(Duration::from_secs(3599)).await;
                Ok(())
            });
        },
        |_, _| (),
    );
    let report = result.unwrap();
    assert_eq!(report.virtual_time.as_duration(), Duration::from_secs(3599));
    // No fixed tick: only the timer wheel's level boundaries wake the host.
    assert!(report.events < 20, "{} events", report.events);
}

#[test]
fn hosts_are_stepped_only_when_a_timer_is_due() {
    let hosts = 50u64;
    let secs = 60u64;
    let (report, ticks) = on_fresh_thread(move || {
        let mut sim = Builder::new().seed(9).build();
        let ticks = std::rc::Rc::new(std::cell::Cell::new(0u64));
        for h in 0..hosts {
            let t = ticks.clone();
            sim.host(format!("h{h}"), move || {
                let t = t.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(h * 13)).await;
                    let mut iv = tokio::time::interval(Duration::from_secs(1));
                    loop {
                        iv.tick().await;
                        t.set(t.get() + 1);
                    }
                }
            });
        }
        let report = sim.run_for(Duration::from_secs(secs)).unwrap();
        (report, ticks.get())
    });
    // Each host ticks at its offset, then every second: 60 or 61 ticks in 60 s.
    assert!(
        ticks >= hosts * secs && ticks <= hosts * (secs + 1),
        "{ticks} ticks"
    );
    // At most a few events per tick (the wheel's level boundaries), never a fixed 1 ms tick.
    assert!(
        report.events <= ticks * 3 + hosts * 4,
        "{} events for {ticks} ticks",
        report.events
    );
}

#[test]
fn run_for_stops_at_exactly_the_requested_instant() {
    let now = on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        sim.host("h", || async {
            loop {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        });
        sim.run_for(Duration::from_millis(1000)).unwrap();
        sim.run_for(Duration::from_millis(250)).unwrap();
        sim.now()
    });
    assert_eq!(now, SimTime::ZERO + Duration::from_millis(1250));
}
