//! A virtual epoll instance with Linux's semantics: an interest list keyed
//! by descriptor, a ready list in the order events arrived, edge- and
//! level-triggered entries and `EPOLLONESHOT`, and the `u64` the caller
//! registered returned with each event (mio stores its token there).

use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::{Rc, Weak};

use sim_clock::vfd::{
    EpollTarget, Errno, Readiness, ReadinessSink, VirtualEpoll, VirtualFile, Watchers,
};

/// Reported whether asked for or not, as Linux does.
const ALWAYS: u32 = (libc::EPOLLERR | libc::EPOLLHUP) as u32;
/// The flag bits of an interest mask (not events).
const FLAGS: u32 =
    (libc::EPOLLET | libc::EPOLLONESHOT | libc::EPOLLEXCLUSIVE | libc::EPOLLWAKEUP) as u32;

struct Interest {
    /// `None` for a real descriptor, which is accepted and never ready.
    file: Option<Weak<dyn VirtualFile>>,
    mask: u32,
    data: u64,
    /// On the ready list now.
    queued: bool,
    /// An `EPOLLONESHOT` entry that has fired; `EPOLL_CTL_MOD` re-arms it.
    disabled: bool,
}

impl Interest {
    fn wanted(&self) -> u32 {
        (self.mask & !FLAGS) | ALWAYS
    }

    fn readiness(&self) -> Option<Readiness> {
        match &self.file {
            Some(w) => w.upgrade().map(|f| f.readiness()),
            None => Some(0),
        }
    }

    fn is(&self, file: &Rc<dyn VirtualFile>) -> bool {
        self.file
            .as_ref()
            .and_then(|w| w.upgrade())
            .is_some_and(|f| std::ptr::addr_eq(Rc::as_ptr(&f), Rc::as_ptr(file)))
    }
}

/// The ready list: descriptors in the order their events arrived. Every
/// change of its length is reported to sim-clock
/// (`vfd::queued_events_changed`), whose `epoll_wait` skips the lookup of
/// any epoll while no event is queued anywhere.
#[derive(Default)]
struct ReadyList(VecDeque<libc::c_int>);

impl ReadyList {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn push_back(&mut self, fd: libc::c_int) {
        self.0.push_back(fd);
        sim_clock::vfd::queued_events_changed(1);
    }

    fn pop_front(&mut self) -> Option<libc::c_int> {
        let fd = self.0.pop_front()?;
        sim_clock::vfd::queued_events_changed(-1);
        Some(fd)
    }

    fn remove(&mut self, fd: libc::c_int) {
        let before = self.0.len();
        self.0.retain(|&r| r != fd);
        sim_clock::vfd::queued_events_changed(self.0.len() as i64 - before as i64);
    }
}

impl Drop for ReadyList {
    fn drop(&mut self) {
        sim_clock::vfd::queued_events_changed(-(self.0.len() as i64));
    }
}

/// One host's epoll instance (tokio's I/O driver parks in it).
pub(crate) struct Epoll {
    me: Weak<Epoll>,
    /// The host whose runtime owns it: a new ready event wakes that host.
    host: u32,
    interest: RefCell<BTreeMap<libc::c_int, Interest>>,
    ready: RefCell<ReadyList>,
    /// Epoll instances watching this one (nested epoll).
    watchers: Watchers,
}

impl Epoll {
    pub(crate) fn new(host: u32) -> Rc<Epoll> {
        Rc::new_cyclic(|me| Epoll {
            me: me.clone(),
            host,
            interest: RefCell::new(BTreeMap::new()),
            ready: RefCell::new(ReadyList::default()),
            watchers: Watchers::new(),
        })
    }

    fn sink(&self) -> Weak<dyn ReadinessSink> {
        self.me.clone()
    }

    /// Puts `fd` on the ready list if it is not there; the first entry of
    /// an empty list wakes the host (and any epoll watching this one).
    fn enqueue(&self, fd: libc::c_int, entry: &mut Interest) {
        if entry.queued {
            return;
        }
        entry.queued = true;
        let was_empty = {
            let mut ready = self.ready.borrow_mut();
            let was_empty = ready.is_empty();
            ready.push_back(fd);
            was_empty
        };
        if was_empty {
            sim_clock::wakers::wake(self.host);
            self.watchers.notify(libc::EPOLLIN as u32);
        }
    }

