//! One replica: a durable store (its "disk" outlives crashes and kills),
//! the peer requests, and the coordinator's quorum writes and reads.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use sim_core::{buggify, sometimes};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::protocol::{ask, ask_line, bad, Versioned};
use super::PORT;

/// How long a coordinator waits for a peer's answer.
const PEER_TIMEOUT: Duration = Duration::from_millis(200);
/// A disk write that buggify slows down takes this long.
const SLOW_DISK: Duration = Duration::from_millis(150);

/// What survives a crash: the stored values and the number of boots.
/// (Behind a `Mutex` because tokio's `spawn` wants `Send` tasks.)
#[derive(Debug, Default)]
pub struct Disk {
    values: BTreeMap<String, Versioned>,
    boots: u32,
}

/// A replica's settings.
#[derive(Clone, Debug)]
pub struct Replica {
    /// Its host name.
    pub name: String,
    /// The other replicas.
    pub peers: Vec<String>,
    /// Its disk.
    pub disk: Arc<Mutex<Disk>>,
    /// The broken variant: acknowledge a write before the quorum answers.
    pub ack_early: bool,
}

impl Replica {
    /// The disk (tasks of one host never hold it across an await, so the
    /// lock is never contended; a poisoned one is still the data).
    fn disk(&self) -> MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn quorum(&self) -> usize {
        let replicas = self.peers.len() + 1;
        replicas / 2 + 1
    }

    fn read(&self, key: &str) -> Versioned {
        self.disk().values.get(key).cloned().unwrap_or_default()
    }

    /// Keeps `v` if it is newer than what the disk holds; whether it was.
    fn apply(&self, key: &str, v: Versioned) -> bool {
        let mut disk = self.disk();
        let slot = disk.values.entry(key.to_string()).or_default();
        if v.version > slot.version {
            *slot = v;
            true
        } else {
            false
        }
    }

    /// Writes to the disk, slowly at a buggified site.
    async fn store(&self, key: &str, v: Versioned) {
        if buggify!() {
            tokio::time::sleep(SLOW_DISK).await;
        }
        self.apply(key, v);
    }

    /// The replica's main: catch up after a restart, then serve.
    pub async fn run(self) -> sim_core::Result {
        let boots = {
            let mut disk = self.disk();
            disk.boots += 1;
            disk.boots
        };
        let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
        if boots > 1 {
            tokio::spawn(self.clone().catch_up());
        }
        loop {
            let (stream, _) = listener.accept().await?;
            let me = self.clone();
            tokio::spawn(async move {
                // A connection that breaks (a fault) ends only itself.
                let _ = me.serve(stream).await;
            });
        }
    }

    /// Asks every peer for its values and keeps the newer ones.
    async fn catch_up(self) {
        let mut newer = 0;
        for peer in &self.peers {
            let Ok(lines) = ask(peer, "DUMP", PEER_TIMEOUT * 5, |l| l == "END").await else {
                continue;
            };
            for line in lines.iter().filter(|l| l.starts_with("E ")) {
                let parts: Vec<&str> = line.split(' ').collect();
                if let [_, key, version, value] = parts[..] {
                    if let Ok(v) = Versioned::decode(version, value) {
                        newer += usize::from(self.apply(key, v));
                    }
                }
            }
        }
        sometimes!(newer > 0, "a replica catches up after a restart");
    }

    async fn serve(self, stream: TcpStream) -> io::Result<()> {
        let mut stream = BufReader::new(stream);
        let mut line = String::new();
        stream.read_line(&mut line).await?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words[..] {
            ["PUT", key, version, value] => {
                let v = Versioned::decode(version, value)?;
                self.coordinate_write(key, v).await
            }
            ["GET", key] => self.coordinate_read(key).await,
            ["STORE", key, version, value] => {
                self.store(key, Versioned::decode(version, value)?).await;
                "STORED".to_string()
            }
            ["FETCH", key] => format!("VAL {}", self.read(key).encode()),
            ["DUMP"] => {
                let disk = self.disk();
                let mut out = String::new();
                for (key, v) in &disk.values {
                    out.push_str(&format!("E {key} {}\n", v.encode()));
                }
                out.push_str("END");
                out
            }
            _ => return Err(bad(line.trim_end())),
        };
        stream
            .get_mut()
            .write_all(format!("{reply}\n").as_bytes())
            .await?;
        stream.get_mut().shutdown().await
    }

    /// How long to wait for peers: at a buggified site, an early timeout.
    fn peer_timeout() -> Duration {
        if buggify!(0.2) {
            Duration::from_millis(5)
        } else {
            PEER_TIMEOUT
        }
    }

    /// Stores `v` here and on the peers; `OK` once a quorum has it.
    async fn coordinate_write(&self, key: &str, v: Versioned) -> String {
        self.store(key, v.clone()).await;
        let request = format!("STORE {key} {}", v.encode());
        if self.ack_early {
            // The bug: the client hears OK before any peer has the value.
            let peers = self.peers.clone();
            tokio::spawn(async move {
                for peer in peers {
                    let _ = ask_line(&peer, &request, PEER_TIMEOUT).await;
                }
            });
            return "OK".to_string();
        }
        let timeout = Self::peer_timeout();
        let answers = join_all(
            self.peers
                .iter()
                .map(|p| ask_line(p, &request, timeout))
                .collect(),
        )
        .await;
        let acks = 1 + answers
            .iter()
            .filter(|a| matches!(a, Ok(l) if l == "STORED"))
            .count();
        sometimes!(
            acks < self.quorum(),
            "a write is rejected for lack of quorum"
        );
        if acks >= self.quorum() {
            "OK".to_string()
        } else {
            "FAIL".to_string()
        }
    }

    /// Reads `key` here and from the peers; the newest of a quorum's
    /// answers, after repairing the stale ones.
    async fn coordinate_read(&self, key: &str) -> String {
        let timeout = Self::peer_timeout();
        let request = format!("FETCH {key}");
        let answers = join_all(
            self.peers
                .iter()
                .map(|p| ask_line(p, &request, timeout))
                .collect(),
        )
        .await;
        let mut seen = vec![(self.name.clone(), self.read(key))];
        for (peer, answer) in self.peers.iter().zip(answers) {
            let Ok(line) = answer else { continue };
            let parts: Vec<&str> = line.split(' ').collect();
            if let ["VAL", version, value] = parts[..] {
                if let Ok(v) = Versioned::decode(version, value) {
                    seen.push((peer.clone(), v));
                }
            }
        }
        if seen.len() < self.quorum() {
            return "FAIL".to_string();
        }
        let newest = seen
            .iter()
            .map(|(_, v)| v.clone())
            .max_by_key(|v| v.version)
            .unwrap_or_default();
        let stale: Vec<String> = seen
            .iter()
            .filter(|(_, v)| v.version < newest.version)
            .map(|(h, _)| h.clone())
            .collect();
        sometimes!(
            !stale.is_empty(),
            "a read finds a stale replica and repairs it"
        );
        for host in stale {
            if host == self.name {
                self.apply(key, newest.clone());
            } else {
                let request = format!("STORE {key} {}", newest.encode());
                tokio::spawn(async move {
                    let _ = ask_line(&host, &request, PEER_TIMEOUT).await;
                });
            }
        }
        format!("VAL {}", newest.encode())
    }
}

/// Awaits every future, concurrently on the current task, and returns
/// their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in futures.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *o = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
