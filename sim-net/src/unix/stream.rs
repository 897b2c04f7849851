//! One Unix domain stream socket: fresh, listening, or one end of a
//! connection whose bytes go straight into the other end's buffer.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::{Rc, Weak};

use sim_clock::vfd::{Errno, Readiness, UnixCalls, VirtualFile, VirtualSocket, Watchers};

use super::{options, UnixNames};

/// Bytes one end may hold unread before the writer gets `EAGAIN`: Linux's
/// default socket send buffer (`net.core.wmem_default`), which is what
/// bounds a Unix stream writer.
pub(crate) const BUFFER: usize = 212_992;

/// Linux's `net.core.somaxconn`.
const SOMAXCONN: usize = 4096;

enum State {
    Fresh,
    Listening {
        backlog: usize,
        queue: VecDeque<Rc<UnixStream>>,
    },
    Connected {
        peer: Weak<UnixStream>,
        peer_name: Vec<u8>,
    },
}

/// An `AF_UNIX` `SOCK_STREAM` socket of one host.
pub(crate) struct UnixStream {
    me: Weak<UnixStream>,
    names: Rc<UnixNames>,
    host: u32,
    /// The bound name; empty while unnamed.
    name: RefCell<Vec<u8>>,
    state: RefCell<State>,
    /// Bytes the peer sent, not yet read.
    rx: RefCell<VecDeque<u8>>,
    /// The peer will send nothing more (it shut down writing or closed).
    eof: Cell<bool>,
    /// The peer is gone: writing is `EPIPE`.
    peer_gone: Cell<bool>,
    read_shut: Cell<bool>,
    write_shut: Cell<bool>,
    /// A write found the peer's buffer full: its next read tells us.
    writer_waiting: Cell<bool>,
    /// `ECONNRESET` from the peer's close, reported once (`SO_ERROR`, or
    /// the next read or write).
    error: Cell<Option<Errno>>,
    /// Closing resets the peer: a connection never accepted (Linux's
    /// embryo), whose listener closed.
    reset_on_close: Cell<bool>,
    watchers: Watchers,
}

impl UnixStream {
    pub(crate) fn new(names: &Rc<UnixNames>, host: u32) -> Rc<UnixStream> {
        Rc::new_cyclic(|me| UnixStream {
            me: me.clone(),
            names: names.clone(),
            host,
            name: RefCell::new(Vec::new()),
            state: RefCell::new(State::Fresh),
            rx: RefCell::new(VecDeque::new()),
            eof: Cell::new(false),
            peer_gone: Cell::new(false),
            read_shut: Cell::new(false),
            write_shut: Cell::new(false),
            writer_waiting: Cell::new(false),
            error: Cell::new(None),
            reset_on_close: Cell::new(false),
            watchers: Watchers::new(),
        })
    }

    fn peer(&self) -> Result<Rc<UnixStream>, Errno> {
        match &*self.state.borrow() {
            State::Connected { peer, .. } => peer.upgrade().ok_or(libc::EPIPE),
            _ => Err(libc::ENOTCONN),
        }
    }

    fn connect_to(&self, peer: &Rc<UnixStream>, peer_name: Vec<u8>) {
        *self.state.borrow_mut() = State::Connected {
            peer: Rc::downgrade(peer),
            peer_name,
        };
    }

    fn notify(&self, bits: libc::c_int) {
        self.watchers.notify(bits as Readiness);
    }

    /// The peer will send nothing more; `gone`: it closed; `reset`: with
    /// `ECONNRESET` for this side, as Linux's `unix_release_sock` sets when
    /// the closing end was never accepted or left data unread.
    fn peer_finished(&self, gone: bool, reset: bool) {
        self.eof.set(true);
        if gone {
            self.peer_gone.set(true);
        }
        if reset {
            self.error.set(Some(libc::ECONNRESET));
        }
        self.notify(libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLOUT | libc::EPOLLHUP);
    }
}

impl Drop for UnixStream {
    fn drop(&mut self) {
        let name = std::mem::take(&mut *self.name.borrow_mut());
        if !name.is_empty() {
            self.names
                .release(self.host, &name, (self as *const UnixStream).cast());
        }
        let state = std::mem::replace(&mut *self.state.borrow_mut(), State::Fresh);
        match state {
            // Connections nobody accepted: their clients are reset.
            State::Listening { queue, .. } => {
                for conn in &queue {
                    conn.reset_on_close.set(true);
                }
                drop(queue);
            }
            State::Connected { peer, .. } => {
                if let Some(peer) = peer.upgrade() {
                    let unread = !self.rx.borrow().is_empty();
                    peer.peer_finished(true, self.reset_on_close.get() || unread);
                }
            }
            State::Fresh => {}
        }
    }
}

