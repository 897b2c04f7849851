//! `read`, `write`, `readv`, `writev`, `close`, `dup`, `dup2`, `dup3`,
//! `fcntl` and `ioctl`: on a virtual descriptor they act on its object in
//! the simulation's table; on a real one they go to the kernel.

use std::borrow::Cow;
use std::rc::Rc;

use super::forward::count;
use super::refuse::{refuse, unsupported, would_block};
use super::set_errno;
use crate::thread_state::is_sim_thread;
use crate::vfd::{self, is_virtual, slots, OpenFile};

/// The object behind a virtual descriptor of this thread's simulation, or
/// `errno` set to `EBADF` (after telling the simulation, if another thread
/// asked) and `None`.
pub(crate) fn lookup(call: &'static str, fd: libc::c_int) -> Option<Rc<OpenFile>> {
    if let Some(open) = vfd::get(fd) {
        return Some(open);
    }
    if !is_sim_thread() && !host_thread_refused(call, fd) {
        slots::post(fd, slots::ForeignOp::Refused { call });
    }
    set_errno(libc::EBADF);
    None
}

/// A call on a virtual descriptor from a thread a host started (a
/// `spawn_blocking` task): reported with the host's threads, naming the
/// call. `false` on any other thread.
#[cold]
fn host_thread_refused(call: &'static str, fd: libc::c_int) -> bool {
    let advice = format!(
        "`{call}` on virtual descriptor {fd} from a blocking task (spawn_blocking): a simulated \
         host's descriptors belong to its async code; a blocking task would wait for them \
         forever, as its host's threads run while virtual time stands still"
    );
    crate::threads::record_violation(&crate::Violation {
        call,
        advice: Cow::Owned(advice),
    })
}

/// Turns an object's answer into the C convention, reporting a call that
/// would block a blocking descriptor.
fn finish(
    call: &'static str,
    fd: libc::c_int,
    open: &OpenFile,
    r: Result<usize, vfd::Errno>,
) -> libc::ssize_t {
    match r {
        Ok(n) => n as libc::ssize_t,
        Err(libc::EAGAIN) if !open.nonblocking() => {
            would_block(call, fd, open.file.kind());
            -1
        }
        Err(e) => {
            set_errno(e);
            -1
        }
    }
}

/// # Safety
/// `ptr` must be valid for `len` bytes (or `len` zero).
pub(crate) unsafe fn bytes<'a>(ptr: *const libc::c_void, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: the caller's guarantee.
        unsafe { std::slice::from_raw_parts(ptr.cast(), len) }
    }
}

/// # Safety
/// `ptr` must be valid for `len` writable bytes (or `len` zero).
pub(crate) unsafe fn bytes_mut<'a>(ptr: *mut libc::c_void, len: usize) -> &'a mut [u8] {
    if len == 0 || ptr.is_null() {
        &mut []
    } else {
        // SAFETY: the caller's guarantee.
        unsafe { std::slice::from_raw_parts_mut(ptr.cast(), len) }
    }
}

/// # Safety
/// `iov` must point to `n` valid iovecs (or `n` zero).
unsafe fn iovecs<'a>(iov: *const libc::iovec, n: libc::c_int) -> Option<&'a [libc::iovec]> {
    if !(0..=libc::UIO_MAXIOV).contains(&n) {
        return None;
    }
    if n == 0 || iov.is_null() {
        return Some(&[]);
    }
    // SAFETY: the caller's guarantee.
    Some(unsafe { std::slice::from_raw_parts(iov, n as usize) })
}

/// # Safety
/// As libc's `read`.
#[no_mangle]
pub unsafe extern "C" fn read(
    fd: libc::c_int,
    buf: *mut libc::c_void,
    count_: libc::size_t,
) -> libc::ssize_t {
    if is_virtual(fd) {
        let Some(open) = lookup("read", fd) else {
            return -1;
        };
        // SAFETY: the caller passed `count_` writable bytes.
        let buf = unsafe { bytes_mut(buf, count_) };
        let r = open.file.read(buf, open.nonblocking());
        return finish("read", fd, &open, r);
    }
    count("read");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_read, fd, buf, count_) as libc::ssize_t }
}

