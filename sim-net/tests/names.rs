//! Names resolve through the simulation: `tokio::net::lookup_host`,
//! `std::net::ToSocketAddrs` and `getaddrinfo` itself, from a host's async
//! code or its blocking tasks, answer from the simulation's DNS and never
//! from a real resolver.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use sim_core::{Builder, Harness};
use sim_net::Net;

fn on_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().unwrap()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Whether this simulation thread forwarded a name lookup to the C library.
fn asked_a_real_resolver() -> bool {
    sim_clock::forwarded_calls()
        .iter()
        .any(|(call, _)| *call == "getaddrinfo")
}

/// `getaddrinfo(node, service, hints)` through libc's symbol (the
/// interposed one): the addresses, or the `EAI_*` code.
fn gai(
    node: Option<&str>,
    service: Option<&str>,
    family: i32,
    socktype: i32,
    flags: i32,
) -> Result<Vec<(i32, SocketAddr)>, i32> {
    let node = node.map(|n| CString::new(n).unwrap());
    let service = service.map(|s| CString::new(s).unwrap());
    // SAFETY: an all-zero addrinfo is a valid hints value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_flags = flags;
    let mut res = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings or null, valid hints and out-pointer.
    let r = unsafe {
        libc::getaddrinfo(
            node.as_ref().map_or(std::ptr::null(), |n| n.as_ptr()),
            service.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            &hints,
            &mut res,
        )
    };
    if r != 0 {
        return Err(r);
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: a node of the list getaddrinfo returned.
        let ai = unsafe { &*p };
        let sa = match ai.ai_family {
            libc::AF_INET => {
                // SAFETY: an AF_INET entry holds a sockaddr_in.
                let sin = unsafe { &*ai.ai_addr.cast::<libc::sockaddr_in>() };
                SocketAddr::new(
                    IpAddr::from(u32::from_be(sin.sin_addr.s_addr).to_be_bytes()),
                    u16::from_be(sin.sin_port),
                )
            }
            _ => {
                // SAFETY: an AF_INET6 entry holds a sockaddr_in6.
                let sin6 = unsafe { &*ai.ai_addr.cast::<libc::sockaddr_in6>() };
                SocketAddr::new(
                    IpAddr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                )
            }
        };
        out.push((ai.ai_socktype, sa));
        p = ai.ai_next;
    }
    // SAFETY: the list getaddrinfo returned, freed once.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

fn gai_message(code: i32) -> String {
    // SAFETY: gai_strerror returns a static string for any code.
    unsafe { CStr::from_ptr(libc::gai_strerror(code)) }
        .to_string_lossy()
        .into_owned()
}

const EAI_ADDRFAMILY: i32 = -9;

#[test]
fn tokio_lookup_host_from_a_client_answers_the_servers_address_at_the_same_instant() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(3).build();
        sim.host("server", || async { std::future::pending().await });
        sim.client("client", async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let t0 = tokio::time::Instant::now();
            let found: Vec<_> = tokio::net::lookup_host("server:80").await?.collect();
            assert_eq!(found, vec![addr("10.0.0.1:80")]);
            assert_eq!(t0.elapsed(), Duration::ZERO);
            Ok(())
        });
        Net::install(&mut sim);
        sim.run().unwrap();
        assert!(!asked_a_real_resolver());
    });
}

#[test]
fn tokio_tcp_stream_connects_by_name_in_exactly_one_round_trip() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(3).build();
        sim.host("server", || async {
            let listener = tokio::net::TcpListener::bind("0.0.0.0:9000").await?;
            loop {
                let (s, _) = listener.accept().await?;
                drop(s);
            }
        });
        sim.client("client", async {
            let t0 = tokio::time::Instant::now();
            // The name is looked up on tokio's blocking pool, at once.
            let s = tokio::net::TcpStream::connect("server:9000").await?;
            assert_eq!(s.peer_addr()?, addr("10.0.0.1:9000"));
            assert_eq!(t0.elapsed(), Duration::from_millis(20), "one round trip");
            let e = tokio::net::TcpStream::connect("nosuchhost:9000")
                .await
                .unwrap_err();
            assert!(e.to_string().ends_with("Name or service not known"), "{e}");
            Ok(())
        });
        Net::builder()
            .default_link(sim_net::LinkConfig::fixed(10_000_000))
            .install(&mut sim);
        sim.run().unwrap();
        assert!(!asked_a_real_resolver());
    });
}

