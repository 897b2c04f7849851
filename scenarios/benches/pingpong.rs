//! Benchmark: TCP ping-pong between two hosts over one connection, 64-byte
//! messages, on our simulator and on turmoil 0.7.2 in the same process,
//! counting messages per wall second.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-scen cargo bench -p scenarios --bench pingpong
//! ```
//!
//! A round trip is two messages (ping and pong); the figures count both.
//! Three workloads:
//!
//! - **Fast links**, each simulator at its fastest: ours with a fixed 1 us
//!   latency (a latency of zero would put the whole run at one virtual
//!   instant, which the scheduler reports as a livelock), turmoil with zero
//!   latency and 1 ms ticks, where it runs many round trips per tick. Both
//!   pay one tokio runtime step per message here, so this is the row where
//!   the two are closest.
//! - **1 ms links**, the same virtual workload on both: a fixed 1 ms latency
//!   each way (turmoil: 1 ms ticks, minimum and maximum latency 1 ms).
//! - **turmoil's default links**, what a turmoil user gets without setting
//!   latency: 0 to 100 ms drawn as 100 ms x Exp(5), rounded down to whole
//!   milliseconds, mean about 20 ms, 1 ms ticks. Ours draws the same
//!   distribution (exponential, 20 ms mean; ours is not rounded or capped).
//!   turmoil steps every host on every tick, so its cost grows with latency;
//!   ours costs the same per message at any latency. Each row prints the
//!   virtual time per round trip, so the two workloads can be compared.
//!
//! Each side asserts it saw every pong carry the ping's bytes.
//!
//! `PINGPONG_ROUND_TRIPS=N`, `TURMOIL_ROUND_TRIPS=N` (fast links),
//! `TURMOIL_MS_ROUND_TRIPS=N` (1 ms links) and `TURMOIL_DEFAULT_ROUND_TRIPS=N`
//! (turmoil's default links) change the counts; `TURMOIL_ROUND_TRIPS=0` runs
//! ours on fast links alone, for a profile, and `PINGPONG_PROFILE=fast`,
//! `ms` or `default` runs ours alone on that workload.
//!
//! Our hosts use `tokio::net` itself (sockets as virtual descriptors, see
//! the guide's internals chapter for the cost per round trip).
//! turmoil runs on the main thread, which never runs a `sim_core::Sim`, so
//! our clock interposition forwards its clock reads to the real clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use scenarios::bench_env::env_count;
use sim_core::{Builder, Harness};
use sim_net::{Latency, LinkConfig, Net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MESSAGE: usize = 64;
const OUR_ROUND_TRIPS: u64 = 500_000;
const TURMOIL_ROUND_TRIPS: u64 = 200_000;
const TURMOIL_MS_ROUND_TRIPS: u64 = 20_000;
const TURMOIL_DEFAULT_ROUND_TRIPS: u64 = 5_000;
const FAST_LATENCY: Duration = Duration::from_micros(1);
const MS_LATENCY: Duration = Duration::from_millis(1);
/// Mean of turmoil's default latency draw: 100 ms x Exp(rate 5).
const TURMOIL_DEFAULT_MEAN: Duration = Duration::from_millis(20);

/// The latency of every link in one workload.
#[derive(Clone, Copy)]
enum Links {
    /// The same fixed latency each way.
    Fixed(Duration),
    /// turmoil's default (see the module comment); ours draws an exponential
    /// with the same mean.
    TurmoilDefault,
}

impl Links {
    fn ours(self) -> LinkConfig {
        match self {
            Links::Fixed(latency) => LinkConfig::fixed(latency.as_nanos() as u64),
            Links::TurmoilDefault => LinkConfig::default().with_latency(Latency::Exponential {
                mean: TURMOIL_DEFAULT_MEAN.as_nanos() as u64,
            }),
        }
    }

    /// A virtual time limit generous enough for `round_trips`.
    fn virtual_limit(self, round_trips: u64) -> Duration {
        let per_way = match self {
            Links::Fixed(latency) => latency,
            Links::TurmoilDefault => TURMOIL_DEFAULT_MEAN,
        };
        per_way * 4 * round_trips as u32 + Duration::from_secs(3600)
    }
}
const PORT: u16 = 7000;

/// Packets the ping side's link directions carried in our run (both
/// directions), read by the client at the end.
static OUR_PACKETS: AtomicU64 = AtomicU64::new(0);

/// One measurement.
struct Rate {
    round_trips: u64,
    wall: Duration,
    /// Virtual time the run took.
    simulated: Duration,
}

impl Rate {
    fn messages_per_sec(&self) -> f64 {
        (2 * self.round_trips) as f64 / self.wall.as_secs_f64()
    }

    fn print(&self, who: &str) {
        println!(
            "  {who:8} {:>8} round trips = {:>8} messages ({MESSAGE} B, both directions counted): \
             {:>8.3} s wall, {:>12.0} messages/wall s, {:>9.3} virtual ms per round trip",
            self.round_trips,
            2 * self.round_trips,
            self.wall.as_secs_f64(),
            self.messages_per_sec(),
            self.simulated.as_secs_f64() * 1e3 / self.round_trips as f64
        );
    }
}

fn main() {
    let round_trips = env_count("PINGPONG_ROUND_TRIPS", OUR_ROUND_TRIPS);
    if let Ok(links) = std::env::var("PINGPONG_PROFILE") {
        let links = match links.as_str() {
            "fast" => Links::Fixed(FAST_LATENCY),
            "ms" => Links::Fixed(MS_LATENCY),
            "default" => Links::TurmoilDefault,
            other => panic!("PINGPONG_PROFILE={other}: expected fast, ms or default"),
        };
        ours(round_trips, links).print("ours");
        return; // ours alone on one workload, for a profile
    }
    println!("fast links (ours: 1 us; turmoil: zero latency, its fastest setting)");
    let ours_fast = ours(round_trips, Links::Fixed(FAST_LATENCY));
    ours_fast.print("ours");
    let turmoil_round_trips = env_count("TURMOIL_ROUND_TRIPS", TURMOIL_ROUND_TRIPS);
    if turmoil_round_trips == 0 {
        return; // ours alone, for a profile
    }
    let turmoil_fast = turmoil(turmoil_round_trips, Links::Fixed(Duration::ZERO));
    turmoil_fast.print("turmoil");
    print_ratio(&ours_fast, &turmoil_fast);

    println!("1 ms links (both)");
    let ours_ms = ours(round_trips, Links::Fixed(MS_LATENCY));
    ours_ms.print("ours");
    let turmoil_ms = turmoil(
        env_count("TURMOIL_MS_ROUND_TRIPS", TURMOIL_MS_ROUND_TRIPS),
        Links::Fixed(MS_LATENCY),
    );
    turmoil_ms.print("turmoil");
    print_ratio(&ours_ms, &turmoil_ms);

    println!(
        "turmoil's default links (0-100 ms, exponential, mean about 20 ms; ours: the same draw)"
    );
    let ours_default = ours(round_trips, Links::TurmoilDefault);
    ours_default.print("ours");
    let turmoil_default = turmoil(
        env_count("TURMOIL_DEFAULT_ROUND_TRIPS", TURMOIL_DEFAULT_ROUND_TRIPS),
        Links::TurmoilDefault,
    );
    turmoil_default.print("turmoil");
    print_ratio(&ours_default, &turmoil_default);
}

fn print_ratio(ours: &Rate, turmoil: &Rate) {
    println!(
        "  ratio (messages per wall s, ours / turmoil): {:.1}x",
        ours.messages_per_sec() / turmoil.messages_per_sec()
    );
}

/// The ping side, shared by both simulators: writes a numbered message,
/// reads the echo, checks it.
async fn ping<S>(mut stream: S, round_trips: u64) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut out = [0u8; MESSAGE];
    let mut back = [0u8; MESSAGE];
    for i in 0..round_trips {
        out[..8].copy_from_slice(&i.to_le_bytes());
        stream.write_all(&out).await?;
        stream.read_exact(&mut back).await?;
        if back != out {
            return Err(std::io::Error::other(format!(
                "pong {i} differs from its ping"
            )));
        }
    }
    Ok(())
}

