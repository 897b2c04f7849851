//! `getaddrinfo` and `freeaddrinfo`: names resolve through the simulation
//! (see [`crate::names`]) on a simulation thread and on the threads its
//! hosts start; every other thread uses the C library's resolver.
//!
//! The answer is laid out as glibc lays out its own (each `addrinfo` and
//! its socket address in one `malloc` block, the canonical name in
//! another), and the lists this layer made are remembered, so that
//! `freeaddrinfo` frees ours itself and hands anything else to the C
//! library.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::net::IpAddr;
use std::sync::Mutex;

use super::forward::{count, next_fn};
use crate::names::{lookup, Entry, Hints};

type GetAddrInfo = unsafe extern "C" fn(
    *const libc::c_char,
    *const libc::c_char,
    *const libc::addrinfo,
    *mut *mut libc::addrinfo,
) -> libc::c_int;
type FreeAddrInfo = unsafe extern "C" fn(*mut libc::addrinfo);

/// The heads of the lists this layer returned and nobody freed yet (a
/// tree, not a hash set: a hash set's first use would draw random keys,
/// from the simulation's stream when a host makes it).
static OURS: Mutex<BTreeSet<usize>> = Mutex::new(BTreeSet::new());

fn remember(head: *mut libc::addrinfo) {
    let mut ours = OURS.lock().unwrap_or_else(|e| e.into_inner());
    ours.insert(head as usize);
}

fn forget(head: *mut libc::addrinfo) -> bool {
    let mut ours = OURS.lock().unwrap_or_else(|e| e.into_inner());
    ours.remove(&(head as usize))
}

/// Whether this thread's lookups are the simulation's.
fn simulated() -> bool {
    crate::is_sim_thread() || crate::threads::is_host_thread()
}

/// A C string argument, `None` if null or not UTF-8 (no host name of a
/// simulation is).
///
/// # Safety
/// `p` is null or a NUL-terminated string.
unsafe fn text<'a>(p: *const libc::c_char) -> Option<Result<&'a str, ()>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null, NUL-terminated by the caller's contract.
    Some(unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| ()))
}

/// One `addrinfo` and its socket address in a single `malloc` block, as
/// glibc allocates them (so its `freeaddrinfo` could free it too).
fn alloc_entry(e: &Entry, family: libc::c_int) -> *mut libc::addrinfo {
    let ai_size = std::mem::size_of::<libc::addrinfo>();
    let sa_size = std::mem::size_of::<libc::sockaddr_in6>();
    // SAFETY: plain allocation; checked for null below.
    let block = unsafe { libc::calloc(1, ai_size + sa_size) } as *mut u8;
    if block.is_null() {
        return std::ptr::null_mut();
    }
    let ai = block.cast::<libc::addrinfo>();
    // SAFETY: `block` holds `ai_size + sa_size` zeroed bytes; the socket
    // address starts right after the addrinfo, at a multiple of 8.
    unsafe {
        let sa = block.add(ai_size);
        let len = match e.ip {
            IpAddr::V4(v4) => {
                let sin = sa.cast::<libc::sockaddr_in>();
                (*sin).sin_family = libc::AF_INET as libc::sa_family_t;
                (*sin).sin_port = e.port.to_be();
                (*sin).sin_addr.s_addr = u32::from(v4).to_be();
                std::mem::size_of::<libc::sockaddr_in>()
            }
            IpAddr::V6(v6) => {
                let sin6 = sa.cast::<libc::sockaddr_in6>();
                (*sin6).sin6_family = libc::AF_INET6 as libc::sa_family_t;
                (*sin6).sin6_port = e.port.to_be();
                (*sin6).sin6_addr.s6_addr = v6.octets();
                std::mem::size_of::<libc::sockaddr_in6>()
            }
        };
        (*ai).ai_flags = 0;
        (*ai).ai_family = family;
        (*ai).ai_socktype = e.socktype;
        (*ai).ai_protocol = e.protocol;
        (*ai).ai_addrlen = len as libc::socklen_t;
        (*ai).ai_addr = sa.cast();
        (*ai).ai_canonname = std::ptr::null_mut();
        (*ai).ai_next = std::ptr::null_mut();
    }
    ai
}

