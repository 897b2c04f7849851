//! [`Net`]: installing the network in a simulation, and shaping it: links,
//! partitions, holds, introspection.
//!
//! Every method takes host names and works both from the test (between
//! steps, or in the setup) and from inside any host. A change takes effect at
//! the current virtual instant: packets already in flight across a new
//! partition are dropped, a released hold delivers in order.
//!
//! ```
//! use std::time::Duration;
//! use sim_net::{LinkConfig, Net};
//! use tokio::net::{TcpListener, TcpStream};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! std::thread::spawn(|| {
//!     let mut sim = sim_core::Builder::new().build();
//!     sim.host("server", || async {
//!         let listener = TcpListener::bind("0.0.0.0:80").await?;
//!         let (mut s, _) = listener.accept().await?;
//!         let mut buf = Vec::new();
//!         s.read_to_end(&mut buf).await?;
//!         assert_eq!(buf, b"hello");
//!         std::future::pending().await
//!     });
//!     sim.client("client", async {
//!         let mut s = TcpStream::connect("server:80").await?;
//!         let net = sim_net::net()?;
//!         net.partition("client", "server")?;
//!         s.write_all(b"hello").await?; // queued: the partition holds it back
//!         tokio::time::sleep(Duration::from_secs(3)).await;
//!         net.heal("client", "server")?; // retransmission delivers it
//!         s.shutdown().await?;
//!         tokio::time::sleep(Duration::from_secs(10)).await;
//!         Ok(())
//!     });
//!     Net::builder().default_link(LinkConfig::fixed(5_000_000)).install(&mut sim);
//!     sim.run().unwrap();
//! }).join().unwrap();
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::net::IpAddr;
use std::rc::Rc;

use sim_core::Sim;

use crate::artifacts::Band;
use crate::model::{
    ConnectionInfo, DropCounts, LinkConfig, LinkStats, NetConfig, Network, NodeId, TcpConfig,
};
use crate::state::{NetActor, NetState};

/// A handle on the simulation's network. Cheap to copy; find it inside hosts
/// with [`net()`](crate::net).
#[derive(Clone, Copy, Debug)]
pub struct Net {
    _private: (),
}

/// Settings of the network before it is installed.
#[derive(Clone, Debug, Default)]
pub struct NetBuilder {
    config: NetConfig,
    addrs: BTreeMap<String, Vec<IpAddr>>,
}

/// The network of the simulation running on this thread.
pub fn net() -> io::Result<Net> {
    NetState::current().map(|_| Net { _private: () })
}

impl NetBuilder {
    /// All settings at once (MTU, ephemeral ports, default link, TCP).
    pub fn config(mut self, config: NetConfig) -> NetBuilder {
        self.config = config;
        self
    }

    /// The link used between any two hosts without a link of their own
    /// (default: 1 ms fixed latency, unlimited bandwidth, no loss).
    pub fn default_link(mut self, link: LinkConfig) -> NetBuilder {
        self.config.default_link = link;
        self
    }

    /// TCP settings of every new connection: buffer sizes (0 = rendezvous),
    /// MSS, timeouts, keepalive, congestion control.
    pub fn tcp(mut self, tcp: TcpConfig) -> NetBuilder {
        self.config.tcp = tcp;
        self
    }

    /// Linux's sysctl `net.ipv6.bindv6only` for the whole network (see
    /// [`NetConfig::bindv6only`]). The default, `false`, is dual stack as on
    /// Linux: a `TcpListener` on `[::]:p` also accepts IPv4 connections to
    /// the host (seen as `[::ffff:a.b.c.d]` addresses) and holds port `p` for
    /// IPv4 too. `true` makes `[::]` sockets IPv6 only, so that a server can
    /// bind `0.0.0.0:p` and `[::]:p` side by side, one listener per family.
    /// It is the default of each socket's `IPV6_V6ONLY`, which a socket may
    /// change before `bind` (socket2's `set_only_v6`), as on Linux.
    pub fn bindv6only(mut self, v6only: bool) -> NetBuilder {
        self.config.bindv6only = v6only;
        self
    }

    /// Gives host `name` these addresses instead of the automatic one (the
    /// first IPv4 is what its name resolves to first; add an IPv6 address
    /// for a dual-stack host, or give only IPv6 addresses for an IPv6-only
    /// host).
    pub fn addrs(mut self, name: &str, addrs: &[IpAddr]) -> NetBuilder {
        self.addrs.insert(name.to_string(), addrs.to_vec());
        self
    }

