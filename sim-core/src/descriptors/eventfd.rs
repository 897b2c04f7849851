//! A virtual eventfd: a 64-bit counter, as Linux's `eventfd(2)`.

use std::any::Any;
use std::cell::Cell;

use sim_clock::vfd::{Errno, Readiness, VirtualFile, Watchers};

/// The largest value the counter holds (`0xffff_ffff_ffff_fffe`).
const MAX: u64 = u64::MAX - 1;

/// An eventfd: writes add to a counter, reads take it (or take one, in
/// semaphore mode).
///
/// The one a host's runtime makes while it is built is mio's waker; writes
/// to it never reach this object: sim-clock hands them to the scheduler
/// (`sim_clock::wakers::unpark`), since tokio does nothing with the waker's
/// event but stop sleeping, and a simulated runtime never sleeps.
pub(crate) struct EventFd {
    count: Cell<u64>,
    semaphore: bool,
    watchers: Watchers,
}

impl EventFd {
    pub(crate) fn new(initval: u32, semaphore: bool) -> EventFd {
        EventFd {
            count: Cell::new(u64::from(initval)),
            semaphore,
            watchers: Watchers::new(),
        }
    }
}

impl VirtualFile for EventFd {
    fn kind(&self) -> &'static str {
        "eventfd"
    }

    fn read(&self, buf: &mut [u8], _nonblocking: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(libc::EINVAL);
        }
        let count = self.count.get();
        if count == 0 {
            return Err(libc::EAGAIN);
        }
        let value = if self.semaphore { 1 } else { count };
        self.count.set(count - value);
        buf[..8].copy_from_slice(&value.to_ne_bytes());
        // Room to write again.
        self.watchers.notify(libc::EPOLLOUT as u32);
        Ok(8)
    }

    fn write(&self, buf: &[u8], _nonblocking: bool) -> Result<usize, Errno> {
        let Some(bytes) = buf.get(..8) else {
            return Err(libc::EINVAL);
        };
        let value = u64::from_ne_bytes(bytes.try_into().map_err(|_| libc::EINVAL)?);
        if value == u64::MAX {
            return Err(libc::EINVAL);
        }
        let count = self.count.get();
        if MAX - count < value {
            return Err(libc::EAGAIN);
        }
        self.count.set(count + value);
        // Linux wakes the watchers on every write, so each one makes a new
        // edge for an edge-triggered epoll.
        self.watchers.notify(libc::EPOLLIN as u32);
        Ok(8)
    }

    fn readiness(&self) -> Readiness {
        let count = self.count.get();
        let mut r = 0;
        if count > 0 {
            r |= libc::EPOLLIN as u32;
        }
        if count < MAX {
            r |= libc::EPOLLOUT as u32;
        }
        r
    }

    fn watchers(&self) -> Option<&Watchers> {
        Some(&self.watchers)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
