//! Each interposed call, both ways: on a simulation thread it is simulated;
//! on another thread, at the same moment, it is the real thing.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sim_clock::park::{begin_step, ParkOutcome, ParkProbe};
use sim_clock::{
    enter, set_entropy_source, set_now, set_realtime_adjustment, wakers, SimTime, ThreadConfig,
};

const EPOCH: u64 = 1_800_000_000 * 1_000_000_000;

/// Runs `sim` on a fresh simulation thread and `real` on a plain thread, both
/// released by one barrier so they run at the same moment.
fn both_ways<S, R, A, B>(sim: S, real: R) -> (A, B)
where
    S: FnOnce() -> A + Send + 'static,
    R: FnOnce() -> B + Send + 'static,
    A: Send + 'static,
    B: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(2));
    let b1 = barrier.clone();
    let sim = thread::spawn(move || {
        let _guard = enter(ThreadConfig {
            epoch_unix_nanos: EPOCH,
        })
        .unwrap();
        b1.wait();
        sim()
    });
    let real = thread::spawn(move || {
        barrier.wait();
        real()
    });
    (sim.join().unwrap(), real.join().unwrap())
}

fn unix_nanos(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

fn real_unix_nanos() -> u128 {
    unix_nanos(sim_clock::real::system_time())
}

#[test]
fn clock_gettime_monotonic_and_realtime() {
    let (sim, real) = both_ways(
        || {
            let i0 = Instant::now();
            let t0 = tokio::time::Instant::now();
            set_now(SimTime::ZERO + Duration::from_millis(1500));
            (i0.elapsed(), t0.elapsed(), unix_nanos(SystemTime::now()))
        },
        || {
            (
                real_unix_nanos(),
                unix_nanos(SystemTime::now()),
                real_unix_nanos(),
            )
        },
    );
    assert_eq!(sim.0, Duration::from_millis(1500));
    assert_eq!(sim.1, Duration::from_millis(1500));
    assert_eq!(sim.2, EPOCH as u128 + 1_500_000_000);
    let (before, read, after) = real;
    assert!(
        before <= read && read <= after,
        "real thread must read the real clock"
    );
}

#[test]
fn cpu_time_clocks_are_not_virtual() {
    fn cpu_nanos(read: impl Fn(*mut libc::timespec)) -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        read(&mut ts);
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
    let (sim, _) = both_ways(
        || {
            // A fresh thread may not have been charged any CPU time yet (the
            // kernel accounts it in steps): work until the kernel's own
            // reading moves, then read it through the interposer.
            let kernel = |ts: *mut libc::timespec| {
                // SAFETY: a valid timespec; a raw system call past the interposer.
                unsafe {
                    libc::syscall(libc::SYS_clock_gettime, libc::CLOCK_THREAD_CPUTIME_ID, ts)
                };
            };
            let mut spins = 0u64;
            while cpu_nanos(kernel) == 0 {
                spins = std::hint::black_box(spins + 1);
            }
            let before = cpu_nanos(kernel);
            // SAFETY: a valid timespec.
            let through = cpu_nanos(|ts| unsafe {
                libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, ts);
            });
            (before, through)
        },
        || (),
    );
    let (before, through) = sim;
    // The virtual monotonic clock starts at one day; CPU time of a fresh
    // thread is tiny, and it is the kernel's.
    assert!(through < sim_clock::MONOTONIC_BASE_NANOS);
    assert!(through >= before && before > 0, "{before} then {through}");
}

#[test]
fn realtime_skew_and_drift_apply_to_system_time_only() {
    let (sim, _) = both_ways(
        || {
            let i0 = Instant::now();
            set_now(SimTime::ZERO + Duration::from_secs(10));
            set_realtime_adjustment(-2_000_000_000, 1000);
            (i0.elapsed(), unix_nanos(SystemTime::now()))
        },
        || (),
    );
    assert_eq!(sim.0, Duration::from_secs(10));
    // 10 s elapsed + 1000 ppm of it (10 ms) - 2 s offset.
    assert_eq!(
        sim.1,
        EPOCH as u128 + 10_000_000_000 + 10_000_000 - 2_000_000_000
    );
}

#[test]
fn gettimeofday_and_time() {
    let (sim, real) = both_ways(
        || {
            set_now(SimTime::ZERO + Duration::from_micros(2_500_007));
            let mut tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            };
            // SAFETY: valid timeval, null timezone.
            unsafe { libc::gettimeofday(&mut tv, std::ptr::null_mut()) };
            // SAFETY: null output pointer is allowed.
            let t = unsafe { libc::time(std::ptr::null_mut()) };
            (tv.tv_sec as u64, tv.tv_usec as u64, t as u64)
        },
        || {
            let mut tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            };
            // SAFETY: valid timeval, null timezone.
            unsafe { libc::gettimeofday(&mut tv, std::ptr::null_mut()) };
            // SAFETY: null output pointer is allowed.
            let t = unsafe { libc::time(std::ptr::null_mut()) };
            (
                tv.tv_sec as u64,
                t as u64,
                (real_unix_nanos() / 1_000_000_000) as u64,
            )
        },
    );
    assert_eq!(
        sim,
        (
            EPOCH / 1_000_000_000 + 2,
            500_007,
            EPOCH / 1_000_000_000 + 2
        )
    );
    assert!(real.0 <= real.2 && real.1 <= real.2 && real.2 - real.0 < 60);
}

