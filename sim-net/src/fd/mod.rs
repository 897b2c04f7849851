//! Sockets as virtual descriptors: what `socket(2)` makes inside a
//! simulated host, so that `tokio::net`, `std::net`, socket2 and every
//! crate built on them run on the simulated network unchanged.
//!
//! sim-clock interposes the socket calls and keeps the descriptor table;
//! this module provides the objects ([`FdSocket`]), registered as the
//! simulation's socket factory when [`crate::Net`] is installed. Each
//! object holds its socket in the [`model`](crate::model) and turns the
//! model's readiness changes into epoll events for the host's runtime.

mod calls;
mod errno;
mod options;
mod socket;
mod tcp;
mod udp;

use std::rc::Rc;

use sim_clock::vfd::{self, Errno, VirtualFile};

use crate::model::Readiness;
use crate::state::NetState;

pub(crate) use options::Options;
pub(crate) use socket::{FdSocket, Phase};

/// Makes `socket(2)` inside this simulation's hosts open simulated
/// sockets on `state`'s network.
pub(crate) fn install(state: &Rc<NetState>) {
    let state = Rc::downgrade(state);
    vfd::set_socket_factory(Box::new(move |domain, ty, protocol, host| {
        let state = state.upgrade().ok_or(libc::EPERM)?;
        if domain == libc::AF_UNIX {
            return open_unix(&state, ty, protocol, host);
        }
        open(&state, domain, ty, protocol)
    }));
}

/// `socket(AF_UNIX, ty, protocol)` for host `host`: stream and datagram
/// sockets.
fn open_unix(
    state: &Rc<NetState>,
    ty: libc::c_int,
    protocol: libc::c_int,
    host: u32,
) -> Result<Rc<dyn VirtualFile>, Errno> {
    match (ty, protocol) {
        (libc::SOCK_STREAM, 0) => Ok(crate::unix::UnixStream::new(&state.unix_names, host)),
        (libc::SOCK_DGRAM, 0) => Ok(crate::unix::UnixDatagram::new(&state.unix_names, host)),
        (libc::SOCK_STREAM | libc::SOCK_DGRAM, _) => Err(libc::EPROTONOSUPPORT),
        _ => {
            vfd::report_unsupported(
                "socket",
                format!(
                    "socket(AF_UNIX, {ty}, ..): Unix domain seqpacket sockets are not modelled \
                     by the simulator (stream and datagram sockets are)"
                ),
            );
            Err(libc::ESOCKTNOSUPPORT)
        }
    }
}

/// `socket(domain, ty, protocol)` for the current host.
fn open(
    state: &Rc<NetState>,
    domain: libc::c_int,
    ty: libc::c_int,
    protocol: libc::c_int,
) -> Result<Rc<dyn VirtualFile>, Errno> {
    let v6 = match domain {
        libc::AF_INET => false,
        libc::AF_INET6 => true,
        _ => {
            let what = match domain {
                libc::AF_PACKET => "packet sockets",
                libc::AF_NETLINK => "netlink sockets",
                _ => "this address family",
            };
            vfd::report_unsupported(
                "socket",
                format!("socket({domain}, ..): {what} are not modelled by the simulator"),
            );
            return Err(libc::EAFNOSUPPORT);
        }
    };
    let udp = match (ty, protocol) {
        (libc::SOCK_STREAM, 0 | libc::IPPROTO_TCP) => false,
        (libc::SOCK_DGRAM, 0 | libc::IPPROTO_UDP) => true,
        (libc::SOCK_STREAM | libc::SOCK_DGRAM, _) => return Err(libc::EPROTONOSUPPORT),
        _ => {
            let what = match ty {
                libc::SOCK_RAW => "raw sockets",
                libc::SOCK_SEQPACKET => "SOCK_SEQPACKET sockets",
                _ => "this socket type",
            };
            vfd::report_unsupported(
                "socket",
                format!("socket(.., {ty}, ..): {what} are not modelled by the simulator"),
            );
            return Err(libc::ESOCKTNOSUPPORT);
        }
    };
    let node = state.current_node("socket").map_err(|_| libc::EPERM)?;
    Ok(FdSocket::new(state, node, v6, udp))
}

/// The epoll bits a readiness change of the model may have made true.
pub(crate) fn events_of(readiness: Readiness) -> u32 {
    let bits = match readiness {
        Readiness::Readable | Readiness::Acceptable => libc::EPOLLIN | libc::EPOLLRDNORM,
        Readiness::Writable => libc::EPOLLOUT | libc::EPOLLWRNORM,
        Readiness::Closed => {
            libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLRDHUP | libc::EPOLLERR
        }
    };
    bits as u32
}
