//! Learning, without waiting, that a host's runtime has gone idle and when
//! its next timer is due.
//!
//! A tokio runtime parks in `epoll_wait(.., timeout_ms)` when it has nothing
//! to run; the timeout is the distance to its next timer (`-1`: none). On a
//! simulation thread the interposed `epoll_wait` returns at once (with the
//! events its virtual epoll has ready, if any) and turns the call into a
//! [`ParkOutcome`], then wakes the [`ParkProbe`] the scheduler is
//! blocking on, so `block_on` returns before any later work runs. A timeout
//! of 0 means tasks or due timers are ready: the runtime keeps going, unless
//! it has done so [`BUSY_PARK_LIMIT`] times in one step, in which case the
//! probe reports [`ParkOutcome::Busy`] and the scheduler steps the host again
//! at the same instant after giving other ready hosts their turn.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Zero-timeout parks allowed in one step before the host yields to the
/// scheduler (so a task that yields forever cannot stall the simulation).
pub const BUSY_PARK_LIMIT: u32 = 32;

/// How a host's step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParkOutcome {
    /// Nothing left to run; the runtime's next timer is this many whole
    /// milliseconds (of its 1 ms timer wheel) away, or it has none.
    Idle {
        /// Distance to the next timer, `None` if no timer is armed.
        timeout_ms: Option<u64>,
    },
    /// Work remains at the current instant; step again at the same time.
    Busy,
}

thread_local! {
    static OUTCOME: Cell<Option<ParkOutcome>> = const { Cell::new(None) };
    static WAKER: RefCell<Option<Waker>> = const { RefCell::new(None) };
    static ZERO_PARKS: Cell<u32> = const { Cell::new(0) };
}

pub(crate) fn reset() {
    let _ = OUTCOME.try_with(|o| o.set(None));
    let _ = WAKER.try_with(|w| w.borrow_mut().take());
    let _ = ZERO_PARKS.try_with(|z| z.set(0));
}

/// Prepares to step a host: forgets any earlier outcome.
pub fn begin_step() {
    reset();
    crate::wakers::take_stepping_unparked();
}

/// A future that completes with the [`ParkOutcome`] of the runtime polling it.
/// Run it with `local_runtime.block_on(ParkProbe)`.
#[derive(Debug, Default)]
pub struct ParkProbe;

impl Future for ParkProbe {
    type Output = ParkOutcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ParkOutcome> {
        if let Some(outcome) = OUTCOME.with(|o| o.take()) {
            return Poll::Ready(outcome);
        }
        WAKER.with(|w| {
            let mut w = w.borrow_mut();
            match &*w {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => *w = Some(cx.waker().clone()),
            }
        });
        Poll::Pending
    }
}

/// Called by the interposed `epoll_wait` on a simulation thread, with the
/// number of events it returns: when it returns some, or the runtime's own
/// waker was written since its last park, a real `epoll_wait` would return
/// at once, so the runtime does not sleep whatever its timeout.
pub(crate) fn on_epoll_wait(timeout_ms: i32, events: usize) {
    let unparked = crate::wakers::take_stepping_unparked();
    let effective = if events > 0 || unparked {
        0
    } else {
        timeout_ms
    };
    let outcome = if effective != 0 {
        Some(ParkOutcome::Idle {
            timeout_ms: (effective > 0).then_some(effective as u64),
        })
    } else {
        let n = ZERO_PARKS.try_with(|z| {
            let n = z.get() + 1;
            z.set(n);
            n
        });
        (n.unwrap_or(0) >= BUSY_PARK_LIMIT).then_some(ParkOutcome::Busy)
    };
    if let Some(outcome) = outcome {
        let _ = OUTCOME.try_with(|o| o.set(Some(outcome)));
        let waker = WAKER
            .try_with(|w| w.try_borrow_mut().ok().and_then(|mut w| w.take()))
            .ok()
            .flatten();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
