//! `getrandom` and `getentropy`: seeded bytes on a simulation thread.
//!
//! std draws its `HashMap` keys this way and tokio seeds `select!` from them,
//! so both become functions of the seed.

use crate::thread_state::{is_sim_thread, ENTROPY};

/// Fills `buf` from the simulation's generator; `false` if this thread has
/// none. A thread a host started asks the simulation thread, which draws
/// from the host's stream on its behalf.
fn fill_simulated(buf: *mut u8, len: usize) -> bool {
    if !is_sim_thread() {
        return fill_for_host_thread(buf, len);
    }
    ENTROPY
        .try_with(|e| {
            let Ok(mut e) = e.try_borrow_mut() else {
                return false;
            };
            let Some(source) = e.as_mut() else {
                return false;
            };
            if len > 0 {
                // SAFETY: the caller passed a buffer valid for `len` writable bytes.
                let bytes = unsafe { std::slice::from_raw_parts_mut(buf, len) };
                source(bytes);
            }
            true
        })
        .unwrap_or(false)
}

/// # Safety
/// As libc's `getrandom`: `buf` must be valid for `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn getrandom(
    buf: *mut libc::c_void,
    len: libc::size_t,
    flags: libc::c_uint,
) -> libc::ssize_t {
    if fill_simulated(buf.cast(), len) {
        return len as libc::ssize_t;
    }
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_getrandom, buf, len, flags) as libc::ssize_t }
}

/// # Safety
/// As libc's `getentropy`: `buf` must be valid for `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn getentropy(buf: *mut libc::c_void, len: libc::size_t) -> libc::c_int {
    if len > 256 {
        super::set_errno(libc::EIO);
        return -1;
    }
    if fill_simulated(buf.cast(), len) {
        return 0;
    }
    let mut done = 0usize;
    while done < len {
        // SAFETY: the remaining part of the caller's buffer.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getrandom,
                (buf as *mut u8).add(done),
                len - done,
                0u32,
            )
        };
        if n < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return -1;
        }
        done += n as usize;
    }
    0
}

/// `fill_simulated` for a thread a host started; `false` on other threads.
#[cold]
fn fill_for_host_thread(buf: *mut u8, len: usize) -> bool {
    if !crate::threads::is_host_thread() {
        return false;
    }
    let bytes = crate::threads::on_sim_thread(move || {
        let mut bytes = vec![0u8; len];
        fill_simulated(bytes.as_mut_ptr(), len).then_some(bytes)
    })
    .flatten();
    match bytes {
        Some(bytes) if bytes.len() == len => {
            // SAFETY: the caller passed a buffer valid for `len` writable bytes.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, len) };
            true
        }
        _ => false,
    }
}