    /// Plugs the network into `sim`. Installing twice returns the first
    /// network.
    pub fn install(self, sim: &mut Sim) -> Net {
        if sim.extension::<NetState>().is_some() {
            return Net { _private: () };
        }
        let network = match Network::with_config(sim.seed(), self.config) {
            Ok(network) => network,
            Err(e) => {
                // The run fails before it starts; the network installed
                // meanwhile (with default settings) never carries a packet.
                sim.fail_setup(format!("the network's settings: {e}"));
                Network::new(sim.seed())
            }
        };
        let state = Rc::new(NetState::new(network));
        *state.planned_addrs.borrow_mut() = self.addrs;
        sim.insert_extension(state.clone());
        crate::dns::register_resolver();
        for host in sim.hosts() {
            // Nodes for hosts added so far; later hosts get one when they start.
            let _ = state.node_of(host);
        }
        let id = sim.add_actor(Rc::new(RefCell::new(NetActor {
            state: state.clone(),
        })));
        state.set_actor(id);
        crate::fd::install(&state);
        crate::artifacts::start(&state, sim);
        // The built-in fault schedule carries out network faults here.
        sim_core::nemesis::set_network_faults(sim, Rc::new(crate::nemesis::NetFaults));
        Net { _private: () }
    }
}

impl Net {
    /// Settings for the network, installed with [`NetBuilder::install`].
    pub fn builder() -> NetBuilder {
        NetBuilder::default()
    }

    /// Installs a network with default settings.
    pub fn install(sim: &mut Sim) -> Net {
        NetBuilder::default().install(sim)
    }

    fn with<R>(&self, f: impl FnOnce(&NetState) -> io::Result<R>) -> io::Result<R> {
        f(&*NetState::current()?)
    }

    fn change(
        &self,
        f: impl FnOnce(&mut Network, &NetState, u64) -> io::Result<()>,
    ) -> io::Result<()> {
        self.with(|s| {
            let now = NetState::now();
            let r = {
                let mut model = s.model.borrow_mut();
                f(&mut model, s, now)
            };
            s.after_change();
            r
        })
    }

    /// Adds a fault that landed to the journal (see `artifacts::faults`).
    fn fault(&self, op: &str, hosts: &[&str], summary: String, band: Band<'_>) {
        if let Ok(s) = NetState::current() {
            s.faults.note(op, hosts, summary, band);
        }
    }

    fn pair(s: &NetState, a: &str, b: &str) -> io::Result<(NodeId, NodeId)> {
        Ok((s.node_named(a)?, s.node_named(b)?))
    }

