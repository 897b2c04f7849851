//! Catching panics of host code with their message and location.
//!
//! tokio catches a panicking task and carries on, which in a simulation would
//! hide the failure. A process-wide panic hook, installed once and chained to
//! the previous one, records panics that happen on a simulation thread; the
//! scheduler turns them into an error naming the host after the step.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

thread_local! {
    static CAUGHT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Whether `CAUGHT` may be non-empty: checked after every step, where
    /// it almost never is.
    static ANY_CAUGHT: Cell<bool> = const { Cell::new(false) };
}

/// Installs the recording hook (once per process).
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if sim_clock::is_sim_thread() {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let message = format!("{}{location}", payload_message(info.payload()));
                let _ = CAUGHT.try_with(|c| {
                    if let Ok(mut c) = c.try_borrow_mut() {
                        c.push(message);
                        let _ = ANY_CAUGHT.try_with(|any| any.set(true));
                    }
                });
            }
            previous(info);
        }));
    });
}

/// Panics recorded on this thread since the last call.
pub(crate) fn take_caught() -> Vec<String> {
    if !ANY_CAUGHT.with(|any| any.replace(false)) {
        return Vec::new();
    }
    CAUGHT.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

/// Forgets the panics recorded on this thread since the last call.
pub(crate) fn clear_caught() {
    if ANY_CAUGHT.with(|any| any.replace(false)) {
        CAUGHT.with(|c| c.borrow_mut().clear());
    }
}

/// The text of a panic payload.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// A future that turns a panic while polling into `Err(message)`.
pub(crate) struct CatchUnwind<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> CatchUnwind<F> {
    pub(crate) fn new(inner: F) -> Self {
        CatchUnwind {
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        match panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload_message(&*payload))),
        }
    }
}
