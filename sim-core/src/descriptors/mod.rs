//! The kernel objects of a host's runtime, as virtual descriptors: each
//! host's epoll instance and its waker eventfd live in the simulation's
//! descriptor table (`sim_clock::vfd`), not in the kernel.
//!
//! sim-clock interposes the calls and keeps the table; this module provides
//! what stands behind the numbers. A write to a host's waker from another
//! host, from the network or from the test marks that host ready at the same
//! virtual instant (`sim_clock::wakers::unpark`), and so does the first ready
//! event of any other object the host's epoll watches (the epoll knows its
//! host), without any scan of hosts. A host therefore
//! holds no real descriptor and makes no system call to park or wake, which
//! is what lets 100,000 hosts share one process.

mod epoll;
mod eventfd;

use std::rc::Rc;

use sim_clock::vfd::{self, VirtualFile};

pub(crate) use epoll::Epoll;
pub(crate) use eventfd::EventFd;

/// Registers this module's objects for the current simulation thread.
pub(crate) fn install() {
    vfd::set_epoll_factory(Box::new(|owner| {
        let epoll: Rc<dyn VirtualFile> = Epoll::new(owner);
        Ok(epoll)
    }));
    vfd::set_eventfd_factory(Box::new(|initval, semaphore, _owner| {
        let eventfd: Rc<dyn VirtualFile> = Rc::new(EventFd::new(initval, semaphore));
        Ok(eventfd)
    }));
}
