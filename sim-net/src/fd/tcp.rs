//! TCP through a descriptor: `bind`, `listen`, `connect`, `accept`,
//! `send`, `recv` and `shutdown` on the model's connections, with the
//! `errno` values Linux gives.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use sim_clock::vfd::{Errno, VirtualFile};

use super::errno::errno_of;
use super::socket::{model, FdSocket, Phase};

/// Linux's `net.core.somaxconn`: the largest backlog `listen` takes.
const SOMAXCONN: usize = 4096;

impl FdSocket {
    pub(super) fn tcp_bind(&self, addr: SocketAddr) -> Result<(), Errno> {
        let reuse = self.opts.borrow().reuse_addr;
        let node = self.node;
        let id = model(self.op_creating(|m, now| m.tcp_bind(now, node, addr, reuse)))?;
        self.set_phase(Phase::Bound(id));
        Ok(())
    }

    pub(super) fn tcp_listen(&self, backlog: libc::c_int) -> Result<(), Errno> {
        // A negative backlog is a huge unsigned one to Linux: clamped. Linux's
        // accept queue holds one connection more than the backlog.
        let backlog = usize::try_from(backlog).unwrap_or(SOMAXCONN).min(SOMAXCONN) + 1;
        let cfg = self.tcp_config();
        let node = self.node;
        let unbound = self.unspecified();
        let id = match self.phase() {
            Phase::Fresh => model(
                self.op_creating(|m, now| m.tcp_listen_with(now, node, unbound, backlog, cfg)),
            )?,
            Phase::Bound(bound) => {
                let id = model(self.op_creating(|m, now| {
                    let addr = m.tcp_take_bound(bound)?;
                    m.tcp_listen_with(now, node, addr, backlog, cfg)
                }));
                // The bound socket is gone either way: on failure the port
                // was given back, and the socket is unbound again.
                self.set_phase(Phase::Fresh);
                id?
            }
            // Listening already: Linux only changes the backlog.
            Phase::Listening(_) => return Ok(()),
            Phase::Stream(_) | Phase::Udp(_) => return Err(libc::EINVAL),
        };
        self.set_phase(Phase::Listening(id));
        Ok(())
    }

    pub(super) fn tcp_connect(&self, addr: SocketAddr) -> Result<(), Errno> {
        self.check_family(addr)?;
        let local = match self.phase() {
            Phase::Fresh => None,
            Phase::Bound(id) => Some(id),
            Phase::Stream(id) => {
                let m = self.net.model.borrow();
                return Err(match m.tcp_connect_result(id) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => libc::EALREADY,
                    _ => libc::EISCONN,
                });
            }
            Phase::Listening(_) => return Err(libc::EISCONN),
            Phase::Udp(_) => return Err(libc::EINVAL),
        };
        let cfg = self.tcp_config();
        let node = self.node;
        let r = self.op_creating(|m, now| {
            let local = match local {
                Some(id) => Some(m.tcp_take_bound(id)?),
                None => None,
            };
            m.tcp_connect_with(now, node, local, addr, cfg)
        });
        if local.is_some() {
            self.set_phase(Phase::Fresh);
        }
        let id = model(r)?;
        self.set_phase(Phase::Stream(id));
        self.want_write.set(true);
        self.connect_pending.set(true);
        let linger_zero = self.opts.borrow().linger == Some(0);
        if linger_zero {
            let _ = self.op(|m, _| m.tcp_set_zero_linger(id));
        }
        Err(libc::EINPROGRESS)
    }

    pub(super) fn tcp_accept(&self) -> Result<(Rc<dyn VirtualFile>, SocketAddr), Errno> {
        let Phase::Listening(id) = self.phase() else {
            return Err(libc::EINVAL);
        };
        let (child, peer) = model(self.op(|m, now| m.tcp_accept(now, id)))?;
        let opts = self.opts.borrow().accepted();
        let socket = FdSocket::for_stream(&self.net, self.node, self.v6, child, opts);
        Ok((socket, peer))
    }

    /// The connection's error as a read or write reports it (once, as
    /// Linux's `sock_error` does: later calls see EOF or `EPIPE`).
    fn conn_error(&self, e: io::Error, id: crate::model::SocketId) -> Errno {
        let failed = self
            .net
            .model
            .borrow()
            .tcp_poll(id)
            .is_some_and(|p| p.failed);
        if failed {
            self.error_reported.set(true);
        }
        errno_of(&e)
    }

    pub(super) fn tcp_send(&self, buf: &[u8]) -> Result<usize, Errno> {
        let Phase::Stream(id) = self.phase() else {
            // Not connected: Linux's tcp_sendmsg answers EPIPE.
            return Err(libc::EPIPE);
        };
        if self.error_reported.get() {
            return Err(libc::EPIPE);
        }
        self.connect_pending.set(false);
        match self.op(|m, now| m.tcp_write(now, id, buf)) {
            Ok(n) => {
                // A write the buffer could not take whole ran out of space,
                // as one that took nothing: Linux sets SOCK_NOSPACE for
                // both (tokio waits for the next writable event after a
                // short write).
                if n < buf.len() {
                    self.want_write.set(true);
                }
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.want_write.set(true);
                Err(libc::EAGAIN)
            }
            Err(e) => Err(self.conn_error(e, id)),
        }
    }

    pub(super) fn tcp_recv(&self, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        let Phase::Stream(id) = self.phase() else {
            return Err(libc::ENOTCONN);
        };
        if buf.is_empty() {
            // Linux answers a zero-length receive at once.
            return Ok(0);
        }
        let r = if peek {
            self.op(|m, now| m.tcp_peek(now, id, buf))
        } else {
            self.op(|m, now| m.tcp_read(now, id, buf))
        };
        match r {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && self.read_shut.get() => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(libc::EAGAIN),
            // The error was reported once already: EOF from now on.
            Err(_) if self.error_reported.get() => Ok(0),
            Err(e) => Err(self.conn_error(e, id)),
        }
    }

    pub(super) fn tcp_shutdown(
        &self,
        id: crate::model::SocketId,
        how: libc::c_int,
    ) -> Result<(), Errno> {
        {
            let m = self.net.model.borrow();
            match m.tcp_connect_result(id) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(libc::ENOTCONN),
                Err(_) if !self.error_reported.get() => return Err(libc::ENOTCONN),
                _ => {}
            }
        }
        if how == libc::SHUT_RD || how == libc::SHUT_RDWR {
            self.read_shut.set(true);
            self.notify((libc::EPOLLIN | libc::EPOLLRDHUP) as u32);
        }
        if how == libc::SHUT_WR || how == libc::SHUT_RDWR {
            match self.op(|m, now| m.tcp_shutdown_write(now, id)) {
                Ok(()) => {}
                // Shut already, or the connection is gone: nothing to send.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Err(libc::ENOTCONN),
                Err(_) => {}
            }
        }
        Ok(())
    }
}