    /// Two different hosts, for the calls that cut or hold the path between
    /// two hosts: a host's path to itself is its loopback, which no fault
    /// reaches, so asking for one is a mistake, refused.
    fn distinct_pair(s: &NetState, what: &str, a: &str, b: &str) -> io::Result<(NodeId, NodeId)> {
        if a == b {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot {what} the path from host `{a}` to itself: its own traffic is loopback, \
                     which partitions and holds do not touch"
                ),
            ));
        }
        Self::pair(s, a, b)
    }

    /// The addresses of host `name`.
    pub fn addrs(&self, name: &str) -> io::Result<Vec<IpAddr>> {
        self.with(|s| {
            let node = s.node_named(name)?;
            Ok(s.model.borrow().node_addrs(node).to_vec())
        })
    }

    /// Sets the default link for pairs without a link of their own.
    pub fn set_default_link(&self, link: LinkConfig) -> io::Result<()> {
        let summary = format!("{link:?}");
        self.change(|m, _, _| m.set_default_link(link))?;
        self.fault(
            "set_default_link",
            &[],
            format!("default link: {summary}"),
            Band::None,
        );
        Ok(())
    }

    /// Sets the link from `from` to `to` (one direction).
    pub fn set_link(&self, from: &str, to: &str, link: LinkConfig) -> io::Result<()> {
        let summary = format!("{link:?}");
        self.change(|m, s, _| {
            let (a, b) = Self::pair(s, from, to)?;
            m.set_link(a, b, link)
        })?;
        self.fault(
            "set_link",
            &[from, to],
            format!("link {from} -> {to}: {summary}"),
            Band::None,
        );
        Ok(())
    }

    /// Sets the links between `a` and `b`, both directions.
    pub fn set_link_both(&self, a: &str, b: &str, link: LinkConfig) -> io::Result<()> {
        let summary = format!("{link:?}");
        self.change(|m, s, _| {
            let (x, y) = Self::pair(s, a, b)?;
            m.set_link_both(x, y, link)
        })?;
        self.fault(
            "set_link_both",
            &[a, b],
            format!("links {a} <-> {b}: {summary}"),
            Band::None,
        );
        Ok(())
    }

    /// Returns the link from `from` to `to` to the default settings (see
    /// [`set_default_link`](Self::set_default_link)).
    pub fn clear_link(&self, from: &str, to: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            let (a, b) = Self::pair(s, from, to)?;
            m.clear_link(a, b);
            Ok(())
        })?;
        self.fault(
            "clear_link",
            &[from, to],
            format!("link {from} -> {to}: default settings"),
            Band::None,
        );
        Ok(())
    }

    /// The settings of the link from `from` to `to` (its own or the
    /// default).
    pub fn link(&self, from: &str, to: &str) -> io::Result<LinkConfig> {
        self.with(|s| {
            let (a, b) = Self::pair(s, from, to)?;
            Ok(s.model.borrow().link_config(a, b).clone())
        })
    }

    /// The link's own settings, if [`set_link`](Self::set_link) gave it
    /// some (`None`: it follows the default).
    pub(crate) fn own_link(&self, from: &str, to: &str) -> io::Result<Option<LinkConfig>> {
        self.with(|s| {
            let (a, b) = Self::pair(s, from, to)?;
            Ok(s.model.borrow().link_cfg.get(&(a, b)).cloned())
        })
    }

    /// Drops everything sent from `from` to `to` (not the other way).
    pub fn partition_one_way(&self, from: &str, to: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            let (a, b) = Self::distinct_pair(s, "partition", from, to)?;
            m.partition_one_way(a, b);
            Ok(())
        })?;
        self.fault(
            "partition_one_way",
            &[from, to],
            format!("partition {from} -> {to}"),
            Band::Begin("partition", format!("{from}->{to}")),
        );
        Ok(())
    }

    /// Drops everything between `a` and `b`, both ways.
    pub fn partition(&self, a: &str, b: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            let (x, y) = Self::distinct_pair(s, "partition", a, b)?;
            m.partition(x, y);
            Ok(())
        })?;
        self.fault(
            "partition",
            &[a, b],
            format!("partition {a} <-> {b}"),
            Band::Begin("partition", format!("{}<->{}", a.min(b), a.max(b))),
        );
        Ok(())
    }

    /// Cuts host `name` off from every other host.
    pub fn isolate(&self, name: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            m.isolate(s.node_named(name)?);
            Ok(())
        })?;
        self.fault(
            "isolate",
            &[name],
            format!("isolate {name}"),
            Band::Begin("partition", format!("isolate {name}")),
        );
        Ok(())
    }

    /// Splits the hosts into groups that cannot reach each other.
    pub fn split(&self, groups: &[&[&str]]) -> io::Result<()> {
        self.change(|m, s, _| {
            let nodes: Vec<Vec<NodeId>> = groups
                .iter()
                .map(|g| g.iter().map(|n| s.node_named(n)).collect())
                .collect::<io::Result<_>>()?;
            let refs: Vec<&[NodeId]> = nodes.iter().map(Vec::as_slice).collect();
            m.split(&refs);
            Ok(())
        })?;
        self.fault(
            "split",
            &groups.concat(),
            format!("split {groups:?}"),
            Band::Begin("partition", format!("split {groups:?}")),
        );
        Ok(())
    }

    /// Heals the partition between `a` and `b` (both directions).
    pub fn heal(&self, a: &str, b: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            let (x, y) = Self::pair(s, a, b)?;
            m.heal(x, y);
            Ok(())
        })?;
        self.fault(
            "heal",
            &[a, b],
            format!("heal {a} <-> {b}"),
            Band::End("partition", &|h| {
                h.len() == 2 && h.iter().any(|x| x == a) && h.iter().any(|x| x == b)
            }),
        );
        Ok(())
    }

    /// Heals the one direction `from -> to` of a partition, as the inverse
    /// of [`partition_one_way`](Self::partition_one_way); the other
    /// direction stays as it is.
    pub fn heal_one_way(&self, from: &str, to: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            let (a, b) = Self::pair(s, from, to)?;
            m.heal_one_way(a, b);
            Ok(())
        })?;
        self.fault(
            "heal_one_way",
            &[from, to],
            format!("heal {from} -> {to}"),
            Band::End("partition", &|h| h == [from, to]),
        );
        Ok(())
    }

    /// Heals every partition involving host `name`.
    pub fn heal_node(&self, name: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            m.heal_node(s.node_named(name)?);
            Ok(())
        })?;
        self.fault(
            "heal_node",
            &[name],
            format!("heal {name}"),
            Band::End("partition", &|h| h.iter().any(|x| x == name)),
        );
        Ok(())
    }

    /// Heals every partition.
    pub fn heal_all(&self) -> io::Result<()> {
        self.change(|m, _, _| {
            m.heal_all();
            Ok(())
        })?;
        self.fault(
            "heal_all",
            &[],
            "heal every partition".to_string(),
            Band::End("partition", &|_| true),
        );
        Ok(())
    }

    /// Holds packets from `from` to `to` (queued, not delivered) until released.
    pub fn hold(&self, from: &str, to: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            let (a, b) = Self::distinct_pair(s, "hold", from, to)?;
            m.hold(a, b);
            Ok(())
        })?;
        self.fault(
            "hold",
            &[from, to],
            format!("hold {from} -> {to}"),
            Band::Begin("hold", format!("{from}->{to}")),
        );
        Ok(())
    }

    /// Releases held packets from `from` to `to`, in order, with the link's
    /// latency counted from now.
    pub fn release(&self, from: &str, to: &str) -> io::Result<()> {
        self.change(|m, s, now| {
            let (a, b) = Self::pair(s, from, to)?;
            m.release(now, a, b);
            Ok(())
        })?;
        self.fault(
            "release",
            &[from, to],
            format!("release {from} -> {to}"),
            Band::End("hold", &|h| h == [from, to]),
        );
        Ok(())
    }

    /// Holds every packet to and from host `name` (its loopback excepted)
    /// until [`release_node`](Self::release_node): the machine's network is
    /// clogged while its code, sockets and timers run on. Held packets keep
    /// their order and leave when released, with the link's latency counted
    /// from then. [`Swizzle`](crate::Swizzle) clogs and unclogs hosts this way.
    pub fn hold_node(&self, name: &str) -> io::Result<()> {
        self.change(|m, s, _| {
            m.hold_node(s.node_named(name)?);
            Ok(())
        })?;
        self.fault(
            "hold_node",
            &[name],
            format!("hold {name}"),
            Band::Begin("hold", format!("node {name}")),
        );
        Ok(())
    }

    /// Releases host `name`: its directions that nothing else holds (a
    /// [`hold`](Self::hold) of that direction, or a held host at the other
    /// end) send their held packets, in order.
    pub fn release_node(&self, name: &str) -> io::Result<()> {
        self.change(|m, s, now| {
            m.release_node(now, s.node_named(name)?);
            Ok(())
        })?;
        self.fault(
            "release_node",
            &[name],
            format!("release {name}"),
            Band::End("hold", &|h| h == [name]),
        );
        Ok(())
    }

    /// Releases every hold, of directions and of hosts.
    pub fn release_all(&self) -> io::Result<()> {
        self.change(|m, _, now| {
            m.release_all(now);
            Ok(())
        })?;
        self.fault(
            "release_all",
            &[],
            "release every hold".to_string(),
            Band::End("hold", &|_| true),
        );
        Ok(())
    }

    /// Counters of the link from `from` to `to`.
    pub fn link_stats(&self, from: &str, to: &str) -> io::Result<LinkStats> {
        self.with(|s| {
            let (a, b) = Self::pair(s, from, to)?;
            Ok(s.model.borrow().link_stats(a, b))
        })
    }

    /// Packets dropped in the whole network, by reason.
    pub fn drop_counts(&self) -> io::Result<DropCounts> {
        self.with(|s| Ok(s.model.borrow().drop_counts().clone()))
    }

    /// Every TCP connection with its state and buffered bytes. Addresses are
    /// each socket's own view, as `ss` shows them: IPv4-mapped for an IPv6
    /// socket talking IPv4 (dual stack), whose packets carry IPv4 addresses.
    pub fn connections(&self) -> io::Result<Vec<ConnectionInfo>> {
        self.with(|s| Ok(s.model.borrow().connections()))
    }

    /// Runs `f` on the model itself, for anything the handle does not cover.
    pub fn with_model<R>(&self, f: impl FnOnce(&mut Network) -> R) -> io::Result<R> {
        self.with(|s| {
            let r = f(&mut s.model.borrow_mut());
            s.after_change();
            Ok(r)
        })
    }
}