/// # Safety
/// As libc's `write`.
#[no_mangle]
pub unsafe extern "C" fn write(
    fd: libc::c_int,
    buf: *const libc::c_void,
    count_: libc::size_t,
) -> libc::ssize_t {
    if is_virtual(fd) {
        // The hot path of every cross-host wake: a runtime's waker. mio
        // writes one u64 and never reads it back, so the counter is not
        // kept: the write only tells the scheduler (see `wakers::unpark`).
        if count_ >= 8 {
            if let Some(host) = vfd::waker_of(fd) {
                crate::wakers::unpark(host);
                return 8;
            }
        }
        // SAFETY: the caller passed `count_` readable bytes.
        let data = unsafe { bytes(buf, count_) };
        return match vfd::get(fd) {
            Some(open) => {
                let r = open.file.write(data, open.nonblocking());
                finish("write", fd, &open, r)
            }
            None if !is_sim_thread() => foreign_write(fd, data),
            None => {
                set_errno(libc::EBADF);
                -1
            }
        };
    }
    count("write");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_write, fd, buf, count_) as libc::ssize_t }
}

/// A write to a simulation's descriptor from a thread outside it (a
/// runtime handle woken from another thread): queued for the simulation.
fn foreign_write(fd: libc::c_int, data: &[u8]) -> libc::ssize_t {
    let op = slots::ForeignOp::Write {
        fd,
        bytes: data.to_vec(),
    };
    if slots::post(fd, op) {
        data.len() as libc::ssize_t
    } else {
        set_errno(libc::EBADF);
        -1
    }
}

/// `close` of a simulation's descriptor from a thread outside it: a
/// socket that outlived its simulation, dropped on the test's thread. The
/// simulation closed everything when it ended (as the kernel does when a
/// process exits), so there is nothing left to close and the call
/// succeeds; an `EBADF` here would make std abort the process. While the
/// simulation still runs, the descriptor stays open in it and the
/// simulation is told.
fn foreign_close(fd: libc::c_int) -> libc::c_int {
    slots::post(fd, slots::ForeignOp::Refused { call: "close" });
    0
}

/// # Safety
/// As libc's `readv`.
#[no_mangle]
pub unsafe extern "C" fn readv(
    fd: libc::c_int,
    iov: *const libc::iovec,
    iovcnt: libc::c_int,
) -> libc::ssize_t {
    if is_virtual(fd) {
        let Some(open) = lookup("readv", fd) else {
            return -1;
        };
        // SAFETY: the caller passed `iovcnt` iovecs.
        let Some(iov) = (unsafe { iovecs(iov, iovcnt) }) else {
            set_errno(libc::EINVAL);
            return -1;
        };
        let total: usize = iov.iter().map(|v| v.iov_len).sum();
        let mut tmp = vec![0u8; total];
        let r = open.file.read(&mut tmp, open.nonblocking());
        if let Ok(n) = r {
            let mut done = 0;
            for v in iov {
                let take = v.iov_len.min(n - done);
                // SAFETY: each iovec is valid for `iov_len` writable bytes.
                unsafe { bytes_mut(v.iov_base, take) }.copy_from_slice(&tmp[done..done + take]);
                done += take;
            }
        }
        return finish("readv", fd, &open, r);
    }
    count("readv");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_readv, fd, iov, iovcnt) as libc::ssize_t }
}

/// # Safety
/// As libc's `writev`.
#[no_mangle]
pub unsafe extern "C" fn writev(
    fd: libc::c_int,
    iov: *const libc::iovec,
    iovcnt: libc::c_int,
) -> libc::ssize_t {
    if is_virtual(fd) {
        // SAFETY: the caller passed `iovcnt` iovecs.
        let Some(iov) = (unsafe { iovecs(iov, iovcnt) }) else {
            set_errno(libc::EINVAL);
            return -1;
        };
        let mut data = Vec::with_capacity(iov.iter().map(|v| v.iov_len).sum());
        for v in iov {
            // SAFETY: each iovec is valid for `iov_len` readable bytes.
            data.extend_from_slice(unsafe { bytes(v.iov_base, v.iov_len) });
        }
        if !is_sim_thread() {
            return foreign_write(fd, &data);
        }
        let Some(open) = lookup("writev", fd) else {
            return -1;
        };
        let r = open.file.write(&data, open.nonblocking());
        return finish("writev", fd, &open, r);
    }
    count("writev");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_writev, fd, iov, iovcnt) as libc::ssize_t }
}

