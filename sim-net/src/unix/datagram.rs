//! One Unix domain datagram socket: each datagram goes whole into the
//! receiver's queue, with its sender's name.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};

use sim_clock::vfd::{Errno, Readiness, UnixCalls, VirtualFile, VirtualSocket, Watchers};

use super::stream::BUFFER;
use super::{options, UnixNames};

/// Datagrams a socket holds unread before senders get `EAGAIN`: Linux's
/// `net.unix.max_dgram_qlen`.
const QUEUE: usize = 10;

/// An `AF_UNIX` `SOCK_DGRAM` socket of one host.
pub(crate) struct UnixDatagram {
    me: Weak<UnixDatagram>,
    names: Rc<UnixNames>,
    host: u32,
    /// The bound name; empty while unnamed.
    name: RefCell<Vec<u8>>,
    /// The default destination (`connect`) and its name.
    peer: RefCell<Option<(Weak<UnixDatagram>, Vec<u8>)>>,
    /// Received datagrams and their senders' names.
    queue: RefCell<VecDeque<(Vec<u8>, Vec<u8>)>>,
    /// Senders that found this queue full: told when there is room.
    blocked: RefCell<Vec<Weak<UnixDatagram>>>,
    /// The connected peer went away: the next send or receive says so.
    error: Cell<Option<Errno>>,
    read_shut: Cell<bool>,
    write_shut: Cell<bool>,
    watchers: Watchers,
}

impl UnixDatagram {
    pub(crate) fn new(names: &Rc<UnixNames>, host: u32) -> Rc<UnixDatagram> {
        Rc::new_cyclic(|me| UnixDatagram {
            me: me.clone(),
            names: names.clone(),
            host,
            name: RefCell::new(Vec::new()),
            peer: RefCell::new(None),
            queue: RefCell::new(VecDeque::new()),
            blocked: RefCell::new(Vec::new()),
            error: Cell::new(None),
            read_shut: Cell::new(false),
            write_shut: Cell::new(false),
            watchers: Watchers::new(),
        })
    }

    fn notify(&self, bits: libc::c_int) {
        self.watchers.notify(bits as Readiness);
    }

    /// The datagram socket bound to `name` on this host.
    fn find(&self, name: &[u8]) -> Result<Rc<UnixDatagram>, Errno> {
        let bound = self
            .names
            .lookup(self.host, name)
            .ok_or_else(|| super::unbound_errno(name))?;
        // A stream socket's name: Linux's EPROTOTYPE.
        bound
            .downcast::<UnixDatagram>()
            .map_err(|_| libc::EPROTOTYPE)
    }

    fn connected_peer(&self) -> Option<Rc<UnixDatagram>> {
        self.peer.borrow().as_ref().and_then(|(p, _)| p.upgrade())
    }

    fn deliver(&self, target: &Rc<UnixDatagram>, buf: &[u8]) -> Result<usize, Errno> {
        if buf.len() > BUFFER {
            return Err(libc::EMSGSIZE);
        }
        // A receiver connected elsewhere takes only its peer's datagrams.
        let accepted = match &*target.peer.borrow() {
            Some((peer, _)) => std::ptr::eq(peer.as_ptr(), self as *const UnixDatagram),
            None => true,
        };
        if !accepted {
            return Err(libc::EPERM);
        }
        if target.read_shut.get() {
            return Err(libc::EPIPE);
        }
        {
            let mut queue = target.queue.borrow_mut();
            if queue.len() >= QUEUE {
                target.blocked.borrow_mut().push(self.me.clone());
                return Err(libc::EAGAIN);
            }
            queue.push_back((buf.to_vec(), self.name.borrow().clone()));
        }
        target.notify(libc::EPOLLIN | libc::EPOLLRDNORM);
        Ok(buf.len())
    }
}

impl Drop for UnixDatagram {
    fn drop(&mut self) {
        let name = std::mem::take(&mut *self.name.borrow_mut());
        if !name.is_empty() {
            self.names
                .release(self.host, &name, (self as *const UnixDatagram).cast());
        }
        // Senders waiting for room would wait forever: they may try again.
        let blocked = std::mem::take(&mut *self.blocked.borrow_mut());
        for sender in blocked.iter().filter_map(Weak::upgrade) {
            sender.notify(libc::EPOLLOUT | libc::EPOLLWRNORM);
        }
    }
}

