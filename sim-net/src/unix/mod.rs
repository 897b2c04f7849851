//! Unix domain stream sockets inside simulated hosts: `AF_UNIX`
//! `SOCK_STREAM` from `socket(2)` and `socketpair(2)`, so that
//! `tokio::net::{UnixListener, UnixStream}` (and std's) work in a host
//! unchanged.
//!
//! A host's Unix sockets talk only among themselves, as processes of one
//! machine do: each host has its own namespace of names (pathnames and
//! abstract names), kept by the simulation, not by the file system. A
//! connect is done at once and bytes move at once, with no network in
//! between: Linux's Unix sockets wait for nothing but buffer room.

mod names;
mod stream;

pub(crate) use names::UnixNames;
pub(crate) use stream::UnixStream;
