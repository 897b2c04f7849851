//! Calls the simulator does not model on a virtual descriptor: they fail
//! with the `errno` Linux gives for an object that does not support them,
//! and end the run with an error naming the call. On a real descriptor
//! they are the C library's own functions.

use super::forward::{count, next_fn};
use super::refuse::unsupported;
use super::set_errno;
use crate::vfd::is_virtual;

/// Defines an interposer whose first argument is the descriptor.
macro_rules! guarded {
    ($(
        $name:ident($fd:ident $(, $arg:ident: $ty:ty)*) -> $ret:ty, $errno:expr, $fail:expr;
    )*) => {$(
        /// Fails on a virtual descriptor (see the module); the C library's
        /// function otherwise.
        ///
        /// # Safety
        /// As the C library's function of this name.
        #[no_mangle]
        pub unsafe extern "C" fn $name($fd: libc::c_int $(, $arg: $ty)*) -> $ret {
            if is_virtual($fd) {
                unsupported(stringify!($name), $fd, $errno);
                return $fail;
            }
            count(stringify!($name));
            match next_fn!(@ident $name as unsafe extern "C" fn(libc::c_int $(, $ty)*) -> $ret) {
                // SAFETY: forwarding the caller's arguments unchanged.
                Some(real) => unsafe { real($fd $(, $arg)*) },
                None => {
                    set_errno(libc::ENOSYS);
                    $fail
                }
            }
        }
    )*};
}

/// Fails `call` with `errno` (and reports it) if any of `fds` is virtual.
fn refused(call: &'static str, fds: &[libc::c_int], errno: libc::c_int) -> bool {
    match fds.iter().find(|&&fd| is_virtual(fd)) {
        Some(&fd) => {
            unsupported(call, fd, errno);
            true
        }
        None => false,
    }
}

type Buf = *const libc::c_void;
type BufOut = *mut libc::c_void;

guarded! {
    fstat(fd, buf: *mut libc::stat) -> libc::c_int, libc::EOPNOTSUPP, -1;
    fstat64(fd, buf: *mut libc::stat64) -> libc::c_int, libc::EOPNOTSUPP, -1;
    fstatfs(fd, buf: *mut libc::statfs) -> libc::c_int, libc::EOPNOTSUPP, -1;
    lseek(fd, offset: libc::off_t, whence: libc::c_int) -> libc::off_t, libc::ESPIPE, -1;
    lseek64(fd, offset: libc::off64_t, whence: libc::c_int) -> libc::off64_t, libc::ESPIPE, -1;
    pread(fd, buf: BufOut, n: libc::size_t, offset: libc::off_t) -> libc::ssize_t, libc::ESPIPE, -1;
    pread64(fd, buf: BufOut, n: libc::size_t, offset: libc::off64_t) -> libc::ssize_t, libc::ESPIPE, -1;
    pwrite(fd, buf: Buf, n: libc::size_t, offset: libc::off_t) -> libc::ssize_t, libc::ESPIPE, -1;
    pwrite64(fd, buf: Buf, n: libc::size_t, offset: libc::off64_t) -> libc::ssize_t, libc::ESPIPE, -1;
    preadv(fd, iov: *const libc::iovec, n: libc::c_int, offset: libc::off_t) -> libc::ssize_t, libc::ESPIPE, -1;
    pwritev(fd, iov: *const libc::iovec, n: libc::c_int, offset: libc::off_t) -> libc::ssize_t, libc::ESPIPE, -1;
    fsync(fd) -> libc::c_int, libc::EINVAL, -1;
    fdatasync(fd) -> libc::c_int, libc::EINVAL, -1;
    ftruncate(fd, len: libc::off_t) -> libc::c_int, libc::EINVAL, -1;
    ftruncate64(fd, len: libc::off64_t) -> libc::c_int, libc::EINVAL, -1;
    fallocate(fd, mode: libc::c_int, offset: libc::off_t, len: libc::off_t) -> libc::c_int, libc::ENODEV, -1;
    fchmod(fd, mode: libc::mode_t) -> libc::c_int, libc::EINVAL, -1;
    fchown(fd, owner: libc::uid_t, group: libc::gid_t) -> libc::c_int, libc::EINVAL, -1;
    flock(fd, op: libc::c_int) -> libc::c_int, libc::EINVAL, -1;
}

/// `sendfile` and `sendfile64` (one function on 64-bit Linux, where
/// `off64_t` is `off_t`): fails when either descriptor is virtual, naming
/// `call`; the C library's `sendfile` otherwise.
///
/// # Safety
/// As libc's `sendfile`.
unsafe fn sendfile_as(
    call: &'static str,
    out_fd: libc::c_int,
    in_fd: libc::c_int,
    offset: *mut libc::off_t,
    n: libc::size_t,
) -> libc::ssize_t {
    if refused(call, &[out_fd, in_fd], libc::EINVAL) {
        return -1;
    }
    count(call);
    type F = unsafe extern "C" fn(
        libc::c_int,
        libc::c_int,
        *mut libc::off_t,
        libc::size_t,
    ) -> libc::ssize_t;
    match next_fn!("sendfile" as F) {
        // SAFETY: forwarding the caller's arguments unchanged.
        Some(real) => unsafe { real(out_fd, in_fd, offset, n) },
        None => {
            set_errno(libc::ENOSYS);
            -1
        }
    }
}

