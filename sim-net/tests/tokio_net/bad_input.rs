//! What the model lacks, and calls that would block the simulation thread:
//! Linux's `errno` for each, and a run error naming the call, the host,
//! the virtual time and the seed.

use sim_core::{Builder, ErrorKind as SimErrorKind, Sim, SimError};

use crate::helpers::sockets::*;

/// Runs `setup` and returns the run's error.
fn fails(setup: impl FnOnce(&mut Sim) + Send + 'static) -> SimError {
    on_fresh_thread(move || {
        let mut sim = Builder::new().seed(3).build();
        setup(&mut sim);
        install(&mut sim, 10);
        sim.run().expect_err("the run must fail")
    })
}

fn assert_unsupported(e: &SimError, call: &str, words: &str) {
    assert!(
        matches!(&e.kind, SimErrorKind::Unsupported { call: c, advice } if c == call && advice.contains(words)),
        "{e}"
    );
    assert_eq!(e.host.as_deref(), Some("app"), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("seed 3") || text.contains("SIM_SEED=3"),
        "{text}"
    );
}

#[test]
fn a_raw_socket_is_esocktnosupport_and_ends_the_run() {
    let e = fails(|sim| {
        sim.client("app", async {
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP) };
            assert_eq!(fd, -1);
            assert_eq!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::ESOCKTNOSUPPORT)
            );
            Ok(())
        });
    });
    assert_unsupported(&e, "socket", "raw sockets");
}

#[test]
fn a_unix_seqpacket_socket_is_esocktnosupport_and_ends_the_run() {
    let e = fails(|sim| {
        sim.client("app", async {
            let err = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::SEQPACKET, None)
                .unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ESOCKTNOSUPPORT));
            Ok(())
        });
    });
    assert_unsupported(&e, "socket", "Unix domain seqpacket");
}

#[test]
fn an_unmodelled_option_is_enoprotoopt_and_ends_the_run() {
    let e = fails(|sim| {
        sim.client("app", async {
            use std::os::fd::AsRawFd;
            let socket = tokio::net::TcpSocket::new_v4()?;
            let priority: libc::c_int = 6;
            // SAFETY: a valid descriptor and an int option, as setsockopt takes.
            let r = unsafe {
                libc::setsockopt(
                    socket.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_PRIORITY,
                    (&priority as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            assert_eq!(r, -1);
            let err = std::io::Error::last_os_error();
            assert_eq!(err.raw_os_error(), Some(libc::ENOPROTOOPT));
            Ok(())
        });
    });
    assert_unsupported(&e, "setsockopt", "SO_PRIORITY");
}

#[test]
fn a_blocking_std_connect_ends_the_run_instead_of_waiting() {
    let e = fails(|sim| {
        sim.host("server", || async {
            let _l = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            std::future::pending().await
        });
        sim.client("app", async {
            let err = std::net::TcpStream::connect("10.0.0.1:80").unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EINPROGRESS));
            Ok(())
        });
    });
    assert_unsupported(&e, "connect", "blocking `connect`");
}

#[test]
fn a_blocking_std_accept_ends_the_run_instead_of_waiting() {
    let e = fails(|sim| {
        sim.client("app", async {
            let listener = std::net::TcpListener::bind("0.0.0.0:80")?;
            let err = listener.accept().unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
            Ok(())
        });
    });
    assert_unsupported(&e, "accept4", "would wait forever");
}