    fn add(
        &self,
        fd: libc::c_int,
        target: EpollTarget,
        event: libc::epoll_event,
    ) -> Result<(), Errno> {
        let mut interest = self.interest.borrow_mut();
        let file = match &target {
            EpollTarget::Virtual(f) => {
                if let Some(old) = interest.get(&fd) {
                    // An entry whose object is gone was closed without a
                    // DEL (Linux drops it at the close); it is replaced.
                    if old.is(f) {
                        return Err(libc::EEXIST);
                    }
                }
                let watchers = f.watchers().ok_or(libc::EPERM)?;
                watchers.watch(self.sink(), fd as u64);
                Some(Rc::downgrade(f))
            }
            EpollTarget::Real => {
                if interest.contains_key(&fd) {
                    return Err(libc::EEXIST);
                }
                None
            }
        };
        let mut entry = Interest {
            file,
            mask: event.events,
            data: event.u64,
            // A replaced entry may still sit on the ready list: the new one
            // takes its place there rather than being listed twice.
            queued: interest.get(&fd).is_some_and(|old| old.queued),
            disabled: false,
        };
        if let EpollTarget::Virtual(f) = &target {
            if f.readiness() & entry.wanted() != 0 {
                self.enqueue(fd, &mut entry);
            }
        }
        interest.insert(fd, entry);
        Ok(())
    }

    fn modify(&self, fd: libc::c_int, event: libc::epoll_event) -> Result<(), Errno> {
        let mut interest = self.interest.borrow_mut();
        let entry = interest.get_mut(&fd).ok_or(libc::ENOENT)?;
        entry.mask = event.events;
        entry.data = event.u64;
        entry.disabled = false;
        if entry.readiness().unwrap_or(0) & entry.wanted() != 0 {
            self.enqueue(fd, entry);
        }
        Ok(())
    }

    fn delete(&self, fd: libc::c_int) -> Result<(), Errno> {
        let entry = self.interest.borrow_mut().remove(&fd).ok_or(libc::ENOENT)?;
        if let Some(file) = entry.file.and_then(|w| w.upgrade()) {
            if let Some(watchers) = file.watchers() {
                watchers.unwatch(&self.sink(), fd as u64);
            }
        }
        if entry.queued {
            self.ready.borrow_mut().remove(fd);
        }
        Ok(())
    }
}

impl VirtualEpoll for Epoll {
    fn ctl(
        &self,
        op: libc::c_int,
        fd: libc::c_int,
        target: EpollTarget,
        event: Option<libc::epoll_event>,
    ) -> Result<(), Errno> {
        match (op, event) {
            (libc::EPOLL_CTL_ADD, Some(event)) => self.add(fd, target, event),
            (libc::EPOLL_CTL_MOD, Some(event)) => self.modify(fd, event),
            (libc::EPOLL_CTL_DEL, _) => self.delete(fd),
            (libc::EPOLL_CTL_ADD | libc::EPOLL_CTL_MOD, None) => Err(libc::EFAULT),
            _ => Err(libc::EINVAL),
        }
    }

    fn wait(&self, out: &mut [libc::epoll_event]) -> usize {
        let mut ready = self.ready.borrow_mut();
        // The common case: a runtime parks with nothing ready.
        if ready.is_empty() {
            return 0;
        }
        let mut interest = self.interest.borrow_mut();
        let mut level_triggered = Vec::new();
        let mut n = 0;
        while n < out.len() {
            let Some(fd) = ready.pop_front() else {
                break;
            };
            let Some(entry) = interest.get_mut(&fd) else {
                continue;
            };
            entry.queued = false;
            if entry.disabled {
                continue;
            }
            // What the object is ready for now (Linux polls it again here):
            // an event consumed since it was queued is not reported.
            let events = entry.readiness().unwrap_or(0) & entry.wanted();
            if events == 0 {
                continue;
            }
            out[n] = libc::epoll_event {
                events,
                u64: entry.data,
            };
            n += 1;
            if entry.mask & libc::EPOLLONESHOT as u32 != 0 {
                entry.disabled = true;
            } else if entry.mask & libc::EPOLLET as u32 == 0 {
                entry.queued = true;
                level_triggered.push(fd);
            }
        }
        for fd in level_triggered {
            ready.push_back(fd);
        }
        n
    }
}

impl ReadinessSink for Epoll {
    fn on_ready(&self, key: u64, events: Readiness) {
        let fd = key as libc::c_int;
        // No object here notifies while this epoll is busy; if one ever
        // did, the event is dropped rather than the borrow panicking.
        let Ok(mut interest) = self.interest.try_borrow_mut() else {
            return;
        };
        let Some(entry) = interest.get_mut(&fd) else {
            return;
        };
        if entry.disabled || events & entry.wanted() == 0 {
            return;
        }
        self.enqueue(fd, entry);
    }
}

impl VirtualFile for Epoll {
    fn kind(&self) -> &'static str {
        "epoll"
    }

    fn readiness(&self) -> Readiness {
        if self.ready.borrow().is_empty() {
            0
        } else {
            libc::EPOLLIN as u32
        }
    }

    fn watchers(&self) -> Option<&Watchers> {
        Some(&self.watchers)
    }

    fn as_epoll(&self) -> Option<&dyn VirtualEpoll> {
        Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