/// Fails when either descriptor is virtual; the C library's otherwise.
///
/// # Safety
/// As libc's `sendfile`.
#[no_mangle]
pub unsafe extern "C" fn sendfile(
    out_fd: libc::c_int,
    in_fd: libc::c_int,
    offset: *mut libc::off_t,
    n: libc::size_t,
) -> libc::ssize_t {
    // SAFETY: the caller's arguments, unchanged.
    unsafe { sendfile_as("sendfile", out_fd, in_fd, offset, n) }
}

/// As [`sendfile`].
///
/// # Safety
/// As libc's `sendfile64`.
#[no_mangle]
pub unsafe extern "C" fn sendfile64(
    out_fd: libc::c_int,
    in_fd: libc::c_int,
    offset: *mut libc::off64_t,
    n: libc::size_t,
) -> libc::ssize_t {
    // SAFETY: the caller's arguments; `off64_t` is `off_t` on 64-bit Linux.
    unsafe { sendfile_as("sendfile64", out_fd, in_fd, offset.cast(), n) }
}

/// Fails when either descriptor is virtual; the C library's otherwise.
///
/// # Safety
/// As libc's `splice`.
#[no_mangle]
pub unsafe extern "C" fn splice(
    fd_in: libc::c_int,
    off_in: *mut libc::loff_t,
    fd_out: libc::c_int,
    off_out: *mut libc::loff_t,
    len: libc::size_t,
    flags: libc::c_uint,
) -> libc::ssize_t {
    if refused("splice", &[fd_in, fd_out], libc::EINVAL) {
        return -1;
    }
    count("splice");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe {
        libc::syscall(libc::SYS_splice, fd_in, off_in, fd_out, off_out, len, flags) as libc::ssize_t
    }
}

/// Fails when either descriptor is virtual; the C library's otherwise.
///
/// # Safety
/// As libc's `copy_file_range`.
#[no_mangle]
pub unsafe extern "C" fn copy_file_range(
    fd_in: libc::c_int,
    off_in: *mut libc::loff_t,
    fd_out: libc::c_int,
    off_out: *mut libc::loff_t,
    len: libc::size_t,
    flags: libc::c_uint,
) -> libc::ssize_t {
    if refused("copy_file_range", &[fd_in, fd_out], libc::EINVAL) {
        return -1;
    }
    count("copy_file_range");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe {
        libc::syscall(
            libc::SYS_copy_file_range,
            fd_in,
            off_in,
            fd_out,
            off_out,
            len,
            flags,
        ) as libc::ssize_t
    }
}

/// Fails for a virtual descriptor (`AT_EMPTY_PATH` on it); the C library's
/// otherwise. std's `File::metadata` calls this first.
///
/// # Safety
/// As libc's `statx`.
#[no_mangle]
pub unsafe extern "C" fn statx(
    dirfd: libc::c_int,
    path: *const libc::c_char,
    flags: libc::c_int,
    mask: libc::c_uint,
    buf: *mut libc::statx,
) -> libc::c_int {
    if is_virtual(dirfd) {
        unsupported("statx", dirfd, libc::EOPNOTSUPP);
        return -1;
    }
    count("statx");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_statx, dirfd, path, flags, mask, buf) as libc::c_int }
}

/// Fails for a mapping of a virtual descriptor (`ENODEV`, as for any object
/// that cannot be mapped); anonymous and real mappings are the kernel's.
///
/// # Safety
/// As libc's `mmap`.
#[no_mangle]
pub unsafe extern "C" fn mmap(
    addr: *mut libc::c_void,
    len: libc::size_t,
    prot: libc::c_int,
    flags: libc::c_int,
    fd: libc::c_int,
    offset: libc::off_t,
) -> *mut libc::c_void {
    if is_virtual(fd) && flags & libc::MAP_ANONYMOUS == 0 {
        unsupported("mmap", fd, libc::ENODEV);
        return libc::MAP_FAILED;
    }
    // SAFETY: forwarding the caller's arguments unchanged (64-bit: the
    // system call takes the byte offset, as libc's mmap does).
    unsafe {
        libc::syscall(libc::SYS_mmap, addr, len, prot, flags, fd, offset) as *mut libc::c_void
    }
}

/// As [`mmap`] (the same function on 64-bit Linux).
///
/// # Safety
/// As libc's `mmap64`.
#[no_mangle]
pub unsafe extern "C" fn mmap64(
    addr: *mut libc::c_void,
    len: libc::size_t,
    prot: libc::c_int,
    flags: libc::c_int,
    fd: libc::c_int,
    offset: libc::off64_t,
) -> *mut libc::c_void {
    // SAFETY: the caller's arguments, unchanged.
    unsafe { mmap(addr, len, prot, flags, fd, offset) }
}
