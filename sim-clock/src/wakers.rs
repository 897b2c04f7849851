//! Which host a wake-up is for, so that cross-host wake-ups are seen at the
//! very instant they happen.
//!
//! Each host runs a tokio runtime whose driver parks in its virtual epoll
//! and is unparked by a write to its virtual waker eventfd (mio's waker),
//! which the interposed `write` turns into [`unpark`] of its host (the
//! table marks the eventfd a runtime makes while it is built). Any other object that becomes
//! ready queues an event in the epoll instance that watches it, and the
//! epoll, which knows its host, calls [`wake`]. A host other than the one
//! being stepped joins the list the scheduler drains after each event
//! ([`drain_woken_into`]) and is stepped at the same virtual instant. No
//! host is ever scanned.
//!
//! The scheduler also says which host's runtime is being built
//! ([`begin_build`]) and which host is being stepped ([`set_stepping`]):
//! descriptors opened meanwhile belong to that host (see
//! [`crate::vfd::current_owner`]).

use std::cell::{Cell, RefCell};

/// Host identifiers are small integers chosen by the scheduler.
pub type HostIndex = u32;

const NONE: u32 = u32::MAX;

thread_local! {
    static BUILDING: Cell<u32> = const { Cell::new(NONE) };
    static STEPPING: Cell<u32> = const { Cell::new(NONE) };
    /// The stepped host's own runtime was unparked since its last park.
    static STEPPING_UNPARKED: Cell<bool> = const { Cell::new(false) };
    static WOKEN: RefCell<Vec<HostIndex>> = const { RefCell::new(Vec::new()) };
    /// Whether `WOKEN` may be non-empty: checked first, as most steps wake
    /// no other host.
    static WOKEN_PENDING: Cell<bool> = const { Cell::new(false) };
}

pub(crate) fn reset() {
    let _ = BUILDING.try_with(|b| b.set(NONE));
    let _ = STEPPING.try_with(|s| s.set(NONE));
    let _ = STEPPING_UNPARKED.try_with(|s| s.set(false));
    let _ = WOKEN.try_with(|w| w.borrow_mut().clear());
    let _ = WOKEN_PENDING.try_with(|p| p.set(false));
}

/// Starts attributing new descriptors to `host` (call just before building
/// the host's runtime).
pub fn begin_build(host: HostIndex) {
    BUILDING.with(|b| b.set(host));
}

/// Stops attributing descriptors to the host being built.
pub fn end_build() {
    BUILDING.with(|b| b.set(NONE));
}

/// The host whose runtime is being built, if any.
pub fn building() -> Option<HostIndex> {
    let h = BUILDING.try_with(|b| b.get()).unwrap_or(NONE);
    (h != NONE).then_some(h)
}

/// Marks which host is being stepped (its own wake-ups do not count as
/// cross-host wake-ups).
pub fn set_stepping(host: Option<HostIndex>) {
    STEPPING.with(|s| s.set(host.unwrap_or(NONE)));
    STEPPING_UNPARKED.with(|s| s.set(false));
}

/// The host being stepped, if any.
pub fn stepping() -> Option<HostIndex> {
    let h = STEPPING.try_with(|s| s.get()).unwrap_or(NONE);
    (h != NONE).then_some(h)
}

/// Says that host `host`'s runtime has something to do (its epoll gained a
/// ready event). Called by the epoll implementation; a wake-up of the host
/// being stepped is left to its next park, which finds the event.
pub fn wake(host: HostIndex) {
    if host == NONE || STEPPING.try_with(|s| s.get()).unwrap_or(NONE) == host {
        return;
    }
    let _ = WOKEN.try_with(|w| {
        if let Ok(mut w) = w.try_borrow_mut() {
            w.push(host);
            let _ = WOKEN_PENDING.try_with(|p| p.set(true));
        }
    });
}

/// Says that host `host`'s runtime was unparked: its waker eventfd was
/// written. The interposed `write` calls this instead of writing to the
/// waker, whose event would never be read (tokio does nothing with the
/// waker's event but stop sleeping, and a simulated runtime never sleeps). An unpark of the host being stepped
/// keeps its next park from reporting idle, as a real `epoll_wait` would
/// return at once; any other host is woken as by [`wake`].
pub fn unpark(host: HostIndex) {
    if host != NONE && STEPPING.try_with(|s| s.get()).unwrap_or(NONE) == host {
        let _ = STEPPING_UNPARKED.try_with(|s| s.set(true));
    } else {
        wake(host);
    }
}

/// Whether the stepped host was unparked since the last call (and clears it).
pub(crate) fn take_stepping_unparked() -> bool {
    STEPPING_UNPARKED
        .try_with(|s| s.replace(false))
        .unwrap_or(false)
}

/// Appends the hosts woken from outside their own step since the last call
/// to `out`, in the order of the wake-ups (duplicates possible). Writes
/// that threads outside the simulation made to its descriptors are applied
/// first. The scheduler calls this after every event.
pub fn drain_woken_into(out: &mut Vec<HostIndex>) {
    crate::vfd::apply_foreign_ops();
    if WOKEN_PENDING.with(|p| p.replace(false)) {
        WOKEN.with(|w| out.append(&mut w.borrow_mut()));
    }
}