impl VirtualFile for UnixDatagram {
    fn kind(&self) -> &'static str {
        "unix datagram socket"
    }

    fn read(&self, buf: &mut [u8], _nonblocking: bool) -> Result<usize, Errno> {
        self.recv_named(buf, false).map(|(n, _)| n)
    }

    fn write(&self, buf: &[u8], _nonblocking: bool) -> Result<usize, Errno> {
        self.send_named(buf, None)
    }

    /// As Linux's `unix_dgram_poll`.
    fn readiness(&self) -> Readiness {
        let mut r = 0;
        if !self.queue.borrow().is_empty() || self.read_shut.get() {
            r |= libc::EPOLLIN | libc::EPOLLRDNORM;
        }
        if self.read_shut.get() {
            r |= libc::EPOLLRDHUP;
        }
        if self.read_shut.get() && self.write_shut.get() {
            r |= libc::EPOLLHUP;
        }
        if self.error.get().is_some() {
            r |= libc::EPOLLERR;
        }
        let room = self
            .connected_peer()
            .is_none_or(|p| p.queue.try_borrow().map_or(true, |q| q.len() < QUEUE));
        if room {
            r |= libc::EPOLLOUT | libc::EPOLLWRNORM;
        }
        r as Readiness
    }

    fn watchers(&self) -> Option<&Watchers> {
        Some(&self.watchers)
    }

    fn as_socket(&self) -> Option<&dyn VirtualSocket> {
        Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl VirtualSocket for UnixDatagram {
    fn bind(&self, _addr: SocketAddr) -> Result<(), Errno> {
        Err(libc::EINVAL)
    }

    fn listen(&self, _backlog: libc::c_int) -> Result<(), Errno> {
        Err(libc::EOPNOTSUPP)
    }

    fn connect(&self, _addr: SocketAddr) -> Result<(), Errno> {
        Err(libc::EINVAL)
    }

    fn accept(&self) -> Result<(Rc<dyn VirtualFile>, SocketAddr), Errno> {
        Err(libc::EOPNOTSUPP)
    }

    fn local_addr(&self) -> Result<SocketAddr, Errno> {
        Err(libc::EOPNOTSUPP)
    }

    fn peer_addr(&self) -> Result<SocketAddr, Errno> {
        Err(libc::EOPNOTSUPP)
    }

    fn shutdown(&self, how: libc::c_int) -> Result<(), Errno> {
        if !matches!(how, libc::SHUT_RD | libc::SHUT_WR | libc::SHUT_RDWR) {
            return Err(libc::EINVAL);
        }
        if how != libc::SHUT_WR {
            self.read_shut.set(true);
        }
        if how != libc::SHUT_RD {
            self.write_shut.set(true);
        }
        self.notify(libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLHUP);
        Ok(())
    }

    fn send(&self, buf: &[u8], _to: Option<SocketAddr>) -> Result<usize, Errno> {
        self.send_named(buf, None)
    }

    fn recv(&self, buf: &mut [u8], peek: bool) -> Result<(usize, Option<SocketAddr>), Errno> {
        self.recv_named(buf, peek).map(|(n, _)| (n, None))
    }

    fn set_option(&self, level: libc::c_int, name: libc::c_int, value: &[u8]) -> Result<(), Errno> {
        options::set(level, name, value)
    }

    fn get_option(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        out: &mut [u8],
    ) -> Result<usize, Errno> {
        options::get_int(level, name, out, |name| match name {
            libc::SO_ERROR => Some(self.error.take().unwrap_or(0)),
            libc::SO_TYPE => Some(libc::SOCK_DGRAM),
            libc::SO_ACCEPTCONN => Some(0),
            _ => None,
        })
    }

    fn readable_bytes(&self) -> Result<usize, Errno> {
        Ok(self.queue.borrow().front().map_or(0, |(d, _)| d.len()))
    }

    fn as_unix(&self) -> Option<&dyn UnixCalls> {
        Some(self)
    }
}

impl UnixCalls for UnixDatagram {
    fn bind_name(&self, name: &[u8]) -> Result<(), Errno> {
        let me: Weak<dyn Any> = self.me.clone();
        self.names.bind_socket(self.host, name, me, &self.name)
    }

    fn connect_name(&self, name: &[u8]) -> Result<(), Errno> {
        let target = self.find(name)?;
        *self.peer.borrow_mut() = Some((Rc::downgrade(&target), name.to_vec()));
        self.notify(libc::EPOLLOUT | libc::EPOLLWRNORM);
        Ok(())
    }

    fn local_name(&self) -> Result<Vec<u8>, Errno> {
        Ok(self.name.borrow().clone())
    }

    fn peer_name(&self) -> Result<Vec<u8>, Errno> {
        self.peer
            .borrow()
            .as_ref()
            .map(|(_, name)| name.clone())
            .ok_or(libc::ENOTCONN)
    }

    fn pair_with(&self, other: &Rc<dyn VirtualFile>) -> Result<(), Errno> {
        let other = other
            .as_any()
            .downcast_ref::<UnixDatagram>()
            .and_then(|o| o.me.upgrade())
            .ok_or(libc::EOPNOTSUPP)?;
        *self.peer.borrow_mut() = Some((Rc::downgrade(&other), Vec::new()));
        *other.peer.borrow_mut() = Some((self.me.clone(), Vec::new()));
        Ok(())
    }

    fn send_named(&self, buf: &[u8], to: Option<&[u8]>) -> Result<usize, Errno> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.write_shut.get() {
            return Err(libc::EPIPE);
        }
        let target = match to {
            Some(name) => self.find(name)?,
            None => {
                let connected = self.peer.borrow().is_some();
                if !connected {
                    return Err(libc::ENOTCONN);
                }
                // Linux: the peer closed; the socket forgets it.
                self.connected_peer().ok_or_else(|| {
                    *self.peer.borrow_mut() = None;
                    libc::ECONNREFUSED
                })?
            }
        };
        self.deliver(&target, buf)
    }

    fn recv_named(&self, buf: &mut [u8], peek: bool) -> Result<(usize, Option<Vec<u8>>), Errno> {
        let (n, from, was_full) = {
            let mut queue = self.queue.borrow_mut();
            let Some((data, from)) = queue.front() else {
                if self.read_shut.get() {
                    return Ok((0, None));
                }
                return Err(libc::EAGAIN);
            };
            // The rest of a datagram longer than `buf` is lost, as on Linux.
            let n = buf.len().min(data.len());
            buf[..n].copy_from_slice(&data[..n]);
            let from = from.clone();
            let was_full = queue.len() >= QUEUE;
            if !peek {
                queue.pop_front();
            }
            (n, from, was_full)
        };
        if !peek && was_full {
            let blocked = std::mem::take(&mut *self.blocked.borrow_mut());
            for sender in blocked.iter().filter_map(Weak::upgrade) {
                sender.notify(libc::EPOLLOUT | libc::EPOLLWRNORM);
            }
        }
        Ok((n, Some(from)))
    }
}
