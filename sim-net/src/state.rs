//! The network of a running simulation: the model, the descriptor sockets
//! its readiness changes go to, and the actor through which the scheduler
//! drives it.
//!
//! One [`NetState`] lives in the `Sim` as an extension. Host code reaches
//! its sockets through their virtual descriptors (see [`crate::fd`]), so
//! everything happens on the simulation thread.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::rc::{Rc, Weak};

use sim_core::{Actor, ActorId, HostEvent, HostId, SimTime};

use crate::fd::FdSocket;
use crate::model::id_window::IdWindow;
use crate::model::{Network, NodeId, Notification, Readiness, SocketId, Time};

pub(crate) struct NetState {
    pub(crate) model: RefCell<Network>,
    actor: Cell<Option<ActorId>>,
    /// `nodes[host index]`: the host's node, once it has one.
    nodes: RefCell<Vec<Option<NodeId>>>,
    /// Addresses chosen in the builder for hosts that have no node yet.
    pub(crate) planned_addrs: RefCell<BTreeMap<String, Vec<IpAddr>>>,
    notes_buf: RefCell<Vec<Notification>>,
    /// The descriptor object of each model socket that has one (sockets
    /// opened through `socket(2)`), told of every readiness change.
    fd_sockets: RefCell<IdWindow<Weak<FdSocket>>>,
    fd_buf: RefCell<Vec<(Rc<FdSocket>, Readiness)>>,
    /// Open fault bands, for the journal of a recording run.
    pub(crate) faults: crate::artifacts::FaultLog,
    /// The hosts' Unix domain names.
    pub(crate) unix_names: Rc<crate::unix::UnixNames>,
}

/// The automatic IPv4 address of the `index`-th host: 10.0.0.1, 10.0.0.2, ...
/// 254 per /24, so every address is a usable host address.
pub(crate) fn auto_ipv4(index: usize) -> IpAddr {
    let subnet = (index / 254) as u32;
    let host = (index % 254) as u32 + 1;
    IpAddr::V4(Ipv4Addr::from((10u32 << 24) | (subnet << 8) | host))
}

impl NetState {
    pub(crate) fn new(model: Network) -> NetState {
        NetState {
            model: RefCell::new(model),
            actor: Cell::new(None),
            nodes: RefCell::new(Vec::new()),
            planned_addrs: RefCell::new(BTreeMap::new()),
            notes_buf: RefCell::new(Vec::new()),
            fd_sockets: RefCell::new(IdWindow::default()),
            fd_buf: RefCell::new(Vec::new()),
            faults: crate::artifacts::FaultLog::default(),
            unix_names: Rc::default(),
        }
    }

    pub(crate) fn set_actor(&self, id: ActorId) {
        self.actor.set(Some(id));
    }

    /// The network of the simulation running on this thread.
    pub(crate) fn current() -> io::Result<Rc<NetState>> {
        sim_core::extension::<NetState>().ok_or_else(|| {
            let why = if sim_core::in_simulation() {
                "this simulation has no network: call sim_net::Net::install(&mut sim) in the setup"
            } else {
                "a simulated socket was used outside its simulation (no simulation runs on this thread)"
            };
            io::Error::other(why)
        })
    }

    /// Virtual time now, in the model's unit.
    pub(crate) fn now() -> Time {
        sim_core::sim_time().map_or(0, SimTime::as_nanos)
    }

    /// The node of host `host`, creating it (with its planned or automatic
    /// addresses) the first time.
    pub(crate) fn node_of(&self, host: HostId) -> io::Result<NodeId> {
        if let Some(Some(node)) = self.nodes.borrow().get(host.index()) {
            return Ok(*node);
        }
        let name = sim_core::name_of(host).unwrap_or_else(|| host.to_string());
        let addrs = self
            .planned_addrs
            .borrow()
            .get(&name)
            .cloned()
            .unwrap_or_else(|| vec![auto_ipv4(host.index())]);
        let node = self.model.borrow_mut().add_node(&name, &addrs)?;
        let mut nodes = self.nodes.borrow_mut();
        if nodes.len() <= host.index() {
            nodes.resize(host.index() + 1, None);
        }
        nodes[host.index()] = Some(node);
        Ok(node)
    }

