//! The probes of `http-allowlist`: connections injected into the service's
//! listener from seed-drawn addresses, each speaking HTTP/1.1 either
//! through hyper's client connection or as raw bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rand::Rng;
use sim_core::SimRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::{forbidden_body, is_allowed, secret_body, Verdicts, API, STRANGER_IP};

/// The longest a probe waits before its request.
pub(super) const MAX_DELAY: Duration = Duration::from_millis(500);

/// One injected connection and what the service must answer on it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Probe {
    /// The address the connection appears to come from.
    pub(super) from: SocketAddr,
    /// Whether it should be let in (by construction, not by asking the
    /// service's own check).
    pub(super) allowed: bool,
    /// Raw bytes instead of hyper's client connection.
    raw: bool,
    /// How long it waits before sending its request.
    delay: Duration,
}

/// An address of kind `kind` and whether it is inside the allow-list.
fn draw_ip(rng: &mut SimRng, kind: u32) -> (IpAddr, bool) {
    match kind {
        // Inside 172.16.0.0/12.
        0 => {
            let low = rng.random::<u32>() & 0x000f_ffff;
            (Ipv4Addr::from(0xac10_0000 | low).into(), true)
        }
        // Inside 10.1.0.0/16, the trusted host's network.
        1 => (
            Ipv4Addr::new(10, 1, rng.random(), rng.random()).into(),
            true,
        ),
        // Inside the IPv6 /48.
        2 => {
            let ip = Ipv6Addr::new(0x2001, 0xdb8, 0xa11, rng.random(), 0, 0, 0, rng.random());
            (ip.into(), true)
        }
        // TEST-NET-3: nobody's.
        3 => (Ipv4Addr::new(203, 0, 113, rng.random()).into(), false),
        // The stranger's own address, spoofed: still outside.
        4 => (STRANGER_IP.into(), false),
        // Another IPv6 /48.
        _ => {
            let ip = Ipv6Addr::new(0x2001, 0xdb8, 0xbad, 0, 0, 0, 0, rng.random());
            (ip.into(), false)
        }
    }
}

/// Draws `count` probes with distinct addresses; the first is allowed and
/// the second refused, so both answers are always exercised.
pub(super) fn draw(rng: &mut SimRng, count: u32) -> Vec<Probe> {
    let mut probes: Vec<Probe> = Vec::new();
    for i in 0..count {
        let kind = match i {
            0 => 0,
            1 => 3,
            _ => rng.random_range(0..6),
        };
        let (ip, allowed) = draw_ip(rng, kind);
        // Below the ephemeral range, so no probe shares an address with a
        // real client host's connection; distinct, so each verdict is its own.
        let from = loop {
            let from = SocketAddr::new(ip, rng.random_range(1024..49152));
            if probes.iter().all(|p| p.from != from) {
                break from;
            }
        };
        let delay_ms = rng.random_range(0..=MAX_DELAY.as_millis() as u64);
        probes.push(Probe {
            from,
            allowed,
            raw: rng.random(),
            delay: Duration::from_millis(delay_ms),
        });
    }
    probes
}

/// Receives every injected stream, runs the probes concurrently, then
/// checks the service judged each connection once, by its own address.
pub(super) async fn prober(
    probes: Rc<[Probe]>,
    mut injected: mpsc::UnboundedReceiver<(Probe, TcpStream)>,
    verdicts: Verdicts,
) -> sim_core::Result {
    let mut tasks = Vec::new();
    for _ in 0..probes.len() {
        let (probe, stream) = injected
            .recv()
            .await
            .ok_or("the service stopped before injecting every connection")?;
        tasks.push(tokio::task::spawn_local(run(probe, stream)));
    }
    for task in tasks {
        task.await??;
    }
    let verdicts = verdicts.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for probe in probes.iter() {
        let seen: Vec<bool> = verdicts
            .iter()
            .filter(|(peer, _)| *peer == probe.from)
            .map(|(_, allowed)| *allowed)
            .collect();
        if seen != [probe.allowed] {
            return Err(format!(
                "the service judged {} {seen:?}, expected once {}",
                probe.from, probe.allowed
            )
            .into());
        }
        if is_allowed(probe.from.ip()) != probe.allowed {
            return Err(format!("the allow-list misjudges {}", probe.from).into());
        }
    }
    sim_core::trace_note("http_allowlist.verdicts", verdicts.len() as u64);
    Ok(())
}

/// One probe: wait, ask for the secret, check the answer.
async fn run(probe: Probe, stream: TcpStream) -> Result<(), String> {
    tokio::time::sleep(probe.delay).await;
    let way = if probe.raw { "raw bytes" } else { "hyper" };
    let (status, body) = if probe.raw {
        raw_get(stream).await
    } else {
        hyper_get(stream).await
    }
    .map_err(|e| format!("probe from {} ({way}): {e}", probe.from))?;
    let expected = if probe.allowed {
        (200, secret_body(probe.from))
    } else {
        (403, forbidden_body(probe.from))
    };
    if (status, &body) != (expected.0, &expected.1) {
        return Err(format!(
            "probe from {} ({way}): got {status} {body:?}, expected {} {:?}",
            probe.from, expected.0, expected.1
        ));
    }
    Ok(())
}

/// GET /secret through hyper's HTTP/1.1 client connection.
async fn hyper_get(stream: TcpStream) -> Result<(u16, String), String> {
    let io = TokioIo::new(stream);
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::task::spawn_local(conn);
    let request = hyper::Request::get("/secret")
        .header(hyper::header::HOST, API)
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// GET /secret written and read as bytes: the wire format, no client library.
async fn raw_get(mut stream: TcpStream) -> Result<(u16, String), String> {
    let request = format!("GET /secret HTTP/1.1\r\nHost: {API}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    // `Connection: close`: the server closes after the response.
    stream
        .read_to_end(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {text:?}"))?;
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no HTTP/1.1 status line in {head:?}"))?;
    Ok((status, body.to_string()))
}
