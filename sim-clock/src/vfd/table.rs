//! The descriptor table of one simulation: numbers to [`OpenFile`]s.
//!
//! Each simulation thread has its own table (in a thread-local), and each
//! table has its own band of numbers (its *slot*, see
//! [`crate::vfd::slots`]), so a number names one object in the whole
//! process. Numbers are handed out lowest-free first within the band, as
//! Linux does within a process. One table serves every host of the
//! simulation (a host's code may hold another host's waker, and writes to
//! it); each entry records the host that opened it, so that a crashed
//! host's descriptors can all be dropped at once.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;

use super::file::{Errno, VirtualFile};
use super::numbers::{self, INDEX_LIMIT};

/// The host index recorded for descriptors opened outside any host (by
/// the test's setup code).
pub const NO_OWNER: u32 = u32::MAX;

/// An open file description: the object plus the status flags that all
/// descriptors duplicated from one another share (`O_NONBLOCK`).
pub struct OpenFile {
    /// The object.
    pub file: Rc<dyn VirtualFile>,
    status: Cell<libc::c_int>,
}

impl OpenFile {
    /// A description with status flags `status` (`O_RDWR | O_NONBLOCK`, ...).
    pub fn new(file: Rc<dyn VirtualFile>, status: libc::c_int) -> OpenFile {
        OpenFile {
            file,
            status: Cell::new(status),
        }
    }

    /// The status flags (`F_GETFL`).
    pub fn status(&self) -> libc::c_int {
        self.status.get()
    }

    /// Whether `O_NONBLOCK` is set.
    pub fn nonblocking(&self) -> bool {
        self.status.get() & libc::O_NONBLOCK != 0
    }

    /// Sets or clears `O_NONBLOCK` (`F_SETFL`, `ioctl(FIONBIO)`).
    pub fn set_nonblocking(&self, on: bool) {
        let s = self.status.get();
        self.status.set(if on {
            s | libc::O_NONBLOCK
        } else {
            s & !libc::O_NONBLOCK
        });
    }
}

struct Entry {
    open: Rc<OpenFile>,
    cloexec: bool,
    owner: u32,
    /// Whether the object is an epoll instance (asked on every park).
    is_epoll: bool,
    /// The host whose runtime's waker this is, or [`NO_OWNER`] (asked on
    /// every write: the hot path of every cross-host wake).
    waker_of: u32,
}

/// The table itself (one per simulation thread).
pub(crate) struct Table {
    slot: u32,
    entries: Vec<Option<Entry>>,
    /// Freed indices below `entries.len()`, lowest first.
    free: BinaryHeap<Reverse<u32>>,
    /// Open descriptors per owning host, so that dropping a host's
    /// descriptors scans the table only when it has any left.
    per_owner: Vec<u32>,
    open: usize,
}