    /// The node of the host whose code is running.
    pub(crate) fn current_node(&self, what: &str) -> io::Result<NodeId> {
        let host = sim_core::current_host().ok_or_else(|| {
            io::Error::other(format!(
                "{what} must be called from inside a host (sockets belong to a host's node)"
            ))
        })?;
        self.node_of(host)
    }

    /// The node of the host called `name`.
    pub(crate) fn node_named(&self, name: &str) -> io::Result<NodeId> {
        let host = sim_core::host_id(name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no host is named `{name}`"),
            )
        })?;
        self.node_of(host)
    }

    /// Runs a model operation at the current virtual time, then wakes whoever
    /// it made ready and tells the scheduler the network's deadline may have
    /// moved.
    pub(crate) fn op<R>(&self, f: impl FnOnce(&mut Network, Time) -> R) -> R {
        let r = f(&mut self.model.borrow_mut(), Self::now());
        self.after_change();
        r
    }

    /// Routes the readiness changes of model socket `id` to `socket`.
    pub(crate) fn watch_fd(&self, id: SocketId, socket: Weak<FdSocket>) {
        *self
            .fd_sockets
            .borrow_mut()
            .get_or_insert_with(id.0, Weak::new) = socket;
    }

    /// Stops routing the readiness changes of model socket `id`.
    pub(crate) fn forget_fd(&self, id: SocketId) {
        if let Ok(mut sockets) = self.fd_sockets.try_borrow_mut() {
            sockets.remove(id.0);
        }
    }

    pub(crate) fn after_change(&self) {
        self.dispatch();
        if let Some(id) = self.actor.get() {
            sim_core::actor_changed(id);
        }
    }

    /// Wakes the tasks waiting on every socket whose readiness changed.
    fn dispatch(&self) {
        if !self.model.borrow().has_notifications() {
            return;
        }
        // Scratch buffers live in the state so that this, which runs after
        // every socket operation, does not allocate.
        let mut notes = std::mem::take(&mut *self.notes_buf.borrow_mut());
        let mut fds = std::mem::take(&mut *self.fd_buf.borrow_mut());
        self.model.borrow_mut().drain_notifications_into(&mut notes);
        {
            let fd_sockets = self.fd_sockets.borrow();
            for n in notes.drain(..) {
                if let Some(socket) = fd_sockets.get(n.socket.0).and_then(Weak::upgrade) {
                    fds.push((socket, n.readiness));
                }
            }
        }
        *self.notes_buf.borrow_mut() = notes;
        // Told outside every borrow: the epoll instances watching a socket
        // read its readiness, which borrows the model, and wake hosts.
        for (socket, what) in fds.drain(..) {
            socket.model_changed(what);
        }
        *self.fd_buf.borrow_mut() = fds;
    }
}

/// The scheduler's view of the network: one actor that delivers packets and
/// fires TCP timers at the model's deadlines.
pub(crate) struct NetActor {
    pub(crate) state: Rc<NetState>,
}

impl Actor for NetActor {
    fn name(&self) -> &str {
        "network"
    }

    fn next_deadline(&self) -> Option<SimTime> {
        self.state
            .model
            .borrow()
            .next_event()
            .map(SimTime::from_nanos)
    }

    fn step(&mut self, now: SimTime) {
        // Pure ACKs owed now wait for `finish_instant`: hosts woken by this
        // step run first, and a reply they write carries the ACK.
        self.state.model.borrow_mut().deliver_due(now.as_nanos());
        self.state.dispatch();
    }

    fn end_of_instant(&self) -> Option<SimTime> {
        self.state
            .model
            .borrow()
            .acks_due()
            .map(SimTime::from_nanos)
    }

    fn finish_instant(&mut self, _now: SimTime) {
        self.state.model.borrow_mut().flush_acks();
        self.state.dispatch();
    }

    fn host_event(&mut self, host: HostId, event: HostEvent) {
        let Ok(node) = self.state.node_of(host) else {
            return;
        };
        let now = NetState::now();
        {
            let mut model = self.state.model.borrow_mut();
            match event {
                // A machine that was down comes back with no sockets.
                HostEvent::Started if !model.is_up(node) => model.node_restarted(now, node),
                HostEvent::Crashed => model.node_crashed(now, node),
                HostEvent::Stopped => model.node_killed(now, node),
                _ => {}
            }
        }
        self.state.dispatch();
    }
}
