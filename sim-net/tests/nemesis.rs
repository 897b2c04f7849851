//! sim-core's fault schedule over a network: every kind occurs in a sweep,
//! the network is whole again in the quiet period, and a run with faults
//! and traffic replays exactly in another process.

use std::time::Duration;

use sim_core::nemesis::{FaultKind, Nemesis};
use sim_core::{Harness, Sim};
use sim_net::{LinkConfig, Net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HOSTS: [&str; 3] = ["n1", "n2", "n3"];
const PORT: u16 = 7000;

/// Three hosts that echo every line on TCP and keep talking to each other
/// (each connects to the next every 100 ms; failures are expected under
/// faults and ignored), plus a schedule active for `active`.
fn cluster(sim: &mut Sim, active: Duration) {
    for (i, name) in HOSTS.iter().enumerate() {
        let next = HOSTS[(i + 1) % HOSTS.len()];
        sim.host(*name, move || async move {
            let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
            tokio::spawn(async move {
                loop {
                    let Ok((mut s, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(async move {
                        let mut buf = [0u8; 64];
                        while let Ok(n @ 1..) = s.read(&mut buf).await {
                            if s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let talk = async {
                    let mut s = TcpStream::connect((next, PORT)).await?;
                    s.write_all(b"ping").await?;
                    let mut buf = [0u8; 4];
                    s.read_exact(&mut buf).await?;
                    Ok::<_, std::io::Error>(())
                };
                let _ = tokio::time::timeout(Duration::from_millis(300), talk).await;
            }
        });
    }
    Net::builder()
        .default_link(LinkConfig::fixed(2_000_000))
        .install(sim);
    Nemesis::new().active_for(active).install(sim);
}

#[test]
fn every_fault_kind_occurs_in_a_200_seed_sweep() {
    let sweep = Harness::new().seeds(0..200).ignore_env().sweep(|sim| {
        cluster(sim, Duration::from_secs(5));
        sim.client("wait", async {
            sim_core::nemesis::wait_for_quiet().await;
            Ok(())
        });
    });
    assert_eq!(sweep.failures().count(), 0, "{}", sweep.failure_list());
    let faults = sweep.faults();
    for kind in FaultKind::ALL {
        assert!(
            faults.get(kind.as_str()).copied().unwrap_or(0) > 0,
            "{kind} never occurred: {faults:?}"
        );
    }
}

#[test]
fn the_network_is_whole_again_in_the_quiet_period() {
    let reports = Harness::new().seeds(0..30).ignore_env().run(|sim| {
        cluster(sim, Duration::from_secs(4));
        sim.client("check", async {
            sim_core::nemesis::wait_for_quiet().await;
            let net = sim_net::net()?;
            let default = LinkConfig::fixed(2_000_000);
            for a in HOSTS {
                for b in HOSTS.iter().filter(|b| **b != a) {
                    assert_eq!(net.link(a, b)?, default, "{a} -> {b}");
                    let blocked = net.with_model(|m| {
                        let (x, y) = (m.node_by_name(a).unwrap(), m.node_by_name(b).unwrap());
                        m.is_partitioned(x, y) || m.held_packets(x, y) > 0
                    })?;
                    assert!(!blocked, "{a} -> {b} still cut or held");
                }
            }
            // Every host is up and reachable, at once (restarted hosts have
            // had a moment to listen again).
            tokio::time::sleep(Duration::from_millis(10)).await;
            for host in HOSTS {
                let t0 = tokio::time::Instant::now();
                let mut s = TcpStream::connect((host, PORT)).await?;
                s.write_all(b"hi").await?;
                let mut buf = [0u8; 2];
                s.read_exact(&mut buf).await?;
                assert_eq!(t0.elapsed(), Duration::from_millis(8), "{host}");
            }
            Ok(())
        });
    });
    assert!(reports.iter().all(|r| r.faults.values().sum::<u64>() > 0));
}

#[test]
fn a_run_with_faults_replays_exactly_in_another_process() {
    // The second run of each seed is in a child process.
    Harness::new()
        .seeds(0..3)
        .check_determinism(true)
        .run(|sim| {
            cluster(sim, Duration::from_secs(3));
            sim.client("wait", async {
                sim_core::nemesis::wait_for_quiet().await;
                Ok(())
            });
        });
}
