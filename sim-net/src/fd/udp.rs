//! UDP through a descriptor: `bind`, `connect`, `send`/`sendto` and
//! `recv`/`recvfrom`, with Linux's automatic bind on first use.

use std::io;
use std::net::SocketAddr;

use sim_clock::vfd::Errno;

use super::errno::errno_of;
use super::socket::{model, FdSocket, Phase};
use crate::model::SocketId;

impl FdSocket {
    pub(super) fn udp_bind(&self, addr: SocketAddr) -> Result<(), Errno> {
        let node = self.node;
        let id = model(self.op_creating(|m, now| m.udp_bind(now, node, addr)))?;
        self.set_phase(Phase::Udp(id));
        self.apply_udp_options(id);
        Ok(())
    }

    /// The model socket, bound now to an ephemeral port if it was not
    /// (Linux binds a UDP socket on its first `sendto` or `connect`).
    fn udp_socket(&self) -> Result<SocketId, Errno> {
        match self.phase() {
            Phase::Udp(id) => Ok(id),
            _ => {
                self.udp_bind(self.unspecified())?;
                self.phase().id().ok_or(libc::EINVAL)
            }
        }
    }

    pub(super) fn udp_connect(&self, addr: SocketAddr) -> Result<(), Errno> {
        let addr = match addr {
            SocketAddr::V6(_) if !self.v6 => return Err(libc::EAFNOSUPPORT),
            // Linux's ip6_datagram_connect takes a `sockaddr_in` too (IPv4,
            // the peer then shown IPv4-mapped), unless the socket is v6-only.
            SocketAddr::V4(v4) if self.v6 => {
                if self.opts.borrow().v6only {
                    return Err(libc::EAFNOSUPPORT);
                }
                SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port())
            }
            addr => addr,
        };
        let id = self.udp_socket()?;
        model(self.op(|m, now| m.udp_connect(now, id, addr)))
    }

    pub(super) fn udp_send(&self, buf: &[u8], to: Option<SocketAddr>) -> Result<usize, Errno> {
        let to = match to {
            Some(dst) if !self.v6 && dst.is_ipv6() => return Err(libc::EAFNOSUPPORT),
            // Linux's udpv6_sendmsg takes a `sockaddr_in` too: IPv4, sent
            // as from an IPv4-mapped address, unless the socket is v6-only.
            Some(SocketAddr::V4(v4)) if self.v6 => {
                if self.opts.borrow().v6only {
                    return Err(libc::ENETUNREACH);
                }
                Some(SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port()))
            }
            other => other,
        };
        if let Some(dst) = to {
            if buf.len() > self.net.model.borrow().udp_max_payload(&dst) {
                return Err(libc::EMSGSIZE);
            }
        }
        let id = self.udp_socket()?;
        let r = match to {
            Some(dst) => self.op(|m, now| m.udp_send_to(now, id, buf, dst)),
            None => {
                if self.net.model.borrow().peer_addr(id).is_err() {
                    // No destination and not connected.
                    return Err(libc::EDESTADDRREQ);
                }
                self.op(|m, now| m.udp_send(now, id, buf))
            }
        };
        r.map_err(|e| udp_send_errno(&e))
    }

    pub(super) fn udp_recv(
        &self,
        buf: &mut [u8],
        peek: bool,
    ) -> Result<(usize, SocketAddr), Errno> {
        let Phase::Udp(id) = self.phase() else {
            // Unbound: nothing can ever arrive.
            return Err(libc::EAGAIN);
        };
        if peek {
            model(self.op(|m, now| m.udp_peek(now, id, buf))).map(|(n, _, from)| (n, from))
        } else {
            model(self.op(|m, now| m.udp_recv_from(now, id, buf)))
        }
    }

    /// Options set before the socket was bound, applied to the model's
    /// socket once it exists.
    fn apply_udp_options(&self, id: SocketId) {
        let o = self.opts.borrow().clone();
        let v6 = self.v6;
        let _ = self.op(|m, _| {
            m.udp_set_broadcast(id, o.broadcast)?;
            m.udp_set_ttl(id, o.ttl)?;
            m.udp_set_multicast_loop(id, v6, o.multicast_loop)?;
            m.udp_set_multicast_ttl_v4(id, o.multicast_ttl)?;
            if let Some(bytes) = o.recv_buffer {
                m.udp_set_recv_buffer(id, bytes)?;
            }
            for group in &o.groups {
                m.udp_join_multicast(id, *group)?;
            }
            Ok::<_, io::Error>(())
        });
    }
}

/// A send's errno: an oversized datagram is `EMSGSIZE` on Linux.
fn udp_send_errno(e: &io::Error) -> Errno {
    if e.kind() == io::ErrorKind::InvalidInput && e.to_string().contains("exceeds") {
        libc::EMSGSIZE
    } else {
        errno_of(e)
    }
}
