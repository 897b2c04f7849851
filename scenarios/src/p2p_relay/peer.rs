//! A peer: serves its own file, registers with the relay, finds the other
//! peer through it, and downloads the other's file straight from the other.
//!
//! Every step retries: a relay that is down or has forgotten the other, a
//! peer that refuses, times out or cuts a download short all mean "wait,
//! look the other up again, try again", which is what lets the same peer
//! code pass every variant's fault.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use hyper::Method;
use rand::Rng;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::{Plan, World, PEERS, RELAY};
use crate::clocks::virtual_now;
use crate::pattern::Pattern;
use crate::web::{self, HttpClient};

/// Time between registrations (the heartbeat that re-registers with a
/// relay that restarted and forgot).
const HEARTBEAT: Duration = Duration::from_millis(500);
/// Pause before trying a look-up or a download again.
const RETRY: Duration = Duration::from_millis(250);
/// Giving up on connecting to the other peer (it may be down).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Bytes written or checked at a time.
const CHUNK: usize = 16 * 1024;
/// The ports a peer listens on: each incarnation draws one, so a restarted
/// peer is found at a new address.
const PORTS: std::ops::Range<u16> = 20_000..30_000;

/// Peer `me` (0 or 1): one incarnation, from its factory.
pub(super) async fn run(me: usize, plan: Plan, world: Rc<World>) -> sim_core::Result {
    let state = &world.peers[me];
    state.incarnation.set(state.incarnation.get() + 1);
    state.progress.set(0);
    state.attempts.set(0);
    state.found_at.set(None);
    state.done_at.set(None);
    world.changed();

    let port = sim_core::rng().random_range(PORTS);
    let listener = TcpListener::bind(("0.0.0.0", port)).await?;
    tokio::task::spawn_local(serve_file(listener, plan.files[me], plan.file_len));
    let client = web::client();
    tokio::task::spawn_local(heartbeat(client.clone(), PEERS[me], port));

    let other = 1 - me;
    loop {
        let addr = find(&client, PEERS[other]).await;
        if state.found_at.get().is_none() {
            state.found_at.set(Some(virtual_now()));
        }
        state.attempts.set(state.attempts.get() + 1);
        state.progress.set(0);
        match download(
            addr,
            PEERS[me],
            plan.files[other],
            plan.file_len,
            &world,
            me,
        )
        .await
        {
            Ok(()) => break,
            Err(Failed::Retry(e)) => {
                tracing::info!("download from {} at {addr} failed: {e}", PEERS[other]);
                tokio::time::sleep(RETRY).await;
            }
            Err(Failed::Corrupt(e)) => {
                return Err(
                    format!("the file from {} at {addr} is corrupt: {e}", PEERS[other]).into(),
                )
            }
        }
    }
    state.done_at.set(Some(virtual_now()));
    world.changed();
    sim_core::trace_note("p2p.downloaded", state.attempts.get().into());
    // Keep serving the file (and registering) until the run ends.
    std::future::pending().await
}

/// Registers `name` at `port` now and every [`HEARTBEAT`]; failures are
/// retried at the next beat.
async fn heartbeat(client: HttpClient, name: &'static str, port: u16) {
    let uri = format!("http://{RELAY}/peers/{name}");
    let mut beat = tokio::time::interval(HEARTBEAT);
    loop {
        beat.tick().await;
        match web::request(&client, Method::PUT, &uri, port.to_string()).await {
            Ok((status, _)) if status.is_success() => {}
            Ok((status, body)) => tracing::warn!("registering: {status} {body}"),
            Err(e) => tracing::info!("registering: {e}"),
        }
    }
}

/// Asks the relay for `name`'s address until it knows it.
async fn find(client: &HttpClient, name: &str) -> SocketAddr {
    let uri = format!("http://{RELAY}/peers/{name}");
    loop {
        match web::get(client, &uri).await {
            Ok((status, body)) if status.is_success() => match body.parse() {
                Ok(addr) => return addr,
                Err(_) => tracing::warn!("the relay answered {body:?} for {name}"),
            },
            Ok((status, _)) => tracing::debug!("{name}: {status}"),
            Err(e) => tracing::info!("looking up {name}: {e}"),
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Serves the file to anyone who connects and names themselves.
async fn serve_file(listener: TcpListener, file: Pattern, len: u64) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::task::spawn_local(async move {
            if let Err(e) = send_file(stream, file, len).await {
                tracing::info!("sending the file: {e}");
            }
        });
    }
}

/// Protocol: the downloader sends its name and a newline; the file follows
/// as its length (8 bytes, big-endian) and its bytes, then EOF.
async fn send_file(stream: TcpStream, file: Pattern, len: u64) -> std::io::Result<()> {
    let mut stream = BufReader::new(stream);
    let mut who = String::new();
    stream.read_line(&mut who).await?;
    let stream = stream.get_mut();
    stream.write_all(&len.to_be_bytes()).await?;
    let mut chunk = vec![0u8; CHUNK];
    let mut offset = 0;
    while offset < len {
        let n = CHUNK.min((len - offset) as usize);
        file.fill(offset, &mut chunk[..n]);
        stream.write_all(&chunk[..n]).await?;
        offset += n as u64;
    }
    stream.shutdown().await
}

/// Why a download did not complete.
#[derive(Debug)]
enum Failed {
    /// A fault of the network or of the other peer: try again.
    Retry(String),
    /// Wrong bytes arrived: a bug of the simulator, which fails the run.
    Corrupt(String),
}

impl From<String> for Failed {
    fn from(e: String) -> Failed {
        Failed::Retry(e)
    }
}

/// Downloads the other's file from `addr` and checks every byte.
async fn download(
    addr: SocketAddr,
    me: &str,
    file: Pattern,
    len: u64,
    world: &World,
    index: usize,
) -> Result<(), Failed> {
    let state = &world.peers[index];
    let mut stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| format!("connecting timed out after {CONNECT_TIMEOUT:?}"))?
        .map_err(|e| format!("connecting: {e}"))?;
    let io = |what: &'static str| move |e: std::io::Error| format!("{what}: {e}");
    stream
        .write_all(format!("{me}\n").as_bytes())
        .await
        .map_err(io("asking"))?;
    let mut header = [0u8; 8];
    stream
        .read_exact(&mut header)
        .await
        .map_err(io("reading the length"))?;
    let announced = u64::from_be_bytes(header);
    if announced != len {
        return Err(Failed::Corrupt(format!(
            "the file is announced as {announced} bytes, expected {len}"
        )));
    }
    let mut chunk = vec![0u8; CHUNK];
    let mut offset = 0u64;
    while offset < len {
        let want = CHUNK.min((len - offset) as usize);
        let n = stream
            .read(&mut chunk[..want])
            .await
            .map_err(io("reading the file"))?;
        if n == 0 {
            return Err(format!("the file ended at byte {offset} of {len}").into());
        }
        file.check(offset, &chunk[..n]).map_err(Failed::Corrupt)?;
        offset += n as u64;
        state.progress.set(offset);
        world.changed();
    }
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .await
        .map_err(io("reading past the file"))?;
    if !rest.is_empty() {
        return Err(Failed::Corrupt(format!(
            "{} bytes after the file",
            rest.len()
        )));
    }
    Ok(())
}
