//! Sockets of simulated hosts are never real: 200 hosts, each serving TCP
//! and UDP through `tokio::net` and talking to the next host by name, with
//! a crash, a kill and restarts, leave the process's open descriptors
//! (`/proc/self/fd`) unchanged before, during and after the run, and the
//! simulation thread sends none of their calls to the kernel.
//!
//! One test in its own binary, so no other test opens descriptors meanwhile.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sim_core::Builder;
use sim_net::{LinkConfig, Net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

const HOSTS: usize = 200;

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

fn on_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

async fn serve() -> sim_core::Result {
    let listener = TcpListener::bind("0.0.0.0:7000").await?;
    let udp = UdpSocket::bind("0.0.0.0:7001").await?;
    tokio::spawn(async move {
        let mut buf = [0u8; 64];
        while let Ok((n, from)) = udp.recv_from(&mut buf).await {
            let _ = udp.send_to(&buf[..n], from).await;
        }
    });
    loop {
        let (mut stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut buf = [0u8; 64];
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Each host serves, then talks to its successor over TCP and UDP.
fn run_ring() -> (usize, usize, Vec<(&'static str, u64)>) {
    on_fresh_thread(|| {
        let during = Rc::new(Cell::new(0));
        let exchanges = Rc::new(Cell::new(0));
        let mut sim = Builder::new().seed(9).build();
        for i in 0..HOSTS {
            let next = format!("h{}", (i + 1) % HOSTS);
            let exchanges = exchanges.clone();
            sim.host(format!("h{i}"), move || {
                let next = next.clone();
                let exchanges = exchanges.clone();
                async move {
                    tokio::task::spawn_local(serve());
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let mut stream = TcpStream::connect((next.as_str(), 7000)).await?;
                    stream.write_all(b"ping").await?;
                    let mut buf = [0u8; 4];
                    stream.read_exact(&mut buf).await?;
                    let udp = UdpSocket::bind("0.0.0.0:0").await?;
                    udp.send_to(b"ping", (next.as_str(), 7001)).await?;
                    udp.recv_from(&mut buf).await?;
                    exchanges.set(exchanges.get() + 1);
                    std::future::pending().await
                }
            });
        }
        let seen = during.clone();
        sim.client("observer", async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            sim_core::crash("h7")?;
            sim_core::kill("h8")?;
            tokio::time::sleep(Duration::from_millis(100)).await;
            sim_core::restart("h7")?;
            sim_core::restart("h8")?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            seen.set(open_descriptors());
            Ok(())
        });
        Net::builder()
            .default_link(LinkConfig::fixed(1_000_000))
            .install(&mut sim);
        sim.run().expect("the ring runs");
        drop(sim);
        (during.get(), exchanges.get(), sim_clock::forwarded_calls())
    })
}

#[test]
fn two_hundred_hosts_talking_tcp_and_udp_use_no_real_socket() {
    // The first simulation in a process may create process-wide state once
    // (tokio's signal self-pipe): warm up, then count.
    on_fresh_thread(|| {
        let mut sim = Builder::new().build();
        sim.client("warm-up", async { Ok(()) });
        sim.run().unwrap();
    });
    let before = open_descriptors();
    let (during, exchanges, forwarded) = run_ring();
    let after = open_descriptors();
    assert_eq!(
        exchanges,
        HOSTS + 2,
        "every host, and the two restarted ones again"
    );
    assert_eq!(during, before, "descriptors open while the hosts talk");
    assert_eq!(after, before, "descriptors open after the run");
    assert_eq!(
        forwarded,
        vec![],
        "calls the simulation thread sent to the kernel"
    );
}
