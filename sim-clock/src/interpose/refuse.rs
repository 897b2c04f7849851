//! Failing a call on a virtual descriptor, loudly.

use std::borrow::Cow;

use crate::thread_state::{is_sim_thread, record_violation, Violation};
use crate::vfd;

/// `errno`'s symbolic name, for messages.
pub(crate) fn errno_name(errno: libc::c_int) -> &'static str {
    match errno {
        libc::EBADF => "EBADF",
        libc::EINVAL => "EINVAL",
        libc::EPERM => "EPERM",
        libc::ESPIPE => "ESPIPE",
        libc::ENODEV => "ENODEV",
        libc::ENOTTY => "ENOTTY",
        libc::ENOTSOCK => "ENOTSOCK",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAGAIN => "EAGAIN",
        libc::EMFILE => "EMFILE",
        _ => "an error",
    }
}

/// Fails `call` on virtual descriptor `fd` with `errno`, and reports it as
/// a violation that ends the run: the layer does not model the call, and
/// the kernel must never see a number it does not know.
pub(crate) fn unsupported(call: &'static str, fd: libc::c_int, errno: libc::c_int) {
    let what = match vfd::file(fd) {
        Some(f) => format!("a virtual {}", f.kind()),
        None if is_sim_thread() => "a virtual descriptor that is not open".to_string(),
        None => "a virtual descriptor of a simulation, from a thread outside it".to_string(),
    };
    let advice = format!(
        "`{call}` on descriptor {fd} ({what}) is not supported by the simulator; it failed with {}",
        errno_name(errno)
    );
    refuse(call, Cow::Owned(advice), errno);
}

/// Records a violation of `call` with `advice` and sets `errno`.
pub(crate) fn refuse(call: &'static str, advice: Cow<'static, str>, errno: libc::c_int) {
    let v = Violation { call, advice };
    if is_sim_thread() {
        record_violation(v);
    } else {
        crate::threads::record_violation(&v);
    }
    super::set_errno(errno);
}

/// A call that would wait on a blocking virtual descriptor: it would wait
/// forever (every host shares the simulation thread), so it fails with
/// `EAGAIN` and ends the run.
pub(crate) fn would_block(call: &'static str, fd: libc::c_int, kind: &'static str) {
    let advice = format!(
        "`{call}` on a blocking {kind} (descriptor {fd}) would wait forever: every host shares \
         one thread; use the async (tokio) API, or set O_NONBLOCK"
    );
    refuse(call, Cow::Owned(advice), libc::EAGAIN);
}