#[test]
fn getrandom_and_getentropy() {
    let (sim, real) = both_ways(
        || {
            let mut next = 0u8;
            set_entropy_source(Box::new(move |buf| {
                for b in buf {
                    *b = next;
                    next = next.wrapping_add(1);
                }
            }));
            let mut a = [0u8; 4];
            let mut b = [0u8; 4];
            // SAFETY: valid buffers of the given lengths.
            unsafe {
                libc::getrandom(a.as_mut_ptr().cast(), a.len(), 0);
                libc::getentropy(b.as_mut_ptr().cast(), b.len());
            }
            (a, b)
        },
        || {
            let mut a = [0u8; 32];
            let mut b = [0u8; 32];
            // SAFETY: valid buffers of the given lengths.
            unsafe {
                libc::getrandom(a.as_mut_ptr().cast(), a.len(), 0);
                libc::getentropy(b.as_mut_ptr().cast(), b.len());
            }
            (a, b)
        },
    );
    assert_eq!(sim, ([0, 1, 2, 3], [4, 5, 6, 7]));
    assert_ne!(real.0, real.1, "two real 32-byte draws are never equal");
}

#[test]
fn hashmap_order_follows_the_entropy_source() {
    fn order() -> Vec<u32> {
        thread::spawn(|| {
            let _guard = enter(ThreadConfig::default()).unwrap();
            set_entropy_source(Box::new(|buf| buf.fill(7)));
            let m: std::collections::HashMap<u32, ()> = (0..64).map(|k| (k, ())).collect();
            m.keys().copied().collect()
        })
        .join()
        .unwrap()
    }
    assert_eq!(order(), order());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn epoll_wait_reports_idle_timeout_instead_of_sleeping() {
    let (sim, real) = both_ways(
        || {
            let rt = runtime();
            rt.spawn(async { tokio::time::sleep(Duration::from_millis(50)).await });
            begin_step();
            let with_timer = rt.block_on(ParkProbe);
            let rt2 = runtime();
            begin_step();
            let without = rt2.block_on(ParkProbe);
            (with_timer, without)
        },
        || {
            // A real epoll_wait reports a ready eventfd.
            // SAFETY: plain system calls on descriptors created here.
            unsafe {
                let ep = libc::epoll_create1(0);
                let ev = libc::eventfd(1, 0);
                let mut e = libc::epoll_event {
                    events: libc::EPOLLIN as u32,
                    u64: 9,
                };
                libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, ev, &mut e);
                let mut out = [libc::epoll_event { events: 0, u64: 0 }; 1];
                let n = libc::epoll_wait(ep, out.as_mut_ptr(), 1, 1000);
                libc::close(ev);
                libc::close(ep);
                (n, out[0].u64)
            }
        },
    );
    assert_eq!(
        sim.0,
        ParkOutcome::Idle {
            timeout_ms: Some(50)
        }
    );
    assert_eq!(sim.1, ParkOutcome::Idle { timeout_ms: None });
    assert_eq!(real, (1, 9));
}

#[test]
fn a_task_that_never_stops_yielding_is_reported_busy() {
    let (sim, _) = both_ways(
        || {
            let rt = runtime();
            rt.spawn(async {
                loop {
                    tokio::task::yield_now().await;
                }
            });
            begin_step();
            rt.block_on(ParkProbe)
        },
        || (),
    );
    assert_eq!(sim, ParkOutcome::Busy);
}

#[test]
fn blocking_sleep_and_real_sockets_are_refused_inside_a_host_step() {
    let (sim, real) = both_ways(
        || {
            wakers::set_stepping(Some(0));
            // std::thread::sleep calls clock_nanosleep on Linux.
            thread::sleep(Duration::from_millis(1));
            let sock = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| e.kind());
            wakers::set_stepping(None);
            let calls: Vec<_> = sim_clock::take_violations()
                .iter()
                .map(|v| v.call)
                .collect();
            (sock.err(), calls)
        },
        || {
            thread::sleep(Duration::from_millis(1));
            // SAFETY: plain system calls.
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
            // SAFETY: our descriptor.
            unsafe { libc::close(fd) };
            (fd >= 0, sim_clock::take_violations().len())
        },
    );
    assert_eq!(
        sim,
        (
            Some(std::io::ErrorKind::PermissionDenied),
            vec!["clock_nanosleep", "socket"]
        )
    );
    assert_eq!(real, (true, 0));
}

#[test]
fn a_thread_cannot_enter_twice() {
    thread::spawn(|| {
        let _g = enter(ThreadConfig::default()).unwrap();
        assert!(enter(ThreadConfig::default()).is_err());
    })
    .join()
    .unwrap();
}
