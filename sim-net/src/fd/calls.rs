//! The socket calls of [`FdSocket`], dispatched to TCP or UDP.

use std::net::SocketAddr;
use std::rc::Rc;

use sim_clock::vfd::{Errno, VirtualFile, VirtualSocket};

use super::socket::{model, unmodelled, FdSocket, Phase};

impl VirtualSocket for FdSocket {
    fn bind(&self, addr: SocketAddr) -> Result<(), Errno> {
        self.check_family(addr)?;
        if self.phase() != Phase::Fresh {
            return Err(libc::EINVAL);
        }
        if self.udp {
            self.udp_bind(addr)
        } else {
            self.tcp_bind(addr)
        }
    }

    fn listen(&self, backlog: libc::c_int) -> Result<(), Errno> {
        if self.udp {
            return Err(libc::EOPNOTSUPP);
        }
        self.tcp_listen(backlog)
    }

    fn connect(&self, addr: SocketAddr) -> Result<(), Errno> {
        if self.udp {
            self.udp_connect(addr)
        } else {
            self.tcp_connect(addr)
        }
    }

    fn accept(&self) -> Result<(Rc<dyn VirtualFile>, SocketAddr), Errno> {
        if self.udp {
            return Err(libc::EOPNOTSUPP);
        }
        self.tcp_accept()
    }

    fn local_addr(&self) -> Result<SocketAddr, Errno> {
        match self.phase().id() {
            None => Ok(self.unspecified()),
            Some(id) => model(self.net.model.borrow().local_addr(id)),
        }
    }

    fn peer_addr(&self) -> Result<SocketAddr, Errno> {
        match self.phase() {
            Phase::Stream(id) => {
                let m = self.net.model.borrow();
                // Connecting or failed: not connected, as Linux says.
                if m.tcp_connect_result(id).is_err() {
                    return Err(libc::ENOTCONN);
                }
                model(m.peer_addr(id))
            }
            Phase::Udp(id) => model(self.net.model.borrow().peer_addr(id)),
            _ => Err(libc::ENOTCONN),
        }
    }

    fn shutdown(&self, how: libc::c_int) -> Result<(), Errno> {
        match self.phase() {
            Phase::Stream(id) => self.tcp_shutdown(id, how),
            Phase::Udp(_) | Phase::Listening(_) => unmodelled(
                "shutdown",
                format!(
                    "`shutdown` of a {} is not modelled by the simulator",
                    if self.udp {
                        "UDP socket"
                    } else {
                        "listening socket"
                    }
                ),
                libc::EOPNOTSUPP,
            ),
            Phase::Fresh | Phase::Bound(_) => Err(libc::ENOTCONN),
        }
    }

    fn send(&self, buf: &[u8], to: Option<SocketAddr>) -> Result<usize, Errno> {
        if self.udp {
            self.udp_send(buf, to)
        } else {
            self.tcp_send(buf)
        }
    }

    fn recv(&self, buf: &mut [u8], peek: bool) -> Result<(usize, Option<SocketAddr>), Errno> {
        if self.udp {
            self.udp_recv(buf, peek).map(|(n, from)| (n, Some(from)))
        } else {
            self.tcp_recv(buf, peek).map(|n| (n, None))
        }
    }

    fn set_option(&self, level: libc::c_int, name: libc::c_int, value: &[u8]) -> Result<(), Errno> {
        self.set_opt(level, name, value)
    }

    fn get_option(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        out: &mut [u8],
    ) -> Result<usize, Errno> {
        self.get_opt(level, name, out)
    }

    fn readable_bytes(&self) -> Result<usize, Errno> {
        let m = self.net.model.borrow();
        match self.phase() {
            Phase::Stream(id) => Ok(m.connection(id).map_or(0, |c| c.recv_buffered)),
            Phase::Udp(id) => Ok(m.udp_next_datagram_len(id).unwrap_or(0)),
            Phase::Listening(_) => Err(libc::EINVAL),
            Phase::Fresh | Phase::Bound(_) => Ok(0),
        }
    }
}