/// Frees a list this layer made.
///
/// # Safety
/// `head` is a list made by [`build`], not freed yet.
unsafe fn free_list(mut head: *mut libc::addrinfo) {
    while !head.is_null() {
        // SAFETY: a live node of our list.
        let next = unsafe { (*head).ai_next };
        // SAFETY: both were allocated with malloc/calloc (canonname may be null).
        unsafe {
            libc::free((*head).ai_canonname.cast());
            libc::free(head.cast());
        }
        head = next;
    }
}

/// The C list for `entries`, or null if memory ran out.
fn build(entries: &[Entry], canonname: Option<&str>) -> *mut libc::addrinfo {
    let mut head: *mut libc::addrinfo = std::ptr::null_mut();
    let mut tail: *mut libc::addrinfo = std::ptr::null_mut();
    for e in entries {
        let family = if e.ip.is_ipv4() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        };
        let node = alloc_entry(e, family);
        if node.is_null() {
            // SAFETY: the nodes made so far form our list.
            unsafe { free_list(head) };
            return std::ptr::null_mut();
        }
        if tail.is_null() {
            head = node;
        } else {
            // SAFETY: `tail` is the last live node.
            unsafe { (*tail).ai_next = node };
        }
        tail = node;
    }
    if let (Some(name), false) = (canonname, head.is_null()) {
        let c = std::ffi::CString::new(name).unwrap_or_default();
        // SAFETY: `c` is NUL-terminated; strdup allocates with malloc.
        unsafe { (*head).ai_canonname = libc::strdup(c.as_ptr()) };
    }
    head
}

/// Answers from the simulation's names on a simulation thread or a thread
/// its host started; the C library's resolver elsewhere.
///
/// # Safety
/// As libc's `getaddrinfo`.
#[no_mangle]
pub unsafe extern "C" fn getaddrinfo(
    node: *const libc::c_char,
    service: *const libc::c_char,
    hints: *const libc::addrinfo,
    res: *mut *mut libc::addrinfo,
) -> libc::c_int {
    if !simulated() {
        count("getaddrinfo");
        return match next_fn!(@ident getaddrinfo as GetAddrInfo) {
            // SAFETY: the caller's arguments, unchanged.
            Some(real) => unsafe { real(node, service, hints, res) },
            None => libc::EAI_SYSTEM,
        };
    }
    if res.is_null() {
        return libc::EAI_SYSTEM;
    }
    let h = if hints.is_null() {
        // glibc's defaults for a null hints: any family, type and protocol,
        // AI_V4MAPPED | AI_ADDRCONFIG.
        Hints {
            flags: libc::AI_V4MAPPED | libc::AI_ADDRCONFIG,
            ..Hints::default()
        }
    } else {
        // SAFETY: non-null hints point to a readable addrinfo.
        let h = unsafe { &*hints };
        Hints {
            family: h.ai_family,
            socktype: h.ai_socktype,
            protocol: h.ai_protocol,
            flags: h.ai_flags,
        }
    };
    // SAFETY: null or NUL-terminated, as getaddrinfo requires.
    let (node, service) = unsafe { (text(node), text(service)) };
    let (Ok(node), Ok(service)) = (node.transpose(), service.transpose()) else {
        return libc::EAI_NONAME;
    };
    match lookup(node, service, &h) {
        Ok(entries) => {
            let canon = (h.flags & libc::AI_CANONNAME != 0)
                .then_some(node)
                .flatten();
            let head = build(&entries, canon);
            if head.is_null() {
                return libc::EAI_MEMORY;
            }
            remember(head);
            // SAFETY: checked non-null; the caller's out-pointer.
            unsafe { *res = head };
            0
        }
        Err(e) => e.code(),
    }
}

/// Frees a list from this layer's `getaddrinfo`, or hands one from the C
/// library's back to it.
///
/// # Safety
/// As libc's `freeaddrinfo`.
#[no_mangle]
pub unsafe extern "C" fn freeaddrinfo(head: *mut libc::addrinfo) {
    if head.is_null() {
        return;
    }
    if forget(head) {
        // SAFETY: a list we made and nobody freed (it was still remembered).
        unsafe { free_list(head) };
        return;
    }
    if let Some(real) = next_fn!(@ident freeaddrinfo as FreeAddrInfo) {
        // SAFETY: a list from the C library's getaddrinfo.
        unsafe { real(head) };
    }
}
