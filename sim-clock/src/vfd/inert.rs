//! The stand-in for a real descriptor duplicated while a host's runtime is
//! built.
//!
//! tokio's signal driver gives each runtime a `dup` of the process-wide
//! self-pipe that its signal handlers write to, and registers it with the
//! runtime's epoll. A real duplicate per host would cost a real descriptor
//! per host; inside a simulation no host receives signals anyway (every
//! host shares the process). So a `dup` of a real descriptor made while a
//! runtime is being built yields this object: it is never ready, reads
//! `EAGAIN`, and closing it releases nothing real. `tokio::signal` inside a
//! simulated host therefore never fires.

use std::any::Any;

use super::file::{Errno, VirtualFile, Watchers};

/// A virtual stand-in for a real descriptor's duplicate: never ready.
pub(crate) struct InertDup {
    watchers: Watchers,
}

impl InertDup {
    pub(crate) fn new() -> InertDup {
        InertDup {
            watchers: Watchers::new(),
        }
    }
}

impl VirtualFile for InertDup {
    fn kind(&self) -> &'static str {
        "duplicate of a real descriptor (never ready)"
    }

    fn read(&self, _buf: &mut [u8], _nonblocking: bool) -> Result<usize, Errno> {
        Err(libc::EAGAIN)
    }

    fn write(&self, _buf: &[u8], _nonblocking: bool) -> Result<usize, Errno> {
        Err(libc::EAGAIN)
    }

    fn watchers(&self) -> Option<&Watchers> {
        Some(&self.watchers)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
