//! Reaching the real implementation, and counting how often a simulation
//! thread does.
//!
//! Every interposer forwards to the kernel (or to the C library's own
//! function, found past ours with `RTLD_NEXT`) when its descriptor is real
//! or its thread runs no simulation. On a simulation thread each such call
//! is counted by name, so a test can prove that a whole run made none of
//! the calls a host's runtime used to make ([`crate::forwarded_calls`]).

use std::cell::RefCell;

use crate::thread_state::is_sim_thread;

thread_local! {
    static FORWARDED: RefCell<Vec<(&'static str, u64)>> = const { RefCell::new(Vec::new()) };
}

/// Counts one forwarded call of `name` if this is a simulation thread.
#[inline]
pub(crate) fn count(name: &'static str) {
    if !is_sim_thread() {
        return;
    }
    let _ = FORWARDED.try_with(|f| {
        if let Ok(mut f) = f.try_borrow_mut() {
            match f.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => f.push((name, 1)),
            }
        }
    });
}

/// The calls this thread forwarded to the kernel while it ran a
/// simulation, by libc function name, in the order first seen. Kept after
/// the simulation ends, until the thread enters the next one.
pub fn forwarded_calls() -> Vec<(&'static str, u64)> {
    FORWARDED
        .try_with(|f| f.borrow().clone())
        .unwrap_or_default()
}

pub(crate) fn reset() {
    let _ = FORWARDED.try_with(|f| f.borrow_mut().clear());
}

/// Looks up the C library's definition of a symbol we also define: the next
/// one after this executable in the search order. Cached per call site.
macro_rules! next_fn {
    (@ident $name:ident as $ty:ty) => {
        $crate::interpose::forward::next_fn!(@cstr concat!(stringify!($name), "\0"), $ty)
    };
    ($name:literal as $ty:ty) => {
        $crate::interpose::forward::next_fn!(@cstr concat!($name, "\0"), $ty)
    };
    (@cstr $cname:expr, $ty:ty) => {{
        static ADDR: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        let addr = *ADDR.get_or_init(|| {
            // SAFETY: a NUL-terminated name; RTLD_NEXT lookups have no other preconditions.
            unsafe { libc::dlsym(libc::RTLD_NEXT, $cname.as_ptr().cast()) as usize }
        });
        // SAFETY: a non-null result of dlsym(name) is the C library's function of that
        // name, whose C signature `$ty` restates.
        (addr != 0).then(|| unsafe { std::mem::transmute::<usize, $ty>(addr) })
    }};
}
pub(crate) use next_fn;
