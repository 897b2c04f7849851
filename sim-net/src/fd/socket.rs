//! [`FdSocket`]: the object behind a socket descriptor a simulated host
//! opened with `socket(2)` (through tokio, mio, std or socket2), and its
//! answers to the descriptor calls (`read`, `write`, readiness).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::{Rc, Weak};

use sim_clock::vfd::{self, Errno, Readiness, VirtualFile, VirtualSocket, Watchers};

use super::errno::check;
use super::options::Options;
use crate::model::{BindOptions, Network, NodeId, SocketId, Time};
use crate::state::NetState;

/// Where the socket is in its life, and its socket in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Made by `socket(2)`; nothing in the model yet.
    Fresh,
    /// A TCP socket bound to a port, not yet connecting or listening.
    Bound(SocketId),
    /// A TCP listener.
    Listening(SocketId),
    /// A TCP connection: connecting, open, or failed.
    Stream(SocketId),
    /// A bound UDP socket.
    Udp(SocketId),
}

impl Phase {
    pub(crate) fn id(self) -> Option<SocketId> {
        match self {
            Phase::Fresh => None,
            Phase::Bound(id) | Phase::Listening(id) | Phase::Stream(id) | Phase::Udp(id) => {
                Some(id)
            }
        }
    }
}

/// A socket of a simulated host, reached through its descriptor.
pub(crate) struct FdSocket {
    pub(super) me: Weak<FdSocket>,
    pub(crate) net: Rc<NetState>,
    pub(crate) node: NodeId,
    pub(super) v6: bool,
    pub(super) udp: bool,
    phase: Cell<Phase>,
    pub(super) opts: RefCell<Options>,
    watchers: Watchers,
    /// The connection's error was reported once (by `SO_ERROR` or a read or
    /// write): as on Linux, reads then return EOF and writes `EPIPE`.
    pub(super) error_reported: Cell<bool>,
    /// `shutdown(SHUT_RD)` was called: reads return EOF once the queued data
    /// is read.
    pub(super) read_shut: Cell<bool>,
    /// A write found no room (or a connect is under way): the next
    /// "writable" change is reported. Linux's `SOCK_NOSPACE`: it wakes
    /// writers when freed send space matters to someone, not on every ACK.
    pub(super) want_write: Cell<bool>,
    /// A connect was started and its outcome not yet taken (by `SO_ERROR`
    /// or a write): its completion shows as `EPOLLOUT` even when the send
    /// buffer has no room (a send buffer of 0), as a finished connect does
    /// on Linux.
    pub(super) connect_pending: Cell<bool>,
}

impl FdSocket {
    /// A new socket of the current host's node.
    pub(crate) fn new(net: &Rc<NetState>, node: NodeId, v6: bool, udp: bool) -> Rc<FdSocket> {
        let v6only = net.model.borrow().config().bindv6only;
        Rc::new_cyclic(|me| FdSocket {
            me: me.clone(),
            net: net.clone(),
            node,
            v6,
            udp,
            phase: Cell::new(Phase::Fresh),
            opts: RefCell::new(Options::new(v6only)),
            watchers: Watchers::new(),
            error_reported: Cell::new(false),
            read_shut: Cell::new(false),
            want_write: Cell::new(false),
            connect_pending: Cell::new(false),
        })
    }

    /// A socket for a connection the model already made (an accepted or
    /// injected one).
    pub(crate) fn for_stream(
        net: &Rc<NetState>,
        node: NodeId,
        v6: bool,
        id: SocketId,
        opts: Options,
    ) -> Rc<FdSocket> {
        let s = FdSocket::new(net, node, v6, false);
        *s.opts.borrow_mut() = opts;
        s.set_phase(Phase::Stream(id));
        s
    }

    pub(crate) fn phase(&self) -> Phase {
        self.phase.get()
    }

    /// Moves to `phase`, keeping the network's index from model sockets to
    /// descriptor objects (through which readiness changes arrive) exact.
    pub(super) fn set_phase(&self, phase: Phase) {
        let old = self.phase.replace(phase);
        if old.id() == phase.id() {
            return;
        }
        if let Some(id) = old.id() {
            self.net.forget_fd(id);
        }
        if let Some(id) = phase.id() {
            self.net.watch_fd(id, self.me.clone());
        }
    }

    /// Runs a model operation now and dispatches what it changed.
    pub(super) fn op<R>(&self, f: impl FnOnce(&mut Network, Time) -> R) -> R {
        self.net.op(f)
    }

    /// [`op`](Self::op) for a call that makes the model socket (bind,
    /// listen, connect): it gets this socket's `IPV6_V6ONLY` and
    /// `SO_REUSEPORT`.
    pub(super) fn op_creating<R>(&self, f: impl FnOnce(&mut Network, Time) -> R) -> R {
        let options = {
            let o = self.opts.borrow();
            BindOptions {
                v6only: self.v6 && o.v6only,
                reuse_port: o.reuse_port,
            }
        };
        self.net
            .op(|m, now| m.with_bind_options(options, |m| f(m, now)))
    }

    /// The unspecified address of this socket's family, port 0.
    pub(super) fn unspecified(&self) -> SocketAddr {
        if self.v6 {
            SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
        } else {
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
        }
    }