#[test]
fn a_host_looks_up_itself_and_a_dual_stack_peer_in_their_address_order() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(3).build();
        sim.host("server", || async {
            let me: Vec<_> = tokio::net::lookup_host(("server", 443)).await?.collect();
            assert_eq!(me, vec![addr("10.0.0.1:443")]);
            let peer: Vec<_> = tokio::net::lookup_host("db:5432").await?.collect();
            assert_eq!(peer, vec![addr("10.9.0.1:5432"), addr("[fd00::9]:5432")]);
            std::future::pending().await
        });
        sim.host("db", || async { std::future::pending().await });
        sim.client("client", async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        });
        Net::builder()
            .addrs(
                "db",
                &["10.9.0.1".parse().unwrap(), "fd00::9".parse().unwrap()],
            )
            .install(&mut sim);
        sim.run().unwrap();
    });
}

#[test]
fn std_to_socket_addrs_resolves_inside_spawn_blocking_and_in_async_code() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(3).build();
        sim.host("server", || async { std::future::pending().await });
        sim.client("client", async {
            let blocking = tokio::task::spawn_blocking(|| {
                ("server", 8080)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<_>>())
            })
            .await??;
            assert_eq!(blocking, vec![addr("10.0.0.1:8080")]);
            // A direct call from async code answers at once, too.
            let direct: Vec<_> = "server:9".to_socket_addrs()?.collect();
            assert_eq!(direct, vec![addr("10.0.0.1:9")]);
            Ok(())
        });
        Net::install(&mut sim);
        sim.run().unwrap();
    });
}

#[test]
fn a_blocking_task_spawned_by_a_blocking_task_still_resolves_through_the_simulation() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(3).build();
        sim.host("server", || async { std::future::pending().await });
        sim.client("client", async {
            let inner = tokio::task::spawn_blocking(|| {
                tokio::task::spawn_blocking(|| {
                    ("server", 7)
                        .to_socket_addrs()
                        .map(|a| a.collect::<Vec<_>>())
                })
            })
            .await?;
            assert_eq!(inner.await??, vec![addr("10.0.0.1:7")]);
            Ok(())
        });
        Net::install(&mut sim);
        sim.run().unwrap();
    });
}

#[test]
fn an_unknown_name_fails_as_getaddrinfo_does_with_name_or_service_not_known() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(3).build();
        sim.client("client", async {
            let Err(e) = tokio::net::lookup_host("nosuchhost:80").await else {
                panic!("an unknown name resolved");
            };
            assert_eq!(
                e.to_string(),
                "failed to lookup address information: Name or service not known"
            );
            let e = ("nosuchhost", 1).to_socket_addrs().unwrap_err();
            assert!(e.to_string().ends_with("Name or service not known"), "{e}");
            Ok(())
        });
        Net::install(&mut sim);
        sim.run().unwrap();
        assert!(!asked_a_real_resolver());
    });
}

#[test]
fn the_machines_own_host_name_is_unknown_inside_the_simulation() {
    let mut buf = [0u8; 256];
    // SAFETY: a writable buffer of the given length.
    assert_eq!(
        unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) },
        0
    );
    let name = CStr::from_bytes_until_nul(&buf)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    on_fresh_thread(move || {
        let mut sim = Builder::new().seed(3).build();
        sim.client("client", async move {
            // However the real resolver would answer (/etc/hosts, DNS), the
            // simulation has no host of that name.
            let r = gai(Some(&name), None, libc::AF_UNSPEC, libc::SOCK_STREAM, 0);
            assert_eq!(r, Err(libc::EAI_NONAME));
            Ok(())
        });
        Net::install(&mut sim);
        sim.run().unwrap();
        assert!(!asked_a_real_resolver());
    });
}