/// # Safety
/// As libc's `close`.
#[no_mangle]
pub unsafe extern "C" fn close(fd: libc::c_int) -> libc::c_int {
    if is_virtual(fd) {
        let removed = vfd::with_table(|t| t.remove(fd)).flatten();
        return match removed {
            // Dropped here, with the table free: the object's destructor
            // may close descriptors of its own.
            Some(open) => {
                // The last descriptor of the description: the object says
                // what close reports (a socket's injected close error).
                let released = if Rc::strong_count(&open) == 1 {
                    open.file.release()
                } else {
                    Ok(())
                };
                drop(open);
                match released {
                    Ok(()) => 0,
                    Err(e) => {
                        set_errno(e);
                        -1
                    }
                }
            }
            None if !is_sim_thread() => foreign_close(fd),
            None => {
                lookup("close", fd);
                -1
            }
        };
    }
    count("close");
    // SAFETY: plain system call with an integer argument.
    unsafe { libc::syscall(libc::SYS_close, fd) as libc::c_int }
}

/// A new descriptor for the description behind virtual `fd`.
fn dup_virtual(call: &'static str, fd: libc::c_int, cloexec: bool) -> libc::c_int {
    let Some(open) = lookup(call, fd) else {
        return -1;
    };
    let owner = vfd::current_owner();
    match vfd::with_table(|t| t.insert(open, cloexec, owner)) {
        Some(Ok(new)) => new,
        Some(Err(e)) => {
            set_errno(e);
            -1
        }
        None => {
            set_errno(libc::EBADF);
            -1
        }
    }
}

/// A `dup` of a real descriptor while a host's runtime is built: tokio's
/// signal driver duplicating its self-pipe. It becomes a virtual stand-in
/// that is never ready (see [`crate::vfd::InertDup`]), so that a host
/// holds no real descriptor.
fn dup_real_while_building(cloexec: bool) -> Option<libc::c_int> {
    if !is_sim_thread() || crate::wakers::building().is_none() {
        return None;
    }
    let file: Rc<dyn vfd::VirtualFile> = Rc::new(vfd::InertDup::new());
    vfd::open(file, libc::O_RDWR | libc::O_NONBLOCK, cloexec).ok()
}

/// # Safety
/// As libc's `dup`.
#[no_mangle]
pub unsafe extern "C" fn dup(fd: libc::c_int) -> libc::c_int {
    if is_virtual(fd) {
        return dup_virtual("dup", fd, false);
    }
    if let Some(new) = dup_real_while_building(false) {
        return new;
    }
    count("dup");
    // SAFETY: plain system call with an integer argument.
    unsafe { libc::syscall(libc::SYS_dup, fd) as libc::c_int }
}

fn dup_onto_refused(call: &'static str, old: libc::c_int, new: libc::c_int) -> libc::c_int {
    let advice = format!(
        "`{call}({old}, {new})`: a virtual descriptor cannot be duplicated onto a chosen number, \
         nor a real one onto a virtual number"
    );
    refuse(call, Cow::Owned(advice), libc::EINVAL);
    -1
}

/// # Safety
/// As libc's `dup2`.
#[no_mangle]
pub unsafe extern "C" fn dup2(old: libc::c_int, new: libc::c_int) -> libc::c_int {
    if is_virtual(old) || is_virtual(new) {
        if old == new && vfd::get(old).is_some() {
            return new;
        }
        return dup_onto_refused("dup2", old, new);
    }
    count("dup2");
    match super::forward::next_fn!(
        "dup2" as unsafe extern "C" fn(libc::c_int, libc::c_int) -> libc::c_int
    ) {
        // SAFETY: forwarding the caller's arguments unchanged.
        Some(real) => unsafe { real(old, new) },
        None => {
            set_errno(libc::ENOSYS);
            -1
        }
    }
}

/// # Safety
/// As libc's `dup3`.
#[no_mangle]
pub unsafe extern "C" fn dup3(
    old: libc::c_int,
    new: libc::c_int,
    flags: libc::c_int,
) -> libc::c_int {
    if is_virtual(old) || is_virtual(new) {
        return dup_onto_refused("dup3", old, new);
    }
    count("dup3");
    // SAFETY: plain system call with integer arguments.
    unsafe { libc::syscall(libc::SYS_dup3, old, new, flags) as libc::c_int }
}