impl Table {
    pub(crate) fn new(slot: u32) -> Table {
        Table {
            slot,
            entries: Vec::new(),
            free: BinaryHeap::new(),
            per_owner: Vec::new(),
            open: 0,
        }
    }

    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }

    /// Open descriptors.
    pub(crate) fn len(&self) -> usize {
        self.open
    }

    /// Installs `open` under the lowest free number.
    pub(crate) fn insert(
        &mut self,
        open: Rc<OpenFile>,
        cloexec: bool,
        owner: u32,
    ) -> Result<libc::c_int, Errno> {
        let index = match self.free.pop() {
            Some(Reverse(i)) => i as usize,
            None if self.entries.len() < INDEX_LIMIT => {
                self.entries.push(None);
                self.entries.len() - 1
            }
            // The process would have hit RLIMIT_NOFILE: EMFILE, as Linux.
            None => return Err(libc::EMFILE),
        };
        let is_epoll = open.file.as_epoll().is_some();
        self.entries[index] = Some(Entry {
            open,
            cloexec,
            owner,
            is_epoll,
            waker_of: NO_OWNER,
        });
        self.open += 1;
        if owner != NO_OWNER {
            let o = owner as usize;
            if self.per_owner.len() <= o {
                self.per_owner.resize(o + 1, 0);
            }
            self.per_owner[o] += 1;
        }
        Ok(numbers::number(self.slot, index))
    }

    fn entry(&self, fd: libc::c_int) -> Option<&Entry> {
        let (slot, index) = numbers::split(fd)?;
        if slot != self.slot {
            return None;
        }
        self.entries.get(index)?.as_ref()
    }

    /// Records that `fd` is host `host`'s runtime waker.
    pub(crate) fn mark_waker(&mut self, fd: libc::c_int, host: u32) {
        if let Some((slot, index)) = numbers::split(fd) {
            if slot == self.slot {
                if let Some(Some(e)) = self.entries.get_mut(index) {
                    e.waker_of = host;
                }
            }
        }
    }

    /// The host whose runtime waker `fd` is, if it is one.
    pub(crate) fn waker_of(&self, fd: libc::c_int) -> Option<u32> {
        self.entry(fd)
            .map(|e| e.waker_of)
            .filter(|&h| h != NO_OWNER)
    }

    /// Whether `fd` is an open epoll instance.
    pub(crate) fn is_epoll(&self, fd: libc::c_int) -> bool {
        self.entry(fd).is_some_and(|e| e.is_epoll)
    }

    /// The description behind `fd`.
    pub(crate) fn get(&self, fd: libc::c_int) -> Option<Rc<OpenFile>> {
        self.entry(fd).map(|e| e.open.clone())
    }

    /// The close-on-exec flag of `fd`.
    pub(crate) fn cloexec(&self, fd: libc::c_int) -> Option<bool> {
        self.entry(fd).map(|e| e.cloexec)
    }

    /// Sets the close-on-exec flag of `fd`; `false` if `fd` is not open.
    pub(crate) fn set_cloexec(&mut self, fd: libc::c_int, on: bool) -> bool {
        let Some((slot, index)) = numbers::split(fd) else {
            return false;
        };
        if slot != self.slot {
            return false;
        }
        match self.entries.get_mut(index).and_then(|e| e.as_mut()) {
            Some(e) => {
                e.cloexec = on;
                true
            }
            None => false,
        }
    }

    /// The host that opened `fd`.
    pub(crate) fn owner(&self, fd: libc::c_int) -> Option<u32> {
        self.entry(fd).map(|e| e.owner)
    }

    /// Removes `fd` and returns its description, for the caller to drop
    /// once it no longer borrows the table (dropping the last descriptor of
    /// an object runs the object's destructor, which may use the table).
    pub(crate) fn remove(&mut self, fd: libc::c_int) -> Option<Rc<OpenFile>> {
        let (slot, index) = numbers::split(fd)?;
        if slot != self.slot {
            return None;
        }
        let entry = self.entries.get_mut(index)?.take()?;
        self.free.push(Reverse(index as u32));
        self.open -= 1;
        if entry.owner != NO_OWNER {
            self.per_owner[entry.owner as usize] -= 1;
        }
        Some(entry.open)
    }

    /// Removes every descriptor `owner` opened and returns their
    /// descriptions (for the caller to drop), in descriptor order.
    pub(crate) fn remove_owned_by(&mut self, owner: u32) -> Vec<Rc<OpenFile>> {
        let count = self.per_owner.get(owner as usize).copied().unwrap_or(0);
        if count == 0 {
            return Vec::new();
        }
        let fds: Vec<libc::c_int> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.as_ref().is_some_and(|e| e.owner == owner))
            .map(|(i, _)| numbers::number(self.slot, i))
            .collect();
        fds.into_iter().filter_map(|fd| self.remove(fd)).collect()
    }

    /// Removes every descriptor (the simulation ends).
    pub(crate) fn take_all(&mut self) -> Vec<Rc<OpenFile>> {
        self.free.clear();
        self.per_owner.clear();
        self.open = 0;
        std::mem::take(&mut self.entries)
            .into_iter()
            .flatten()
            .map(|e| e.open)
            .collect()
    }
}
