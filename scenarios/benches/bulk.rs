//! Benchmark: simulated TCP bytes per wall second, for one large transfer
//! over a bandwidth-limited link.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-scen cargo bench -p scenarios --bench bulk
//! ```
//!
//! The link carries 1 Gbit/s with 100 us latency each way; the default
//! 64 KiB window covers that path's bandwidth-delay product (25 KB), so the
//! link, not the window, sets the pace. The sender writes one reused buffer
//! and the receiver only counts (the `bulk` scenario checks contents and
//! timing; this measures the simulator). `BULK_BYTES=N` changes the size.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use scenarios::bench_env::env_count;
use scenarios::wire;
use sim_core::{Builder, Harness};
use sim_net::{LinkConfig, Net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BYTES: u64 = 1 << 30;
const BANDWIDTH_BPS: u64 = 1_000_000_000;
const LATENCY_NS: u64 = 100_000;
const PORT: u16 = 9000;

fn main() {
    let bytes = env_count("BULK_BYTES", BYTES);
    let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = received.clone();
    let limit = Duration::from_nanos(wire::stream_tx_ns(bytes, BANDWIDTH_BPS)) * 2;
    let reports = Harness::new()
        .ignore_env()
        .builder(Builder::new().time_limit(limit + Duration::from_secs(60)))
        .seeds([0])
        .run(move |sim| {
            let got = Rc::new(Cell::new(0u64));
            sim.host("sender", move || async move {
                let mut stream = TcpStream::connect(("receiver", PORT)).await?;
                let chunk = vec![0x5a; 64 * 1024];
                let mut sent = 0u64;
                while sent < bytes {
                    let n = (bytes - sent).min(chunk.len() as u64) as usize;
                    stream.write_all(&chunk[..n]).await?;
                    sent += n as u64;
                }
                stream.shutdown().await?;
                std::future::pending().await
            });
            let (done, counter) = (got.clone(), counter.clone());
            sim.client("receiver", async move {
                let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
                let (mut stream, _) = listener.accept().await?;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    done.set(done.get() + n as u64);
                }
                counter.store(done.get(), std::sync::atomic::Ordering::Relaxed);
                Ok(())
            });
            Net::builder()
                .default_link(LinkConfig::fixed(LATENCY_NS).with_bandwidth(BANDWIDTH_BPS, None))
                .install(sim);
        });
    let report = &reports[0];
    let got = received.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(got, bytes, "the receiver got {got} of {bytes} bytes");
    let wall = report.wall.as_secs_f64();
    let virt = report.virtual_time.as_duration().as_secs_f64();
    println!(
        "bulk: {bytes} bytes ({} segments) over {} Mbit/s, {} us latency: {:.3} virtual s, \
         {:.3} s wall, {} events",
        wire::segments(bytes),
        BANDWIDTH_BPS / 1_000_000,
        LATENCY_NS / 1000,
        virt,
        wall,
        report.events
    );
    println!(
        "simulated payload: {:.1} MB/wall s ({:.2} Gbit/s simulated per wall s; {:.0} segments/wall s); \
         virtual goodput {:.1} Mbit/s",
        bytes as f64 / wall / 1e6,
        bytes as f64 * 8.0 / wall / 1e9,
        wire::segments(bytes) as f64 / wall,
        bytes as f64 * 8.0 / virt / 1e6
    );
}
