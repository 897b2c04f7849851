//! Which host a runtime waker belongs to, so that cross-host wake-ups are
//! seen at the very instant they happen.
//!
//! Each host runs a tokio runtime whose driver is unparked by writing to an
//! `eventfd` (mio's waker). While the scheduler builds a host's runtime it
//! calls [`begin_build`]; the interposed `eventfd` records every descriptor
//! created in that window as the host's. Later, the interposed `write` on
//! such a descriptor does not reach the kernel (nothing ever sleeps in
//! `epoll_wait`, so nothing needs waking): it records that the host was
//! unparked instead. If that host is the one being stepped, the unpark means
//! "work is ready, do not report idle"; otherwise the host joins the list the
//! scheduler drains after each step ([`take_woken`]) and is stepped at the
//! same virtual instant.

use std::cell::{Cell, RefCell};

/// Host identifiers are small integers chosen by the scheduler.
pub type HostIndex = u32;

const NONE: u32 = u32::MAX;

thread_local! {
    /// `FD_HOSTS[fd]` is the host owning waker descriptor `fd`, or `NONE`.
    static FD_HOSTS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    static BUILDING: Cell<u32> = const { Cell::new(NONE) };
    static STEPPING: Cell<u32> = const { Cell::new(NONE) };
    static STEPPING_UNPARKED: Cell<bool> = const { Cell::new(false) };
    static WOKEN: RefCell<Vec<HostIndex>> = const { RefCell::new(Vec::new()) };
    /// Whether `WOKEN` may be non-empty: checked first, as most steps wake
    /// no other host.
    static WOKEN_PENDING: Cell<bool> = const { Cell::new(false) };
    static BUILT_FDS: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn reset() {
    let _ = FD_HOSTS.try_with(|f| f.borrow_mut().clear());
    let _ = BUILDING.try_with(|b| b.set(NONE));
    let _ = STEPPING.try_with(|s| s.set(NONE));
    let _ = STEPPING_UNPARKED.try_with(|s| s.set(false));
    let _ = WOKEN.try_with(|w| w.borrow_mut().clear());
    let _ = WOKEN_PENDING.try_with(|p| p.set(false));
    let _ = BUILT_FDS.try_with(|b| b.borrow_mut().clear());
}

/// Starts attributing new waker descriptors to `host` (call just before
/// building the host's runtime).
pub fn begin_build(host: HostIndex) {
    BUILDING.with(|b| b.set(host));
    BUILT_FDS.with(|b| b.borrow_mut().clear());
}

/// Stops attributing descriptors and returns those recorded since
/// [`begin_build`]; pass them to [`forget`] before dropping the runtime.
pub fn end_build() -> Vec<i32> {
    BUILDING.with(|b| b.set(NONE));
    BUILT_FDS.with(|b| std::mem::take(&mut *b.borrow_mut()))
}

/// Forgets descriptors (before the runtime that owns them closes them, so a
/// later file reusing the number is written for real).
pub fn forget(fds: &[i32]) {
    FD_HOSTS.with(|f| {
        let mut f = f.borrow_mut();
        for &fd in fds {
            if let Some(slot) = f.get_mut(fd as usize) {
                *slot = NONE;
            }
        }
    });
}

/// Marks which host is being stepped (its own unparks do not count as
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

/// Takes the hosts unparked from outside their own step since the last call,
/// in the order the wake-ups happened (duplicates possible).
pub fn take_woken() -> Vec<HostIndex> {
    WOKEN_PENDING.with(|p| p.set(false));
    WOKEN.with(|w| std::mem::take(&mut *w.borrow_mut()))
}

/// Like [`take_woken`], appending to `out` (the scheduler reuses one buffer
/// for this, which it calls after every event).
pub fn drain_woken_into(out: &mut Vec<HostIndex>) {
    if WOKEN_PENDING.with(|p| p.replace(false)) {
        WOKEN.with(|w| out.append(&mut w.borrow_mut()));
    }
}

/// Whether the stepped host was unparked since the last call (and clears it).
pub(crate) fn take_stepping_unparked() -> bool {
    STEPPING_UNPARKED
        .try_with(|s| s.replace(false))
        .unwrap_or(false)
}

/// Called by the interposed `eventfd` with a fresh descriptor.
pub(crate) fn on_eventfd_created(fd: i32) {
    let host = BUILDING.try_with(|b| b.get()).unwrap_or(NONE);
    if host == NONE || fd < 0 {
        return;
    }
    let _ = FD_HOSTS.try_with(|f| {
        if let Ok(mut f) = f.try_borrow_mut() {
            let i = fd as usize;
            if f.len() <= i {
                f.resize(i + 1, NONE);
            }
            f[i] = host;
        }
    });
    let _ = BUILT_FDS.try_with(|b| {
        if let Ok(mut b) = b.try_borrow_mut() {
            b.push(fd);
        }
    });
}

/// Called by the interposed `write`: if `fd` is a host's waker, records the
/// unpark and returns `true` (the write is then not performed).
pub(crate) fn on_write(fd: i32) -> bool {
    if fd < 0 {
        return false;
    }
    let host = FD_HOSTS
        .try_with(|f| {
            f.try_borrow()
                .ok()
                .and_then(|f| f.get(fd as usize).copied())
                .unwrap_or(NONE)
        })
        .unwrap_or(NONE);
    if host == NONE {
        return false;
    }
    if STEPPING.try_with(|s| s.get()).unwrap_or(NONE) == host {
        let _ = STEPPING_UNPARKED.try_with(|s| s.set(true));
    } else {
        let _ = WOKEN.try_with(|w| {
            if let Ok(mut w) = w.try_borrow_mut() {
                w.push(host);
                let _ = WOKEN_PENDING.try_with(|p| p.set(true));
            }
        });
    }
    true
}
