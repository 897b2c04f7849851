//! Unix domain sockets inside simulated hosts: `AF_UNIX` `SOCK_STREAM` and
//! `SOCK_DGRAM` from `socket(2)` and `socketpair(2)`, so that
//! `tokio::net::{UnixListener, UnixStream, UnixDatagram}` (and std's) work
//! in a host unchanged.
//!
//! A host's Unix sockets talk only among themselves, as processes of one
//! machine do: each host has its own namespace of names (pathnames and
//! abstract names), kept by the simulation, not by the file system. A
//! connect is done at once and bytes move at once, with no network in
//! between: Linux's Unix sockets wait for nothing but buffer room.

mod datagram;
mod names;
mod options;
mod stream;

pub(crate) use datagram::UnixDatagram;
pub(crate) use names::UnixNames;
pub(crate) use stream::UnixStream;

/// The errno of a connect or send to a name nobody bound: no socket file at
/// a path (`ENOENT`), nobody on an abstract name (`ECONNREFUSED`).
fn unbound_errno(name: &[u8]) -> sim_clock::vfd::Errno {
    if name.first() == Some(&0) {
        libc::ECONNREFUSED
    } else {
        libc::ENOENT
    }
}
