//! [`Swizzle`]: FoundationDB's swizzle-clogging, as a task run inside the
//! simulation.

use std::io;
use std::time::Duration;

use rand::seq::SliceRandom;
use rand::Rng;

use crate::net::net;

/// FoundationDB's swizzle-clogging: clogs a random subset of machines one
/// after another, keeps them clogged for a while, then unclogs them in the
/// reverse order.
///
/// Each step changes which machines can talk, so a cluster goes through a
/// series of partial partitions, none of them clean: a leader that can still
/// send but no longer hears, a quorum that forms and breaks, replies that
/// arrive long after their requests. Clogged packets are held, not dropped,
/// so connections stall and then resume with everything they sent: the
/// faults find bugs in timeouts, retries and leader changes, not in loss
/// handling.
///
/// A `Swizzle` runs as a task inside the simulation (a client host, usually),
/// and draws the subset and order from the random stream of the host that
/// runs it, so a seed replays the same swizzle.
///
/// ```
/// use std::time::Duration;
/// use sim_core::Builder;
/// use sim_net::{Net, Swizzle};
///
/// std::thread::spawn(|| {
///     let mut sim = Builder::new().build();
///     for name in ["n1", "n2", "n3"] {
///         sim.host(name, || std::future::pending());
///     }
///     sim.client("chaos", async {
///         let clogged = Swizzle::new(["n1", "n2", "n3"])
///             .interval(Duration::from_millis(100))
///             .hold_for(Duration::from_secs(1))
///             .run()
///             .await?;
///         assert!(!clogged.is_empty());
///         Ok(())
///     });
///     Net::install(&mut sim);
///     sim.run().unwrap();
/// }).join().unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Swizzle {
    hosts: Vec<String>,
    count: Option<usize>,
    interval: Duration,
    hold_for: Duration,
}

impl Swizzle {
    /// A swizzle over `hosts`: it clogs a random, non-empty subset of them,
    /// by default 100 ms apart, holds them all for 1 s, and unclogs them in
    /// the reverse order, 100 ms apart.
    pub fn new<I, S>(hosts: I) -> Swizzle
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Swizzle {
            hosts: hosts.into_iter().map(Into::into).collect(),
            count: None,
            interval: Duration::from_millis(100),
            hold_for: Duration::from_secs(1),
        }
    }

    /// Clogs exactly `count` of the hosts instead of a random number of them.
    pub fn count(mut self, count: usize) -> Swizzle {
        self.count = Some(count);
        self
    }

    /// Virtual time between one host's clog and the next, and between one
    /// unclog and the next.
    pub fn interval(mut self, interval: Duration) -> Swizzle {
        self.interval = interval;
        self
    }

    /// Virtual time every chosen host stays clogged after the last one was.
    pub fn hold_for(mut self, hold_for: Duration) -> Swizzle {
        self.hold_for = hold_for;
        self
    }

    /// Runs the swizzle and returns the hosts it clogged, in the order it
    /// clogged them (it unclogged them in the reverse order). It takes
    /// `(count - 1) * interval` to clog, `hold_for`, and as long again to
    /// unclog, in virtual time.
    ///
    /// Call it from code running in a host. Errors: `InvalidInput` for an
    /// empty host list or a count of zero or above the number of hosts,
    /// `NotFound` for a host name the simulation does not have (checked before
    /// anything is clogged).
    ///
    /// Dropped before the end (by `select!` or a timeout), it unclogs the
    /// hosts it had clogged. If its own host crashes or is killed meanwhile,
    /// they stay clogged until [`Net::release_node`](crate::Net::release_node)
    /// or [`Net::release_all`](crate::Net::release_all): a host's teardown
    /// must not change the network in an order tokio chooses.
    pub async fn run(self) -> io::Result<Vec<String>> {
        let net = net()?;
        if self.hosts.is_empty() {
            return Err(invalid("a swizzle needs at least one host"));
        }
        for name in &self.hosts {
            net.addrs(name)?; // NotFound, with the name, before any change
        }
        let mut rng = sim_core::rng::rng();
        let count = match self.count {
            Some(n) if n == 0 || n > self.hosts.len() => {
                return Err(invalid(&format!(
                    "a swizzle of {n} hosts out of {} (expected 1 to {})",
                    self.hosts.len(),
                    self.hosts.len()
                )))
            }
            Some(n) => n,
            None => rng.random_range(1..=self.hosts.len()),
        };
        let mut order = self.hosts;
        order.shuffle(&mut rng);
        order.truncate(count);

        let mut clogged = Clogged {
            net: &net,
            hosts: Vec::with_capacity(count),
        };
        for (i, name) in order.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(self.interval).await;
            }
            net.hold_node(name)?;
            clogged.hosts.push(name.clone());
        }
        tokio::time::sleep(self.hold_for).await;
        while let Some(name) = clogged.hosts.pop() {
            net.release_node(&name)?;
            if !clogged.hosts.is_empty() {
                tokio::time::sleep(self.interval).await;
            }
        }
        Ok(order)
    }
}

/// The hosts a running swizzle holds, unclogged (last first) if it is
/// dropped before it is done.
struct Clogged<'a> {
    net: &'a crate::Net,
    hosts: Vec<String>,
}

impl Drop for Clogged<'_> {
    fn drop(&mut self) {
        if sim_core::host_stopping() {
            return;
        }
        while let Some(name) = self.hosts.pop() {
            let _ = self.net.release_node(&name);
        }
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_string())
}
