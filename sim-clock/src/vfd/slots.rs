//! Process-wide bookkeeping of descriptor bands: which simulation owns
//! which slot of numbers, and the inbox through which a thread outside a
//! simulation reaches one of its descriptors.
//!
//! Only the simulation thread touches its table. Another thread may still
//! hold a host's waker (a `tokio::runtime::Handle` sent elsewhere, a
//! `spawn_blocking` thread finishing its task) and write to it; that write
//! cannot reach the table directly, so it is queued in the slot's inbox and
//! applied by the simulation thread the next time it looks for wake-ups
//! (after every event). Any other call on a virtual descriptor from such a
//! thread fails with `EBADF` and is reported to the simulation as a
//! violation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use super::numbers::{self, SLOT_LIMIT};

/// Something a thread outside the simulation did to one of its descriptors.
pub(crate) enum ForeignOp {
    /// A write, applied later by the simulation thread.
    Write { fd: libc::c_int, bytes: Vec<u8> },
    /// A call refused with `EBADF`, reported as a violation.
    Refused { call: &'static str },
}

pub(crate) struct Inbox {
    pending: AtomicBool,
    ops: Mutex<Vec<ForeignOp>>,
}

struct Slots {
    used: Mutex<(Vec<bool>, usize)>,
    inboxes: Vec<Inbox>,
}

fn slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| Slots {
        used: Mutex::new((vec![false; SLOT_LIMIT], 0)),
        inboxes: (0..SLOT_LIMIT)
            .map(|_| Inbox {
                pending: AtomicBool::new(false),
                ops: Mutex::new(Vec::new()),
            })
            .collect(),
    })
}

/// Takes a free slot, round robin (so a number of an ended simulation is
/// not soon reused by the next one), or `None` if 512 simulations run.
pub(crate) fn acquire() -> Option<u32> {
    let s = slots();
    let mut used = s.used.lock().unwrap_or_else(|e| e.into_inner());
    let (flags, next) = &mut *used;
    for k in 0..SLOT_LIMIT {
        let slot = (*next + k) % SLOT_LIMIT;
        if !flags[slot] {
            flags[slot] = true;
            *next = (slot + 1) % SLOT_LIMIT;
            let inbox = &s.inboxes[slot];
            inbox.ops.lock().unwrap_or_else(|e| e.into_inner()).clear();
            inbox.pending.store(false, Ordering::Release);
            return Some(slot as u32);
        }
    }
    None
}

/// Gives a slot back (the simulation ended).
pub(crate) fn release(slot: u32) {
    let s = slots();
    let mut used = s.used.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(flag) = used.0.get_mut(slot as usize) {
        *flag = false;
    }
}

/// Queues an operation on `fd` from a thread outside its simulation.
/// `false` if no simulation holds that band.
pub(crate) fn post(fd: libc::c_int, op: ForeignOp) -> bool {
    let Some((slot, _)) = numbers::split(fd) else {
        return false;
    };
    let s = slots();
    if !s.used.lock().map(|u| u.0[slot as usize]).unwrap_or(false) {
        return false;
    }
    let inbox = &s.inboxes[slot as usize];
    inbox.ops.lock().unwrap_or_else(|e| e.into_inner()).push(op);
    inbox.pending.store(true, Ordering::Release);
    true
}

/// The inbox of `slot`, for the simulation thread to keep at hand.
pub(crate) fn inbox(slot: u32) -> &'static Inbox {
    &slots().inboxes[slot as usize]
}

impl Inbox {
    /// Whether another thread queued anything (one atomic load).
    #[inline]
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Takes what other threads queued (one atomic load when nothing is).
    pub(crate) fn take(&self) -> Vec<ForeignOp> {
        if !self.pending.load(Ordering::Acquire) {
            return Vec::new();
        }
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut *self.ops.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
