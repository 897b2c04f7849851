//! The lifecycle rows of the guide's behaviour table (docs/src/network.md,
//! "TCP: what the peer sees") through the socket layer: a killed process (the
//! kernel closes its sockets), a crashed machine (silence, then RST after
//! restart), a paused host (the kernel buffers, the application makes no
//! progress). Exact kinds and times.
//!
//! Links: fixed 10 ms one way. `server` is 10.0.0.1, `client` 10.0.0.2.

use std::io::ErrorKind;
use std::time::Duration;

use crate::helpers::sockets::*;
use sim_core::HostState;
use sim_net::model::{DropReason, TcpState};
use sim_net::TcpConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server that accepts connections and keeps them open; it reads what the
/// first connection sends and leaves the second's data unread.
async fn read_first_ignore_second() -> sim_core::Result {
    let listener = TcpListener::bind("0.0.0.0:80").await?;
    let (mut read_me, _) = listener.accept().await?;
    let (_ignore_me, _) = listener.accept().await?;
    let mut buf = [0u8; 4];
    read_me.read_exact(&mut buf).await?;
    std::future::pending().await
}

/// Row 10: `sim_core::kill` ends the process, the kernel closes its sockets:
/// FIN where everything was read (the peer reads EOF), RST where received
/// data was left unread or the connection was never accepted (the peer
/// reads `ConnectionReset`). The machine stays
/// up: a new connect is refused after one round trip.
#[test]
fn process_kill_closes_sockets_fin_or_rst_with_unread_data() {
    run(|sim| {
        sim.host("server", read_first_ignore_second);
        sim.client("client", async {
            let mut clean = TcpStream::connect("server:80").await?;
            let mut unread = TcpStream::connect("server:80").await?;
            // Established, but never accepted: the listener's queue holds it.
            let mut queued = TcpStream::connect("server:80").await?;
            clean.write_all(b"read").await?;
            unread.write_all(b"left").await?;
            sleep_until(Duration::from_secs(1)).await;
            sim_core::kill("server")?;
            let mut buf = [0u8; 8];
            assert_eq!(clean.read(&mut buf).await?, 0, "FIN: end of stream");
            assert_eq!(now(), Duration::from_secs(1) + ms(10));
            let err = unread.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
            assert_eq!(now(), Duration::from_secs(1) + ms(10));
            // Closing the listener reset the connection it had not handed out.
            let err = queued.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
            assert_eq!(now(), Duration::from_secs(1) + ms(10));
            // The kernel is alive and has no listener any more.
            let err = TcpStream::connect("server:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert_eq!(now(), Duration::from_secs(1) + ms(30));
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 10, from the test: `Sim::kill` between steps, state checked with
/// `Net::connections()`.
#[test]
fn sim_kill_from_the_test_leaves_the_peer_in_close_wait() {
    on_fresh_thread(|| {
        let mut sim = sim_core::Builder::new().seed(3).build();
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (_s, _) = listener.accept().await?;
            std::future::pending().await
        });
        sim.host("client", || async {
            let _s = TcpStream::connect("server:80").await?;
            std::future::pending().await
        });
        let net = install(&mut sim, 10);
        sim.run_for(Duration::from_secs(1)).unwrap();
        let conns = net.connections().unwrap();
        assert_eq!(conns.len(), 2);
        assert!(conns.iter().all(|c| c.state == TcpState::Established));
        sim.kill("server").unwrap();
        assert_eq!(sim.host_state("server").unwrap(), HostState::Down);
        sim.run_for(Duration::from_millis(10)).unwrap();
        let conns = net.connections().unwrap();
        let client_end = conns.iter().find(|c| c.remote.port() == 80).unwrap();
        assert_eq!(client_end.state, TcpState::CloseWait, "{conns:?}");
        assert_eq!(client_end.error, None);
    });
}

/// Row 11: a crashed machine is silent (its packets vanish, nothing answers:
/// the client's retransmissions are dropped); after `restart` the first
/// segment for the old connection is answered with RST.
#[test]
fn machine_crash_is_silent_then_restart_answers_old_segments_with_rst() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            loop {
                let (s, _) = listener.accept().await?;
                std::mem::forget(s); // keep every connection open
            }
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            sleep_until(Duration::from_secs(1)).await;
            sim_core::crash("server")?;
            stream.write_all(b"into the void").await?;
            let net = sim_net::net()?;
            tokio::task::spawn_local(async move {
                sleep_until(Duration::from_secs(5)).await;
                sim_core::restart("server").unwrap();
            });
            let mut buf = [0u8; 8];
            let err = stream.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
            // Sent at 1 s, retransmitted at 1.2, 1.6, 2.4, 4.0 s (all dropped
            // at the dead machine), then at 7.2 s: RST back at 7.22 s.
            assert_eq!(now(), Duration::from_millis(7_220));
            let drops = net.drop_counts()?;
            assert_eq!(drops.get(DropReason::NodeDown), 5);
            assert_eq!(
                drops.get(DropReason::NoSocket),
                1,
                "the segment the RST answered"
            );
            let err = stream.write(b"x").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            // The restarted server listens again.
            let _again = TcpStream::connect("server:80").await?;
            assert_eq!(now(), Duration::from_millis(7_240));
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 11, seen from the test: while the machine is down, a connect gets no
/// answer at all (no RST), unlike a killed process.
#[test]
fn crashed_machine_answers_nothing_while_down() {
    run(|sim| {
        sim.host("server", || async {
            let _l = TcpListener::bind("0.0.0.0:80").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            sleep_until(ms(1)).await;
            sim_core::crash("server")?;
            let err = TcpStream::connect("server:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            assert_eq!(now(), ms(1) + Duration::from_secs(3));
            let stats = sim_net::net()?.link_stats("server", "client")?;
            assert_eq!(stats.packets_sent, 0, "silence");
            Ok(())
        });
        install_tcp(sim, 10, tcp_connect_timeout(3));
    });
}

/// Row 12: a paused host's kernel still buffers: the peer's writes succeed
/// up to the receive buffer plus its own send buffer, and are acknowledged;
/// the paused application reads nothing until it is resumed.
#[test]
fn paused_host_kernel_buffers_but_application_makes_no_progress() {
    const BUF: usize = 4096;
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (mut stream, _) = listener.accept().await?;
            let mut first = [0u8; 1];
            stream.read_exact(&mut first).await?;
            // Paused from 1 s to 5 s: this read returns at the resume.
            assert_eq!(now(), Duration::from_secs(5));
            let mut rest = vec![0u8; 2 * BUF - 1];
            stream.read_exact(&mut rest).await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let stream = TcpStream::connect("server:80").await?;
            sleep_until(Duration::from_secs(1)).await;
            sim_core::pause("server")?;
            let data = pattern(3 * BUF);
            let mut written = 0;
            while now() < Duration::from_secs(2) {
                match stream.try_write(&data[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        tokio::select! {
                            r = stream.writable() => r?,
                            _ = sleep_until(Duration::from_secs(2)) => {}
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            assert_eq!(written, 2 * BUF, "the paused host's kernel took a window");
            let net = sim_net::net()?;
            let conns = net.connections()?;
            let server_end = conns.iter().find(|c| c.local.port() == 80).unwrap();
            assert_eq!(server_end.recv_buffered, BUF, "acknowledged, not read");
            sleep_until(Duration::from_secs(5)).await;
            sim_core::resume("server")?;
            // The application drains the buffer at 5 s; the window update
            // reaches us at 5.01 s, the data at 5.02, its ACK frees our send
            // buffer at 5.03 s.
            stream.writable().await?;
            assert_eq!(now(), Duration::from_millis(5_030));
            Ok(())
        });
        install_tcp(
            sim,
            10,
            TcpConfig {
                send_buffer: BUF,
                recv_buffer: BUF,
                ..TcpConfig::default()
            },
        );
    });
}

/// A paused host's timers wait too: a sleep due during the pause ends at
/// the resume, and a connection it had open is still there.
#[test]
fn paused_host_timers_fire_at_resume() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (mut stream, _) = listener.accept().await?;
            tokio::time::sleep(Duration::from_secs(2) - now()).await;
            assert_eq!(
                now(),
                Duration::from_secs(3),
                "the timer waited for the resume"
            );
            stream.write_all(b"late").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            sleep_until(Duration::from_secs(1)).await;
            sim_core::pause("server")?;
            sleep_until(Duration::from_secs(3)).await;
            sim_core::resume("server")?;
            let mut buf = [0u8; 4];
            stream.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"late");
            assert_eq!(now(), Duration::from_secs(3) + ms(10));
            Ok(())
        });
        install(sim, 10);
    });
}