/// `fcntl` is variadic in C; its third argument is an integer or a pointer,
/// passed in the same register either way on the 64-bit Linux ABIs, which is
/// how this non-variadic definition receives it.
///
/// # Safety
/// As libc's `fcntl`.
#[no_mangle]
pub unsafe extern "C" fn fcntl(
    fd: libc::c_int,
    cmd: libc::c_int,
    arg: libc::c_ulong,
) -> libc::c_int {
    if is_virtual(fd) {
        return fcntl_virtual(fd, cmd, arg);
    }
    if matches!(cmd, libc::F_DUPFD | libc::F_DUPFD_CLOEXEC) {
        if let Some(new) = dup_real_while_building(cmd == libc::F_DUPFD_CLOEXEC) {
            return new;
        }
    }
    count("fcntl");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_fcntl, fd, cmd, arg) as libc::c_int }
}

fn fcntl_virtual(fd: libc::c_int, cmd: libc::c_int, arg: libc::c_ulong) -> libc::c_int {
    // std checks `F_GETFD` before it closes an owned descriptor and aborts
    // the process on `EBADF`. From a thread outside the simulation (a
    // socket that outlived it, dropped on the test's thread) the number
    // stands for a descriptor that is, for that thread, still owned: the
    // check passes, and the close that follows succeeds (`foreign_close`).
    if cmd == libc::F_GETFD && !is_sim_thread() {
        return 0;
    }
    let Some(open) = lookup("fcntl", fd) else {
        return -1;
    };
    match cmd {
        libc::F_GETFD => match vfd::with_table(|t| t.cloexec(fd)).flatten() {
            Some(true) => libc::FD_CLOEXEC,
            _ => 0,
        },
        libc::F_SETFD => {
            let on = arg as libc::c_int & libc::FD_CLOEXEC != 0;
            vfd::with_table(|t| t.set_cloexec(fd, on));
            0
        }
        libc::F_GETFL => open.status(),
        libc::F_SETFL => {
            // Linux changes only O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME and
            // O_NONBLOCK here; of those only O_NONBLOCK means anything for
            // a simulated object.
            open.set_nonblocking(arg as libc::c_int & libc::O_NONBLOCK != 0);
            0
        }
        libc::F_DUPFD => dup_virtual("fcntl", fd, false),
        libc::F_DUPFD_CLOEXEC => dup_virtual("fcntl", fd, true),
        _ => {
            unsupported("fcntl", fd, libc::EINVAL);
            -1
        }
    }
}

/// `ioctl`'s third argument is a pointer for every request that has one.
///
/// # Safety
/// As libc's `ioctl`.
#[no_mangle]
pub unsafe extern "C" fn ioctl(
    fd: libc::c_int,
    request: libc::c_ulong,
    arg: *mut libc::c_void,
) -> libc::c_int {
    if is_virtual(fd) {
        let Some(open) = lookup("ioctl", fd) else {
            return -1;
        };
        return match request {
            libc::FIONBIO if !arg.is_null() => {
                // SAFETY: FIONBIO's argument is a readable int.
                open.set_nonblocking(unsafe { *(arg as *const libc::c_int) } != 0);
                0
            }
            libc::FIOCLEX | libc::FIONCLEX => {
                vfd::with_table(|t| t.set_cloexec(fd, request == libc::FIOCLEX));
                0
            }
            libc::FIONREAD if !arg.is_null() => match super::sockets::readable_bytes(&open) {
                Some(Ok(n)) => {
                    // SAFETY: FIONREAD's argument is a writable int.
                    unsafe {
                        *(arg as *mut libc::c_int) = n.min(libc::c_int::MAX as usize) as libc::c_int
                    };
                    0
                }
                Some(Err(e)) => {
                    set_errno(e);
                    -1
                }
                None => {
                    unsupported("ioctl", fd, libc::ENOTTY);
                    -1
                }
            },
            _ => {
                unsupported("ioctl", fd, libc::ENOTTY);
                -1
            }
        };
    }
    count("ioctl");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_ioctl, fd, request, arg) as libc::c_int }
}