/// The hints, as glibc answers them (checked against glibc 2.36 with
/// Python's `socket.getaddrinfo`; see the guide's name resolution page).
#[test]
fn getaddrinfo_honours_the_family_socket_type_and_flags_as_glibc_does() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(3).build();
        sim.host("v4only", || async { std::future::pending().await });
        sim.host("dual", || async { std::future::pending().await });
        sim.client("client", async {
            let stream = libc::SOCK_STREAM;
            let ok = |v: &[(i32, &str)]| Ok(v.iter().map(|(t, a)| (*t, addr(a))).collect());
            // An IPv4-only host asked for IPv6: no such name (as glibc's
            // files and DNS backends answer a name without AAAA records).
            let r = gai(Some("v4only"), None, libc::AF_INET6, stream, 0);
            assert_eq!(r, Err(libc::EAI_NONAME));
            assert_eq!(gai_message(libc::EAI_NONAME), "Name or service not known");
            let r = gai(Some("v4only"), Some("80"), libc::AF_INET, stream, 0);
            assert_eq!(r, ok(&[(stream, "10.0.0.1:80")]));
            let r = gai(Some("dual"), Some("80"), libc::AF_INET6, stream, 0);
            assert_eq!(r, ok(&[(stream, "[fd00::2]:80")]));
            let r = gai(Some("dual"), Some("80"), libc::AF_UNSPEC, stream, 0);
            assert_eq!(r, ok(&[(stream, "10.0.0.2:80"), (stream, "[fd00::2]:80")]));
            // AF_INET6 with AI_V4MAPPED maps an IPv4-only host's address.
            let r = gai(
                Some("v4only"),
                Some("80"),
                libc::AF_INET6,
                stream,
                libc::AI_V4MAPPED,
            );
            assert_eq!(r, ok(&[(stream, "[::ffff:10.0.0.1]:80")]));
            // An address literal of the other family: EAI_ADDRFAMILY.
            let r = gai(Some("10.0.0.1"), None, libc::AF_INET6, stream, 0);
            assert_eq!(r, Err(EAI_ADDRFAMILY));
            // A name with AI_NUMERICHOST is not looked up.
            let r = gai(Some("dual"), None, 0, stream, libc::AI_NUMERICHOST);
            assert_eq!(r, Err(libc::EAI_NONAME));
            // No socket type: stream, datagram and raw, as glibc lists them.
            let r = gai(Some("v4only"), None, 0, 0, 0).unwrap();
            let types: Vec<_> = r.iter().map(|(t, _)| *t).collect();
            assert_eq!(types, [stream, libc::SOCK_DGRAM, libc::SOCK_RAW]);
            // No name: the wildcard with AI_PASSIVE, the loopback without.
            let r = gai(None, Some("8080"), 0, stream, libc::AI_PASSIVE);
            assert_eq!(r, ok(&[(stream, "0.0.0.0:8080"), (stream, "[::]:8080")]));
            let r = gai(None, Some("8080"), 0, stream, 0);
            assert_eq!(r, ok(&[(stream, "[::1]:8080"), (stream, "127.0.0.1:8080")]));
            // localhost, and a service that is not a port number.
            let r = gai(Some("localhost"), Some("1"), 0, stream, 0);
            assert_eq!(r, ok(&[(stream, "127.0.0.1:1")]));
            let r = gai(Some("localhost"), Some("http"), 0, stream, 0);
            assert_eq!(r, Err(libc::EAI_SERVICE));
            Ok(())
        });
        Net::builder()
            .addrs(
                "dual",
                &["10.0.0.2".parse().unwrap(), "fd00::2".parse().unwrap()],
            )
            .install(&mut sim);
        sim.run().unwrap();
    });
}

#[test]
fn outside_a_simulation_getaddrinfo_and_freeaddrinfo_are_the_c_librarys() {
    // A numeric host needs no resolver: glibc answers it, and frees its list.
    let r = gai(
        Some("192.0.2.7"),
        Some("25"),
        libc::AF_INET,
        libc::SOCK_STREAM,
        libc::AI_NUMERICHOST,
    );
    assert_eq!(r, Ok(vec![(libc::SOCK_STREAM, addr("192.0.2.7:25"))]));
    let r = gai(Some("localhost"), None, 0, 0, libc::AI_NUMERICHOST);
    assert_eq!(r, Err(libc::EAI_NONAME));
}

#[test]
fn names_and_blocking_tasks_replay_exactly_under_the_determinism_check() {
    Harness::new()
        .seeds(0..4)
        .check_determinism(true)
        .run(|sim| {
            for i in 0..3 {
                sim.host(format!("s{i}"), || async { std::future::pending().await });
            }
            for c in 0..3 {
                sim.client(format!("c{c}"), async move {
                    for round in 0..5u64 {
                        let name = format!("s{}:{}", (c + round) % 3, 80 + round);
                        let found: Vec<_> = tokio::net::lookup_host(name).await?.collect();
                        assert_eq!(found.len(), 1);
                        let salt = tokio::task::spawn_blocking(move || {
                            use std::hash::BuildHasher;
                            std::collections::hash_map::RandomState::new().hash_one(round)
                        })
                        .await?;
                        // The seed's random draws decide how long to wait.
                        tokio::time::sleep(Duration::from_millis(salt % 50)).await;
                    }
                    Ok(())
                });
            }
            Net::install(sim);
        });
}