impl VirtualFile for UnixStream {
    fn kind(&self) -> &'static str {
        "unix socket"
    }

    fn read(&self, buf: &mut [u8], _nonblocking: bool) -> Result<usize, Errno> {
        self.recv(buf, false).map(|(n, _)| n)
    }

    fn write(&self, buf: &[u8], _nonblocking: bool) -> Result<usize, Errno> {
        self.send(buf, None)
    }

    /// As Linux's `unix_poll`.
    fn readiness(&self) -> Readiness {
        let bits = match &*self.state.borrow() {
            State::Fresh => libc::EPOLLOUT | libc::EPOLLWRNORM | libc::EPOLLHUP,
            State::Listening { queue, .. } if !queue.is_empty() => {
                libc::EPOLLIN | libc::EPOLLRDNORM
            }
            State::Listening { .. } => 0,
            State::Connected { peer, .. } => {
                let mut r = 0;
                let ended = self.eof.get() || self.read_shut.get();
                if !self.rx.borrow().is_empty() || ended {
                    r |= libc::EPOLLIN | libc::EPOLLRDNORM;
                }
                if ended {
                    r |= libc::EPOLLRDHUP;
                }
                if self.eof.get() && (self.write_shut.get() || self.peer_gone.get()) {
                    r |= libc::EPOLLHUP;
                }
                if self.error.get().is_some() {
                    r |= libc::EPOLLERR;
                }
                let room = peer
                    .upgrade()
                    .is_none_or(|p| p.rx.try_borrow().map_or(true, |rx| rx.len() < BUFFER));
                if room {
                    r |= libc::EPOLLOUT | libc::EPOLLWRNORM;
                }
                r
            }
        };
        bits as Readiness
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

/// What `accept` reports for the peer: the interposer writes the Unix
/// name instead (see [`UnixCalls`]).
const NO_INET_ADDR: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

impl VirtualSocket for UnixStream {
    fn bind(&self, _addr: SocketAddr) -> Result<(), Errno> {
        Err(libc::EINVAL)
    }

    fn listen(&self, backlog: libc::c_int) -> Result<(), Errno> {
        // Linux: no listening on an unbound socket.
        if self.name.borrow().is_empty() {
            return Err(libc::EINVAL);
        }
        let backlog = usize::try_from(backlog).unwrap_or(SOMAXCONN).min(SOMAXCONN);
        let mut state = self.state.borrow_mut();
        match &mut *state {
            State::Fresh => {
                *state = State::Listening {
                    backlog,
                    queue: VecDeque::new(),
                }
            }
            State::Listening { backlog: b, .. } => *b = backlog,
            State::Connected { .. } => return Err(libc::EINVAL),
        }
        Ok(())
    }

    fn connect(&self, _addr: SocketAddr) -> Result<(), Errno> {
        Err(libc::EINVAL)
    }

    fn accept(&self) -> Result<(Rc<dyn VirtualFile>, SocketAddr), Errno> {
        let mut state = self.state.borrow_mut();
        let State::Listening { queue, .. } = &mut *state else {
            return Err(libc::EINVAL);
        };
        let conn = queue.pop_front().ok_or(libc::EAGAIN)?;
        Ok((conn, NO_INET_ADDR))
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
        let peer = match self.peer() {
            Ok(p) => Some(p),
            Err(libc::EPIPE) => None,
            Err(e) => return Err(e),
        };
        if how != libc::SHUT_WR {
            self.read_shut.set(true);
            self.notify(libc::EPOLLIN | libc::EPOLLRDHUP);
        }
        if how != libc::SHUT_RD && !self.write_shut.replace(true) {
            if let Some(peer) = peer {
                peer.peer_finished(false, false);
            }
        }
        Ok(())
    }

    fn send(&self, buf: &[u8], to: Option<SocketAddr>) -> Result<usize, Errno> {
        if to.is_some() {
            // Linux's unix_stream_sendmsg with an address.
            return Err(match &*self.state.borrow() {
                State::Connected { .. } => libc::EISCONN,
                _ => libc::EOPNOTSUPP,
            });
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let peer = self.peer()?;
        if self.write_shut.get() || self.peer_gone.get() {
            return Err(libc::EPIPE);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let n = {
            let mut rx = peer.rx.borrow_mut();
            let n = buf.len().min(BUFFER.saturating_sub(rx.len()));
            rx.extend(&buf[..n]);
            n
        };
        if n < buf.len() {
            self.writer_waiting.set(true);
        }
        if n == 0 {
            return Err(libc::EAGAIN);
        }
        peer.notify(libc::EPOLLIN | libc::EPOLLRDNORM);
        Ok(n)
    }

    fn recv(&self, buf: &mut [u8], peek: bool) -> Result<(usize, Option<SocketAddr>), Errno> {
        if !matches!(&*self.state.borrow(), State::Connected { .. }) {
            return Err(libc::EINVAL);
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let n = {
            let mut rx = self.rx.borrow_mut();
            if rx.is_empty() {
                if self.eof.get() || self.read_shut.get() {
                    return Ok((0, None));
                }
                return Err(libc::EAGAIN);
            }
            let n = buf.len().min(rx.len());
            for (slot, byte) in buf.iter_mut().zip(rx.iter()) {
                *slot = *byte;
            }
            if !peek {
                rx.drain(..n);
            }
            n
        };
        if !peek && n > 0 {
            // Room again for a writer that ran out of it.
            if let Ok(peer) = self.peer() {
                if peer.writer_waiting.replace(false) {
                    peer.notify(libc::EPOLLOUT | libc::EPOLLWRNORM);
                }
            }
        }
        Ok((n, None))
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
        if (level, name) == (libc::SOL_SOCKET, libc::SO_PEERCRED) {
            // Every host is this one process.
            // SAFETY: plain calls without arguments.
            let (pid, uid, gid) = unsafe { (libc::getpid(), libc::getuid(), libc::getgid()) };
            let cred: Vec<u8> = [pid as u32, uid, gid]
                .iter()
                .flat_map(|v| v.to_ne_bytes())
                .collect();
            return Ok(options::write(&cred, out));
        }
        options::get_int(level, name, out, |name| match name {
            libc::SO_ERROR => Some(self.error.take().unwrap_or(0)),
            libc::SO_TYPE => Some(libc::SOCK_STREAM),
            libc::SO_ACCEPTCONN => {
                Some(matches!(&*self.state.borrow(), State::Listening { .. }) as libc::c_int)
            }
            _ => None,
        })
    }

    fn readable_bytes(&self) -> Result<usize, Errno> {
        match &*self.state.borrow() {
            State::Listening { .. } => Err(libc::EINVAL),
            _ => Ok(self.rx.borrow().len()),
        }
    }

    fn as_unix(&self) -> Option<&dyn UnixCalls> {
        Some(self)
    }
}

impl UnixCalls for UnixStream {
    fn bind_name(&self, name: &[u8]) -> Result<(), Errno> {
        if !matches!(&*self.state.borrow(), State::Fresh) {
            return Err(libc::EINVAL);
        }
        let me: Weak<dyn Any> = self.me.clone();
        self.names.bind_socket(self.host, name, me, &self.name)
    }

    fn connect_name(&self, name: &[u8]) -> Result<(), Errno> {
        match &*self.state.borrow() {
            State::Fresh => {}
            State::Connected { .. } => return Err(libc::EISCONN),
            State::Listening { .. } => return Err(libc::EINVAL),
        }
        let Some(bound) = self.names.lookup(self.host, name) else {
            return Err(super::unbound_errno(name));
        };
        // A datagram socket's name: Linux's EPROTOTYPE.
        let listener = bound
            .downcast::<UnixStream>()
            .map_err(|_| libc::EPROTOTYPE)?;
        let listener_name = listener.name.borrow().clone();
        let me = self.me.upgrade().ok_or(libc::EBADF)?;
        {
            let mut state = listener.state.borrow_mut();
            let State::Listening { backlog, queue } = &mut *state else {
                return Err(libc::ECONNREFUSED);
            };
            // Linux's unix_recvq_full: more than the backlog waiting.
            if queue.len() > *backlog {
                return Err(libc::EAGAIN);
            }
            let server_end = UnixStream::new(&self.names, self.host);
            *server_end.name.borrow_mut() = listener_name.clone();
            server_end.connect_to(&me, self.name.borrow().clone());
            self.connect_to(&server_end, listener_name);
            queue.push_back(server_end);
        }
        listener.notify(libc::EPOLLIN | libc::EPOLLRDNORM);
        Ok(())
    }

    fn local_name(&self) -> Result<Vec<u8>, Errno> {
        Ok(self.name.borrow().clone())
    }

    fn peer_name(&self) -> Result<Vec<u8>, Errno> {
        match &*self.state.borrow() {
            State::Connected { peer_name, .. } => Ok(peer_name.clone()),
            _ => Err(libc::ENOTCONN),
        }
    }

    fn send_named(&self, buf: &[u8], to: Option<&[u8]>) -> Result<usize, Errno> {
        if to.is_some() {
            // Linux's unix_stream_sendmsg with an address.
            return Err(match &*self.state.borrow() {
                State::Connected { .. } => libc::EISCONN,
                _ => libc::EOPNOTSUPP,
            });
        }
        self.send(buf, None)
    }

    fn recv_named(&self, buf: &mut [u8], peek: bool) -> Result<(usize, Option<Vec<u8>>), Errno> {
        self.recv(buf, peek).map(|(n, _)| (n, None))
    }

    fn pair_with(&self, other: &Rc<dyn VirtualFile>) -> Result<(), Errno> {
        let other = other
            .as_any()
            .downcast_ref::<UnixStream>()
            .and_then(|o| o.me.upgrade())
            .ok_or(libc::EOPNOTSUPP)?;
        let me = self.me.upgrade().ok_or(libc::EBADF)?;
        self.connect_to(&other, Vec::new());
        other.connect_to(&me, Vec::new());
        Ok(())
    }
}
