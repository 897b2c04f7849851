//! Helpers shared by the socket-level tests (`sockets_*.rs`): a fresh thread
//! per simulation, a network with fixed-latency links, and virtual time.
//!
//! Every simulation runs on its own new thread (the simulator needs one: the
//! thread's clock and entropy are the simulation's). Times are asserted
//! exactly, so every link here has a fixed latency.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sim_core::{Builder, RunReport, Sim};
use sim_net::{LinkConfig, Net, TcpConfig};

/// One millisecond in the model's unit (nanoseconds).
pub const MS: u64 = 1_000_000;
/// One second in the model's unit (nanoseconds).
pub const SEC: u64 = 1_000_000_000;

/// Runs `f` on a fresh thread with a large stack and returns its result
/// (a panic in `f` fails the calling test with the same message).
pub fn on_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(f)
        .unwrap();
    match handle.join() {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// Builds a simulation with `seed`, lets `setup` add hosts (and install the
/// network), runs it to the end and returns its report; a failed run panics
/// with the simulator's message (which names the failing assertion).
pub fn run_seed(seed: u64, setup: impl FnOnce(&mut Sim) + Send + 'static) -> RunReport {
    on_fresh_thread(move || {
        let mut sim = Builder::new().seed(seed).build();
        setup(&mut sim);
        match sim.run() {
            Ok(report) => report,
            Err(e) => panic!("{e}"),
        }
    })
}

/// [`run_seed`] with seed 1.
pub fn run(setup: impl FnOnce(&mut Sim) + Send + 'static) -> RunReport {
    run_seed(1, setup)
}

/// Installs a network whose links all have a fixed one-way latency of `ms`
/// milliseconds.
pub fn install(sim: &mut Sim, ms: u64) -> Net {
    Net::builder()
        .default_link(LinkConfig::fixed(ms * MS))
        .install(sim)
}

/// Like [`install`], with TCP settings.
pub fn install_tcp(sim: &mut Sim, ms: u64, tcp: TcpConfig) -> Net {
    Net::builder()
        .default_link(LinkConfig::fixed(ms * MS))
        .tcp(tcp)
        .install(sim)
}

/// Virtual time now, as a duration since the start (inside a simulation).
pub fn now() -> Duration {
    sim_core::sim_time()
        .expect("called inside a simulation")
        .as_duration()
}

/// `n` milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Sleeps until virtual time `t` (from the start of the run).
pub async fn sleep_until(t: Duration) {
    let left = t.saturating_sub(now());
    tokio::time::sleep(left).await;
    assert_eq!(now(), t, "slept past the target instant");
}

/// Receives `n` datagrams on `socket`: each payload with its arrival time.
pub async fn receive_datagrams(
    socket: &tokio::net::UdpSocket,
    n: usize,
) -> std::io::Result<Vec<(Vec<u8>, Duration)>> {
    let mut buf = [0u8; 1500];
    let mut got = Vec::with_capacity(n);
    for _ in 0..n {
        let (len, _) = socket.recv_from(&mut buf).await?;
        got.push((buf[..len].to_vec(), now()));
    }
    Ok(got)
}

/// A host that exists (its machine is up) but runs nothing.
pub fn idle_host(sim: &mut Sim, name: &str) {
    sim.host(name, || async { std::future::pending().await });
}

/// `len` bytes of a recognisable pattern (position-dependent, so a
/// reordering or duplication shows).
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A log shared between the hosts of one simulation (all on one thread).
pub type Log<T> = Rc<RefCell<Vec<T>>>;

/// A new empty [`Log`].
pub fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// The default TCP settings with a connect timeout of `secs` seconds.
pub fn tcp_connect_timeout(secs: u64) -> TcpConfig {
    TcpConfig {
        connect_timeout: secs * SEC,
        ..TcpConfig::default()
    }
}