    /// Linux's checks on an address given to `bind` or `connect`: an IPv4
    /// socket refuses an IPv6 address (`EAFNOSUPPORT`); an IPv6 socket
    /// reads a `sockaddr_in` as too short (`EINVAL`).
    pub(super) fn check_family(&self, addr: SocketAddr) -> Result<(), Errno> {
        match (self.v6, addr.is_ipv6()) {
            (false, true) => Err(libc::EAFNOSUPPORT),
            (true, false) => Err(libc::EINVAL),
            _ => Ok(()),
        }
    }

    /// Tells the epoll instances watching this socket that `events` may be
    /// ready.
    pub(crate) fn notify(&self, events: Readiness) {
        self.watchers.notify(events);
    }

    /// The model says the socket's readiness changed (`what`): the epoll
    /// instances watching it hear of it, except of send space nobody is
    /// waiting for.
    pub(crate) fn model_changed(&self, what: crate::model::Readiness) {
        if what == crate::model::Readiness::Writable {
            // Space nobody waits for, or a change that left the socket
            // unwritable (an ACK that freed less than a window opens):
            // the writer keeps waiting for the next one.
            if !self.want_write.get() || self.readiness() & libc::EPOLLOUT as u32 == 0 {
                return;
            }
            self.want_write.set(false);
        }
        self.watchers.notify(super::events_of(what));
    }

    fn stream_readiness(&self, m: &Network, id: SocketId) -> Readiness {
        let Some(p) = m.tcp_poll(id) else {
            // Gone from the model (its node crashed): hung up.
            return (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLRDHUP) as u32;
        };
        let mut r = 0;
        if p.readable || self.read_shut.get() {
            r |= libc::EPOLLIN | libc::EPOLLRDNORM;
        }
        if p.writable || (self.connect_pending.get() && !p.connecting) {
            r |= libc::EPOLLOUT | libc::EPOLLWRNORM;
        }
        if p.read_closed || self.read_shut.get() {
            r |= libc::EPOLLRDHUP;
        }
        if p.hung_up {
            r |= libc::EPOLLHUP;
        }
        if p.failed && !self.error_reported.get() {
            r |= libc::EPOLLERR;
        }
        r as u32
    }
}

impl VirtualFile for FdSocket {
    fn kind(&self) -> &'static str {
        if self.udp {
            "udp socket"
        } else {
            "tcp socket"
        }
    }

    fn read(&self, buf: &mut [u8], _nonblocking: bool) -> Result<usize, Errno> {
        self.recv(buf, false).map(|(n, _)| n)
    }

    fn write(&self, buf: &[u8], _nonblocking: bool) -> Result<usize, Errno> {
        self.send(buf, None)
    }

    fn readiness(&self) -> Readiness {
        let Ok(m) = self.net.model.try_borrow() else {
            return 0;
        };
        let bits = match self.phase.get() {
            Phase::Fresh | Phase::Bound(_) if self.udp => libc::EPOLLOUT | libc::EPOLLWRNORM,
            // Linux's answer for a TCP socket in state CLOSE.
            Phase::Fresh | Phase::Bound(_) => libc::EPOLLOUT | libc::EPOLLHUP,
            Phase::Listening(id) => {
                if m.can_accept(id) || m.accept_fails_unqueued(id) {
                    libc::EPOLLIN | libc::EPOLLRDNORM
                } else {
                    0
                }
            }
            Phase::Stream(id) => return self.stream_readiness(&m, id),
            Phase::Udp(id) => {
                let mut r = libc::EPOLLOUT | libc::EPOLLWRNORM;
                if m.can_read(id) {
                    r |= libc::EPOLLIN | libc::EPOLLRDNORM;
                }
                if m.udp_error_pending(id) {
                    r |= libc::EPOLLERR;
                }
                r
            }
        };
        bits as Readiness
    }

    fn watchers(&self) -> Option<&Watchers> {
        Some(&self.watchers)
    }

    fn release(&self) -> Result<(), Errno> {
        // Closed here rather than in `drop`, to return an injected close
        // error; the socket is closed either way.
        let Some(id) = self.phase.replace(Phase::Fresh).id() else {
            return Ok(());
        };
        self.net.forget_fd(id);
        if sim_core::host_stopping() {
            // Closed with its host's tasks, in tokio's drop order, which the
            // seed does not decide: the network closes every socket of a
            // stopped host itself, in socket order.
            return Ok(());
        }
        let r = self.op(|m, now| m.close(now, id));
        check(r)
    }

    fn as_socket(&self) -> Option<&dyn VirtualSocket> {
        Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Drop for FdSocket {
    fn drop(&mut self) {
        // The last descriptor closed (or the host died): the socket closes
        // as the kernel closes it. A socket whose node crashed is already
        // gone from the model; nothing is left to release.
        let Some(id) = self.phase.get().id() else {
            return;
        };
        self.net.forget_fd(id);
        if sim_core::host_stopping() {
            // As in `release`: the network closes a stopped host's sockets.
            return;
        }
        if let Ok(mut m) = self.net.model.try_borrow_mut() {
            let _ = m.close(NetState::now(), id);
        }
        self.net.after_change();
    }
}

/// `Ok` of a model result, or its `errno`.
pub(super) fn model<T>(r: io::Result<T>) -> Result<T, Errno> {
    check(r)
}

/// Reports a call the model does not have and fails it with `errno`.
pub(super) fn unmodelled<T>(call: &'static str, what: String, errno: Errno) -> Result<T, Errno> {
    vfd::report_unsupported(call, what);
    Err(errno)
}