/// The pong side: echoes fixed-size messages until EOF.
async fn pong<S>(mut stream: S) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buf = [0u8; MESSAGE];
    loop {
        match stream.read_exact(&mut buf).await {
            Ok(_) => stream.write_all(&buf).await?,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Our simulator, one seed on a fresh thread, with `links`; the report's
/// wall time covers the run, not the setup.
/// Records the packets both ways, for the summary line.
fn count_packets() -> std::io::Result<()> {
    let net = sim_net::net()?;
    let packets = net.link_stats("ping", "pong")?.packets_delivered
        + net.link_stats("pong", "ping")?.packets_delivered;
    OUR_PACKETS.store(packets, Ordering::Relaxed);
    Ok(())
}

fn ours(round_trips: u64, links: Links) -> Rate {
    let virtual_limit = links.virtual_limit(round_trips);
    let reports = Harness::new()
        .ignore_env()
        .builder(Builder::new().time_limit(virtual_limit))
        .seeds([0])
        .run(move |sim| {
            sim.host("pong", || async {
                let listener = tokio::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
                let (stream, _) = listener.accept().await?;
                pong(stream).await?;
                std::future::pending().await
            });
            sim.client("ping", async move {
                let stream = tokio::net::TcpStream::connect(("pong", PORT)).await?;
                ping(stream, round_trips).await?;
                Ok(count_packets()?)
            });
            Net::builder().default_link(links.ours()).install(sim);
        });
    let events = reports[0].events;
    let packets = OUR_PACKETS.load(Ordering::Relaxed);
    println!(
        "  ours: {events} scheduler events ({:.2} per round trip), {packets} packets ({:.2} per round \
         trip: one data segment each way, each carrying the ACK of the last), {:.0} ns wall per event",
        events as f64 / round_trips as f64,
        packets as f64 / round_trips as f64,
        reports[0].wall.as_nanos() as f64 / events as f64
    );
    Rate {
        round_trips,
        wall: reports[0].wall,
        simulated: reports[0].virtual_time.as_duration(),
    }
}

/// turmoil with `links` and 1 ms ticks, on this (non-simulation) thread.
fn turmoil(round_trips: u64, links: Links) -> Rate {
    let mut builder = turmoil::Builder::new();
    if let Links::Fixed(latency) = links {
        builder
            .min_message_latency(latency)
            .max_message_latency(latency);
    }
    let mut sim = builder
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(links.virtual_limit(round_trips))
        .build();
    sim.host("pong", || async {
        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
        let (stream, _) = listener.accept().await?;
        pong(stream).await?;
        Ok(())
    });
    sim.client("ping", async move {
        let stream = turmoil::net::TcpStream::connect(("pong", PORT)).await?;
        ping(stream, round_trips).await?;
        Ok(())
    });
    let started = Instant::now();
    sim.run().expect("turmoil ping-pong");
    Rate {
        round_trips,
        wall: started.elapsed(),
        simulated: sim.elapsed(),
    }
}
